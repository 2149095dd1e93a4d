#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cancel_scheduled
short_description: Cancel a scheduled Patroni switchover or scheduled restarts
version_added: 0.2.0
description:
  - Cancels what M(pgha.patroni.switchover) or M(pgha.patroni.restart) scheduled with C(scheduled_at)
    (C(patronictl flush <cluster> switchover) and C(patronictl flush <cluster> restart)) with
    C(DELETE /switchover), and C(DELETE /restart) on each member that has a scheduled restart.
  - Reads C(GET /cluster) first; when nothing of the kind is scheduled, nothing is sent and the
    task reports no change.
  - With O(scheduled_at), only a switchover or restart scheduled at that moment is cancelled
    (C(2030-01-01T03:00:00Z) and C(2030-01-01T03:00:00+00:00) are the same moment).
author: pgha.patroni maintainers (@pgha)
extends_documentation_fragment:
  - pgha.patroni.connection
  - pgha.patroni.attributes
options:
  scheduled:
    description: What to cancel.
    type: list
    elements: str
    choices: [switchover, restart]
    required: true
  members:
    description: Cancel scheduled restarts only on these members (names). Default all members.
    type: list
    elements: str
  scheduled_at:
    description: Cancel only what is scheduled at this ISO 8601 time; default whatever is scheduled.
    type: str
seealso:
  - module: pgha.patroni.switchover
  - module: pgha.patroni.restart
"""

EXAMPLES = r"""
- name: Cancel the scheduled switchover and every scheduled restart
  pgha.patroni.cancel_scheduled:
    api_url: [http://10.0.0.11:8008, http://10.0.0.12:8008, http://10.0.0.13:8008]
    api_password: "{{ pgha_restapi_password }}"
    scheduled: [switchover, restart]

- name: Cancel pg2's scheduled restart only
  pgha.patroni.cancel_scheduled:
    api_url: [http://10.0.0.11:8008, http://10.0.0.12:8008, http://10.0.0.13:8008]
    api_password: "{{ pgha_restapi_password }}"
    scheduled: [restart]
    members: [pg2]
"""

RETURN = r"""
cancelled:
  description: What was cancelled (or would be, in check mode).
  returned: always
  type: dict
  contains:
    switchover:
      description: The cancelled switchover (C(at), C(from), C(to)), or null.
      type: dict
      returned: always
    restarts:
      description: Per member, the time of the cancelled restart.
      type: dict
      returned: always
  sample: {switchover: {at: "2030-01-01T03:00:00+00:00", from: pg1, to: pg2}, restarts: {pg2: "2030-01-01T04:00:00+00:00"}}
actions:
  description: The REST requests that changed something (method, url, path, body). Empty in check mode.
  returned: always
  type: list
  elements: dict
  sample: [{method: DELETE, url: "http://10.0.0.11:8008/switchover", path: /switchover, body: null}]
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import PatroniApiError, PatroniClient
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import member_url, same_time, unknown_members_problem
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_module import require_trusted, run_module


def wanted(schedule: Any, scheduled_at: str | None) -> bool:
    return bool(schedule) and (not scheduled_at or same_time(schedule, scheduled_at))


def run(module: AnsibleModule, client: PatroniClient) -> dict[str, Any]:
    p = module.params
    cluster = client.cluster()
    problem = unknown_members_problem(cluster, p["members"])
    if problem:
        raise PatroniApiError(problem)
    switchover = cluster.get("scheduled_switchover") or None
    if "switchover" not in p["scheduled"] or not isinstance(switchover, dict) \
            or not wanted(switchover.get("at"), p["scheduled_at"]):
        switchover = None
    restarts: dict[str, Any] = {}
    if "restart" in p["scheduled"]:
        for member in cluster["members"]:
            schedule = (member.get("scheduled_restart") or {}).get("schedule")
            if p["members"] and member["name"] not in p["members"]:
                continue
            if wanted(schedule, p["scheduled_at"]):
                restarts[member["name"]] = schedule
    require_trusted(client, [m for m in cluster["members"] if m["name"] in restarts])
    result: dict[str, Any] = {"changed": bool(switchover or restarts),
                              "cancelled": {"switchover": switchover, "restarts": restarts},
                              "actions": client.actions}
    if module.check_mode:
        return result
    if switchover:
        # 404: it ran or was cancelled meanwhile; either way it is no longer scheduled
        client.delete("/switchover", ok=(200, 404))
    for member in cluster["members"]:
        if member["name"] in restarts:
            client.delete("/restart", base=member_url(member), ok=(200, 404))
    return result


def main() -> None:
    run_module(
        {
            "scheduled": {"type": "list", "elements": "str", "choices": ["switchover", "restart"], "required": True},
            "members": {"type": "list", "elements": "str"},
            "scheduled_at": {"type": "str"},
        },
        run,
    )


if __name__ == "__main__":
    main()
