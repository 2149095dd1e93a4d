#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: service_ready
short_description: Wait until a cluster service on this host is ready, or say why it is not
version_added: 0.3.0
description:
  - Runs on the managed host. Polls one service of the cluster (Patroni, etcd, HAProxy or keepalived)
    until it reaches O(goal), and reads the evidence a human would read while it waits - the unit's
    state, its journal since it last started, Patroni's own view (C(GET /patroni)) and etcd's health
    seen from this member.
  - Fails as soon as waiting cannot help, with one sentence naming the cause and the evidence after
    it - the service exited, PostgreSQL refused its configuration, a port is taken - and when the
    same problem (for example etcd not reachable) lasts O(stall_timeout) seconds while nothing
    progresses. Slow but progressing work (initdb, a basebackup, a start) waits up to O(timeout).
  - Passwords, basic-auth headers and URL credentials are masked in the evidence.
  - With O(timeout=0) it looks once and returns the verdict without failing (the status playbook uses
    this to explain a member that is not running).
author: pgha.patroni maintainers (@pgha)
options:
  service:
    description: The service to wait for.
    type: str
    required: true
    choices: [patroni, etcd, haproxy, keepalived]
  goal:
    description:
      - Patroni only. V(primary) - the leader runs; V(replica) - a replica streams; V(member) - either
        (whatever this member is); V(running) - Patroni runs PostgreSQL in any state.
    type: str
    default: member
    choices: [member, primary, replica, running]
  name:
    description: Name of this member in the sentences.
    type: str
    required: true
  api_url:
    description: Patroni only. This member's REST API base URL.
    type: str
  etcd_endpoints:
    description:
      - The etcd members' client endpoints as C(address:port) (plain http) or URLs (C(https://address:port)).
        Patroni - their health from this member is part of the evidence. etcd - the peers whose absence
        explains a missing quorum.
    type: list
    elements: str
    default: []
  etcd_local:
    description: etcd only (required there). This member's own client endpoint, in the form of O(etcd_endpoints).
    type: str
  ttl:
    description: Patroni's ttl, to tell a stale view of etcd from a fresh one.
    type: int
    default: 30
  timeout:
    description: Seconds to wait at most for slow but progressing work. V(0) looks once and never fails.
    type: int
    default: 300
  stall_timeout:
    description: Seconds one unchanged problem may last before the task fails.
    type: int
    default: 60
  interval:
    description: Seconds between two looks.
    type: float
    default: 2
  ca_file:
    description: CA bundle to verify HTTPS endpoints with (Patroni REST API, etcd).
    type: path
  client_cert:
    description: Client certificate (PEM) for etcd endpoints that require one (C(client-cert-auth)).
    type: path
  client_key:
    description: Private key of O(client_cert).
    type: path
extends_documentation_fragment:
  - pgha.patroni.attributes
attributes:
  check_mode:
    support: full
    details: In check mode it looks once and reports the verdict without waiting or failing.
  idempotent:
    support: full
    details: Only reads.
  action_group:
    support: none
    membership: []
    details: Runs on each member with its own options, not with the group's connection.
seealso:
  - module: pgha.patroni.cluster_info
"""

EXAMPLES = r"""
- name: Wait until this member runs as the leader or streams as a replica
  pgha.patroni.service_ready:
    service: patroni
    name: "{{ pgha_member_name }}"
    api_url: "{{ pgha_restapi_url }}"
    etcd_endpoints: "{{ pgha_etcd_hosts }}"
    timeout: 300

- name: Explain (without failing) why a member is not running
  pgha.patroni.service_ready:
    service: patroni
    name: pg2
    api_url: http://10.0.0.12:8008
    timeout: 0
  register: why
"""

RETURN = r"""
status:
  description: V(ready), V(progress), V(problem) or V(fatal) - the last verdict.
  returned: always
  type: str
  sample: ready
sentence:
  description: The verdict in one sentence.
  returned: always
  type: str
  sample: "pg1: Patroni is running but cannot reach etcd (...); check etcd on 10.0.0.11:2379, 10.0.0.12:2379"
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
history:
  description: How the verdict changed while waiting (seconds since the start, status, cause), the last 10 changes.
  returned: always
  type: list
  elements: dict
