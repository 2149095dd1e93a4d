#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: restart
short_description: Restart PostgreSQL on Patroni members one at a time, in a safe order
version_added: 0.1.0
description:
  - Restarts PostgreSQL through each member's C(POST /restart) (C(patronictl restart)).
  - By default only members that report C(pending_restart) are restarted; with nothing
    pending the task reports no change, so it can follow M(pgha.patroni.edit_config) every time.
  - Rolling and ordered. With O(order=auto) the replicas go first, unless a shared-memory
    setting (C(max_connections), C(max_worker_processes), C(max_wal_senders),
    C(max_prepared_transactions), C(max_locks_per_transaction)) goes down, in which case the
    primary goes first, because a hot standby needs at least the primary's values. The direction is
    read from the C(pending_restart_reason) Patroni 4 reports.
  - After each member, waits until it runs again (leader) or streams again (replica), its
    pending flag is gone, and every member that was healthy before is healthy again.
  - With O(scheduled_at), schedules the restarts instead and returns at once. A restart already
    scheduled at the same moment (however the time is spelled) is left alone.
  - Refuses, before sending anything, to restart now while the cluster is not healthy (no running
    leader, or a member that does not run or stream), unless O(force=true), because restarting a replica
    while the only other replica is down leaves the leader without a standby.
author: pgha.patroni maintainers (@pgha)
extends_documentation_fragment:
  - pgha.patroni.connection
  - pgha.patroni.attributes
attributes:
  idempotent:
    details: With O(pending_only=true) (the default). Otherwise every run restarts.
options:
  members:
    description: Restart only these members (names). Default all members.
    type: list
    elements: str
  role:
    description: Restart only the primary, only replicas, or any member.
    type: str
    choices: [any, primary, replica]
    default: any
  pending_only:
    description: Restart only members that report a pending restart.
    type: bool
    default: true
  order:
    description:
      - V(auto) decides from the pending settings as described above;
        V(replicas_first) and V(primary_first) force an order.
    type: str
    choices: [auto, replicas_first, primary_first]
    default: auto
  scheduled_at:
    description:
      - Schedule the restarts at this ISO 8601 time (with time zone) instead of restarting now.
        A member that already has a restart scheduled at that time is left alone.
    type: str
  postgres_version_below:
    description:
      - Restart only members whose PostgreSQL version is lower than this one (for example V(16.4)),
        read from each member's C(GET /patroni); also passed to Patroni as C(postgres_version).
    type: str
  force:
    description: Restart now even when the cluster is not healthy.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for each member to be healthy again.
    type: int
    default: 120
seealso:
  - module: pgha.patroni.edit_config
