"""The REST client against a misbehaving API: loopback stub servers that answer what each test scripts."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

import pytest
from test_patroni_api import GOOD_AUTH, Stub, client

from ansible_collections.pgha.patroni.plugins.module_utils import _patroni_module
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import (
    PatroniApiError,
    PatroniClient,
    wait_for_leader,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import same_time


@pytest.fixture()
def stubs():
    made: list[Stub] = []

    def make() -> Stub:
        made.append(Stub())
        return made[-1]

    yield make
    for s in made:
        s.close()


def members(leader: str, base: str) -> str:
    return json.dumps({"members": [
        {"name": "m1", "role": "leader" if leader == "m1" else "replica",
         "state": "running" if leader == "m1" else "streaming", "timeline": 2, "api_url": base + "/patroni"},
        {"name": "m2", "role": "leader" if leader == "m2" else "replica",
         "state": "running" if leader == "m2" else "streaming", "timeline": 2, "api_url": base + "/patroni"},
    ]})


@pytest.mark.parametrize("text", ["<html>proxy login</html>", "", "null"])
def test_a_200_that_is_not_json_is_an_error(stubs, text):
    stub = stubs()
    stub.answer("GET", "/config", (200, text))
    with pytest.raises(PatroniApiError, match="where a JSON object was expected"):
        client([stub.url]).config()


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "JSON list where a JSON object was expected"),
    ('{"members": {"m1": {}}}', "members of the wrong shape"),
    ('{"members": [{"role": "leader"}]}', "members of the wrong shape"),
    ('{"members": ["m1"]}', "members of the wrong shape"),
])
def test_a_wrong_shape_is_a_clear_error(stubs, text, message):
    stub = stubs()
    stub.answer("GET", "/cluster", (200, text))
    with pytest.raises(PatroniApiError, match=message):
        client([stub.url], retries=0).cluster(base=stub.url)


def test_history_of_the_wrong_shape(stubs):
    stub = stubs()
    stub.answer("GET", "/history", (200, '{"timeline": 1}'))
    with pytest.raises(PatroniApiError, match="GET /history with something that is not a list"):
        client([stub.url]).history()


def test_every_failed_poll_asks_the_other_configured_urls(stubs):
    first, second = stubs(), stubs()
    # the first member answers discovery, then hangs; the second knows the new leader
    first.answer("GET", "/cluster", (200, members("m1", first.url)), (200, members("m1", first.url), 30))
    second.answer("GET", "/cluster", (200, members("m2", second.url)))
    c = client([first.url, second.url], timeout=1, retries=0)
    c.discover()
    started = time.monotonic()
    final = wait_for_leader(c, "m2", ["m1", "m2"], timeout=10, interval=0.1)
    assert [m["role"] for m in final["members"]] == ["replica", "leader"]
    assert time.monotonic() - started < 3


def test_a_wait_ends_within_a_second_of_its_timeout(stubs):
    stub = stubs()
    stub.answer("GET", "/cluster", (200, members("m1", stub.url)), (200, members("m1", stub.url), 30))
    c = client([stub.url], timeout=10, retries=2)
    c.discover()
    started = time.monotonic()
    with pytest.raises(PatroniApiError, match="m2 is not the running leader"):
        wait_for_leader(c, "m2", ["m1", "m2"], timeout=2, interval=0.1)
    assert time.monotonic() - started < 3


def test_a_planted_member_url_receives_nothing(stubs):
    member, planted = stubs(), stubs()
    c = client([member.url])
    with pytest.raises(PatroniApiError, match="refusing to send POST /reinitialize to .*not one of the configured"):
        c.post("/reinitialize", {"force": False}, base=planted.url + "/patroni")
    assert planted.requests == [] and c.actions == []
    c.post("/reinitialize", {"force": False}, base=member.url + "/patroni")
    assert member.requests[-1]["auth"] == GOOD_AUTH


def test_only_configured_member_urls_are_trusted_even_with_the_cluster_ca():
    # Issue 28: a certificate of the cluster CA is not enough (the backup host has one)
    configured = PatroniClient(["https://10.0.0.11:8008"], ca_cert="/etc/pgha/ca.pem")
    assert not configured.trusted("https://pg2.example:8008/patroni")
    assert not configured.trusted("https://10.0.0.11:8009")
    assert configured.trusted("https://10.0.0.11:8008/patroni")
    assert not configured.trusted("http://10.0.0.11:8008")
    assert PatroniClient(["10.0.0.11:80"]).trusted("http://10.0.0.11/patroni")


def test_a_member_key_pointing_at_another_members_url_is_refused(stubs):
    pg2 = stubs()
    pg2.answer("GET", "/patroni", (200, json.dumps({"state": "running", "patroni": {"name": "pg2"}})))
    c = client([pg2.url])
    # "pg3" publishes pg2's (configured) URL: its reinit would go to pg2
    with pytest.raises(PatroniApiError, match="refusing to address pg3: .* is answered by member pg2"):
        _patroni_module.require_trusted(c, [{"name": "pg3", "api_url": pg2.url + "/patroni"}])
    assert [r["method"] for r in pg2.requests] == ["GET"] and c.actions == []
    _patroni_module.require_trusted(c, [{"name": "pg2", "api_url": pg2.url + "/patroni"}])


def test_credentials_go_only_with_writes(stubs):
    stub = stubs()
    c = client([stub.url])
    c.cluster()
    c.delete("/switchover", ok=(200, 404))
    sent = [(r["method"], r["auth"]) for r in stub.requests]
    assert sent == [("GET", None), ("GET", None), ("DELETE", GOOD_AUTH)]


def test_changed_when_a_write_was_sent_and_the_wait_failed(monkeypatch):
    outcome: dict[str, Any] = {}

    class FakeModule:
        def __init__(self, **_kwargs: Any) -> None:
            self.params: dict[str, Any] = {}

        def fail_json(self, **kwargs: Any) -> None:
            outcome.update(kwargs)
            raise SystemExit(1)

        def exit_json(self, **kwargs: Any) -> None:
            outcome.update(kwargs)

    sent = SimpleNamespace(actions=[])

    def run(_module: Any, client: Any) -> dict[str, Any]:
        client.actions.append({"method": "POST", "path": "/switchover"})
        raise PatroniApiError("m2 is not the running leader after 1s")

    monkeypatch.setattr(_patroni_module, "AnsibleModule", FakeModule)
    monkeypatch.setattr(_patroni_module, "client_from_module", lambda _m: sent)
    with pytest.raises(SystemExit):
        _patroni_module.run_module({}, run)
    assert outcome["changed"] is True and outcome["actions"] == [{"method": "POST", "path": "/switchover"}]


@pytest.mark.parametrize("a, b, same", [
    ("2030-01-01T03:00:00Z", "2030-01-01T03:00:00+00:00", True),
    ("2030-01-01T03:00:00+01:00", "2030-01-01T02:00:00+00:00", True),
    ("2030-01-01 03:00:00+00:00", "2030-01-01T03:00:00+00:00", True),
    ("2030-01-01T03:00:00Z", "2030-01-01T03:01:00Z", False),
    ("2030-01-01T03:00:00", "2030-01-01T03:00:00Z", False),
    (None, "2030-01-01T03:00:00Z", False),
])
def test_scheduled_times_are_compared_as_times(a, b, same):
    assert same_time(a, b) is same
