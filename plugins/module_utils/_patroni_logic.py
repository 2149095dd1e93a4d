# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure decision helpers for the pgha.patroni modules.

Private to this collection. Nothing here talks to the network: every function
takes plain data (what the Patroni REST API answered, what the user asked for)
and returns plain data, so it is unit-testable without a cluster.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

# Patroni 4 calls the primary "leader" in /cluster; Patroni 3 said "master".
LEADER_ROLES = frozenset(("leader", "standby_leader", "master", "primary"))
# Replica states in /cluster that mean "replicating and healthy".
HEALTHY_REPLICA_STATES = frozenset(("streaming",))
HEALTHY_LEADER_STATES = frozenset(("running",))

# PostgreSQL requires a hot standby to have at least the primary's value of
# these settings; raising them means replicas first, lowering them the primary first.
SHARED_MEMORY_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)

# Replica roles in /cluster of a synchronous standby (Patroni 3/4).
SYNC_ROLES = frozenset(("sync_standby",))

INT_KEYS = frozenset((
    "ttl", "loop_wait", "retry_timeout", "maximum_lag_on_failover",
    "maximum_lag_on_syncnode", "primary_start_timeout", "primary_stop_timeout",
    "synchronous_node_count", "max_timelines_history", "member_slots_ttl",
))
BOOL_KEYS = frozenset(("pause", "check_timeline", "failsafe_mode", "synchronous_mode_strict"))
DICT_KEYS = frozenset(("postgresql", "standby_cluster", "slots", "ignore_slots_dummy"))
# Patroni's own lower limits; it silently raises smaller values.
TIMING_MINIMUM = {"ttl": 20, "loop_wait": 1, "retry_timeout": 3}


class ValidationError(ValueError):
    """Raised when a desired configuration is not acceptable."""


def _norm(value: Any) -> str:
    """Normalise a leaf for comparison the way Patroni compares (as strings)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    text = str(value)
    lowered = text.strip().lower()
    if lowered in ("on", "true", "yes"):
        return "on"
    if lowered in ("off", "false", "no"):
        return "off"
    return text


def leaves_equal(current: Any, desired: Any) -> bool:
    """True when two configuration leaves mean the same to Patroni."""
    if isinstance(current, (list, tuple)) or isinstance(desired, (list, tuple)):
        if not (isinstance(current, (list, tuple)) and isinstance(desired, (list, tuple))):
            return False
        return len(current) == len(desired) and all(leaves_equal(a, b) for a, b in zip(current, desired))
    if isinstance(current, dict) or isinstance(desired, dict):
        return current == desired
    return _norm(current) == _norm(desired)


def config_patch(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """The smallest PATCH body that turns ``current`` into ``desired``.

    ``desired`` is a partial configuration: keys it does not mention are left
    alone; a ``None`` value deletes the key (and is only sent when the key exists).
    """
    patch: dict[str, Any] = {}
    for key, want in desired.items():
        have_key = key in current
        have = current.get(key)
        if want is None:
            if have_key and have is not None:
                patch[key] = None
            continue
        if isinstance(want, dict):
            if isinstance(have, dict):
                sub = config_patch(have, want)
                if sub:
                    patch[key] = sub
            else:
                cleaned = _drop_nulls(want)
                if cleaned or not have_key:
                    patch[key] = cleaned
            continue
        if not have_key or not leaves_equal(have, want):
            patch[key] = want
    return patch


def _drop_nulls(value: dict[str, Any]) -> dict[str, Any]:
    return {k: (_drop_nulls(v) if isinstance(v, dict) else v) for k, v in value.items() if v is not None}


def apply_patch(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """What the configuration looks like after Patroni applied ``patch``."""
    result = copy.deepcopy(current)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = apply_patch(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def changed_paths(patch: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every leaf a PATCH touches, e.g. ``postgresql.parameters.max_connections``."""
    paths: list[str] = []
    for key, value in sorted(patch.items()):
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            paths.extend(changed_paths(value, path + "."))
        else:
            paths.append(path)
    return paths


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


