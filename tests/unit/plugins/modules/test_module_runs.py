"""Every module's run() against a fake cluster: what it decided, and exactly what it sent."""

from __future__ import annotations

import pytest
from fake_patroni import URLS, FakePatroni, run

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import MASK, PatroniApiError
from ansible_collections.pgha.patroni.plugins.modules import (
    cancel_scheduled,
    cluster_info,
    edit_config,
    failover,
    maintenance,
    reinit,
    reload,
    restart,
    switchover,
)

M1, M2, M3 = URLS


@pytest.fixture()
def fake() -> FakePatroni:
    return FakePatroni()


# ------------------------------------------------------------------ cluster_info

def test_cluster_info_reads_history_and_masks_secrets(fake):
    result = run(cluster_info, fake)
    assert result["changed"] is False and result["leader"] == "m1"
    assert result["history"] == [{"timeline": 1, "lsn": 50331808, "reason": "no recovery target specified",
                                  "timestamp": "2030-01-01T03:00:00+00:00", "new_leader": "m2"}]
    assert result["config"]["postgresql"]["parameters"]["archive_command"] == MASK
    assert fake.writes() == []


def test_cluster_info_without_history(fake):
    assert run(cluster_info, fake, history=False)["history"] == []
    assert not any(r["url"].endswith("/history") for r in fake.sent)


# ------------------------------------------------------------------ edit_config

def test_edit_config_not_changed(fake):
    result = run(edit_config, fake, config={"postgresql": {"parameters": {"max_connections": "100"}}})
    assert result["changed"] is False and result["patch"] == {} and fake.writes() == []


def test_edit_config_check_mode_masks_the_diff(fake):
    result = run(edit_config, fake, check_mode=True, diff=True,
                 config={"postgresql": {"parameters": {"archive_command": "s3put --key NEW %p"}}})
    assert result["changed"] is True and fake.writes() == []
    assert result["changed_keys"] == ["postgresql.parameters.archive_command"]
    text = repr(result)
    assert "SECRET" not in text and "NEW" not in text
    assert result["diff"]["after"]["postgresql"]["parameters"]["archive_command"] == MASK


def test_edit_config_sends_only_the_difference(fake):
    result = run(edit_config, fake, config={"ttl": 30, "postgresql": {"parameters": {"max_connections": 200}}})
    assert fake.writes() == [("PATCH", M1 + "/config", {"postgresql": {"parameters": {"max_connections": 200}}})]
    assert result["changed"] is True and result["pending_restart"] == ["m1", "m2", "m3"]
    assert result["actions"] == [{"method": "PATCH", "url": M1 + "/config", "path": "/config",
                                  "body": {"postgresql": {"parameters": {"max_connections": 200}}}}]


def test_edit_config_masks_secrets_in_actions(fake):
    result = run(edit_config, fake, config={"postgresql": {"parameters": {"archive_command": "new SECRET2"}}})
    assert fake.writes()[0][2] == {"postgresql": {"parameters": {"archive_command": "new SECRET2"}}}
    assert "SECRET2" not in repr(result)


@pytest.mark.parametrize("config, message", [
    ({"synchronous_mode": "maybe"}, "config.synchronous_mode must be true, false or quorum"),
    ({"postgresql": {"use_pg_rewind": "yes please"}}, "config.postgresql.use_pg_rewind must be true or false"),
    ({"standby_cluster": {"port": "x"}}, "config.standby_cluster.port must be an integer"),
    ({"postgresql": {"parameters": {"work_mem": [1]}}}, "config.postgresql.parameters.work_mem must be a single"),
    ({"ttl": 25, "loop_wait": 10, "retry_timeout": 10}, "config.ttl \\(25\\) must be at least"),
    ({"postgresql": None}, "refusing to delete the whole section\\(s\\) postgresql"),
])
def test_edit_config_refusals_send_nothing(fake, config, message):
    with pytest.raises(PatroniApiError, match=message):
        run(edit_config, fake, config=config)
    assert fake.writes() == []


