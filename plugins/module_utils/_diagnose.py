# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why a cluster service is not ready yet: evidence in, one sentence out.

Pure functions, no I/O: the ``service_ready`` module collects the evidence
on the host (systemd, the journal, the service's own HTTP endpoint, etcd
health from that member) and asks :func:`diagnose` what it means. Every
verdict is one of

* ``ready``    - the goal is reached;
* ``progress`` - slow but moving (initdb, a basebackup, a start): keep waiting;
* ``problem``  - stuck on something that may heal (etcd not reachable yet):
                 fail when the same problem lasts ``stall_timeout`` seconds;
* ``fatal``    - cannot heal by waiting (the service exited, PostgreSQL
                 refused its configuration, a port is taken): fail now.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

READY, PROGRESS, PROBLEM, FATAL = "ready", "progress", "problem", "fatal"

# Patroni's own states while work is under way.
PATRONI_PROGRESS_STATES = frozenset((
    "starting", "creating replica", "running custom bootstrap script", "initializing new cluster",
    "restarting", "stopping", "restarting after failure", "running post_bootstrap",
))
# "stopped" is not one of them: Patroni reports it for a moment after its own
# start, before its first cycle starts PostgreSQL (a lasting one stalls).
# A failed bootstrap is final too: Patroni exits and systemd starts it
# again, so the wait would otherwise see it "starting" over and over.
PATRONI_FAILED_STATES = frozenset(("start failed", "crashed", "custom bootstrap failed", "initdb failed", "bootstrap failed"))

SECRET_PATTERNS = (
    (re.compile(r"(['\"]?\w*password['\"]?\s*[=:]\s*)('[^']*'|\"[^\"]*\"|[^\s,}]+)", re.IGNORECASE), r"\1********"),
    (re.compile(r"(Authorization:\s*\w+\s+)\S+", re.IGNORECASE), r"\1********"),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1********@"),
)

ETCD_UNREACHABLE = re.compile(
    r"Failed to get list of machines|DCS is not accessible|EtcdConnectionFailed|Can not connect to etcd|"
    r"Error communicating with DCS|etcd.*(Connection refused|Max retries exceeded|timed out|No route to host)|"
    r"Failed to establish a new connection.*etcd",
    re.IGNORECASE,
)
POSTGRES_CONFIG = re.compile(
    r"invalid value for parameter|unrecognized configuration parameter|configuration file .* contains errors|"
    r"parameter \".*\" (cannot|requires)|could not bind|Address already in use|could not create lock file|"
    r"data directory .* has invalid permissions|database files are incompatible with server|"
    r"could not access file|could not load library|invalid value for|out of memory",
    re.IGNORECASE,
)
POSTGRES_FATAL = re.compile(r"\b(FATAL|PANIC):\s+(.*)")
PATRONI_CRASH = re.compile(r"Traceback|ConfigParseError|PatroniFatalException|Error: |ERROR: |CRITICAL", re.IGNORECASE)
REPLICA_NOT_STREAMING = re.compile(
    r"could not connect to the primary server|password authentication failed|no pg_hba.conf entry|"
    r"requested timeline .* is not a child|could not receive data from WAL stream|replication slot .* does not exist",
    re.IGNORECASE,
)
# Most specific first: the line that names the cause beats the summary line.
HAPROXY_FATAL = (re.compile(r"cannot bind socket|Fatal errors found|parsing \[", re.IGNORECASE),
                 re.compile(r"\[ALERT\]", re.IGNORECASE))
KEEPALIVED_FATAL = (re.compile(r"Unknown keyword|configuration (file )?error|bind|Permission denied", re.IGNORECASE),
                    re.compile(r"error|failed", re.IGNORECASE))
# Why an etcd that exited stopped (its "fatal"/"panic" log lines first).
ETCD_EXIT = (re.compile(r'"level":"(fatal|panic)"|address already in use|permission denied', re.IGNORECASE),
             re.compile(r'"level":"error"', re.IGNORECASE))
# What a running etcd cannot recover from by waiting.
ETCD_STUCK = re.compile(r"cluster ID mismatch|member count is unequal|has already been bootstrapped", re.IGNORECASE)


