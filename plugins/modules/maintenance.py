#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: maintenance
short_description: Pause or resume Patroni's automatic failover (maintenance mode)
version_added: 0.1.0
description:
  - Puts a Patroni cluster into maintenance mode (C(patronictl pause)) or takes it out
    (C(patronictl resume)) with C(PATCH /config), setting C(pause) to V(true) or removing it (V(null)).
  - Reads the current state first; a cluster already in the asked-for state is left alone
    and the task reports no change (where C(patronictl pause) would exit 1).
  - Then waits until every member reports the new state in its own C(GET /patroni).
author: pgha.patroni maintainers (@pgha)
extends_documentation_fragment:
  - pgha.patroni.connection
  - pgha.patroni.attributes
attributes:
  diff_mode:
    support: full
options:
  state:
    description:
      - V(paused) stops Patroni from acting on PostgreSQL (no failover, no restart of a stopped server).
      - V(resumed) gives control back to Patroni.
    type: str
    required: true
    choices: [paused, resumed]
  wait:
    description: Wait until every member reports the new state.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for that.
    type: int
    default: 60
seealso:
  - module: pgha.patroni.cluster_info
"""

EXAMPLES = r"""
- name: Pause the cluster before maintenance on the hosts
  pgha.patroni.maintenance:
    api_url: http://10.0.0.11:8008
    api_password: "{{ pgha_restapi_password }}"
    state: paused

- name: Resume automatic failover
  pgha.patroni.maintenance:
    api_url: [http://10.0.0.11:8008, http://10.0.0.12:8008]
    api_password: "{{ pgha_restapi_password }}"
    state: resumed
"""

RETURN = r"""
before:
  description: State before the task.
  returned: always
  type: dict
  sample: {paused: false}
after:
  description: State after the task (the predicted state in check mode).
  returned: always
  type: dict
  sample: {paused: true}
actions:
  description: The REST requests that were sent (method, url, body), in order. Empty in check mode.
  returned: always
  type: list
  elements: dict
  sample: [{method: PATCH, url: "http://10.0.0.11:8008/config", body: {pause: true}}]
members_paused:
  description: Per member, whether it reports the paused state (after waiting).
  returned: when changed and O(wait=true) and not in check mode
  type: dict
  sample: {pg1: true, pg2: true, pg3: true}
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import (
    PatroniApiError,
    PatroniClient,
    wait_until,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import member_url
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_module import require_trusted, run_module


def members_paused(client: PatroniClient, cluster: dict[str, Any]) -> dict[str, bool]:
    states = {}
    for member in cluster.get("members", []):
        status = client.member_status(member_url(member))
        states[member["name"]] = bool(status.get("pause"))
    return states


def run(module: AnsibleModule, client: PatroniClient) -> dict[str, Any]:
    want = module.params["state"] == "paused"
    cluster = client.cluster()
    paused = bool(cluster.get("pause"))
    result: dict[str, Any] = {
        "changed": paused != want,
        "before": {"paused": paused},
        "after": {"paused": want},
        "actions": client.actions,
    }
    if module._diff:
        result["diff"] = {"before": {"pause": paused}, "after": {"pause": want}}
    if module.params["wait"]:
        require_trusted(client, cluster["members"])
    if not result["changed"] or module.check_mode:
        return result
    client.patch_config({"pause": True if want else None})
    if module.params["wait"]:
        seen: dict[str, bool] = {}

        def reported() -> bool:
            seen.clear()
            seen.update(members_paused(client, client.cluster()))
            return all(value == want for value in seen.values())

        if not wait_until(reported, module.params["wait_timeout"], client=client):
            late = sorted(name for name, value in seen.items() if value != want)
            raise PatroniApiError(
                f"the cluster was {'paused' if want else 'resumed'} but after {module.params['wait_timeout']}s "
                f"these members do not report it yet: {', '.join(late) or 'unknown'} (are they running?)")
        result["members_paused"] = dict(seen)
    return result


def main() -> None:
    run_module(
        {
            "state": {"type": "str", "required": True, "choices": ["paused", "resumed"]},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 60},
        },
        run,
    )


if __name__ == "__main__":
    main()