def test_edit_config_quorum_and_forced_section_delete(fake):
    run(edit_config, fake, config={"synchronous_mode": "quorum"}, check_mode=True)
    result = run(edit_config, fake, config={"postgresql": None}, force=True)
    assert result["changed"] is True
    assert fake.writes() == [("PATCH", M1 + "/config", {"postgresql": None})]


# ------------------------------------------------------------------ switchover

def test_switchover_not_changed_when_the_candidate_leads(fake):
    result = run(switchover, fake, candidate="m1")
    assert result["changed"] is False and fake.writes() == []


def test_switchover_not_changed_when_the_leader_moved_away(fake):
    assert run(switchover, fake, leader="m2")["changed"] is False


def test_switchover_check_mode(fake):
    result = run(switchover, fake, candidate="m2", check_mode=True)
    assert result["changed"] is True and result["after"]["leader"] == "m2" and fake.writes() == []


def test_switchover_now(fake):
    result = run(switchover, fake, candidate="m2")
    assert fake.writes() == [("POST", M1 + "/switchover", {"leader": "m1", "candidate": "m2"})]
    assert result["after"]["leader"] == "m2"


@pytest.mark.parametrize("params, message", [
    ({"candidate": "m9"}, "'m9' is not a member"),
    ({"leader": "m2", "candidate": "m3"}, "m2 does not lead"),
])
def test_switchover_refusals(fake, params, message):
    with pytest.raises(PatroniApiError, match=message):
        run(switchover, fake, **params)
    assert fake.writes() == []


def test_switchover_without_leader_is_refused(fake):
    fake.members["m1"]["state"] = "stopped"
    with pytest.raises(PatroniApiError, match="no running leader"):
        run(switchover, fake, candidate="m2")


def test_switchover_schedule_compares_times(fake):
    first = run(switchover, fake, candidate="m2", scheduled_at="2030-01-01T03:00:00Z")
    again = run(switchover, fake, candidate="m2", scheduled_at="2030-01-01T03:00:00+00:00")
    assert first["changed"] is True and again["changed"] is False
    assert fake.writes() == [("POST", M1 + "/switchover",
                              {"leader": "m1", "candidate": "m2", "scheduled_at": "2030-01-01T03:00:00Z"})]
    with pytest.raises(PatroniApiError, match="cancel_scheduled"):
        run(switchover, fake, candidate="m2", scheduled_at="2030-01-01T04:00:00Z")


# ------------------------------------------------------------------ failover

def test_failover_branches(fake):
    assert run(failover, fake, candidate="m1")["changed"] is False
    with pytest.raises(PatroniApiError, match="has a running leader"):
        run(failover, fake, candidate="m2")
    assert run(failover, fake, candidate="m2", force=True, check_mode=True)["changed"] is True
    assert fake.writes() == []
    result = run(failover, fake, candidate="m2", force=True)
    assert fake.writes() == [("POST", M1 + "/failover", {"candidate": "m2"})]
    assert result["after"]["leader"] == "m2"


# ------------------------------------------------------------------ maintenance

def test_maintenance_branches(fake):
    assert run(maintenance, fake, state="resumed")["changed"] is False
    assert run(maintenance, fake, state="paused", check_mode=True, diff=True)["diff"]["after"] == {"pause": True}
    assert fake.writes() == []
    result = run(maintenance, fake, state="paused")
    assert result["members_paused"] == {"m1": True, "m2": True, "m3": True}
    assert fake.writes() == [("PATCH", M1 + "/config", {"pause": True})]
    run(maintenance, fake, state="resumed")
    assert fake.writes()[-1] == ("PATCH", M1 + "/config", {"pause": None})


# ------------------------------------------------------------------ restart

def pending(fake, *names):
    for name in names:
        fake.members[name]["pending_restart"] = True
        fake.members[name]["pending_restart_reason"] = {"max_connections": {"old_value": "100", "new_value": "200"}}


def test_restart_nothing_pending(fake):
    result = run(restart, fake)
    assert result["changed"] is False and fake.writes() == []


