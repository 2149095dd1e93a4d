# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Move the Patroni leader VIP.

Two modes, one place for the VIP logic:

* callback -- Patroni runs ``patroni-vip-callback <action> <role> <scope>``
  (on_start, on_restart, on_role_change; on_reload and on_stop are accepted
  too). The leader roles get the VIP (plus a gratuitous ARP), every other role
  loses it.
* before_stop -- Patroni runs ``patroni-vip-callback before_stop`` (its
  ``postgresql.before_stop`` script, no arguments) and waits for it before it
  stops PostgreSQL. The VIP goes first, so in a switchover the old leader has
  dropped it before it releases the leader key, and the new leader never adds
  it while the old one still holds it.
* guard -- ``patroni-vip-callback guard`` runs as a small service independent
  of Patroni. It asks the local REST API ``GET /leader`` every few seconds and
  removes the VIP when leadership is not confirmed ``fall`` times in a row
  (a frozen or dead Patroni cannot do it itself). With ``heal`` on it also
  re-adds the VIP on a confirmed leader that lacks it (a lost callback).

Privileged commands go through ``sudo -n`` with exactly the arguments the
sudoers drop-in allows. Every action is logged to syslog (the journal).
"""

from __future__ import annotations

import configparser
import json
import os
import ssl
import subprocess
import sys
import syslog
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Sequence

DEFAULT_CONFIG = "/etc/pgha/vip-callback.conf"
IDENT = "patroni-vip-callback"
CALLBACK_ACTIONS = ("on_start", "on_restart", "on_role_change", "on_reload", "on_stop")
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
# The guard runs for months: it remembers only its last decisions.
GUARD_HISTORY = 100

USAGE = (
    f"usage: {IDENT} [--config PATH] <action> <role> <scope>\n"
    f"       {IDENT} [--config PATH] before_stop\n"
    f"       {IDENT} [--config PATH] guard [--once]\n"
    f"  action: one of {', '.join(CALLBACK_ACTIONS)} (Patroni passes it)\n"
)


class UsageError(Exception):
    """Bad arguments or a bad configuration file."""


@dataclass
class Config:
    """What the role renders into /etc/pgha/vip-callback.conf."""

    enabled: bool = True
    address: str = ""
    prefix: int = 24
    interface: str = "eth0"
    scope: str = ""
    leader_roles: tuple[str, ...] = ("primary", "master")
    ip_command: str = "/usr/sbin/ip"
    arping_command: str = "/usr/bin/arping"
    arping_count: int = 3
    sudo_command: str = "/usr/bin/sudo"
    use_sudo: bool = True
    api_url: str = "http://127.0.0.1:8008"
    api_ca_file: str = ""
    guard_interval: float = 2.0
    guard_timeout: float = 1.0
    guard_fall: int = 3
    guard_heal: bool = True

    @property
    def cidr(self) -> str:
        return f"{self.address}/{self.prefix}"


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"'{value}' is not a boolean (use true or false)")


def load_config(path: str) -> Config:
    """Read the INI file ([vip] and [guard] sections) into a Config."""
    parser = configparser.ConfigParser()
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except OSError as exc:
        raise UsageError(f"cannot read the configuration {path}: {exc.strerror}") from exc
    except configparser.Error as exc:
        raise UsageError(f"the configuration {path} is not valid INI: {exc}") from exc
    vip = parser["vip"] if parser.has_section("vip") else {}
    guard = parser["guard"] if parser.has_section("guard") else {}
    cfg = Config()
    try:
        cfg.enabled = _bool(vip.get("enabled", "true"))
        cfg.address = vip.get("address", "").strip()
        cfg.prefix = int(vip.get("prefix", "24"))
        cfg.interface = vip.get("interface", cfg.interface).strip()
        cfg.scope = vip.get("scope", "").strip()
        roles = [r.strip() for r in vip.get("leader_roles", ",".join(cfg.leader_roles)).split(",")]
        cfg.leader_roles = tuple(r for r in roles if r)
        cfg.ip_command = vip.get("ip_command", cfg.ip_command).strip()
        cfg.arping_command = vip.get("arping_command", cfg.arping_command).strip()
        cfg.arping_count = int(vip.get("arping_count", str(cfg.arping_count)))
        cfg.sudo_command = vip.get("sudo_command", cfg.sudo_command).strip()
        cfg.use_sudo = _bool(vip.get("use_sudo", "true"))
        cfg.api_url = guard.get("api_url", cfg.api_url).strip().rstrip("/")
        cfg.api_ca_file = guard.get("api_ca_file", "").strip()
        cfg.guard_interval = float(guard.get("interval", str(cfg.guard_interval)))
        cfg.guard_timeout = float(guard.get("timeout", str(cfg.guard_timeout)))
        cfg.guard_fall = int(guard.get("fall", str(cfg.guard_fall)))
        cfg.guard_heal = _bool(guard.get("heal", "true"))
    except ValueError as exc:
        raise UsageError(f"the configuration {path} has a bad value: {exc}") from exc
    if cfg.enabled and not cfg.address:
        raise UsageError(f"the configuration {path} sets no VIP address ([vip] address)")
    if cfg.guard_fall < 1 or cfg.guard_interval <= 0 or cfg.guard_timeout <= 0:
        raise UsageError(f"the configuration {path} needs guard fall >= 1 and positive interval/timeout")
    return cfg


# --------------------------------------------------------------------- decisions

def decide(action: str, role: str, cfg: Config) -> str:
    """Return 'add' or 'remove' for one Patroni callback; raise UsageError on bad input."""
    if action not in CALLBACK_ACTIONS:
        raise UsageError(f"unknown action '{action}': expected one of {', '.join(CALLBACK_ACTIONS)}")
    if not role or not role.replace("_", "").replace("-", "").isalnum():
        raise UsageError(f"bad role '{role}': Patroni passes a role such as primary, replica or standby_leader")
    if action == "on_stop":
        return "remove"
    return "add" if role in cfg.leader_roles else "remove"


@dataclass
class GuardState:
    """What the guard remembers between two probes."""

    failures: int = 0
    history: deque[str] = field(default_factory=lambda: deque(maxlen=GUARD_HISTORY))


def guard_decide(confirmed: bool, present: bool, state: GuardState, cfg: Config) -> str:
    """One guard step: 'add', 'remove' or 'none'.

    Failures are counted only while the VIP is here, so a VIP a callback has
    just added gets the full ``fall`` probes of grace, and a replica without
    the VIP is simply left alone.
    """
    if confirmed:
        state.failures = 0
        return "add" if (cfg.guard_heal and not present) else "none"
    if not present:
        state.failures = 0
        return "none"
    state.failures += 1
    return "remove" if state.failures >= cfg.guard_fall else "none"


# ----------------------------------------------------------------- side effects

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_command(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=False, timeout=30)


def log(priority: int, message: str) -> None:
    syslog.syslog(priority, message)
    if not os.environ.get("JOURNAL_STREAM"):  # under systemd the syslog line is enough
        print(message, file=sys.stderr if priority <= syslog.LOG_WARNING else sys.stdout)


class Vip:
    """Adds, removes and announces the VIP through a command runner (faked in tests)."""

    def __init__(self, cfg: Config, runner: Runner = run_command) -> None:
        self.cfg = cfg
        self.runner = runner

    def _privileged(self, argv: list[str]) -> list[str]:
        return [self.cfg.sudo_command, "-n", *argv] if self.cfg.use_sudo else argv

    def add_argv(self) -> list[str]:
        return self._privileged([self.cfg.ip_command, "address", "add", self.cfg.cidr, "dev", self.cfg.interface])

    def del_argv(self) -> list[str]:
        return self._privileged([self.cfg.ip_command, "address", "del", self.cfg.cidr, "dev", self.cfg.interface])

    def arping_argv(self) -> list[str]:
        return self._privileged([self.cfg.arping_command, "-q", "-U", "-c", str(self.cfg.arping_count),
                                 "-I", self.cfg.interface, self.cfg.address])

    def present(self) -> bool:
        result = self.runner([self.cfg.ip_command, "-o", "-4", "address", "show", "dev", self.cfg.interface])
        if result.returncode != 0:
            raise RuntimeError(f"cannot list the addresses of {self.cfg.interface}: {result.stderr.strip()}")
        for line in result.stdout.splitlines():
            words = line.split()
            if "inet" in words and words[words.index("inet") + 1].split("/")[0] == self.cfg.address:
                return True
        return False

    def add(self) -> bool:
        """Add the VIP and announce it; True when it was added now."""
        if self.present():
            log(syslog.LOG_INFO, f"VIP {self.cfg.cidr} already on {self.cfg.interface}; sending gratuitous ARP")
            added = False
        else:
            result = self.runner(self.add_argv())
            if result.returncode != 0 and "File exists" not in result.stderr:
                raise RuntimeError(f"adding VIP {self.cfg.cidr} failed: {result.stderr.strip()}")
            log(syslog.LOG_NOTICE, f"added VIP {self.cfg.cidr} on {self.cfg.interface}")
            added = True
        arp = self.runner(self.arping_argv())
        if arp.returncode != 0:
            log(syslog.LOG_WARNING, f"gratuitous ARP for {self.cfg.address} failed: {arp.stderr.strip()}")
        else:
            log(syslog.LOG_INFO, f"sent {self.cfg.arping_count} gratuitous ARP for {self.cfg.address} on {self.cfg.interface}")
        return added

    def remove(self) -> bool:
        """Remove the VIP; True when it was removed now."""
        if not self.present():
            log(syslog.LOG_INFO, f"VIP {self.cfg.cidr} not on {self.cfg.interface}; nothing to remove")
            return False
        result = self.runner(self.del_argv())
        absent = ("Cannot assign requested address", "Address not found")  # old and new iproute2 wording
        if result.returncode != 0 and not any(text in result.stderr for text in absent):
            raise RuntimeError(f"removing VIP {self.cfg.cidr} failed: {result.stderr.strip()}")
        log(syslog.LOG_NOTICE, f"removed VIP {self.cfg.cidr} from {self.cfg.interface}")
        return True


def probe_leader(cfg: Config) -> tuple[bool, str]:
    """GET /leader on the local REST API; (confirmed, detail)."""
    context = None
    if cfg.api_url.startswith("https://"):
        context = ssl.create_default_context(cafile=cfg.api_ca_file or None)
    try:
        with urllib.request.urlopen(f"{cfg.api_url}/leader", timeout=cfg.guard_timeout, context=context) as resp:
            status = resp.status
            body = resp.read(65536)
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, f"no answer ({getattr(exc, 'reason', exc)})"
    if status != 200:
        return False, f"HTTP {status}"
    try:
        status = json.loads(body or b"{}")
    except ValueError:
        status = {}
    role, state = str(status.get("role", "")), str(status.get("state", ""))
    if role and role not in cfg.leader_roles:
        return False, f"HTTP 200 but role {role} is not a VIP role"
    # Stopping (a switchover's demotion: the before_stop action dropped the VIP), restarting or
    # starting: the lease may still be valid, but the VIP must not come back until PostgreSQL runs.
    if state and state != "running":
        return False, f"HTTP 200 but PostgreSQL is {state}"
    return True, f"HTTP 200 role {role or 'unknown'}"


# ------------------------------------------------------------------- commands

def run_callback(action: str, role: str, scope: str, cfg: Config, runner: Runner = run_command) -> str:
    """Handle one Patroni callback; return the decision taken ('add', 'remove' or 'skip')."""
    decision = decide(action, role, cfg)
    if cfg.scope and scope != cfg.scope:
        raise UsageError(f"scope '{scope}' is not the configured cluster '{cfg.scope}'")
    if not cfg.enabled:
        log(syslog.LOG_INFO, f"{action} {role} {scope}: leader VIP handling is disabled; nothing to do")
        return "skip"
    log(syslog.LOG_INFO, f"{action} role={role} scope={scope}: {decision} VIP {cfg.cidr}")
    vip = Vip(cfg, runner)
    if decision == "add":
        vip.add()
    else:
        vip.remove()
    return decision


def run_guard(cfg: Config, once: bool = False, runner: Runner = run_command,
              probe: Callable[[Config], tuple[bool, str]] = probe_leader,
              sleep: Callable[[float], None] = time.sleep, state: GuardState | None = None) -> int:
    """Probe /leader every interval; drop the VIP after `fall` unconfirmed probes."""
    if not cfg.enabled:
        log(syslog.LOG_INFO, "leader VIP handling is disabled; the guard has nothing to do")
        return EXIT_OK
    vip = Vip(cfg, runner)
    state = state if state is not None else GuardState()
    log(syslog.LOG_INFO, f"guarding VIP {cfg.cidr} on {cfg.interface}: {cfg.api_url}/leader every "
                         f"{cfg.guard_interval}s, timeout {cfg.guard_timeout}s, fall {cfg.guard_fall}, heal {cfg.guard_heal}")
    while True:
        started = time.monotonic()
        confirmed, detail = probe(cfg)
        try:
            decision = guard_decide(confirmed, vip.present(), state, cfg)
            if state.failures:
                log(syslog.LOG_WARNING, f"VIP {cfg.cidr} is here but leadership is not confirmed ({detail}), "
                                        f"{state.failures}/{cfg.guard_fall}")
            if decision == "remove":
                log(syslog.LOG_WARNING, f"guard: removing VIP {cfg.cidr}: leadership not confirmed {state.failures} times")
                vip.remove()
            elif decision == "add":
                log(syslog.LOG_NOTICE, f"guard: leader confirmed ({detail}) but VIP missing; adding it")
                vip.add()
            state.history.append(decision)
        except RuntimeError as exc:
            log(syslog.LOG_ERR, f"guard: {exc}")
        if once:
            return EXIT_OK
        sleep(max(0.0, cfg.guard_interval - (time.monotonic() - started)))


def main(argv: Sequence[str] | None = None, runner: Runner = run_command) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    syslog.openlog(IDENT, syslog.LOG_PID, syslog.LOG_DAEMON)
    config_path = os.environ.get("PGHA_VIP_CALLBACK_CONFIG", DEFAULT_CONFIG)
    if len(args) >= 2 and args[0] == "--config":
        config_path = args[1]
        args = args[2:]
    try:
        if args and args[0] in ("-h", "--help"):
            print(USAGE)
            return EXIT_OK
        if args and args[0] == "guard":
            if args[1:] not in ([], ["--once"]):
                raise UsageError(f"guard takes only --once, not {' '.join(args[1:])}")
            return run_guard(load_config(config_path), once=args[1:] == ["--once"], runner=runner)
        if args[:1] == ["before_stop"]:
            if len(args) != 1:
                raise UsageError(f"before_stop takes no arguments, not {' '.join(args[1:])}")
            cfg = load_config(config_path)
            run_callback("on_stop", "before_stop", cfg.scope, cfg, runner)
            return EXIT_OK
        if len(args) != 3:
            raise UsageError(f"expected 3 arguments <action> <role> <scope>, got {len(args)}")
        decide(args[0], args[1], Config())  # validate before reading any file
        run_callback(args[0], args[1], args[2], load_config(config_path), runner)
        return EXIT_OK
    except UsageError as exc:
        log(syslog.LOG_ERR, f"{exc}\n{USAGE}".rstrip())
        return EXIT_USAGE
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        log(syslog.LOG_ERR, f"failed: {exc}")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