# The types of the dynamic configuration keys Patroni knows, nested like the
# configuration: "int", "bool", "str", "dict", "list", "sync" (synchronous_mode),
# "scalars" (a dictionary of single values, like postgresql.parameters), or a
# dictionary for a section whose own keys are known.
CONFIG_SCHEMA: dict[str, Any] = {
    **{key: "int" for key in INT_KEYS},
    **{key: "bool" for key in BOOL_KEYS},
    "synchronous_mode": "sync",
    "slots": "dict",
    "ignore_slots": "list",
    "postgresql": {
        "parameters": "scalars",
        "use_pg_rewind": "bool",
        "use_slots": "bool",
        "remove_data_directory_on_rewind_failure": "bool",
        "remove_data_directory_on_diverged_timelines": "bool",
        "pg_hba": "list",
        "pg_ident": "list",
        "recovery_conf": "dict",
    },
    "standby_cluster": {
        "host": "str",
        "port": "int",
        "primary_slot_name": "str",
        "create_replica_methods": "list",
        "restore_command": "str",
        "archive_cleanup_command": "str",
        "recovery_min_apply_delay": "scalar",
    },
}


def _type_problem(path: str, value: Any, kind: Any) -> str | None:
    """Why ``value`` is not of ``kind`` (see CONFIG_SCHEMA), or None."""
    if value is None:
        return None
    if isinstance(kind, dict):
        if not isinstance(value, dict):
            return f"{path} must be a dictionary, got {type(value).__name__}"
        for key, sub in value.items():
            if key in kind:
                problem = _type_problem(f"{path}.{key}", sub, kind[key])
                if problem:
                    return problem
        return None
    if kind == "int" and _as_int(value) is None:
        return f"{path} must be an integer, got {value!r}"
    if kind == "bool" and not isinstance(value, bool):
        return f"{path} must be true or false, got {value!r}"
    if kind == "sync" and not (isinstance(value, bool) or value == "quorum"):
        return f"{path} must be true, false or quorum (Patroni 4), got {value!r}"
    if kind == "str" and not isinstance(value, (str, int)):
        return f"{path} must be a string, got {type(value).__name__}"
    if kind in ("dict", "scalars") and not isinstance(value, dict):
        return f"{path} must be a dictionary, got {type(value).__name__}"
    if kind == "list" and not isinstance(value, list):
        return f"{path} must be a list, got {type(value).__name__}"
    if kind == "scalar" and isinstance(value, (dict, list)):
        return f"{path} must be a single value, got {type(value).__name__}"
    if kind == "scalars":
        for name, item in value.items():
            if isinstance(item, (dict, list)):
                return (f"{path}.{name} must be a single value (string, number or boolean), "
                        f"got {type(item).__name__}")
    return None


def validate_config(desired: dict[str, Any], merged: dict[str, Any]) -> None:
    """Check the types of the keys Patroni knows in ``desired`` (nested ones too) and the timing of ``merged``.

    Raises :class:`ValidationError` with a sentence saying what is wrong.
    Patroni itself would silently adjust bad timing values, so we refuse them.
    """
    problem = _type_problem("config", desired, CONFIG_SCHEMA)
    if problem:
        raise ValidationError(problem)
    validate_timing(merged)


