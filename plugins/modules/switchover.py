#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: switchover
short_description: Move the Patroni leader to another member, now or at a scheduled time
version_added: 0.1.0
description:
  - Planned change of the primary of a healthy Patroni cluster (C(patronictl switchover)),
    through C(POST /switchover) with the current leader, the candidate and an optional time.
  - Reads C(GET /cluster) first. When O(candidate) already leads, nothing is sent and the
    task reports no change, so the task can run again safely.
  - Checks the candidate before sending anything. An unknown member, a member tagged
    C(nofailover) (or with C(failover_priority) 0) or a replica that is not streaming
    makes the task fail with the reason, and the cluster is left as it was.
  - Without O(candidate), the healthy replica with the least lag is chosen. To make such a
    task idempotent, give O(leader); when that member no longer leads, nothing is done.
  - Waits until the new leader runs and every other member that was healthy before streams
    from it again (Patroni's own answer only says that the leader key moved).
author: pgha.patroni maintainers (@pgha)
extends_documentation_fragment:
  - pgha.patroni.connection
  - pgha.patroni.attributes
attributes:
  idempotent:
    details: With O(candidate) or O(leader). Without both, every run moves the leader.
options:
  candidate:
    description:
      - Member that should become the leader. When omitted, the best healthy replica.
    type: str
  leader:
    description:
      - Member expected to lead now (the one to move away from). When it does not lead
        (any more), the task does nothing. Defaults to the current leader.
    type: str
  scheduled_at:
    description:
      - Perform the switchover at this time instead of now; an ISO 8601 timestamp with time zone,
        for example C(2030-01-01T03:00:00+00:00). The task then returns at once.
      - When the same switchover is already scheduled, nothing is sent.
    type: str
  wait:
    description: Wait for the new leader and the streaming replicas.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for that.
    type: int
    default: 120
notes:
  - Patroni refuses a switchover in a paused cluster without a candidate, and a
    scheduled one in a paused cluster; its reason is quoted in the error.
seealso:
  - module: pgha.patroni.failover
  - module: pgha.patroni.cluster_info
"""

EXAMPLES = r"""
- name: Make pg2 the leader (no change when it already leads)
  pgha.patroni.switchover:
    api_url: [http://10.0.0.11:8008, http://10.0.0.12:8008, http://10.0.0.13:8008]
    api_password: "{{ pgha_restapi_password }}"
    candidate: pg2

- name: Move the leader away from pg1 to the best replica (once)
  pgha.patroni.switchover:
    api_url: http://10.0.0.11:8008
    api_password: "{{ pgha_restapi_password }}"
    leader: pg1

- name: Switch over at night
  pgha.patroni.switchover:
    api_url: http://10.0.0.11:8008
    api_password: "{{ pgha_restapi_password }}"
    candidate: pg3
    scheduled_at: "2030-01-01T03:00:00+00:00"
"""

RETURN = r"""
before:
  description: Leader and member states before the task.
  returned: always
  type: dict
  sample: {leader: pg1, members: {pg1: leader/running, pg2: replica/streaming, pg3: replica/streaming}}
after:
  description: Leader and member states after the task (predicted in check mode).
  returned: always
  type: dict
  sample: {leader: pg2, members: {pg1: replica/streaming, pg2: leader/running, pg3: replica/streaming}}
candidate:
  description: The member chosen to lead.
  returned: always
  type: str
  sample: pg2
scheduled:
  description: Whether the switchover was scheduled rather than performed.
  returned: always
  type: bool
  sample: false
patroni_message:
  description: Patroni's own answer to C(POST /switchover).
  returned: when a request was sent
  type: str
  sample: Successfully switched over to "pg2"
elapsed:
  description: Seconds from the request to the new leader running with the others streaming.
  returned: when a switchover was performed and waited for
  type: float
  sample: 6.4
actions:
  description: The REST requests that changed something (method, url, body). Empty in check mode.
  returned: always
  type: list
  elements: dict
  sample: [{method: POST, url: "http://10.0.0.11:8008/switchover", body: {leader: pg1, candidate: pg2}}]
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import PatroniApiError, PatroniClient
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import (
    best_candidate,
    candidate_problem,
    is_healthy,
    leader_of,
    leader_state,
    same_time,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_module import (
    post_and_wait_for_leader,
    run_module,
)


def run(module: AnsibleModule, client: PatroniClient) -> dict[str, Any]:
    p = module.params
    cluster = client.cluster()
    before = leader_state(cluster)
    leader = leader_of(cluster)
    result: dict[str, Any] = {"changed": False, "before": before, "after": before, "scheduled": False,
                              "candidate": p["candidate"], "actions": client.actions}
    if p["candidate"] and leader and leader.get("name") == p["candidate"] and is_healthy(leader):
        return result  # already there
    if p["leader"] and (not leader or leader.get("name") != p["leader"]) and not p["candidate"]:
        return result  # moved away already
    if not leader or not is_healthy(leader):
        raise PatroniApiError(
            "the cluster has no running leader, so a switchover is not possible: use pgha.patroni.failover")
    if p["leader"] and p["leader"] != leader["name"]:
        raise PatroniApiError(f"{p['leader']} does not lead the cluster ({leader['name']} does): nothing was sent")
    candidate = p["candidate"] or best_candidate(cluster)
    if not candidate:
        raise PatroniApiError("no replica can take over (none is streaming without the nofailover tag)")
    problem = candidate_problem(cluster, candidate)
    if problem:
        raise PatroniApiError(problem + "; nothing was sent")
    result["candidate"] = candidate
    body: dict[str, Any] = {"leader": leader["name"], "candidate": candidate}
    if p["scheduled_at"]:
        scheduled = cluster.get("scheduled_switchover") or {}
        result["scheduled"] = True
        if scheduled.get("to") == candidate and same_time(scheduled.get("at"), p["scheduled_at"]):
            return result
        if scheduled:
            raise PatroniApiError(
                f"another switchover is already scheduled ({scheduled.get('from')} -> {scheduled.get('to')} at "
                f"{scheduled.get('at')}): cancel it with pgha.patroni.cancel_scheduled (scheduled: [switchover]) first")
        body["scheduled_at"] = p["scheduled_at"]
    result["changed"] = True
    result["after"] = {"leader": before["leader"] if p["scheduled_at"] else candidate,
                       "members": before["members"]}
    if module.check_mode:
        return result
    if p["scheduled_at"]:
        answer = client.post("/switchover", body, ok=(200, 202))
        result["patroni_message"] = answer.text.strip()
        result["after"] = leader_state(client.cluster())
        return result
    return post_and_wait_for_leader(client, "/switchover", body, cluster, candidate, p["wait"], p["wait_timeout"],
                                    result)


def main() -> None:
    run_module(
        {
            "candidate": {"type": "str"},
            "leader": {"type": "str"},
            "scheduled_at": {"type": "str"},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 120},
        },
        run,
    )


if __name__ == "__main__":
    main()