evidence:
  description: What the verdict rests on - unit state, the last journal lines (secrets masked), Patroni's view, etcd health.
  returned: always
  type: dict
"""

import json
from http.client import HTTPException
import shutil
import subprocess
import time
import urllib.error
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import SSLValidationError, open_url

from ansible_collections.pgha.patroni.plugins.module_utils._diagnose import (
    ETCD_UNREACHABLE, READY, Watch, diagnose, last_match, redact, useful,
)

UNITS = {"patroni": "patroni.service", "etcd": "etcd.service", "haproxy": "haproxy.service",
         "keepalived": "keepalived.service"}
JOURNAL_LINES = 400
EVIDENCE_LINES = 12


def _get_json(url: str, timeout: float, ca_file: str | None, client_cert: str | None = None,
              client_key: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
    """(answer, None) for any HTTP answer with a JSON object, else (None, why)."""
    try:
        answer = open_url(url, timeout=timeout, ca_path=ca_file, validate_certs=True, follow_redirects="none",
                          use_proxy=False, client_cert=client_cert, client_key=client_key)
        body = answer.read()
    except urllib.error.HTTPError as exc:  # Patroni answers 503 with a body on a non-leader
        body = exc.read()
    except (OSError, ValueError, HTTPException, UrlsConnectionError, SSLValidationError) as exc:
        return None, str(getattr(exc, "reason", exc))
    try:
        data = json.loads(body)
    except ValueError:
        return None, "the answer is not JSON"
    return (data, None) if isinstance(data, dict) else (None, "the answer is not a JSON object")


def _scheme_url(endpoint: str) -> str:
    """etcd endpoints without a scheme are plain http (TLS endpoints carry https://)."""
    return endpoint if "://" in endpoint else "http://" + endpoint


class Looker:
    """Collects the evidence on this host."""

    def __init__(self, module: AnsibleModule) -> None:
        self.p = module.params
        self.unit = UNITS[self.p["service"]]
        self.systemctl = shutil.which("systemctl") or "/usr/bin/systemctl"
        self.journalctl = shutil.which("journalctl") or "/usr/bin/journalctl"

    def _run(self, argv: list[str]) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False).stdout
        except (OSError, subprocess.TimeoutExpired):
            return ""

    def unit_state(self) -> dict[str, Any]:
        out = self._run([self.systemctl, "show", self.unit, "--no-pager",
                         "-p", "ActiveState,SubState,Result,ExecMainStatus,NRestarts,InvocationID"])
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def journal(self, unit: dict[str, Any]) -> list[str]:
        match = [f"_SYSTEMD_INVOCATION_ID={unit['InvocationID']}"] if unit.get("InvocationID") else ["-u", self.unit]
        out = self._run([self.journalctl, "--no-pager", "-o", "cat", "-n", str(JOURNAL_LINES), *match])
        return [redact(line) for line in out.splitlines() if line.strip()]

    def etcd_health(self, endpoints: list[str], local: str | None = None) -> list[dict[str, Any]]:
        health = []
        for endpoint in endpoints:
            data, error = _get_json(_scheme_url(endpoint) + "/health", 2, self.p["ca_file"],
                                    self.p["client_cert"], self.p["client_key"])
            healthy = bool(data) and str(data.get("health")).lower() == "true"
            health.append({"endpoint": endpoint, "reachable": data is not None, "healthy": healthy,
                           "local": endpoint == local,
                           "error": error or (None if healthy else (data or {}).get("reason") or "unhealthy")})
        return health

    def look(self) -> dict[str, Any]:
        p = self.p
        unit = self.unit_state()
        ev: dict[str, Any] = {"host": p["name"], "unit": unit, "journal": self.journal(unit), "ttl": p["ttl"]}
        if p["service"] == "patroni":
            data, error = _get_json(p["api_url"].rstrip("/") + "/patroni", 3, p["ca_file"])
            if data is not None:
                data["now"] = time.time()
            ev["api"] = {"url": p["api_url"], "reachable": data is not None, "error": error, "patroni": data}
            stale = data is not None and data.get("dcs_last_seen") and data["now"] - float(data["dcs_last_seen"]) > p["ttl"]
            ev["etcd"] = self.etcd_health(p["etcd_endpoints"]) if (data is None or stale or _etcd_suspect(ev)) else []
        elif p["service"] == "etcd":
            local = p["etcd_local"]
            mine = self.etcd_health([local], local)[0]
            ev["local"] = mine
            ev["etcd"] = [] if mine["healthy"] else self.etcd_health(p["etcd_endpoints"], local)
        return ev


