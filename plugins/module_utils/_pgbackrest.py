# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What `pgbackrest info --output=json` says about one stanza, and whether a
recovery target can be reached from its backups (pure functions: the
backup_info module and the unit tests use them)."""

from __future__ import annotations

import datetime
import re
from typing import Any

LSN_RE = re.compile(r"^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$")
# PostgreSQL's short offsets (+00, -0530) as Python reads them (+00:00, -05:30).
OFFSET_RE = re.compile(r"([+-])(\d{2})(?::?(\d{2}))?$")


def lsn_value(text: str) -> int:
    """An LSN 'X/Y' as a number; ValueError when it is not one."""
    match = LSN_RE.match(str(text).strip())
    if not match:
        raise ValueError(f"'{text}' is not an LSN: write it as PostgreSQL prints it, for example 0/3000060.")
    return (int(match.group(1), 16) << 32) + int(match.group(2), 16)


def parse_time(text: str) -> datetime.datetime:
    """A recovery target time with an explicit offset; ValueError otherwise."""
    value = str(text).strip().replace("T", " ", 1)
    match = OFFSET_RE.search(value)
    if not match or not re.search(r"\d{2}:\d{2}", value[: match.start()]):
        raise ValueError(
            f"target time '{text}' has no time zone: write it with an offset, for example "
            f"'2026-11-26 12:00:00+00', so that it means the same instant to PostgreSQL and to this check."
        )
    sign, hours, minutes = match.group(1), match.group(2), match.group(3) or "00"
    value = value[: match.start()] + f"{sign}{hours}:{minutes}"
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"target time '{text}' is not a time: write it as 'YYYY-MM-DD HH:MM:SS+00'.") from None
    return parsed


# pgbackrest info's status codes that say something about the stanza; any
# other (99: the repository could not be read) is an error.
STATUS_KNOWN = {0: "ok", 1: "missing stanza path", 2: "no valid backups", 3: "missing stanza data"}


def pgbackrest_time(when: datetime.datetime) -> str:
    """A target time as pgBackRest and PostgreSQL both read it: UTC, a space, +00."""
    utc = when.astimezone(datetime.timezone.utc)
    text = utc.strftime("%Y-%m-%d %H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return text + "+00"


def _iso(epoch: Any) -> str | None:
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).isoformat()


def backup_summary(backup: dict[str, Any]) -> dict[str, Any]:
    """One backup of the info output, flattened."""
    info = backup.get("info") or {}
    repository = info.get("repository") or {}
    stamp = backup.get("timestamp") or {}
    lsn = backup.get("lsn") or {}
    archive = backup.get("archive") or {}
    return {
        "label": backup.get("label"),
        "type": backup.get("type"),
        "prior": backup.get("prior"),
        "error": bool(backup.get("error", False)),
        "start": stamp.get("start"),
        "stop": stamp.get("stop"),
        "start_time": _iso(stamp.get("start")),
        "stop_time": _iso(stamp.get("stop")),
        "lsn_start": lsn.get("start"),
        "lsn_stop": lsn.get("stop"),
        "wal_start": archive.get("start"),
        "wal_stop": archive.get("stop"),
        "size": info.get("size"),
        "delta": info.get("delta"),
        "repo_size": repository.get("size"),
        "repo_delta": repository.get("delta"),
    }


def stanza_summary(info: list[dict[str, Any]], stanza: str) -> dict[str, Any]:
    """The module's result for one stanza of the parsed info output."""
    entry = next((s for s in info or [] if s.get("name") == stanza), None)
    if entry is None:
        return {"exists": False, "status": {"code": None, "message": f"stanza {stanza} is not in the output"},
                "backups": [], "last_full": None, "last_diff": None, "last_incr": None,
                "oldest": None, "newest": None, "wal": {"min": None, "max": None}, "repo_size": 0,
                "system_id": None, "pg_version": None}
    status = entry.get("status") or {}
    # pgBackRest itself chooses among all backups, errors included: so do we
    backups = sorted((backup_summary(b) for b in entry.get("backup") or []), key=lambda b: (b["stop"] or 0, b["label"] or ""))
    good = backups
    databases = entry.get("db") or []
    current = databases[-1] if databases else {}
    archives = [a for a in entry.get("archive") or [] if (a.get("database") or {}).get("id") == current.get("id")]
    wal_min = min((a["min"] for a in archives if a.get("min")), default=None)
    wal_max = max((a["max"] for a in archives if a.get("max")), default=None)

    def last(kind: str) -> dict[str, Any] | None:
        return next((b for b in reversed(good) if b["type"] == kind), None)

    return {
        # 1 is "missing stanza path", 3 "missing stanza data": never created
        "exists": status.get("code") not in (1, 3),
        "status": {"code": status.get("code"), "message": status.get("message")},
        "backups": backups,
        "last_full": last("full"),
        "last_diff": last("diff"),
        "last_incr": last("incr"),
        "oldest": good[0] if good else None,
        "newest": good[-1] if good else None,
        "wal": {"min": wal_min, "max": wal_max},
        "repo_size": sum(b["repo_delta"] or 0 for b in backups),
        "system_id": current.get("system-id"),
        "pg_version": current.get("version"),
    }


def target_check(summary: dict[str, Any], target_time: str | None = None, target_lsn: str | None = None,
                 now: datetime.datetime | None = None) -> dict[str, Any]:
    """Whether the stanza's backups reach a recovery target, and from which backup.

    pgBackRest starts a recovery from the newest backup that ended before the
    target (in whole seconds for a time): the same rule here, so that the
    backup named is the one it restores (restore.yml passes it with --set).
    """
    result: dict[str, Any] = {"reachable": False, "reason": "", "backup": None, "option": None}
    backups = summary.get("backups") or []
    oldest = summary.get("oldest") or {}
    late = ""
    try:
        if target_time:
            result.update(type="time", value=target_time)
            when = parse_time(target_time)
            result["option"] = pgbackrest_time(when)
            candidates = [b for b in backups if b["stop"] is not None and int(b["stop"]) < int(when.timestamp())]
            too_old = f"target time {target_time} is before the end of the oldest backup, {oldest.get('label')}, which ended at {oldest.get('stop_time')}"
            now = now or datetime.datetime.now(datetime.timezone.utc)
            if when > now:
                late = f"target time {target_time} is in the future (now {now.isoformat(timespec='seconds')})."
        elif target_lsn:
            result.update(type="lsn", value=target_lsn)
            wanted = lsn_value(target_lsn)
            result["option"] = target_lsn.strip()
            candidates = [b for b in backups if b["lsn_stop"] and lsn_value(b["lsn_stop"]) <= wanted]
            too_old = f"target LSN {target_lsn} is older than the oldest backup, {oldest.get('label')}, which ended at LSN {oldest.get('lsn_stop')}"
        else:
            result.update(type="latest", value="latest")
            candidates, too_old = backups, ""
    except ValueError as err:
        result["reason"] = str(err)
        return result
    if not oldest:
        result["reason"] = "the repository holds no backup of this stanza to start a recovery from."
    elif not candidates:
        result["reason"] = too_old + ": no backup of the repository reaches back to it."
    elif late:
        result["reason"] = late
    else:
        result.update(reachable=True, backup=candidates[-1]["label"])
    return result
