#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_info
short_description: Read the state of a Patroni cluster through its REST API
version_added: 0.1.0
description:
  - Reads C(GET /cluster), C(GET /config) and C(GET /history) of a Patroni cluster and returns its members
    (role, state, timeline, lag, pending restart, tags), the leader, whether the cluster is
    paused, any scheduled switchover or restart, the dynamic configuration and the timeline history.
  - The idempotent equivalent of C(patronictl list), C(patronictl show-config) and C(patronictl history).
    Never changes anything.
  - Values of configuration keys that may hold secrets (C(*_command), C(*conninfo*), C(*password*)) are masked.
author: pgha.patroni maintainers (@pgha)
extends_documentation_fragment:
  - pgha.patroni.connection
  - pgha.patroni.attributes
options:
  history:
    description: Also read the timeline history (C(GET /history)) into RV(history).
    type: bool
    default: true
seealso:
  - module: pgha.patroni.switchover
  - module: pgha.patroni.edit_config
"""

EXAMPLES = r"""
- name: Read the cluster state
  pgha.patroni.cluster_info:
    api_url:
      - http://10.0.0.11:8008
      - http://10.0.0.12:8008
    api_password: "{{ pgha_restapi_password }}"
  register: patroni

- name: Show the leader
  ansible.builtin.debug:
    msg: "{{ patroni.leader }} leads; pending restarts: {{ patroni.pending_restart }}"
"""

RETURN = r"""
leader:
  description: Name of the member holding the leader key, or null when there is none.
  returned: always
  type: str
  sample: pg1
paused:
  description: Whether the cluster is in maintenance mode.
  returned: always
  type: bool
  sample: false
members:
  description: One entry per member, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Member name.
      type: str
      returned: always
    host:
      description: PostgreSQL host.
      type: str
      returned: always
    port:
      description: PostgreSQL port.
      type: int
      returned: always
    api_url:
      description: REST API URL the member publishes.
      type: str
      returned: always
    role:
      description: V(leader), V(standby_leader), V(sync_standby), V(quorum_standby) or V(replica).
      type: str
      returned: always
    state:
      description: V(running), V(streaming), V(stopped), V(creating replica) and so on.
      type: str
      returned: always
    timeline:
      description: PostgreSQL timeline.
      type: int
      returned: always
    lag:
      description: Replication lag in bytes (replicas), V(unknown), or null for the leader.
      type: raw
      returned: always
    pending_restart:
      description: Whether PostgreSQL must be restarted to apply settings.
      type: bool
      returned: always
    pending_restart_reason:
      description: Settings waiting for a restart, with old and new values.
      type: dict
      returned: always
    scheduled_restart:
      description: A scheduled restart of this member, or null.
      type: dict
      returned: always
    tags:
      description: Patroni tags of the member (for example nofailover and noloadbalance).
      type: dict
      returned: always
  sample:
    - {name: pg1, host: 10.0.0.11, port: 5432, role: leader, state: running, timeline: 3, lag: null,
       pending_restart: false, pending_restart_reason: {}, scheduled_restart: null, tags: {}}
pending_restart:
  description: Names of the members that wait for a restart.
  returned: always
  type: list
  elements: str
  sample: [pg2]
scheduled_switchover:
  description: The scheduled switchover (C(at), C(from), C(to)), or null.
  returned: always
  type: dict
  sample: {at: "2030-01-01T03:00:00+00:00", from: pg1, to: pg2}
scope:
  description: The cluster name (Patroni scope).
  returned: always
  type: str
  sample: main
timeline:
  description: Timeline of the leader, or null.
  returned: always
  type: int
  sample: 3
config:
  description: The dynamic configuration (C(GET /config)).
  returned: always
  type: dict
  sample: {ttl: 30, loop_wait: 10, retry_timeout: 10, postgresql: {parameters: {max_connections: 100}}}
history:
  description: The timeline history, oldest first (C(patronictl history)); empty with O(history=false).
  returned: always
  type: list
  elements: dict
  contains:
    timeline:
      description: The timeline that ended.
      type: int
      returned: always
    lsn:
      description: The WAL position where it ended.
      type: int
      returned: always
    reason:
      description: PostgreSQL's reason for the timeline switch.
      type: str
      returned: always
    timestamp:
      description: When it ended (Patroni 1.6+).
      type: str
      returned: always
    new_leader:
      description: The member that became the leader (Patroni 2.0+).
      type: str
      returned: always
  sample:
    - {timeline: 1, lsn: 50331808, reason: no recovery target specified, timestamp: "2030-01-01T03:00:00+00:00",
       new_leader: pg2}
cluster:
  description: Everything above in one dictionary (handy to pass on).
  returned: always
  type: dict
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import PatroniClient, mask_secrets
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import (
    leader_of,
    summarize,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_module import run_module


def run(module: AnsibleModule, client: PatroniClient) -> dict[str, Any]:
    raw = client.cluster()
    config = client.config()
    summary = summarize(raw)
    leader = leader_of(raw)
    summary["timeline"] = leader.get("timeline") if leader else None
    summary["config"] = mask_secrets(config)
    summary["history"] = client.history() if module.params["history"] else []
    return {"changed": False, "cluster": dict(summary), **summary}


def main() -> None:
    run_module({"history": {"type": "bool", "default": True}}, run, fail_with_actions=False)


if __name__ == "__main__":
    main()
