#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: edit_config
short_description: Bring Patroni's dynamic configuration to a desired state
version_added: 0.1.0
description:
  - Compares the desired part of the dynamic configuration with C(GET /config) and sends
    C(PATCH /config) with only the difference (the idempotent C(patronictl edit-config)).
  - Keys that O(config) does not mention are left alone; a V(null) value removes a key.
  - Values are compared the way Patroni compares them (as strings, V(on)/V(true) alike),
    so C(max_connections=200) and C(max_connections="200") are the same.
  - Before sending anything it checks the types of the keys Patroni knows, nested ones included
    (for example C(synchronous_mode) is V(true), V(false) or V(quorum), C(postgresql.use_pg_rewind) a boolean),
    and C(ttl >= loop_wait + 2 * retry_timeout) on the resulting configuration, because Patroni would
    silently adjust wrong timings.
  - Refuses to delete a whole section (a top-level key such as C(postgresql) set to V(null))
    unless O(force=true).
  - Values of keys that may hold secrets (C(*_command) such as C(archive_command), C(*conninfo*),
    C(*password*)) are masked in RV(before), RV(after), RV(patch), RV(actions) and the diff.
  - After the change it waits until the members picked it up and returns which members
    now need a restart (see M(pgha.patroni.restart)).
author: pgha.patroni maintainers (@pgha)
extends_documentation_fragment:
  - pgha.patroni.connection
  - pgha.patroni.attributes
attributes:
  diff_mode:
    support: full
    details: Shows the dynamic configuration before and after.
options:
  config:
    description:
      - The desired dynamic configuration, nested like C(patronictl show-config) prints it,
        for example a C(postgresql.parameters.max_connections) key nested three levels deep, and C(ttl) at the top.
      - V(null) removes the key from the dynamic configuration.
    type: dict
    required: true
  force:
    description:
      - Allow a top-level key that holds a whole section (for example C(postgresql) or
        C(standby_cluster)) to be deleted with V(null).
    type: bool
    default: false
  wait_pending:
    description:
      - After a change of C(postgresql.parameters), wait until the members applied it
        (about two C(loop_wait) cycles) so that RV(pending_restart) is accurate.
    type: bool
    default: true
seealso:
  - module: pgha.patroni.restart
  - module: pgha.patroni.cluster_info
"""

EXAMPLES = r"""
- name: Raise max_connections (needs a restart afterwards)
  pgha.patroni.edit_config:
    api_url: http://10.0.0.11:8008
    api_password: "{{ pgha_restapi_password }}"
    config:
      postgresql:
        parameters:
          max_connections: 200
  register: edit

- name: Restart the members that need it, in a safe order
  pgha.patroni.restart:
    api_url: http://10.0.0.11:8008
    api_password: "{{ pgha_restapi_password }}"
  when: edit.pending_restart | length > 0

- name: Remove a setting and change the timings together
  pgha.patroni.edit_config:
    api_url: http://10.0.0.11:8008
    api_password: "{{ pgha_restapi_password }}"
    config:
      ttl: 30
      loop_wait: 10
      retry_timeout: 10
      postgresql:
        parameters:
          work_mem: null
"""

RETURN = r"""
before:
  description: The dynamic configuration before the task.
  returned: always
  type: dict
  sample: {ttl: 30, postgresql: {parameters: {max_connections: 100}}}
after:
  description: The dynamic configuration after the task (predicted in check mode).
  returned: always
  type: dict
  sample: {ttl: 30, postgresql: {parameters: {max_connections: 200}}}
patch:
  description: The body sent (or, in check mode, that would be sent) with C(PATCH /config); empty when nothing differs.
  returned: always
  type: dict
  sample: {postgresql: {parameters: {max_connections: 200}}}
changed_keys:
  description: Dotted paths of the settings that change.
  returned: always
  type: list
  elements: str
  sample: [postgresql.parameters.max_connections]
pending_restart:
  description: Members that report a pending restart after the task.
  returned: always
  type: list
  elements: str
  sample: [pg1, pg2, pg3]
restart_required:
  description: Whether any member needs a restart.
  returned: always
  type: bool
  sample: true
actions:
  description: The REST requests that changed something (method, url, body). Empty in check mode.
  returned: always
  type: list
  elements: dict
  sample: [{method: PATCH, url: "http://10.0.0.11:8008/config", body: {postgresql: {parameters: {max_connections: 200}}}}]
"""

import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import (
    PatroniApiError,
    PatroniClient,
    mask_secrets,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import (
    ValidationError,
    apply_patch,
    changed_paths,
    config_patch,
    deleted_sections,
    summarize,
    validate_config,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_module import run_module


def wait_applied(client: PatroniClient, config: dict[str, Any]) -> list[str]:
    """Give the members two HA loops to apply new parameters; return pending members.

    Returns early once every member reports a pending restart.
    """
    loop_wait = int(config.get("loop_wait", 10) or 10)
    deadline = time.monotonic() + 2 * loop_wait + 3
    client.deadline_in(2 * loop_wait + 3)
    pending: list[str] = []
    while True:
        summary = summarize(client.cluster())
        pending = summary["pending_restart"]
        if len(pending) == len(summary["members"]) or time.monotonic() >= deadline:
            client.deadline_in(None)
            return pending
        time.sleep(1)


def run(module: AnsibleModule, client: PatroniClient) -> dict[str, Any]:
    desired = module.params["config"]
    current = client.config()
    patch = config_patch(current, desired)
    after = apply_patch(current, patch)
    try:
        validate_config(desired, after)
    except ValidationError as error:
        raise PatroniApiError(f"refusing to change the dynamic configuration: {error}; nothing was sent") from None
    sections = [key for key in deleted_sections(current, desired) if key in patch]
    if sections and not module.params["force"]:
        raise PatroniApiError(
            f"refusing to delete the whole section(s) {', '.join(sections)} of the dynamic configuration "
            "(a top-level key set to null): name the keys inside to remove, or force=true; nothing was sent")
    result: dict[str, Any] = {
        "changed": bool(patch),
        "before": mask_secrets(current),
        "after": mask_secrets(after),
        "patch": mask_secrets(patch),
        "changed_keys": changed_paths(patch),
        "actions": client.actions,
    }
    if module._diff:
        result["diff"] = {"before": result["before"], "after": result["after"]}
    if patch and not module.check_mode:
        applied = client.patch_config(patch)
        result["after"] = mask_secrets(applied)
        if module._diff:
            result["diff"]["after"] = result["after"]
        touches_parameters = any(p.startswith("postgresql.parameters.") for p in result["changed_keys"])
        if module.params["wait_pending"] and touches_parameters:
            result["pending_restart"] = wait_applied(client, applied)
    if "pending_restart" not in result:
        result["pending_restart"] = summarize(client.cluster())["pending_restart"]
    result["restart_required"] = bool(result["pending_restart"])
    return result


def main() -> None:
    run_module(
        {
            "config": {"type": "dict", "required": True},
            "force": {"type": "bool", "default": False},
            "wait_pending": {"type": "bool", "default": True},
        },
        run,
    )


if __name__ == "__main__":
    main()