def deleted_sections(current: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    """Top-level keys that ``desired`` sets to null while they hold a whole section (a dictionary)."""
    return sorted(key for key, value in desired.items()
                  if value is None and isinstance(current.get(key), dict) and current.get(key))


def timing_problems(ttl: Any, loop_wait: Any, retry_timeout: Any, prefix: str = "") -> list[str]:
    """The one ttl rule: Patroni's minimums and ``ttl >= loop_wait + 2 * retry_timeout``.

    One sentence per problem, naming the settings as ``prefix + key`` (``pgha_ttl``
    for the inventory, ``config.ttl`` for edit_config). Used by edit_config, the
    preflight filter and the patroni role.
    """
    values: dict[str, int] = {}
    problems: list[str] = []
    for key, value in (("ttl", ttl), ("loop_wait", loop_wait), ("retry_timeout", retry_timeout)):
        number = _as_int(value)
        if number is None:
            problems.append(f"{prefix}{key} must be a whole number of seconds, got {value!r}.")
        else:
            values[key] = number
    if problems:
        return problems
    for key, minimum in TIMING_MINIMUM.items():
        if values[key] < minimum:
            problems.append(f"{prefix}{key}={values[key]} is below Patroni's minimum of {minimum} "
                            f"(Patroni would silently change it).")
    needed = values["loop_wait"] + 2 * values["retry_timeout"]
    if values["ttl"] < needed:
        problems.append(
            f"{prefix}ttl ({values['ttl']}) must be at least {prefix}loop_wait + 2 * {prefix}retry_timeout "
            f"({values['loop_wait']} + 2 * {values['retry_timeout']} = {needed}), or Patroni would silently "
            f"change them: raise {prefix}ttl or lower {prefix}loop_wait / {prefix}retry_timeout.")
    return problems


def validate_timing(config: dict[str, Any]) -> None:
    """Raise ValidationError when the merged configuration breaks the ttl rule."""
    values = {key: config.get(key) if config.get(key) is not None else default
              for key, default in (("ttl", 30), ("loop_wait", 10), ("retry_timeout", 10))}
    problems = timing_problems(values["ttl"], values["loop_wait"], values["retry_timeout"], prefix="config.")
    if problems:
        raise ValidationError(" ".join(problems))


# ---------------------------------------------------------------- cluster state

def leader_of(cluster: dict[str, Any]) -> dict[str, Any] | None:
    """The member that holds the leader key, if any."""
    for member in cluster.get("members", []):
        if member.get("role") in LEADER_ROLES:
            return member
    return None


def member_by_name(cluster: dict[str, Any], name: str) -> dict[str, Any] | None:
    for member in cluster.get("members", []):
        if member.get("name") == name:
            return member
    return None


def is_leader(member: dict[str, Any]) -> bool:
    return member.get("role") in LEADER_ROLES


def is_healthy(member: dict[str, Any]) -> bool:
    """Leader running, or replica streaming."""
    if is_leader(member):
        return member.get("state") in HEALTHY_LEADER_STATES
    return member.get("state") in HEALTHY_REPLICA_STATES


def healthy_names(cluster: dict[str, Any]) -> list[str]:
    """Names of the members that are healthy (see :func:`is_healthy`), in /cluster order."""
    return [m["name"] for m in cluster.get("members", []) if is_healthy(m)]


def leader_state(cluster: dict[str, Any]) -> dict[str, Any]:
    """The leader's name (or None) and ``role/state`` of every member: before/after of a leader change."""
    leader = leader_of(cluster)
    return {
        "leader": leader.get("name") if leader else None,
        "members": {m["name"]: f"{m.get('role')}/{m.get('state')}" for m in cluster.get("members", [])},
    }


def has_tag(member: dict[str, Any], tag: str) -> bool:
    value = (member.get("tags") or {}).get(tag)
    if value is None:
        return False
    return _norm(value) == "on"


def member_url(member: dict[str, Any]) -> str:
    """Base REST URL of a member from its /cluster ``api_url`` (which ends in /patroni)."""
    url = str(member.get("api_url") or "")
    if url.endswith("/patroni"):
        url = url[: -len("/patroni")]
    return url.rstrip("/")


def lag_bytes(member: dict[str, Any]) -> int | None:
    lag = member.get("lag")
    return lag if isinstance(lag, int) and not isinstance(lag, bool) else None


def candidate_problem(cluster: dict[str, Any], name: str,
                      healthy_states: frozenset[str] = HEALTHY_REPLICA_STATES) -> str | None:
    """Why ``name`` cannot be promoted, or None when it can.

    ``healthy_states``: replica states accepted (a failover without a leader
    also accepts ``running``: nothing to stream from).
    """
    member = member_by_name(cluster, name)
    names = ", ".join(sorted(m.get("name", "?") for m in cluster.get("members", [])))
    if member is None:
        return f"candidate {name!r} is not a member of the cluster (members: {names})"
    if has_tag(member, "nofailover"):
        return f"candidate {name!r} is tagged nofailover and can never become the leader: choose another member"
    if str((member.get("tags") or {}).get("failover_priority", "1")) == "0":
        return f"candidate {name!r} has failover_priority 0 and can never become the leader: choose another member"
    if not is_leader(member) and member.get("state") not in healthy_states:
        return f"candidate {name!r} is not healthy (state {member.get('state') or 'unknown'!r}): choose a streaming replica"
    return None


def best_candidate(cluster: dict[str, Any]) -> str | None:
    """The healthy replica with the least lag that may become leader."""
    eligible = [
        m for m in cluster.get("members", [])
        if not is_leader(m) and candidate_problem(cluster, m.get("name", "")) is None
    ]
    if not eligible:
        return None
    eligible.sort(key=lambda m: (lag_bytes(m) if lag_bytes(m) is not None else 1 << 62, m.get("name", "")))
    return eligible[0]["name"]


def switched_to(cluster: dict[str, Any], candidate: str, expected_members: list[str]) -> bool:
    """True when ``candidate`` leads and runs, and every other expected member streams."""
    leader = leader_of(cluster)
    if not leader or leader.get("name") != candidate or not is_healthy(leader):
        return False
    for name in expected_members:
        if name == candidate:
            continue
        member = member_by_name(cluster, name)
        if member is None or not is_healthy(member) or member.get("timeline") != leader.get("timeline"):
            return False
    return True


def all_healthy(cluster: dict[str, Any], names: list[str]) -> bool:
    leader = leader_of(cluster)
    if not leader or not is_healthy(leader):
        return False
    for name in names:
        member = member_by_name(cluster, name)
        if member is None or not is_healthy(member):
            return False
    return True


def summarize(cluster: dict[str, Any]) -> dict[str, Any]:
    """A compact, stable view of GET /cluster for before/after and cluster_info."""
    leader = leader_of(cluster)
    members = []
    for m in cluster.get("members", []):
        members.append({
            "name": m.get("name"),
            "host": m.get("host"),
            "port": m.get("port"),
            "api_url": m.get("api_url"),
            "role": m.get("role"),
            "state": m.get("state"),
            "timeline": m.get("timeline"),
            "lag": m.get("lag"),
            "pending_restart": bool(m.get("pending_restart")),
            "pending_restart_reason": m.get("pending_restart_reason") or {},
            "scheduled_restart": m.get("scheduled_restart"),
            "tags": m.get("tags") or {},
        })
    return {
        "scope": cluster.get("scope"),
        "leader": leader.get("name") if leader else None,
        "paused": bool(cluster.get("pause")),
        "scheduled_switchover": cluster.get("scheduled_switchover"),
        "members": members,
        "pending_restart": sorted(m["name"] for m in members if m["pending_restart"]),
    }


# ---------------------------------------------------------------- restarts

def shared_memory_direction(reasons: list[dict[str, Any]]) -> str:
    """``up``, ``down`` or ``none`` from pending_restart_reason dicts.

    Each reason maps a setting to ``{"old_value": ..., "new_value": ...}``.
    When settings move both ways, ``up`` wins: a replica whose value is higher
    than the primary's is always safe, the reverse is not.
    """
    up = down = False
    for reason in reasons:
        for name, change in (reason or {}).items():
            if name not in SHARED_MEMORY_SETTINGS or not isinstance(change, dict):
                continue
            old, new = _as_int(change.get("old_value")), _as_int(change.get("new_value"))
            if old is None or new is None or old == new:
                continue
            if new > old:
                up = True
            else:
                down = True
    if up:
        return "up"
    if down:
        return "down"
    return "none"


def restart_order(members: list[dict[str, Any]], order: str = "auto") -> tuple[list[str], str]:
    """Order in which to restart ``members`` (entries of GET /cluster) and why.

    ``order``: ``auto`` (replicas first unless a shared-memory setting goes
    down), ``replicas_first`` or ``primary_first``.
    """
    if order == "auto":
        direction = shared_memory_direction([m.get("pending_restart_reason") or {} for m in members])
        order = "primary_first" if direction == "down" else "replicas_first"
        reason = {
            "up": "a shared-memory setting rises: replicas first",
            "down": "a shared-memory setting falls: the primary first",
            "none": "replicas first (no shared-memory setting changes)",
        }[direction]
    else:
        reason = f"order {order} requested"
    leaders = sorted((m["name"] for m in members if is_leader(m)))
    replicas = sorted((m["name"] for m in members if not is_leader(m)))
    names = leaders + replicas if order == "primary_first" else replicas + leaders
    return names, reason


def unknown_members_problem(cluster: dict[str, Any], wanted: list[str] | None) -> str | None:
    """Why a list of member names cannot be acted on (names not in the cluster), or None."""
    names = {m.get("name") for m in cluster.get("members", [])}
    unknown = sorted(set(wanted or []) - names)
    if not unknown:
        return None
    return (f"unknown member(s) {', '.join(unknown)} (members: {', '.join(sorted(str(n) for n in names))}); "
            "nothing was sent")


def select_restart_targets(cluster: dict[str, Any], names: list[str] | None, role: str,
                           pending_only: bool) -> list[dict[str, Any]]:
    """Members of ``cluster`` that the restart module should restart."""
    selected = []
    for m in cluster.get("members", []):
        if names and m.get("name") not in names:
            continue
        if role == "primary" and not is_leader(m):
            continue
        if role == "replica" and is_leader(m):
            continue
        if pending_only and not m.get("pending_restart"):
            continue
        selected.append(m)
    return selected


# ---------------------------------------------------------------- time and versions

def parse_time(text: Any) -> datetime | None:
    """An ISO 8601 time (``Z`` or an offset), or None when it is not one."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        return None


def same_time(a: Any, b: Any) -> bool:
    """True when two scheduled times are the same moment (``...Z`` equals ``...+00:00``)."""
    when_a, when_b = parse_time(a), parse_time(b)
    if when_a is None or when_b is None:
        return bool(a) and a == b
    if (when_a.tzinfo is None) != (when_b.tzinfo is None):
        return False
    return when_a == when_b


def postgres_version_number(text: Any) -> int | None:
    """Patroni's integer form of a PostgreSQL version: ``16.4`` -> 160004, ``9.6.3`` -> 90603."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    parts = str(text or "").strip().split(".")
    if not all(p.isdigit() for p in parts) or not parts or len(parts) > 3:
        return None
    numbers = [int(p) for p in parts] + [0, 0]
    if numbers[0] >= 10:
        return numbers[0] * 10000 + numbers[1]
    return numbers[0] * 10000 + numbers[1] * 100 + numbers[2]


# ---------------------------------------------------------------- safety checks

def unhealthy_members(cluster: dict[str, Any]) -> list[str]:
    """``name (role/state)`` of every member that is not healthy, and a note when there is no leader."""
    problems = [f"{m.get('name')} ({m.get('role')}/{m.get('state')})" for m in cluster.get("members", [])
                if not is_healthy(m)]
    if leader_of(cluster) is None:
        problems.insert(0, "no leader")
    return problems


def reinit_problem(cluster: dict[str, Any], name: str) -> str | None:
    """Why rebuilding replica ``name`` would endanger the cluster, or None.

    Rebuilding the synchronous standby stalls or desynchronises commits; rebuilding
    the last healthy replica leaves the leader without a standby until it is back.
    """
    member = member_by_name(cluster, name) or {}
    if member.get("role") in SYNC_ROLES:
        return f"{name} is the synchronous standby: rebuilding it would hold up or unprotect commits"
    healthy_replicas = [m["name"] for m in cluster.get("members", []) if not is_leader(m) and is_healthy(m)]
    if healthy_replicas == [name]:
        return f"{name} is the last healthy replica: rebuilding it leaves the leader without a standby"
    return None
