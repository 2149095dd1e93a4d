"""A fake Patroni cluster behind the real PatroniClient: the transport is replaced, nothing else.

Tests build a cluster, run a module's ``run(module, client)`` and then look at
``fake.sent``: every request that reached the "cluster" (method, URL, body).
"""

from __future__ import annotations

import copy
import io
import json
from types import SimpleNamespace
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlsplit

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import (
    PatroniClient,
    connection_argument_spec,
)

URLS = ["http://127.0.0.1:8011", "http://127.0.0.1:8012", "http://127.0.0.1:8013"]
NAMES = ["m1", "m2", "m3"]


class Answer:
    def __init__(self, status: int, text: str) -> None:
        self.status = status
        self._text = text

    def getcode(self) -> int:
        return self.status

    def read(self) -> bytes:
        return self._text.encode()


class FakePatroni:
    """Three members m1 (leader), m2, m3 on 127.0.0.1:8011-8013 and how they react to writes."""

    def __init__(self) -> None:
        self.members: dict[str, dict[str, Any]] = {}
        for i, (name, url) in enumerate(zip(NAMES, URLS)):
            self.members[name] = {
                "name": name, "role": "leader" if i == 0 else "replica",
                "state": "running" if i == 0 else "streaming", "api_url": url + "/patroni",
                "host": "127.0.0.1", "port": 5441 + i, "timeline": 1, "lag": 0 if i else None, "tags": {},
            }
        self.config: dict[str, Any] = {"ttl": 30, "loop_wait": 10, "retry_timeout": 10,
                                       "postgresql": {"parameters": {"max_connections": 100,
                                                                     "archive_command": "s3put --key SECRET %p"}}}
        self.scheduled_switchover: dict[str, Any] | None = None
        self.history = [[1, 50331808, "no recovery target specified", "2030-01-01T03:00:00+00:00", "m2"]]
        self.server_version = 160004
        self.start_times = {name: "2030-01-01 03:00:00+00:00" for name in NAMES}
        self.loops = {name: 1000 for name in NAMES}
        self.sent: list[dict[str, Any]] = []
        self.overrides: dict[tuple[str, str], tuple[int, str]] = {}

    # ---------------------------------------------------------- helpers

    def member_at(self, url: str) -> dict[str, Any]:
        base = url.rstrip("/")
        return next(m for m in self.members.values() if m["api_url"] == base + "/patroni")

    def leader(self) -> str | None:
        return next((n for n, m in self.members.items() if m["role"] == "leader"), None)

    def cluster(self) -> dict[str, Any]:
        data: dict[str, Any] = {"scope": "it", "members": [copy.deepcopy(m) for m in self.members.values()]}
        if self.config.get("pause"):
            data["pause"] = True
        if self.scheduled_switchover:
            data["scheduled_switchover"] = dict(self.scheduled_switchover)
        return data

    def writes(self) -> list[tuple[str, str, Any]]:
        """(method, URL, body) of every request that changed something."""
        return [(r["method"], r["url"], r["body"]) for r in self.sent if r["method"] != "GET"]

    # ---------------------------------------------------------- transport

    def open(self, url: str, method: str = "GET", data: str | None = None, **kwargs: Any) -> Answer:
        parts = urlsplit(url)
        base, path = f"{parts.scheme}://{parts.netloc}", parts.path
        body = json.loads(data) if data else None
        self.sent.append({"method": method, "url": url, "body": body, "auth": "url_password" in kwargs})
        if (method, path) in self.overrides:
            status, text = self.overrides[(method, path)]
        else:
            status, text = self.answer(method, base, path, body)
        if status >= 400:
            raise HTTPError(url, status, "error", {}, io.BytesIO(text.encode()))  # type: ignore[arg-type]
        return Answer(status, text)

    def answer(self, method: str, base: str, path: str, body: Any) -> tuple[int, str]:
        me = self.member_at(base)
        if method == "GET" and path == "/cluster":
            return 200, json.dumps(self.cluster())
        if method == "GET" and path == "/config":
            return 200, json.dumps(self.config)
        if method == "GET" and path == "/history":
            return 200, json.dumps(self.history)
        if method == "GET" and path == "/patroni":
            self.loops[me["name"]] += 1
            return 200, json.dumps({"state": me["state"], "role": me["role"], "pause": bool(self.config.get("pause")),
                                    "server_version": self.server_version,
                                    "postmaster_start_time": self.start_times[me["name"]],
                                    "dcs_last_seen": self.loops[me["name"]]})
        if method == "PATCH" and path == "/config":
            self.config = merge(self.config, body)
            if "parameters" in (body.get("postgresql") or {}):
                for member in self.members.values():
                    member["pending_restart"] = True
            return 200, json.dumps(self.config)
        if method == "POST" and path == "/switchover":
            if body.get("scheduled_at"):
                self.scheduled_switchover = {"at": body["scheduled_at"], "from": body["leader"], "to": body["candidate"]}
                return 202, "Switchover scheduled"
            self.promote(body["candidate"])
            return 200, f'Successfully switched over to "{body["candidate"]}"'
        if method == "POST" and path == "/failover":
            self.promote(body["candidate"])
            return 200, f'Successfully failed over to "{body["candidate"]}"'
        if method == "POST" and path == "/restart":
            if body.get("schedule"):
                me["scheduled_restart"] = {"schedule": body["schedule"]}
                return 202, "Restart scheduled"
            me.pop("pending_restart", None)
            me.pop("pending_restart_reason", None)
            return 200, "restarted successfully"
        if method == "POST" and path == "/reinitialize":
            self.start_times[me["name"]] = "2030-01-01 04:00:00+00:00"
            return 200, "reinitialize started"
        if method == "POST" and path == "/reload":
            return 202, "reload scheduled"
        if method == "DELETE" and path == "/switchover":
            if not self.scheduled_switchover:
                return 404, "no switchover is scheduled"
            self.scheduled_switchover = None
            return 200, "scheduled switchover deleted"
        if method == "DELETE" and path == "/restart":
            if not me.pop("scheduled_restart", None):
                return 404, "no restarts are scheduled"
            return 200, "scheduled restart deleted"
        return 404, "not found"

    def promote(self, name: str) -> None:
        for member in self.members.values():
            member["timeline"] = 2
            member["role"], member["state"] = ("leader", "running") if member["name"] == name else ("replica", "streaming")

    # ---------------------------------------------------------- running modules

    def client(self, urls: list[str] | None = None, **kwargs: Any) -> PatroniClient:
        return PatroniClient(urls or URLS, username="patroni", password="pw", opener=self.open,
                             sleep=lambda _s: None, retry_delay=0.0, **kwargs)


def merge(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(current)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
    return result


def defaults(module: Any) -> dict[str, Any]:
    """The parameters a module gets when only the connection is given: its spec's defaults."""
    captured: dict[str, Any] = {}

    def capture(spec: dict[str, Any], _run: Any, **_kwargs: Any) -> None:
        captured.update(spec)

    original = module.run_module
    module.run_module = capture
    try:
        module.main()
    finally:
        module.run_module = original
    spec = connection_argument_spec()
    spec.update(captured)
    return {key: value.get("default") for key, value in spec.items()}


def run(module: Any, fake: FakePatroni, check_mode: bool = False, diff: bool = False,
        client: PatroniClient | None = None, **params: Any) -> dict[str, Any]:
    """Run ``module.run`` with its defaults, ``params`` and a client of ``fake``."""
    values = defaults(module)
    values.update(params)
    ansible_module = SimpleNamespace(params=values, check_mode=check_mode, _diff=diff)
    return module.run(ansible_module, client or fake.client())
