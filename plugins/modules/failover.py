#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: failover
short_description: Promote a named Patroni member when the cluster has no healthy leader
version_added: 0.1.0
description:
  - Unplanned change of the primary (C(patronictl failover)) through C(POST /failover) with a candidate.
  - When O(candidate) already leads, nothing is sent and the task reports no change
    (Patroni itself would answer 503 "Failover failed").
  - When the cluster still has a running leader, the task refuses unless O(force=true);
    use M(pgha.patroni.switchover) for planned changes.
  - The candidate must be a member, must not be tagged C(nofailover), and must be running.
  - Waits until the candidate runs as leader and every other member that was healthy before streams.
author: pgha.patroni maintainers (@pgha)
extends_documentation_fragment:
  - pgha.patroni.connection
  - pgha.patroni.attributes
options:
  candidate:
    description: Member to promote.
    type: str
    required: true
  force:
    description: Fail over even though the cluster has a running leader.
    type: bool
    default: false
  wait:
    description: Wait for the new leader and the streaming replicas.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for that.
    type: int
    default: 120
seealso:
  - module: pgha.patroni.switchover
"""

EXAMPLES = r"""
- name: Promote pg2 after the leader's host died
  pgha.patroni.failover:
    api_url: [http://10.0.0.12:8008, http://10.0.0.13:8008]
    api_password: "{{ pgha_restapi_password }}"
    candidate: pg2
"""

RETURN = r"""
before:
  description: Leader and member states before the task.
  returned: always
  type: dict
  sample: {leader: null, members: {pg2: replica/running, pg3: replica/running}}
after:
  description: Leader and member states after the task (predicted in check mode).
  returned: always
  type: dict
  sample: {leader: pg2, members: {pg2: leader/running, pg3: replica/streaming}}
patroni_message:
  description: Patroni's own answer to C(POST /failover).
  returned: when a request was sent
  type: str
  sample: Successfully failed over to "pg2"
elapsed:
  description: Seconds from the request to the new leader running with the others streaming.
  returned: when a failover was performed and waited for
  type: float
  sample: 5.1
actions:
  description: The REST requests that changed something (method, url, body). Empty in check mode.
  returned: always
  type: list
  elements: dict
  sample: [{method: POST, url: "http://10.0.0.12:8008/failover", body: {candidate: pg2}}]
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import PatroniApiError, PatroniClient
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import (
    candidate_problem,
    is_healthy,
    leader_of,
    leader_state,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_module import (
    post_and_wait_for_leader,
    run_module,
)

FAILOVER_STATES = frozenset(("streaming", "running", "in archive recovery"))


def run(module: AnsibleModule, client: PatroniClient) -> dict[str, Any]:
    p = module.params
    candidate = p["candidate"]
    cluster = client.cluster()
    before = leader_state(cluster)
    leader = leader_of(cluster)
    result: dict[str, Any] = {"changed": False, "before": before, "after": before, "actions": client.actions}
    if leader and leader.get("name") == candidate:
        return result
    if leader and is_healthy(leader) and not p["force"]:
        raise PatroniApiError(
            f"the cluster has a running leader ({leader['name']}): use pgha.patroni.switchover for a planned "
            "change, or force=true to fail over anyway; nothing was sent")
    problem = candidate_problem(cluster, candidate, FAILOVER_STATES)
    if problem:
        raise PatroniApiError(problem + "; nothing was sent")
    result["changed"] = True
    result["after"] = {"leader": candidate, "members": before["members"]}
    if module.check_mode:
        return result
    return post_and_wait_for_leader(client, "/failover", {"candidate": candidate}, cluster, candidate, p["wait"],
                                    p["wait_timeout"], result)


def main() -> None:
    run_module(
        {
            "candidate": {"type": "str", "required": True},
            "force": {"type": "bool", "default": False},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 120},
        },
        run,
    )


if __name__ == "__main__":
    main()
