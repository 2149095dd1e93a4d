"""What a wait concludes from the evidence: one sentence, the right verdict."""

from __future__ import annotations

from ansible_collections.pgha.patroni.plugins.module_utils._diagnose import (
    FATAL, PROBLEM, PROGRESS, READY, Verdict, Watch, diagnose, redact,
)

ACTIVE = {"ActiveState": "active", "SubState": "running", "Result": "success", "ExecMainStatus": "0"}
ETCD = ["10.0.0.11:2379", "10.0.0.12:2379", "10.0.0.13:2379"]


def patroni(state="running", role="replica", journal=(), unit=None, reachable=True, etcd=None, **extra):
    data = {"state": state, "role": role, "now": 1000.0, "dcs_last_seen": 995, **extra}
    return {"host": "pg3", "unit": unit or ACTIVE, "journal": list(journal), "ttl": 30,
            "api": {"url": "http://10.0.0.13:8008", "reachable": reachable, "error": None if reachable else "refused",
                    "patroni": data if reachable else None},
            "etcd": etcd or []}


def test_a_streaming_replica_and_a_running_primary_are_ready():
    assert diagnose("patroni", patroni(replication_state="streaming")).status == READY
    assert diagnose("patroni", patroni(role="primary"), "primary").status == READY
    assert diagnose("patroni", patroni(role="primary"), "replica").status != READY
    # still starting: not ready even if the stream already shows
    assert diagnose("patroni", patroni(state="starting", replication_state="streaming")).status == PROGRESS


def test_a_stale_view_of_etcd_is_not_ready_and_names_etcd():
    verdict = diagnose("patroni", patroni(replication_state="streaming", dcs_last_seen=900))
    assert verdict.status == PROBLEM and "cannot reach etcd" in verdict.sentence


def test_patroni_running_without_etcd_names_etcd_and_the_members():
    line = ("2026-11-26 02:47:10,476 ERROR: Failed to get list of machines from http://10.0.0.11:2379/v3: "
            "MaxRetryError(... [Errno 111] Connection refused)")
    etcd = [{"endpoint": e, "healthy": False, "error": "[Errno 111] Connection refused"} for e in ETCD]
    verdict = diagnose("patroni", patroni(reachable=False, journal=[line], etcd=etcd))
    assert verdict.status == PROBLEM and verdict.cause == "etcd"
    assert verdict.sentence.startswith("pg3: Patroni is running but cannot reach etcd (3 of 3 etcd members")
    assert "check etcd on 10.0.0.11:2379, 10.0.0.12:2379, 10.0.0.13:2379" in verdict.sentence


def test_postgresql_refusing_its_configuration_is_fatal_with_the_line():
    journal = ["2026-11-26 02:43:56,409 INFO: starting as a secondary",
               '2026-11-26 02:43:56.715 UTC [6576] FATAL:  could not access file "nolib": No such file or directory',
               "2026-11-26 02:43:57,971 ERROR: postmaster is not running"]
    verdict = diagnose("patroni", patroni(state="start failed", journal=journal))
    assert verdict.status == FATAL
    assert verdict.sentence == ('pg3: PostgreSQL refused to start (FATAL: could not access file "nolib": '
                                'No such file or directory); fix the setting and re-run')


def test_an_exited_patroni_is_fatal():
    unit = {"ActiveState": "failed", "SubState": "failed", "Result": "exit-code", "ExecMainStatus": "1"}
    journal = ["Traceback (most recent call last):", "patroni.exceptions.ConfigParseError: x"]
    verdict = diagnose("patroni", patroni(unit=unit, reachable=False, journal=journal))
    assert verdict.status == FATAL and "Patroni exited (exit-code, status 1)" in verdict.sentence


