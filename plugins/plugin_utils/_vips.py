# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who owns which virtual IP: the checks shared by preflight and the VIP roles (controller side)."""

from __future__ import annotations

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
    replica = None
    if settings.get("replica_vip") not in (None, ""):
        found, replica = _address_problems("pgha_replica_vip", settings.get("replica_vip"), network, members)
        problems += found
    owned = [("pgha_balancer_vip", balancer, "the balancer VRRP instance"),
             ("pgha_leader_vip", leader, f"the {mode} leader VIP"),
             ("pgha_replica_vip", replica, "the replica VRRP instance")]
    for i, (name_a, addr_a, owner_a) in enumerate(owned):
        for name_b, addr_b, owner_b in owned[i + 1:]:
            if addr_a and addr_a == addr_b:
                problems.append(
                    f"{name_a} and {name_b} are both {addr_a}: one address would have two owners "
                    f"({owner_a} and {owner_b}); give them different addresses."
                )

    for unknown in sorted(set(modes) - {"balancer", "leader", "replica"}):
        problems.append(f"keepalived_mode '{unknown}' is not balancer, leader or replica.")
    if "replica" in modes and not replica:
        problems.append("keepalived_mode includes replica but pgha_replica_vip is not set: set it or drop replica.")
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
    if "replica" in modes:
        ids["keepalived_replica_router_id"] = settings.get("replica_router_id")
    for name, value in ids.items():
        try:
            if not 1 <= int(value) <= 255:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"{name} '{value}' must be a number from 1 to 255, unique on the network segment.")
    if len({str(v) for v in ids.values()}) < len(ids):
        problems.append(f"{', '.join(sorted(ids))} must all differ: "
                        "VRRP instances on one interface need different virtual_router_id values.")

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
                    f"to drop the VIP, not less than the bound of {bound:g}s (pgha_ttl - pgha_loop_wait): "
                    f"lower the interval or fall, or raise pgha_ttl."
                )
    return problems