def test_restart_check_mode_and_rolling_order(fake):
    pending(fake, "m1", "m2", "m3")
    check = run(restart, fake, check_mode=True)
    assert check["changed"] is True and check["restarted"] == ["m2", "m3", "m1"] and fake.writes() == []
    result = run(restart, fake)
    assert fake.writes() == [("POST", M2 + "/restart", {"restart_pending": True}),
                             ("POST", M3 + "/restart", {"restart_pending": True}),
                             ("POST", M1 + "/restart", {"restart_pending": True})]
    assert result["after"]["m1"]["pending_restart"] is False


def test_restart_refuses_an_unhealthy_cluster_unless_force(fake):
    pending(fake, "m2")
    fake.members["m3"]["state"] = "stopped"
    with pytest.raises(PatroniApiError, match=r"not healthy \(m3 \(replica/stopped\)\).*force=true"):
        run(restart, fake)
    assert fake.writes() == []
    result = run(restart, fake, force=True)
    assert result["changed"] is True and result["restarted"] == ["m2"]
    assert fake.writes() == [("POST", M2 + "/restart", {"restart_pending": True})]


def test_restart_wait_that_fails_names_the_member(fake):
    pending(fake, "m2")
    fake.overrides[("POST", "/restart")] = (200, "restart scheduled")  # the restart does not take effect
    with pytest.raises(PatroniApiError, match="m2 was restarted but is not healthy again after 1s"):
        run(restart, fake, wait_timeout=1)
    assert fake.writes() == [("POST", M2 + "/restart", {"restart_pending": True})]


def test_restart_unknown_member(fake):
    with pytest.raises(PatroniApiError, match="unknown member"):
        run(restart, fake, members=["m9"])


def test_restart_schedule_compares_times(fake):
    pending(fake, "m2")
    run(restart, fake, members=["m2"], scheduled_at="2030-01-01T03:00:00Z", role="replica")
    again = run(restart, fake, members=["m2"], scheduled_at="2030-01-01T03:00:00+00:00")
    assert again["changed"] is False
    assert fake.writes() == [("POST", M2 + "/restart", {"schedule": "2030-01-01T03:00:00Z", "restart_pending": True})]
    with pytest.raises(PatroniApiError, match="already has a restart scheduled.*cancel_scheduled"):
        run(restart, fake, members=["m2"], scheduled_at="2030-01-01T05:00:00Z")


def test_restart_postgres_version_condition(fake):
    assert run(restart, fake, pending_only=False, postgres_version_below="16.4")["changed"] is False
    result = run(restart, fake, pending_only=False, postgres_version_below="16.5", role="replica")
    assert result["restarted"] == ["m2", "m3"]
    assert fake.writes()[0] == ("POST", M2 + "/restart", {"postgres_version": "16.5"})
    with pytest.raises(PatroniApiError, match="must be a version"):
        run(restart, fake, postgres_version_below="sixteen")


# ------------------------------------------------------------------ reinit

def test_reinit_branches(fake):
    with pytest.raises(PatroniApiError, match="'m9' is not a member"):
        run(reinit, fake, member="m9")
    with pytest.raises(PatroniApiError, match="m1 is the leader"):
        run(reinit, fake, member="m1")
    assert run(reinit, fake, member="m2", reinit_if="unhealthy")["changed"] is False
    assert run(reinit, fake, member="m2", check_mode=True)["changed"] is True
    assert fake.writes() == []
    result = run(reinit, fake, member="m2", wait_timeout=5)
    assert fake.writes() == [("POST", M2 + "/reinitialize", {"force": False})]
    assert result["after"]["postmaster_start_time"] != result["before"]["postmaster_start_time"]


def test_reinit_refuses_the_last_healthy_replica_and_the_sync_standby(fake):
    fake.members["m3"]["state"] = "stopped"
    with pytest.raises(PatroniApiError, match="m2 is the last healthy replica.*force=true"):
        run(reinit, fake, member="m2")
    assert run(reinit, fake, member="m3", check_mode=True)["changed"] is True  # the broken one may be rebuilt
    fake.members["m3"]["state"] = "streaming"
    fake.members["m3"]["role"] = "sync_standby"
    with pytest.raises(PatroniApiError, match="m3 is the synchronous standby"):
        run(reinit, fake, member="m3")
    assert fake.writes() == []
    run(reinit, fake, member="m3", force=True, wait=False)
    assert fake.writes() == [("POST", M3 + "/reinitialize", {"force": True})]


