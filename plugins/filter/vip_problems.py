# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the virtual-IP settings of an inventory: one owner per address."""

from __future__ import annotations

DOCUMENTATION = r"""
name: vip_problems
short_description: List what is wrong with the virtual-IP settings of a pgha.patroni inventory
version_added: 0.1.0
description:
  - Takes the VIP switches (C(pgha_leader_vip_mode), C(pgha_balancer_vip_enabled),
    the two addresses, the cluster network, the member addresses, the keepalived
    modes and router ids, and the leader-check timing) and returns one sentence
    per problem. An empty list means every address has exactly one owner.
  - Used by the C(pgha.patroni.keepalived) and C(pgha.patroni.vip_callback)
    roles' preflight tasks.
options:
  _input:
    description:
      - Dictionary with the keys C(leader_vip_mode), C(balancer_vip_enabled),
        C(balancer_vip), C(leader_vip), C(network_cidr), C(member_addresses),
        C(keepalived_modes), C(balancer_router_id), C(leader_router_id),
        C(bound), C(interval), C(timeout) and C(fall) (the last four optional).
    type: dict
    required: true
author: pgha.patroni contributors
"""

EXAMPLES = r"""
- name: Refuse VIP settings that give one address two owners
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ settings | pgha.patroni.vip_problems }}"
"""

RETURN = r"""
_value:
  description: One sentence per problem; empty when the settings are consistent.
  type: list
  elements: str
"""

from typing import Any

from ansible_collections.pgha.patroni.plugins.plugin_utils._vips import vip_problems


class FilterModule:
    """pgha.patroni VIP filters."""

    def filters(self) -> dict[str, Any]:
        return {"vip_problems": vip_problems}