def _etcd_suspect(ev: dict[str, Any]) -> bool:
    return last_match(ev.get("journal") or [], ETCD_UNREACHABLE) is not None


def _evidence(ev: dict[str, Any]) -> dict[str, Any]:
    """The part of the evidence a human reads: short, secrets already masked."""
    out: dict[str, Any] = {"unit": {k: v for k, v in (ev.get("unit") or {}).items() if k != "InvocationID"},
                           "journal": useful(ev.get("journal") or [])[-EVIDENCE_LINES:]}
    api = ev.get("api")
    if api:
        patroni = api.get("patroni") or {}
        keys = ("state", "role", "replication_state", "timeline", "pending_restart", "pending_restart_reason",
                "dcs_last_seen")
        out["patroni"] = {k: patroni[k] for k in keys if k in patroni} or {"error": api.get("error")}
    if ev.get("etcd"):
        out["etcd"] = [{k: e[k] for k in ("endpoint", "healthy", "error")} for e in ev["etcd"]]
    if ev.get("local"):
        out["local"] = {k: ev["local"][k] for k in ("endpoint", "healthy", "error")}
    return out


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "service": {"type": "str", "required": True, "choices": list(UNITS)},
            "goal": {"type": "str", "default": "member", "choices": ["member", "primary", "replica", "running"]},
            "name": {"type": "str", "required": True},
            "api_url": {"type": "str"},
            "etcd_endpoints": {"type": "list", "elements": "str", "default": []},
            "etcd_local": {"type": "str"},
            "ttl": {"type": "int", "default": 30},
            "timeout": {"type": "int", "default": 300},
            "stall_timeout": {"type": "int", "default": 60},
            "interval": {"type": "float", "default": 2},
            "ca_file": {"type": "path"},
            "client_cert": {"type": "path"},
            "client_key": {"type": "path", "no_log": False},
        },
        required_if=[("service", "patroni", ("api_url",)), ("service", "etcd", ("etcd_local",))],
        supports_check_mode=True,
    )
    p = module.params
    looker = Looker(module)
    start = time.monotonic()
    watch = Watch(stall=p["stall_timeout"], timeout=p["timeout"], start=start)
    history: list[dict[str, Any]] = []
    while True:
        began = time.monotonic()
        ev = looker.look()
        verdict = diagnose(p["service"], ev, p["goal"])
        now = time.monotonic()
        if not history or (history[-1]["status"], history[-1]["cause"]) != (verdict.status, verdict.cause):
            history.append({"at": round(began - start, 1), "status": verdict.status, "cause": verdict.cause,
                            "look_s": round(now - began, 1)})
        result = {"changed": False, "status": verdict.status, "sentence": verdict.sentence,
                  "elapsed": round(now - start, 1), "history": history[-10:], "evidence": _evidence(ev)}
        if module.check_mode or p["timeout"] == 0:
            module.exit_json(**result)
        stop = watch.observe(verdict, now)
        if stop == READY:
            module.exit_json(**result)
        if stop:
            why = {"fatal": "waiting cannot fix this", "stalled": f"no progress for {p['stall_timeout']} s",
                   "timeout": f"not ready after {p['timeout']} s"}[stop]
            worst = watch.worst(verdict)
            result.update(status=worst.status, sentence=worst.sentence)
            module.fail_json(msg=f"{worst.sentence} [{why}]", **result)
        time.sleep(max(0.2, min(p["interval"], p["timeout"] - (now - start))))


if __name__ == "__main__":
    main()