# ------------------------------------------------------------------ reload

def test_reload_branches(fake):
    with pytest.raises(PatroniApiError, match="unknown member"):
        run(reload, fake, members=["m9"])
    check = run(reload, fake, check_mode=True, role="replica")
    assert check["changed"] is True and check["reloaded"] == ["m2", "m3"] and fake.writes() == []
    pending(fake, "m3")
    result = run(reload, fake, role="replica", wait_timeout=10)
    assert fake.writes() == [("POST", M2 + "/reload", None), ("POST", M3 + "/reload", None)]
    assert result["patroni_messages"] == {"m2": "reload scheduled", "m3": "reload scheduled"}
    assert result["pending_restart"] == ["m3"] and result["restart_required"] is True


def test_reload_wait_fails_when_a_member_loops_no_more(fake):
    fake.loops = {"m1": 5, "m2": 5, "m3": 5}
    fake.answer_patroni = fake.answer

    def frozen(method, base, path, body):
        status, text = fake.answer_patroni(method, base, path, body)
        if path == "/patroni":
            fake.loops["m1"] = 5
        return status, text

    fake.answer = frozen
    with pytest.raises(PatroniApiError, match="reload was sent.*m1"):
        run(reload, fake, members=["m1"], wait_timeout=1)


# ------------------------------------------------------------------ cancel_scheduled

def test_cancel_scheduled_nothing_scheduled(fake):
    result = run(cancel_scheduled, fake, scheduled=["switchover", "restart"])
    assert result["changed"] is False and fake.writes() == []


def test_cancel_scheduled_branches(fake):
    fake.scheduled_switchover = {"at": "2030-01-01T03:00:00+00:00", "from": "m1", "to": "m2"}
    fake.members["m3"]["scheduled_restart"] = {"schedule": "2030-01-01T04:00:00+00:00"}
    other = run(cancel_scheduled, fake, scheduled=["switchover", "restart"], scheduled_at="2030-01-01T05:00:00Z")
    assert other["changed"] is False
    check = run(cancel_scheduled, fake, scheduled=["switchover", "restart"], check_mode=True)
    assert check["cancelled"] == {"switchover": fake.scheduled_switchover,
                                  "restarts": {"m3": "2030-01-01T04:00:00+00:00"}}
    assert fake.writes() == []
    only_restart = run(cancel_scheduled, fake, scheduled=["restart"], scheduled_at="2030-01-01T04:00:00Z")
    assert only_restart["changed"] is True
    assert fake.writes() == [("DELETE", M3 + "/restart", None)]
    run(cancel_scheduled, fake, scheduled=["switchover"])
    assert fake.writes()[-1] == ("DELETE", M1 + "/switchover", None)
    assert run(cancel_scheduled, fake, scheduled=["switchover", "restart"])["changed"] is False
    with pytest.raises(PatroniApiError, match="unknown member"):
        run(cancel_scheduled, fake, scheduled=["restart"], members=["m9"])


# ------------------------------------------------------------------ planted member URLs

@pytest.mark.parametrize("mod, params", [
    (restart, {"pending_only": False}),
    (reinit, {"member": "m2"}),
    (reload, {}),
    (maintenance, {"state": "paused"}),
])
def test_a_planted_member_url_is_refused_before_anything_is_sent(fake, mod, params):
    fake.members["m2"]["api_url"] = "http://10.6.6.6:8008/patroni"
    with pytest.raises(PatroniApiError, match=r"refusing to address m2 \(http://10.6.6.6:8008\).*nothing was sent"):
        run(mod, fake, **params)
    assert fake.writes() == [] and not any("10.6.6.6" in r["url"] for r in fake.sent)


def test_credentials_go_with_writes_only(fake):
    run(switchover, fake, candidate="m2")
    assert {(r["method"], r["auth"]) for r in fake.sent} == {("GET", False), ("POST", True)}
