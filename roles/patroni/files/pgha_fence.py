# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pgha-fence: the software counterpart of Patroni's watchdog.

On a host without a watchdog device, a frozen or dead Patroni leaves its
PostgreSQL running as a writable primary; once the leader key expires a
replica is promoted and direct connections see two primaries. This guard runs
beside Patroni (its own systemd unit, its own process) and asks the local
REST API every ``interval`` seconds whether this member still holds the
leader key (``GET /leader``: 200 only while Patroni's own lease is valid).
When PostgreSQL runs as a primary here and the last confirmation is older
than ``bound`` seconds -- a bound below ``ttl - loop_wait``, so before any
replica can be promoted -- it stops PostgreSQL with an immediate shutdown.

It never fences:
- a member it has not yet seen confirmed as leader while PostgreSQL was a
  primary (a guard that cannot reach its REST API does nothing, and says so);
- a cluster in maintenance mode (the last answer said ``pause``: Patroni does
  not act then, and neither does the guard);
- a primary whose Patroni answers again within the bound (a Patroni killed
  and restarted by systemd, a busy machine, a switchover).

Usage: pgha-fence --config /etc/patroni/fence.conf [--once]
"""

from __future__ import annotations

import configparser
import http.client
import json
import os
import ssl
import subprocess
import sys
import syslog
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

IDENT = "pgha-fence"
EXIT_OK, EXIT_USAGE = 0, 2


class UsageError(Exception):
    """Bad arguments or configuration: exit 2 with the reason."""


@dataclass
class Config:
    api_url: str = ""
    api_ca_file: str = ""
    data_dir: str = ""
    pg_ctl: str = ""
    interval: float = 1.0
    timeout: float = 2.0
    bound: float = 14.0
    stop_timeout: int = 30


def load_config(path: str) -> Config:
    parser = configparser.ConfigParser()
    if not parser.read(path):
        raise UsageError(f"cannot read the configuration {path}")
    if not parser.has_section("fence"):
        raise UsageError(f"the configuration {path} has no [fence] section")
    sect = parser["fence"]
    try:
        cfg = Config(
            api_url=sect.get("api_url", "").rstrip("/"),
            api_ca_file=sect.get("api_ca_file", ""),
            data_dir=sect.get("data_dir", ""),
            pg_ctl=sect.get("pg_ctl", ""),
            interval=sect.getfloat("interval", 1.0),
            timeout=sect.getfloat("timeout", 2.0),
            bound=sect.getfloat("bound", 14.0),
            stop_timeout=sect.getint("stop_timeout", 30),
        )
    except ValueError as exc:
        raise UsageError(f"the configuration {path} has a bad number: {exc}") from exc
    missing = [k for k in ("api_url", "data_dir", "pg_ctl") if not getattr(cfg, k)]
    if missing:
        raise UsageError(f"the configuration {path} needs {', '.join(missing)}")
    if cfg.interval <= 0 or cfg.timeout <= 0 or cfg.bound <= cfg.interval + cfg.timeout or cfg.stop_timeout <= 0:
        raise UsageError(f"the configuration {path} needs positive interval and timeout and a bound "
                         f"above interval + timeout ({cfg.interval} + {cfg.timeout}), not {cfg.bound}")
    return cfg


# --------------------------------------------------------------------- decisions

@dataclass
class FenceState:
    """What the guard remembers between two probes."""

    last_confirmed: Optional[float] = None  # monotonic time of the last 200 on /leader
    paused: bool = False                     # the last answer's pause flag
    last_detail: str = ""


@dataclass
class Probe:
    confirmed: bool
    paused: Optional[bool]  # None: no answer, keep what was known
    detail: str


def decide(now: float, probe: Probe, primary: bool, state: FenceState, cfg: Config) -> str:
    """One guard step: 'fence' or 'none'. Updates ``state``.

    The last pause flag seen holds while Patroni is silent: an operator may
    stop Patroni in maintenance mode for as long as the work takes (a cluster
    resumed from another member meanwhile is not seen: docs/split-brain.md)."""
    if probe.paused is not None:
        state.paused = probe.paused
    if not primary:
        state.last_confirmed = None  # armed again only by a confirmation while primary
        return "none"
    if probe.confirmed:
        state.last_confirmed = now
        return "none"
    if state.paused or state.last_confirmed is None:
        return "none"
    return "fence" if now - state.last_confirmed > cfg.bound else "none"


# ----------------------------------------------------------------- observations

def postgres_primary(data_dir: str) -> bool:
    """True when a live postmaster runs in data_dir without standby.signal or recovery.signal."""
    try:
        with open(os.path.join(data_dir, "postmaster.pid"), encoding="ascii") as handle:
            pid = int(handle.readline().strip())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    return not any(os.path.exists(os.path.join(data_dir, name)) for name in ("standby.signal", "recovery.signal"))


def probe_leader(cfg: Config) -> Probe:
    """GET /leader on the local REST API."""
    try:
        context = ssl.create_default_context(cafile=cfg.api_ca_file or None) if cfg.api_url.startswith("https://") else None
        with urllib.request.urlopen(f"{cfg.api_url}/leader", timeout=cfg.timeout, context=context) as resp:
            status, body = resp.status, resp.read(65536)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(65536) if exc.fp else b""
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        return Probe(False, None, f"no answer ({getattr(exc, 'reason', exc)})")
    try:
        paused = bool(json.loads(body or b"{}").get("pause", False))
    except ValueError:
        paused = None
    return Probe(status == 200, paused, f"HTTP {status}{' (paused)' if paused else ''}")


def log(priority: int, message: str) -> None:
    syslog.syslog(priority, message)
    if not os.environ.get("JOURNAL_STREAM"):
        print(message, file=sys.stderr if priority <= syslog.LOG_WARNING else sys.stdout)


def fence(cfg: Config, runner: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> bool:
    argv = [cfg.pg_ctl, "stop", "-D", cfg.data_dir, "-m", "immediate", "-w", "-t", str(cfg.stop_timeout)]
    try:
        result = runner(argv, capture_output=True, text=True, check=False, timeout=cfg.stop_timeout + 10)
    except (subprocess.SubprocessError, OSError) as exc:
        log(syslog.LOG_ERR, f"fence: {' '.join(argv)} failed: {exc}")
        return False
    if result.returncode != 0:
        log(syslog.LOG_ERR, f"fence: {' '.join(argv)} failed: {(result.stderr or result.stdout).strip()}")
        return False
    log(syslog.LOG_CRIT, f"fence: PostgreSQL in {cfg.data_dir} stopped (immediate)")
    return True


# ------------------------------------------------------------------- the loop

def run(cfg: Config, once: bool = False, probe: Callable[[Config], Probe] = probe_leader,
        primary: Callable[[str], bool] = postgres_primary, do_fence: Callable[[Config], bool] = fence,
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
        state: FenceState | None = None) -> int:
    state = state if state is not None else FenceState()
    log(syslog.LOG_INFO, f"guarding PostgreSQL in {cfg.data_dir}: {cfg.api_url}/leader every {cfg.interval}s "
                         f"(timeout {cfg.timeout}s); immediate stop after {cfg.bound}s without confirmation")
    while True:
        started = clock()
        answer = probe(cfg)
        now = clock()
        is_primary = primary(cfg.data_dir)
        was_armed = state.last_confirmed is not None
        if not answer.confirmed and now - started > cfg.timeout + cfg.interval:
            # The probe took longer than its own timeout allows: this process was stalled
            # (a frozen node, a stalled VM). Judge Patroni by a probe made after the stall.
            log(syslog.LOG_WARNING, f"probe took {now - started:.1f}s ({answer.detail}); the fence itself was "
                                    "stalled: asking again before deciding")
            if once:
                return EXIT_OK
            continue
        decision = decide(now, answer, is_primary, state, cfg)
        if is_primary and not answer.confirmed and answer.detail != state.last_detail:
            since = f"{now - state.last_confirmed:.1f}s" if state.last_confirmed is not None else "never"
            log(syslog.LOG_WARNING, f"primary here but leadership not confirmed ({answer.detail}); last confirmed "
                                    f"{since} ago{', maintenance mode: no fencing' if state.paused else ''}")
        elif is_primary and answer.confirmed and not was_armed:
            log(syslog.LOG_INFO, f"leadership confirmed ({answer.detail}); armed")
        state.last_detail = "" if answer.confirmed else answer.detail
        if decision == "fence":
            log(syslog.LOG_CRIT, f"fence: leadership not confirmed for {now - (state.last_confirmed or now):.1f}s "
                                 f"(> {cfg.bound}s, {answer.detail}); a replica may be promoted: stopping PostgreSQL")
            if do_fence(cfg):
                state.last_confirmed = None  # armed again by the next confirmation while primary
        if once:
            return EXIT_OK
        sleep(max(0.0, cfg.interval - (clock() - started)))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    syslog.openlog(IDENT, syslog.LOG_PID, syslog.LOG_DAEMON)
    try:
        if args[:1] in (["-h"], ["--help"]):
            print(__doc__)
            return EXIT_OK
        if len(args) < 2 or args[0] != "--config" or args[2:] not in ([], ["--once"]):
            raise UsageError("usage: pgha-fence --config FILE [--once]")
        return run(load_config(args[1]), once=args[2:] == ["--once"])
    except UsageError as exc:
        log(syslog.LOG_ERR, str(exc))
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
