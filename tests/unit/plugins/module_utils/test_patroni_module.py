"""Unit tests of the shared module helpers (_patroni_module)."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import PatroniApiError, Response
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import healthy_names, leader_state
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_module import post_and_wait_for_leader

BEFORE = {"members": [
    {"name": "m1", "role": "leader", "state": "running", "timeline": 1},
    {"name": "m2", "role": "replica", "state": "streaming", "timeline": 1},
    {"name": "m3", "role": "replica", "state": "stopped", "timeline": 1},
]}
AFTER = {"members": [
    {"name": "m1", "role": "replica", "state": "streaming", "timeline": 2},
    {"name": "m2", "role": "leader", "state": "running", "timeline": 2},
    {"name": "m3", "role": "replica", "state": "stopped", "timeline": 1},
]}


class FakeClient:
    def __init__(self, answer: Response | PatroniApiError) -> None:
        self.answer = answer
        self.posted: list[tuple[str, Any]] = []

    def post(self, path: str, body: Any = None) -> Response:
        self.posted.append((path, body))
        if isinstance(self.answer, PatroniApiError):
            raise self.answer
        return self.answer

    def cluster(self) -> dict[str, Any]:
        return AFTER

    def deadline_in(self, seconds: float | None) -> None:
        pass

    def forget_member(self) -> None:
        pass


def test_healthy_names_and_leader_state() -> None:
    assert healthy_names(BEFORE) == ["m1", "m2"]
    assert leader_state(BEFORE) == {"leader": "m1", "members": {
        "m1": "leader/running", "m2": "replica/streaming", "m3": "replica/stopped"}}
    assert leader_state({}) == {"leader": None, "members": {}}


def test_post_and_wait_reports_message_elapsed_and_after() -> None:
    client = FakeClient(Response(200, 'Successfully switched over to "m2"\n'))
    result = post_and_wait_for_leader(client, "/switchover", {"leader": "m1", "candidate": "m2"}, BEFORE, "m2",
                                      True, 5, {"changed": True})
    assert client.posted == [("/switchover", {"leader": "m1", "candidate": "m2"})]
    assert result["patroni_message"] == 'Successfully switched over to "m2"'
    assert result["after"] == leader_state(AFTER)
    assert isinstance(result["elapsed"], float)


def test_post_and_wait_tolerates_503_and_no_wait() -> None:
    client = FakeClient(PatroniApiError("503", status=503, body=" failover failed \n"))
    result = post_and_wait_for_leader(client, "/failover", {"candidate": "m2"}, BEFORE, "m2", False, 5, {})
    assert result["patroni_message"] == "failover failed"
    assert result["after"] == leader_state(AFTER)
    assert "elapsed" not in result


def test_post_and_wait_raises_other_errors() -> None:
    client = FakeClient(PatroniApiError("refused", status=412, body="no"))
    with pytest.raises(PatroniApiError, match="refused"):
        post_and_wait_for_leader(client, "/failover", {"candidate": "m2"}, BEFORE, "m2", True, 5, {})


def test_post_and_wait_timeout_quotes_patroni() -> None:
    client = FakeClient(Response(200, "ok"))
    with pytest.raises(PatroniApiError, match=r"m3 is not the running leader.*\(Patroni answered: ok\)"):
        post_and_wait_for_leader(client, "/failover", {"candidate": "m3"}, BEFORE, "m3", True, 0, {})
