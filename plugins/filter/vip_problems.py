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

import ipaddress
from typing import Any

from ansible_collections.pgha.patroni.plugins.plugin_utils._inventory import parse_network_cidr

LEADER_MODES = ("callback", "keepalived", "none")


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _address_problems(label: str, value: Any, network: ipaddress.IPv4Network | ipaddress.IPv6Network | None,
                      members: dict[str, str]) -> tuple[list[str], str | None]:
    if value in (None, ""):
        return [f"{label} is not set: give it a free address in pgha_network_cidr."], None
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError:
        return [f"{label} '{value}' is not an IP address (write it without a prefix, e.g. 10.0.0.100)."], None
    problems: list[str] = []
    if network is not None:
        if address not in network:
            problems.append(f"{label} {address} is outside pgha_network_cidr {network}: pick a free address inside it.")
        elif network.num_addresses > 2 and address in (network.network_address, network.broadcast_address):
            problems.append(f"{label} {address} is the network or broadcast address of {network}: pick a host address.")
    for host, member in sorted(members.items()):
        if str(member) == str(address):
            problems.append(f"{label} {address} is the address of host {host}: a VIP must be an address no host owns.")
    return problems, str(address)


def vip_problems(settings: dict[str, Any]) -> list[str]:
    """Every problem of the VIP settings, one sentence each."""
    problems: list[str] = []
    mode = str(settings.get("leader_vip_mode") or "none")
    balancer_on = _truthy(settings.get("balancer_vip_enabled"))
    members = {str(k): str(v) for k, v in (settings.get("member_addresses") or {}).items() if v}
    modes = settings.get("keepalived_modes") or []
    if isinstance(modes, str):
        modes = [modes]
    modes = [str(m) for m in modes]

    if mode not in LEADER_MODES:
        problems.append(f"pgha_leader_vip_mode '{mode}' is not one of {', '.join(LEADER_MODES)}.")

    network = None
    cidr = settings.get("network_cidr")
    if cidr:
        network, found = parse_network_cidr(cidr)
        problems += found
    elif balancer_on or mode != "none":
        problems.append("pgha_network_cidr is not set: the VIP prefix is taken from it (e.g. 10.0.0.0/24).")

    balancer = leader = None
    if balancer_on:
        found, balancer = _address_problems("pgha_balancer_vip", settings.get("balancer_vip"), network, members)
        problems += found
    if mode in ("callback", "keepalived"):
        found, leader = _address_problems("pgha_leader_vip", settings.get("leader_vip"), network, members)
        problems += found
    if balancer and leader and balancer == leader:
        problems.append(
            f"pgha_balancer_vip and pgha_leader_vip are both {leader}: one address would have two owners "
            f"(the balancer VRRP instance and the {mode} leader VIP); give them different addresses."
        )

    for unknown in sorted(set(modes) - {"balancer", "leader"}):
        problems.append(f"keepalived_mode '{unknown}' is not balancer or leader.")
    if "leader" in modes and mode != "keepalived":
        owner = "the Patroni callback script" if mode == "callback" else "nobody (pgha_leader_vip_mode is none)"
        problems.append(
            f"keepalived_mode includes leader but pgha_leader_vip_mode is {mode}: the leader VIP belongs to {owner}; "
            f"set pgha_leader_vip_mode: keepalived or drop leader from keepalived_mode."
        )
    if "balancer" in modes and not balancer_on:
        problems.append("keepalived_mode includes balancer but pgha_balancer_vip_enabled is false: enable it or drop balancer.")

    ids: dict[str, Any] = {}
    if "balancer" in modes:
        ids["keepalived_balancer_router_id"] = settings.get("balancer_router_id")
    if "leader" in modes:
        ids["keepalived_leader_router_id"] = settings.get("leader_router_id")
    for name, value in ids.items():
        try:
            if not 1 <= int(value) <= 255:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"{name} '{value}' must be a number from 1 to 255, unique on the network segment.")
    if len(ids) == 2 and len({str(v) for v in ids.values()}) == 1:
        problems.append("keepalived_balancer_router_id and keepalived_leader_router_id are equal: "
                        "two VRRP instances on one interface need different virtual_router_id values.")

    if all(settings.get(k) not in (None, "") for k in ("bound", "interval", "timeout", "fall")):
        try:
            bound, interval = float(settings["bound"]), float(settings["interval"])
            timeout, fall = float(settings["timeout"]), int(settings["fall"])
        except (TypeError, ValueError):
            problems.append("The leader-check bound, interval, timeout and fall must be numbers.")
        else:
            # the first failing probe can start one interval late, and a probe that
            # times out stretches its period to interval + timeout at worst
            worst = interval + fall * (interval + timeout)
            if timeout > interval:
                problems.append(f"The leader-check timeout ({timeout:g}s) is longer than its interval ({interval:g}s).")
            if worst >= bound:
                problems.append(
                    f"The leader check needs up to {worst:g}s (interval {interval:g}s + fall {fall} x (interval + timeout {timeout:g}s)) "
                    f"to drop the VIP, not less than the bound of {bound:g}s (patroni_ttl - patroni_loop_wait): "
                    f"lower the interval or fall, or raise patroni_ttl."
                )
    return problems


class FilterModule:
    """pgha.patroni VIP filters."""

    def filters(self) -> dict[str, Any]:
        return {"vip_problems": vip_problems}