class Verdict(NamedTuple):
    status: str
    cause: str       # short key: two verdicts with the same cause are "the same problem"
    sentence: str


def redact(line: str) -> str:
    """A journal line with passwords, basic-auth headers and URL credentials masked."""
    for pattern, replacement in SECRET_PATTERNS:
        line = pattern.sub(replacement, line)
    return line


# Lines that repeat without telling anything (Patroni's reconnects, a
# shutdown's own FATALs, a login attempt during a start).
NOISE = re.compile(
    r"establishing a new patroni .* connection|terminating (connection|walreceiver process) due to administrator|"
    r"the database system is (starting up|shutting down)|Peer authentication failed|accepting connections|no response$",
    re.IGNORECASE,
)


def useful(lines: list[str]) -> list[str]:
    return [line for line in lines if not NOISE.search(line)]


def last_match(lines: list[str], pattern: re.Pattern[str]) -> str | None:
    for line in reversed(lines):
        if pattern.search(line):
            return line.strip()
    return None


LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d[ T][\d:.,]+( [A-Z]{2,5})?( \[\d+\])?:? *")


def _clip(text: str, limit: int = 220) -> str:
    text = LOG_PREFIX.sub("", " ".join(str(text).split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unit_exited(unit: dict[str, Any]) -> bool:
    return unit.get("ActiveState") in ("failed", "inactive") or unit.get("SubState") == "auto-restart"


def etcd_summary(etcd: list[dict[str, Any]]) -> str:
    """'2 of 3 etcd members do not answer (10.0.0.12:2379: connection refused, ...)' or ''."""
    if not etcd:
        return ""
    bad = [e for e in etcd if not e.get("healthy")]
    if not bad:
        return f"all {len(etcd)} etcd members answer healthy from here"
    detail = ", ".join(f"{e['endpoint']}: {_clip(e.get('error') or 'unhealthy', 80)}" for e in bad)
    return f"{len(bad)} of {len(etcd)} etcd members do not answer healthy from here ({detail})"


def _etcd_names(etcd: list[dict[str, Any]]) -> str:
    bad = [str(e["endpoint"]) for e in etcd if not e.get("healthy")]
    hosts = bad or [str(e["endpoint"]) for e in etcd]
    return ", ".join(hosts) if hosts else "the etcd group"


ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")]+|timed out|Name or service not known|certificate verify failed[^'\")]*")


def _etcd_verdict(host: str, line: str | None, etcd: list[dict[str, Any]]) -> Verdict:
    """'Patroni is running but cannot reach etcd (...)': the members' health when known, else the log line."""
    if etcd and any(not e.get("healthy") for e in etcd):
        why = etcd_summary(etcd)
    else:
        reason = ERRNO.search(line or "")
        url = re.search(r"https?://[^/\s'\"]+", line or "")
        why = " ".join(x for x in ((url.group(0) if url else ""), (reason.group(0) if reason else "")) if x) or _clip(line or "")
    return Verdict(PROBLEM, "etcd", f"{host}: Patroni is running but cannot reach etcd ({why}); "
                                    f"check etcd on {_etcd_names(etcd)}")


def diagnose_patroni(ev: dict[str, Any], goal: str) -> Verdict:
    """Patroni on this host: is it at ``goal`` (running, primary, replica, member)?"""
    host = ev.get("host", "this host")
    unit = ev.get("unit") or {}
    lines = [redact(x) for x in ev.get("journal") or []]
    api = ev.get("api") or {}
    etcd = ev.get("etcd") or []
    patroni = api.get("patroni") if api.get("reachable") else None

    if unit.get("ActiveState") == "inactive" and unit.get("Result") == "success":
        return Verdict(FATAL, "patroni-stopped",
                       f"{host}: Patroni is stopped (it exited cleanly: systemctl stop, or a shutdown); "
                       f"start it with: systemctl start patroni")
    if _unit_exited(unit):
        kept = useful(lines)
        cause = (last_match(kept, POSTGRES_CONFIG) or last_match(kept, PATRONI_CRASH)
                 or last_match(kept, POSTGRES_FATAL) or (kept[-1] if kept else "no journal lines"))
        return Verdict(FATAL, "patroni-exited",
                       f"{host}: Patroni exited ({unit.get('Result') or unit.get('ActiveState')}, "
                       f"status {unit.get('ExecMainStatus', '?')}): {_clip(cause)}")

    etcd_line = last_match(useful(lines)[-30:], ETCD_UNREACHABLE)
    etcd_down = bool(etcd) and sum(1 for e in etcd if e.get("healthy")) * 2 <= len(etcd)
    if patroni is None:
        if etcd_line or etcd_down:
            return _etcd_verdict(host, etcd_line, etcd)
        return Verdict(PROGRESS if not lines else PROBLEM, "api",
                       f"{host}: Patroni is running but its REST API at {api.get('url', '?')} does not answer "
                       f"({_clip(api.get('error') or 'no answer')})")

    state = str(patroni.get("state", ""))
    role = str(patroni.get("role", ""))
    replication = str(patroni.get("replication_state", ""))
    # A member whose last contact with etcd is older than ttl does not take
    # part in the cluster any more, even if its PostgreSQL still streams.
    dcs_stale = False
    if patroni.get("dcs_last_seen") and patroni.get("now"):
        dcs_stale = float(patroni["now"]) - float(patroni["dcs_last_seen"]) > float(ev.get("ttl", 30))
    if goal_reached(goal, state, role, replication) and not dcs_stale:
        return Verdict(READY, "ready", f"{host}: Patroni reports {role} {state}")

    config_line = last_match(useful(lines)[-40:], POSTGRES_CONFIG)
    if state in PATRONI_FAILED_STATES or (config_line and state not in PATRONI_PROGRESS_STATES):
        config_line = config_line or last_match(lines, POSTGRES_CONFIG)
        cause = config_line or last_match(useful(lines), POSTGRES_FATAL) or f"Patroni state '{state}'"
        return Verdict(FATAL, "postgres-start",
                       f"{host}: PostgreSQL refused to start ({_clip(cause)}); fix the setting and re-run")
    if etcd_line or etcd_down or dcs_stale:
        return _etcd_verdict(host, etcd_line or f"no contact with etcd for more than ttl ({ev.get('ttl', 30)} s)", etcd)
    if state in PATRONI_PROGRESS_STATES:
        return Verdict(PROGRESS, "state:" + state, f"{host}: Patroni is {state}")
    if role in ("replica", "sync_standby", "quorum_standby") and state in ("running", "streaming"):
        stream_line = last_match(lines[-40:], REPLICA_NOT_STREAMING)
        if stream_line:
            return Verdict(PROBLEM, "replication",
                           f"{host}: the replica does not stream from the leader ({_clip(stream_line)})")
        return Verdict(PROGRESS, "replica-connecting", f"{host}: the replica runs and is connecting to the leader")
    return Verdict(PROBLEM, f"state:{role}:{state}",
                   f"{host}: Patroni reports {role or 'no role'} {state or 'no state'}, not yet {goal}"
                   + (f" (last log line: {_clip(lines[-1])})" if lines else ""))


def goal_reached(goal: str, state: str, role: str, replication: str) -> bool:
    primary = role in ("primary", "master") and state == "running"
    replica = role in ("replica", "sync_standby", "quorum_standby") and state in ("running", "streaming") and (
        state == "streaming" or replication == "streaming")
    if goal == "primary":
        return primary
    if goal == "replica":
        return replica
    if goal == "member":
        return primary or replica or (role == "standby_leader" and state in ("running", "streaming"))
    return state in ("running", "streaming")


def diagnose_etcd(ev: dict[str, Any]) -> Verdict:
    host = ev.get("host", "this host")
    unit = ev.get("unit") or {}
    lines = [redact(x) for x in ev.get("journal") or []]
    local = ev.get("local") or {}
    peers = ev.get("etcd") or []
    if local.get("healthy"):
        return Verdict(READY, "ready", f"{host}: etcd answers healthy")
    if _unit_exited(unit):
        cause = next((line for line in (last_match(lines, p) for p in ETCD_EXIT) if line), None) \
            or (lines[-1] if lines else "no journal lines")
        return Verdict(FATAL, "etcd-exited", f"{host}: etcd exited ({unit.get('Result') or unit.get('ActiveState')}): {_clip(cause)}")
    fatal_line = last_match(lines[-30:], ETCD_STUCK)
    if fatal_line:
        return Verdict(FATAL, "etcd-config", f"{host}: etcd cannot run: {_clip(fatal_line)}")
    others = [p for p in peers if not p.get("local")]
    down = [p for p in others if not p.get("reachable")]
    if down and len(down) * 2 >= len(peers):
        return Verdict(PROBLEM, "quorum",
                       f"{host}: etcd has no quorum: {len(down)} of {len(peers)} members do not answer "
                       f"({', '.join(str(p['endpoint']) + ': ' + _clip(p.get('error') or 'down', 60) for p in down)}); "
                       f"start etcd there - a majority must run")
    return Verdict(PROGRESS, "etcd-local",
                   f"{host}: etcd is not healthy yet ({_clip(local.get('error') or local.get('reason') or 'no leader')})")


def diagnose_simple(ev: dict[str, Any], label: str, fatal: tuple[re.Pattern[str], ...]) -> Verdict:
    """HAProxy, keepalived: ready when the unit is active; the journal says why not."""
    host = ev.get("host", "this host")
    unit = ev.get("unit") or {}
    lines = [redact(x) for x in ev.get("journal") or []]
    if unit.get("ActiveState") == "active":
        return Verdict(READY, "ready", f"{host}: {label} runs")
    cause = next((line for line in (last_match(lines, p) for p in fatal) if line), None) \
        or (lines[-1] if lines else "no journal lines")
    hint = ""
    ports = re.findall(r"\[[^\]]*:(\d+)\]", cause) if "bind" in cause.lower() else []
    if ports:
        hint = f"; another process holds port {ports[-1]} (see: ss -ltnp 'sport = :{ports[-1]}')"
    status = FATAL if _unit_exited(unit) else PROGRESS
    return Verdict(status, f"{label}-down", f"{host}: {label} does not run: {_clip(cause)}{hint}")


def diagnose(service: str, ev: dict[str, Any], goal: str = "running") -> Verdict:
    if service == "patroni":
        return diagnose_patroni(ev, goal)
    if service == "etcd":
        return diagnose_etcd(ev)
    if service == "haproxy":
        return diagnose_simple(ev, "HAProxy", HAPROXY_FATAL)
    if service == "keepalived":
        return diagnose_simple(ev, "keepalived", KEEPALIVED_FATAL)
    raise ValueError(f"unknown service {service!r}")


class Watch:
    """When to stop waiting.

    Ready stops at once. Fatal twice in a row stops (waiting cannot fix it).
    Otherwise ``stall`` seconds without progress stop - problems may take turns
    (a Patroni that cannot reach etcd exits and restarts), so the window counts
    any problem, and the sentence reported is the most frequent one in it.
    ``timeout`` bounds everything, progress included.
    """

    def __init__(self, stall: float, timeout: float, start: float) -> None:
        self.stall, self.timeout, self.start = stall, timeout, start
        self.stuck_since: float | None = None
        self.seen: dict[str, int] = {}
        self.sentences: dict[str, Verdict] = {}
        self.fatal_seen = 0

    def observe(self, verdict: Verdict, now: float) -> str | None:
        """None to keep waiting, else why to stop: ready, fatal, stalled, timeout."""
        if verdict.status == READY:
            return "ready"
        self.fatal_seen = self.fatal_seen + 1 if verdict.status == FATAL else 0
        if self.fatal_seen >= 2:
            return "fatal"
        if verdict.status == PROGRESS:
            self.stuck_since, self.seen, self.sentences = None, {}, {}
        else:
            if self.stuck_since is None:
                self.stuck_since = now
            self.seen[verdict.cause] = self.seen.get(verdict.cause, 0) + 1
            self.sentences[verdict.cause] = verdict
            if now - self.stuck_since >= self.stall:
                return "stalled"
        if now - self.start >= self.timeout:
            return "timeout"
        return None

    def worst(self, latest: Verdict) -> Verdict:
        """The problem seen most often while stuck (the latest verdict when none)."""
        if not self.seen:
            return latest
        cause = max(self.seen, key=lambda c: (self.seen[c], c == latest.cause))
        return self.sentences[cause]