"""

EXAMPLES = r"""
- name: Restart the members that wait for it (replicas first when max_connections rose)
  pgha.patroni.restart:
    api_url: [http://10.0.0.11:8008, http://10.0.0.12:8008, http://10.0.0.13:8008]
    api_password: "{{ pgha_restapi_password }}"

- name: Restart every replica, pending or not
  pgha.patroni.restart:
    api_url: [http://10.0.0.11:8008, http://10.0.0.12:8008, http://10.0.0.13:8008]
    api_password: "{{ pgha_restapi_password }}"
    role: replica
    pending_only: false

- name: Restart at night the members that still run a PostgreSQL older than 16.4
  pgha.patroni.restart:
    api_url: [http://10.0.0.11:8008, http://10.0.0.12:8008, http://10.0.0.13:8008]
    api_password: "{{ pgha_restapi_password }}"
    pending_only: false
    postgres_version_below: "16.4"
    scheduled_at: "2030-01-01T03:00:00+00:00"
"""

RETURN = r"""
restarted:
  description: Members restarted (or scheduled, or to be restarted in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [pg2, pg3, pg1]
order_reason:
  description: Why this order.
  returned: when something is restarted
  type: str
  sample: "a shared-memory setting rises: replicas first"
before:
  description: Per member, role, state and pending flag before the task.
  returned: always
  type: dict
  sample: {pg1: {role: leader, state: running, pending_restart: true}}
after:
  description: The same after the task (predicted in check mode).
  returned: always
  type: dict
  sample: {pg1: {role: leader, state: running, pending_restart: false}}
actions:
  description: The REST requests that changed something (method, url, body). Empty in check mode.
  returned: always
  type: list
  elements: dict
  sample: [{method: POST, url: "http://10.0.0.12:8008/restart", body: {restart_pending: true}}]
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import (
    PatroniApiError,
    PatroniClient,
    wait_until,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import (
    unknown_members_problem,
    healthy_names,
    is_healthy,
    member_by_name,
    member_url,
    postgres_version_number,
    restart_order,
    same_time,
    select_restart_targets,
    unhealthy_members,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_module import require_trusted, run_module


def state_of(cluster: dict[str, Any]) -> dict[str, Any]:
    return {m["name"]: {"role": m.get("role"), "state": m.get("state"),
                        "pending_restart": bool(m.get("pending_restart"))}
            for m in cluster.get("members", [])}


def older_than(client: PatroniClient, member: dict[str, Any], version: int) -> bool:
    """Whether the member's PostgreSQL (GET /patroni server_version) is older than ``version``."""
    running = client.member_status(member_url(member)).get("server_version")
    if not isinstance(running, int) or isinstance(running, bool):
        raise PatroniApiError(f"{member['name']} does not report its PostgreSQL version (server_version) in "
                              "GET /patroni; nothing was sent")
    return running < version


def restart_body(p: dict[str, Any], version: int | None, schedule: str | None = None) -> dict[str, Any]:
    """The POST /restart body: the pending condition, the version condition, the schedule."""
    body: dict[str, Any] = {}
    if schedule:
        body["schedule"] = schedule
    if p["pending_only"]:
        body["restart_pending"] = True
    if version is not None:
        body["postgres_version"] = p["postgres_version_below"]
    return body


def run(module: AnsibleModule, client: PatroniClient) -> dict[str, Any]:
    p = module.params
    cluster = client.cluster()
    problem = unknown_members_problem(cluster, p["members"])
    if problem:
        raise PatroniApiError(problem)
    before = state_of(cluster)
    result: dict[str, Any] = {"changed": False, "before": before, "after": before, "restarted": [],
                              "actions": client.actions}
    targets = select_restart_targets(cluster, p["members"], p["role"], p["pending_only"])
    require_trusted(client, targets)
    version = None
    if p["postgres_version_below"]:
        version = postgres_version_number(p["postgres_version_below"])
        if version is None:
            raise PatroniApiError(f"postgres_version_below must be a version like 16.4, got "
                                  f"{p['postgres_version_below']!r}; nothing was sent")
        targets = [m for m in targets if older_than(client, m, version)]
    if p["scheduled_at"]:
        targets = [m for m in targets
                   if not same_time((m.get("scheduled_restart") or {}).get("schedule"), p["scheduled_at"])]
        for m in targets:
            if m.get("scheduled_restart"):
                raise PatroniApiError(
                    f"{m['name']} already has a restart scheduled at {m['scheduled_restart'].get('schedule')}: "
                    "cancel it with pgha.patroni.cancel_scheduled (scheduled: [restart]) first; nothing was sent")
    if not targets:
        return result
    if not p["scheduled_at"] and not p["force"]:
        problems = unhealthy_members(cluster)
        if problems:
            raise PatroniApiError(
                f"refusing to restart while the cluster is not healthy ({', '.join(problems)}): a restart now "
                "could leave it without a leader or a standby; fix the cluster first, or force=true; "
                "nothing was sent")
    order, reason = restart_order(targets, p["order"])
    result.update(changed=True, restarted=order, order_reason=reason)
    if p["scheduled_at"]:
        if not module.check_mode:
            for name in order:
                client.post("/restart", restart_body(p, version, p["scheduled_at"]),
                            base=member_url(member_by_name(cluster, name) or {}), ok=(202,))
            result["after"] = state_of(client.cluster())
        return result
    predicted = {n: dict(v) for n, v in before.items()}
    for name in order:
        predicted[name]["pending_restart"] = False
    result["after"] = predicted
    if module.check_mode:
        return result
    healthy_before = healthy_names(cluster)
    last: dict[str, Any] = cluster
    for name in order:
        member = member_by_name(last, name) or member_by_name(cluster, name) or {}
        try:
            client.post("/restart", restart_body(p, version), base=member_url(member))
        except PatroniApiError as error:
            done = result["restarted"][: order.index(name)]
            raise PatroniApiError(f"restart of {name} failed: {error} (already restarted: "
                                  f"{', '.join(done) or 'none'})") from None

        def back(name: str = name) -> bool:
            last.clear()
            last.update(client.cluster())
            me = member_by_name(last, name)
            if not me or not is_healthy(me) or me.get("pending_restart"):
                return False
            return all(is_healthy(member_by_name(last, n) or {}) for n in healthy_before)

        if not wait_until(back, p["wait_timeout"], client=client):
            me = member_by_name(last, name) or {}
            raise PatroniApiError(
                f"{name} was restarted but is not healthy again after {p['wait_timeout']}s "
                f"(role {me.get('role')}, state {me.get('state')}); the remaining members were not restarted")
    result["after"] = state_of(client.cluster())
    return result


def main() -> None:
    run_module(
        {
            "members": {"type": "list", "elements": "str"},
            "role": {"type": "str", "choices": ["any", "primary", "replica"], "default": "any"},
            "pending_only": {"type": "bool", "default": True},
            "order": {"type": "str", "choices": ["auto", "replicas_first", "primary_first"], "default": "auto"},
            "scheduled_at": {"type": "str"},
            "postgres_version_below": {"type": "str"},
            "force": {"type": "bool", "default": False},
            "wait_timeout": {"type": "int", "default": 120},
        },
        run,
    )


if __name__ == "__main__":
    main()
