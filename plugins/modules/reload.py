#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: reload
short_description: Reload the configuration of Patroni members and report what waits for a restart
version_added: 0.2.0
description:
  - Sends C(POST /reload) to each chosen member (C(patronictl reload)); Patroni re-reads its
    configuration file and reloads PostgreSQL.
  - Patroni only schedules the reload; it happens in its next HA loop. The module waits until each
    reloaded member completed a whole HA loop after the request (its C(dcs_last_seen) in
    C(GET /patroni) moved twice), then returns the members that now wait for a restart
    (see M(pgha.patroni.restart)).
  - A reload is an action; every run that chooses at least one member sends it and reports a change.
author: pgha.patroni maintainers (@pgha)
extends_documentation_fragment:
  - pgha.patroni.connection
  - pgha.patroni.attributes
attributes:
  idempotent:
    support: none
    details: Patroni does not tell whether its configuration file changed, so every run reloads.
options:
  members:
    description: Reload only these members (names). Default all members.
    type: list
    elements: str
  role:
    description: Reload only the primary, only replicas, or any member.
    type: str
    choices: [any, primary, replica]
    default: any
  wait:
    description: Wait until each reloaded member applied the reload.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for that, for all members together.
    type: int
    default: 60
seealso:
  - module: pgha.patroni.restart
  - module: pgha.patroni.edit_config
"""

EXAMPLES = r"""
- name: Reload every member after patroni.yml changed
  pgha.patroni.reload:
    api_url: [http://10.0.0.11:8008, http://10.0.0.12:8008, http://10.0.0.13:8008]
    api_password: "{{ pgha_restapi_password }}"
  register: reload

- name: Restart the members that need it
  pgha.patroni.restart:
    api_url: [http://10.0.0.11:8008, http://10.0.0.12:8008, http://10.0.0.13:8008]
    api_password: "{{ pgha_restapi_password }}"
  when: reload.restart_required
"""

RETURN = r"""
reloaded:
  description: Members reloaded (or to be reloaded in check mode), sorted by name.
  returned: always
  type: list
  elements: str
  sample: [pg1, pg2, pg3]
pending_restart:
  description: Members that report a pending restart after the task.
  returned: always
  type: list
  elements: str
  sample: [pg2]
restart_required:
  description: Whether any member needs a restart.
  returned: always
  type: bool
  sample: true
patroni_messages:
  description: Patroni's answer to C(POST /reload), per member.
  returned: when a request was sent
  type: dict
  sample: {pg1: reload scheduled}
elapsed:
  description: Seconds from the first request until every member applied it.
  returned: when reloaded and waited for
  type: float
  sample: 12.1
actions:
  description: The REST requests that changed something (method, url, path, body). Empty in check mode.
  returned: always
  type: list
  elements: dict
  sample: [{method: POST, url: "http://10.0.0.11:8008/reload", path: /reload, body: null}]
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
    unknown_members_problem,
    member_by_name,
    member_url,
    select_restart_targets,
    summarize,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_module import require_trusted, run_module


def loop_mark(client: PatroniClient, base: str) -> Any:
    """What moves once per HA loop of a member: C(dcs_last_seen) of its GET /patroni."""
    return client.member_status(base).get("dcs_last_seen")


def run(module: AnsibleModule, client: PatroniClient) -> dict[str, Any]:
    p = module.params
    cluster = client.cluster()
    problem = unknown_members_problem(cluster, p["members"])
    if problem:
        raise PatroniApiError(problem)
    chosen = select_restart_targets(cluster, p["members"], p["role"], False)
    require_trusted(client, chosen)
    targets = sorted(m["name"] for m in chosen)
    summary = summarize(cluster)
    result: dict[str, Any] = {"changed": bool(targets), "reloaded": targets,
                              "pending_restart": summary["pending_restart"], "actions": client.actions}
    result["restart_required"] = bool(result["pending_restart"])
    if not targets or module.check_mode:
        return result
    started = time.monotonic()
    bases = {name: member_url(member_by_name(cluster, name) or {}) for name in targets}
    marks: dict[str, list[Any]] = {name: [loop_mark(client, bases[name])] for name in targets}
    messages = {}
    for name in targets:
        messages[name] = client.post("/reload", None, base=bases[name], ok=(200, 202)).text.strip()
    result["patroni_messages"] = messages
    if p["wait"]:
        def applied() -> bool:
            for name in targets:
                seen = marks[name]
                if len(seen) < 3:
                    mark = loop_mark(client, bases[name])
                    if mark is not None and mark != seen[-1]:
                        seen.append(mark)
            return all(len(seen) >= 3 or seen[0] is None for seen in marks.values())

        if not wait_until(applied, p["wait_timeout"], client=client):
            late = sorted(name for name, seen in marks.items() if len(seen) < 3)
            raise PatroniApiError(f"the reload was sent, but after {p['wait_timeout']}s these members have not "
                                  f"completed an HA loop since: {', '.join(late)} (are they running?)")
        result["elapsed"] = round(time.monotonic() - started, 2)
    result["pending_restart"] = summarize(client.cluster())["pending_restart"]
    result["restart_required"] = bool(result["pending_restart"])
    return result


def main() -> None:
    run_module(
        {
            "members": {"type": "list", "elements": "str"},
            "role": {"type": "str", "choices": ["any", "primary", "replica"], "default": "any"},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 60},
        },
        run,
    )


if __name__ == "__main__":
    main()
