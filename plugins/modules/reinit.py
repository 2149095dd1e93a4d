#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: reinit
short_description: Rebuild a Patroni replica from the leader and wait until it streams again
version_added: 0.1.0
description:
  - Reinitialises a replica through its C(POST /reinitialize) (C(patronictl reinit));
    Patroni removes its data directory and takes a new base backup.
  - Refuses the leader, before sending anything. Also refuses, unless O(force=true), the
    synchronous standby and the last healthy replica, because rebuilding either leaves the leader
    without a standby that commits wait for or fail over to.
  - Reinitialisation is asynchronous; the module polls the member's C(GET /patroni) until it no
    longer reports C(creating replica), runs with a new postmaster and streams again.
  - With O(reinit_if=unhealthy), a replica that streams is left alone (not changed), which makes
    the task safe to repeat; with V(always) (the default) every run rebuilds.
author: pgha.patroni maintainers (@pgha)
extends_documentation_fragment:
  - pgha.patroni.connection
  - pgha.patroni.attributes
attributes:
  idempotent:
    support: partial
    details: Only with O(reinit_if=unhealthy); rebuilding is an action.
options:
  member:
    description: Name of the replica to rebuild.
    type: str
    required: true
  reinit_if:
    description: V(always) rebuilds; V(unhealthy) rebuilds only when the member is not streaming.
    type: str
    choices: [always, unhealthy]
    default: always
  force:
    description:
      - Rebuild even the synchronous standby or the last healthy replica.
      - Also sent to Patroni as C(force), which cancels a task it is running on that member
        (for example a stuck restart) first.
    type: bool
    default: false
  from_leader:
    description: Take the base backup from the leader even when other sources are configured (Patroni 4.1+).
    type: bool
    default: false
  wait:
    description: Wait until the member streams again.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for that.
    type: int
    default: 600
seealso:
  - module: pgha.patroni.cluster_info
"""

EXAMPLES = r"""
- name: Rebuild pg3
  pgha.patroni.reinit:
    api_url: [http://10.0.0.11:8008, http://10.0.0.12:8008, http://10.0.0.13:8008]
    api_password: "{{ pgha_restapi_password }}"
    member: pg3

- name: Rebuild pg3 only when it does not stream
  pgha.patroni.reinit:
    api_url: [http://10.0.0.11:8008, http://10.0.0.12:8008, http://10.0.0.13:8008]
    api_password: "{{ pgha_restapi_password }}"
    member: pg3
    reinit_if: unhealthy
"""

RETURN = r"""
before:
  description: Role, state and postmaster start time of the member before the task.
  returned: always
  type: dict
  sample: {role: replica, state: streaming, postmaster_start_time: "2030-01-01 03:00:00.1+00:00"}
after:
  description: The same after the task.
  returned: always
  type: dict
  sample: {role: replica, state: streaming, postmaster_start_time: "2030-01-01 03:10:00.1+00:00"}
patroni_message:
  description: Patroni's answer to C(POST /reinitialize).
  returned: when a request was sent
  type: str
  sample: reinitialize started
elapsed:
  description: Seconds from the request until the member streamed again.
  returned: when a rebuild was performed and waited for
  type: float
  sample: 7.5
actions:
  description: The REST requests that changed something (method, url, body). Empty in check mode.
  returned: always
  type: list
  elements: dict
  sample: [{method: POST, url: "http://10.0.0.13:8008/reinitialize", body: {force: false}}]
"""

import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import (
    PatroniApiError,
    PatroniClient,
    wait_until,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import (
    is_healthy,
    is_leader,
    member_by_name,
    member_url,
    reinit_problem,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_module import require_trusted, run_module


def state_of(member: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    return {"role": member.get("role"), "state": member.get("state"),
            "postmaster_start_time": status.get("postmaster_start_time")}


def run(module: AnsibleModule, client: PatroniClient) -> dict[str, Any]:
    p = module.params
    name = p["member"]
    cluster = client.cluster()
    member = member_by_name(cluster, name)
    if member is None:
        names = ", ".join(sorted(m["name"] for m in cluster.get("members", [])))
        raise PatroniApiError(f"{name!r} is not a member of the cluster (members: {names}); nothing was sent")
    if is_leader(member):
        raise PatroniApiError(f"{name} is the leader: reinit only rebuilds replicas; switch over first "
                              "(pgha.patroni.switchover) if it must be rebuilt; nothing was sent")
    require_trusted(client, [member])
    base = member_url(member)
    status = client.member_status(base)
    before = state_of(member, status)
    result: dict[str, Any] = {"changed": False, "before": before, "after": before, "actions": client.actions}
    if p["reinit_if"] == "unhealthy" and is_healthy(member):
        return result
    problem = reinit_problem(cluster, name)
    if problem and not p["force"]:
        raise PatroniApiError(f"refusing to rebuild {name}: {problem}; force=true to rebuild it anyway; "
                              "nothing was sent")
    result["changed"] = True
    result["after"] = dict(before, state="streaming", postmaster_start_time="(new)")
    if module.check_mode:
        return result
    body: dict[str, Any] = {"force": p["force"]}
    if p["from_leader"]:
        body["from_leader"] = True
    started = time.monotonic()
    answer = client.post("/reinitialize", body, base=base)
    result["patroni_message"] = answer.text.strip()
    if not p["wait"]:
        return result
    seen: dict[str, Any] = {}

    def streaming_again() -> bool:
        seen.clear()
        seen.update(client.member_status(base))
        if seen.get("state") in ("creating replica", "starting", "stopped", "stopping"):
            return False
        if seen.get("postmaster_start_time") == before["postmaster_start_time"]:
            return False
        now = member_by_name(client.cluster(), name) or {}
        seen["cluster_state"] = now.get("state")
        seen["cluster_role"] = now.get("role")
        return is_healthy(now) and not is_leader(now)

    if not wait_until(streaming_again, p["wait_timeout"], client=client):
        raise PatroniApiError(f"{name} was reinitialised but does not stream after {p['wait_timeout']}s "
                              f"(state {seen.get('cluster_state') or seen.get('state') or 'unknown'})")
    result["elapsed"] = round(time.monotonic() - started, 2)
    result["after"] = {"role": seen.get("cluster_role"), "state": seen.get("cluster_state"),
                       "postmaster_start_time": seen.get("postmaster_start_time")}
    return result


def main() -> None:
    run_module(
        {
            "member": {"type": "str", "required": True},
            "reinit_if": {"type": "str", "choices": ["always", "unhealthy"], "default": "always"},
            "force": {"type": "bool", "default": False},
            "from_leader": {"type": "bool", "default": False},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 600},
        },
        run,
    )


if __name__ == "__main__":
    main()
