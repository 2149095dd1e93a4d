"""What backup_info makes of `pgbackrest info --output=json`, and the recovery target check."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.pgha.patroni.plugins.module_utils._pgbackrest import (
    STATUS_KNOWN,
    lsn_value,
    parse_time,
    stanza_summary,
    target_check,
)

UTC = datetime.timezone.utc


def backup(label, kind, start, stop, lsn_stop, error=False, prior=None):
    return {
        "label": label, "type": kind, "prior": prior, "error": error,
        "timestamp": {"start": start, "stop": stop},
        "lsn": {"start": "0/1000028", "stop": lsn_stop},
        "archive": {"start": "000000010000000000000002", "stop": "000000010000000000000002"},
        "info": {"size": 1000, "delta": 400, "repository": {"size": 300, "delta": 120}},
    }


# 2026-11-26 12:00:00 UTC and later
T0 = int(datetime.datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC).timestamp())
INFO = [{
    "name": "main",
    "status": {"code": 0, "message": "ok"},
    "db": [{"id": 1, "system-id": 111, "version": "14"}, {"id": 2, "system-id": 7000, "version": "15"}],
    "archive": [
        {"database": {"id": 1}, "min": "000000010000000000000001", "max": "000000010000000000000009"},
        {"database": {"id": 2}, "min": "000000010000000000000002", "max": "00000002000000000000000A"},
    ],
    "backup": [
        backup("20261126-120000F_20261126-130000D", "diff", T0 + 3600, T0 + 3610, "0/5000100", prior="20261126-120000F"),
        backup("20261126-120000F", "full", T0, T0 + 60, "0/3000100"),
        backup("20261126-140000F", "full", T0 + 7200, T0 + 7260, "0/7000100", error=True),
    ],
}]


def test_summary_orders_backups_and_picks_the_last_of_each_type():
    s = stanza_summary(INFO, "main")
    assert [b["label"] for b in s["backups"]] == ["20261126-120000F", "20261126-120000F_20261126-130000D", "20261126-140000F"]
    # a backup with page errors is listed and chosen, as pgBackRest does
    assert s["last_full"]["label"] == "20261126-140000F"
    assert s["last_diff"]["prior"] == "20261126-120000F"
    assert s["last_incr"] is None
    assert s["oldest"]["label"] == "20261126-120000F" and s["newest"]["label"] == "20261126-140000F"
    assert s["oldest"]["stop_time"] == "2026-11-26T12:01:00+00:00"
    # the WAL range of the current database only, and the current system id
    assert s["wal"] == {"min": "000000010000000000000002", "max": "00000002000000000000000A"}
    assert (s["system_id"], s["pg_version"], s["repo_size"]) == (7000, "15", 360)
    assert s["exists"]


def test_missing_stanza_and_unknown_stanza():
    missing = stanza_summary([{"name": "main", "status": {"code": 1, "message": "missing stanza path"}}], "main")
    assert not missing["exists"] and missing["backups"] == [] and missing["newest"] is None
    assert not stanza_summary(INFO, "other")["exists"]
    assert "no backup" in target_check(missing)["reason"]


@pytest.mark.parametrize("text, expected", [
    ("2026-11-26 12:30:00+00", datetime.datetime(2026, 11, 26, 12, 30, tzinfo=UTC)),
    ("2026-11-26 13:30:00.5+01:00", datetime.datetime(2026, 11, 26, 12, 30, 0, 500000, tzinfo=UTC)),
    ("2026-11-26 07:00:00-0530", datetime.datetime(2026, 11, 26, 12, 30, tzinfo=UTC)),
])
def test_parse_time_with_offsets(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["2026-11-26 12:30:00", "yesterday+00", "2026-13-40 99:00:00+00"])
def test_parse_time_refuses_no_zone_or_nonsense(text):
    with pytest.raises(ValueError):
        parse_time(text)


def test_lsn_value():
    assert lsn_value("0/3000100") == 0x3000100
    assert lsn_value("1/0") == 1 << 32
    with pytest.raises(ValueError):
        lsn_value("3000100")


def test_target_time_reachable_from_the_newest_backup_ending_before_it():
    s = stanza_summary(INFO, "main")
    now = datetime.datetime(2026, 11, 27, tzinfo=UTC)
    late = target_check(s, target_time="2026-11-26 13:30:00+00", now=now)
    assert late["reachable"] and late["backup"] == "20261126-120000F_20261126-130000D"
    # handed to pgbackrest restore --target in UTC, with a space, as it parses it
    assert late["option"] == "2026-11-26 13:30:00+00"
    offset = target_check(s, target_time="2026-11-26T14:30:00.25+01:00", now=now)
    assert offset["reachable"] and offset["option"] == "2026-11-26 13:30:00.250000+00"
    early = target_check(s, target_time="2026-11-26 12:05:00+00", now=now)
    assert early["reachable"] and early["backup"] == "20261126-120000F"


def test_target_time_refusals_say_why():
    s = stanza_summary(INFO, "main")
    now = datetime.datetime(2026, 11, 27, tzinfo=UTC)
    old = target_check(s, target_time="2026-11-26 12:00:30+00", now=now)
    assert not old["reachable"] and "before the end of the oldest backup, 20261126-120000F" in old["reason"]
    # the second the oldest backup ended does not count: pgBackRest wants stop < target
    assert not target_check(s, target_time="2026-11-26 12:01:00.9+00", now=now)["reachable"]
    assert target_check(s, target_time="2026-11-26 12:01:01+00", now=now)["reachable"]
    future = target_check(s, target_time="2026-11-28 00:00:00+00", now=now)
    assert not future["reachable"] and "in the future" in future["reason"]
    zoneless = target_check(s, target_time="2026-11-26 12:30:00", now=now)
    assert not zoneless["reachable"] and "no time zone" in zoneless["reason"]


def test_target_lsn_and_latest():
    s = stanza_summary(INFO, "main")
    assert target_check(s, target_lsn="0/6000000")["backup"] == "20261126-120000F_20261126-130000D"
    assert target_check(s, target_lsn="0/8000000")["backup"] == "20261126-140000F"
    older = target_check(s, target_lsn="0/2000000")
    assert not older["reachable"] and "older than the oldest backup" in older["reason"]
    assert not target_check(s, target_lsn="nonsense")["reachable"]
    latest = target_check(s)
    assert latest == {"reachable": True, "reason": "", "backup": "20261126-140000F", "option": None,
                      "type": "latest", "value": "latest"}


def test_unreadable_repository_is_not_an_empty_one():
    # pgbackrest info exits 0 and reports 99 when it cannot read the repository
    s = stanza_summary([{"name": "main", "status": {"code": 99, "message": "other"}, "backup": []}], "main")
    assert s["status"]["code"] not in STATUS_KNOWN and s["exists"]