def test_etcd_without_quorum_names_the_missing_members():
    ev = {"host": "pg3", "unit": ACTIVE, "journal": [], "local": {"healthy": False, "error": "RAFT NO LEADER"},
          "etcd": [{"endpoint": "10.0.0.11:2379", "reachable": False, "error": "[Errno 111] Connection refused"},
                   {"endpoint": "10.0.0.12:2379", "reachable": False, "error": "[Errno 111] Connection refused"},
                   {"endpoint": "10.0.0.13:2379", "reachable": True, "local": True, "error": "RAFT NO LEADER"}]}
    verdict = diagnose("etcd", ev)
    assert verdict.status == PROBLEM
    assert verdict.sentence.startswith("pg3: etcd has no quorum: 2 of 3 members do not answer (10.0.0.11:2379")
    assert diagnose("etcd", {**ev, "local": {"healthy": True}}).status == READY


def test_haproxy_that_cannot_bind_names_the_port():
    unit = {"ActiveState": "failed", "SubState": "failed", "Result": "exit-code"}
    journal = ["[ALERT]    (9445) : Binding [/etc/haproxy/haproxy.cfg:44] for proxy primary: protocol tcpv4: "
               "cannot bind socket (Address already in use) for [0.0.0.0:5000].",
               "[ALERT]    (9445) : [/usr/sbin/haproxy.main()] Some protocols failed to start their listeners! Exiting."]
    verdict = diagnose("haproxy", {"host": "pg3", "unit": unit, "journal": journal})
    assert verdict.status == FATAL
    assert "cannot bind socket (Address already in use) for [0.0.0.0:5000]" in verdict.sentence
    assert verdict.sentence.endswith("another process holds port 5000 (see: ss -ltnp 'sport = :5000')")


def test_secrets_are_masked():
    assert redact("host=x password=s3cret user=y") == "host=x password=******** user=y"
    assert redact("url http://patroni:s3cret@10.0.0.1:8008/") == "url http://patroni:********@10.0.0.1:8008/"
    assert redact("Authorization: Basic cGF0cm9uaTp4") == "Authorization: Basic ********"


def test_watch_stops_on_ready_twice_fatal_stall_and_timeout():
    ready, prog = Verdict(READY, "ready", "ok"), Verdict(PROGRESS, "initdb", "initdb runs")
    fatal, etcd = Verdict(FATAL, "exited", "exited"), Verdict(PROBLEM, "etcd", "cannot reach etcd")
    watch = Watch(stall=60, timeout=300, start=0)
    assert watch.observe(ready, 1) == "ready"
    watch = Watch(stall=60, timeout=300, start=0)
    assert watch.observe(fatal, 1) is None and watch.observe(fatal, 3) == "fatal"
    # problems taking turns still stall after 60 s, and the most frequent one is reported
    watch = Watch(stall=60, timeout=300, start=0)
    for second in range(0, 60, 2):
        assert watch.observe(fatal if second % 10 == 0 else etcd, second) is None
    assert watch.observe(etcd, 61) == "stalled" and watch.worst(etcd).cause == "etcd"
    # progress resets the stall clock; the timeout bounds progress too
    watch = Watch(stall=60, timeout=300, start=0)
    assert watch.observe(etcd, 0) is None and watch.observe(prog, 50) is None
    assert watch.observe(etcd, 100) is None and watch.observe(etcd, 150) is None
    assert watch.observe(prog, 300) == "timeout"


def test_a_cleanly_stopped_patroni_says_so():
    unit = {"ActiveState": "inactive", "SubState": "dead", "Result": "success", "ExecMainStatus": "0"}
    verdict = diagnose("patroni", patroni(unit=unit, reachable=False,
                                          journal=["FATAL:  terminating walreceiver process due to administrator command"]))
    assert verdict.sentence == "pg3: Patroni is stopped (it exited cleanly: systemctl stop, or a shutdown); start it with: systemctl start patroni"


def test_json_and_yaml_passwords_are_masked_too():
    assert redact('{"password": "x1", "user": "u"}') == '{"password": ********, "user": "u"}'
    assert redact("superuser_password: s3cret") == "superuser_password: ********"


def test_stopped_right_after_start_is_not_fatal():
    assert diagnose("patroni", patroni(state="stopped")).status == PROBLEM
