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
  - Reads C(GET /cluster) and C(GET /config) of a Patroni cluster and returns its members
    (role, state, timeline, lag, pending restart, tags), the leader, whether the cluster is
    paused, any scheduled switchover or restart, and the dynamic configuration.
  - The idempotent equivalent of C(patronictl list) and C(patronictl show-config). Never changes anything.
author: pgha.patroni maintainers (@pgha)
extends_documentation_fragment:
  - pgha.patroni.connection
  - pgha.patroni.attributes
options: {}
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
    api_password: "{{ patroni_restapi_password }}"
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
cluster:
  description: Everything above in one dictionary (handy to pass on).
  returned: always
  type: dict
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import PatroniClient
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import (
    leader_of,
    summarize,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_module import run_module


def run(module: AnsibleModule, client: PatroniClient) -> dict[str, Any]:  # pylint: disable=unused-argument
    raw = client.cluster()
    config = client.config()
    summary = summarize(raw)
    leader = leader_of(raw)
    summary["timeline"] = leader.get("timeline") if leader else None
    summary["config"] = config
    return {"changed": False, "cluster": dict(summary), **summary}


def main() -> None:
    run_module({}, run, fail_with_actions=False)


if __name__ == "__main__":
    main()
