# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers the preflight role uses to check an inventory."""

from __future__ import annotations

DOCUMENTATION = r"""
name: inventory_problems
short_description: List what is wrong with a pgha.patroni inventory
version_added: 0.1.0
description:
  - Takes a dictionary describing the inventory (groups, per-host names and
    addresses, the cluster network and Patroni timing settings) and returns a
    list of sentences, one per problem. An empty list means the inventory is
    usable.
  - Used by the C(pgha.patroni.preflight) role before any host is touched,
    through its companion filter C(preflight_problems), which builds that
    summary from C(hostvars) and C(groups).
options:
  _input:
    description: The inventory summary built by the preflight role.
    type: dict
    required: true
author: pgha.patroni contributors
"""

EXAMPLES = r"""
- name: Fail with one message per problem
  ansible.builtin.fail:
    msg: "{{ summary | pgha.patroni.inventory_problems }}"
  when: summary | pgha.patroni.inventory_problems | length > 0
"""

RETURN = r"""
_value:
  description: One sentence per problem; empty when the inventory is fine.
  type: list
  elements: str
"""

import ipaddress
import re
import socket
from typing import Any

from ansible_collections.pgha.patroni.plugins.plugin_utils._inventory import parse_network_cidr

NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9_.-]*[a-z0-9])?$")


def _resolve(address: str) -> str | None:
    """Return the IP address for a host name or literal, None when it does not resolve."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(address, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None
    return infos[0][4][0] if infos else None


def etcd_count_problems(etcd_hosts: list[str]) -> list[str]:
    count = len(etcd_hosts)
    if count == 0:
        return ["The etcd group is empty: put 3 (or 1, 5, ...) hosts in the 'etcd' group."]
    if count % 2 == 0:
        return [
            f"The etcd group has {count} members ({', '.join(etcd_hosts)}): etcd needs an odd number "
            f"(1, 3, 5, ...) so that a majority survives a split; add or remove one host."
        ]
    return []


def timing_problems(ttl: Any, loop_wait: Any, retry_timeout: Any) -> list[str]:
    try:
        ttl_i, loop_i, retry_i = int(ttl), int(loop_wait), int(retry_timeout)
    except (TypeError, ValueError):
        return [f"patroni_ttl ({ttl}), patroni_loop_wait ({loop_wait}) and patroni_retry_timeout ({retry_timeout}) must be whole numbers of seconds."]
    if ttl_i < loop_i + 2 * retry_i:
        return [
            f"patroni_ttl ({ttl_i}) is smaller than patroni_loop_wait + 2 * patroni_retry_timeout "
            f"({loop_i} + 2 * {retry_i} = {loop_i + 2 * retry_i}); Patroni would silently change these "
            f"values. Raise patroni_ttl or lower the other two."
        ]
    return []


def inventory_problems(summary: dict[str, Any]) -> list[str]:
    """Every problem of the inventory summary, one sentence each."""
    problems: list[str] = []
    etcd_hosts = list(summary.get("etcd_hosts") or [])
    postgres_hosts = list(summary.get("postgres_hosts") or [])
    hosts: dict[str, dict[str, Any]] = summary.get("hosts") or {}

    problems += etcd_count_problems(etcd_hosts)
    if not postgres_hosts:
        problems.append("The postgres group is empty: put the PostgreSQL/Patroni hosts in the 'postgres' group.")

    for var in summary.get("required_missing") or []:
        problems.append(f"The variable {var} is not set: define it in the inventory's group_vars (see inventories/example).")

    network = None
    cidr = summary.get("network_cidr")
    if cidr:
        network, found = parse_network_cidr(cidr)
        problems += found

    names: dict[str, str] = {}
    addresses: dict[str, str] = {}
    for host in sorted(set(etcd_hosts) | set(postgres_hosts)):
        info = hosts.get(host) or {}
        name = str(info.get("name") or host)
        if not NAME_RE.match(name):
            problems.append(
                f"Member name '{name}' of host {host} is not usable by etcd and Patroni: "
                f"use lower-case letters, digits, '-', '_' and '.'."
            )
        key = name.lower()
        if key in names:
            problems.append(f"Hosts {names[key]} and {host} would both be member '{name}': member names must be unique.")
        else:
            names[key] = host

        address = info.get("address")
        if not address:
            problems.append(f"Host {host} has no pgha_address: set it in host_vars to the address the other members use.")
            continue
        resolved = _resolve(str(address))
        if resolved is None:
            problems.append(f"The address '{address}' of host {host} does not resolve: fix pgha_address or DNS.")
            continue
        if resolved in addresses:
            problems.append(f"Hosts {addresses[resolved]} and {host} share the address {resolved}: each member needs its own.")
        else:
            addresses[resolved] = host
        if network is not None and ipaddress.ip_address(resolved) not in network:
            problems.append(f"The address {resolved} of host {host} is outside pgha_network_cidr {network}.")

    timing = summary.get("timing")
    if timing:
        problems += timing_problems(timing.get("ttl"), timing.get("loop_wait"), timing.get("retry_timeout"))
    return problems


def summarise(hostvars: Any, groups: dict[str, list[str]], required_vars: list[str],
              etcd_group: str = "etcd", postgres_group: str = "postgres") -> dict[str, Any]:
    """Build the summary inventory_problems() checks from Ansible's hostvars and groups."""
    etcd_hosts = list(groups.get(etcd_group) or [])
    postgres_hosts = list(groups.get(postgres_group) or [])
    members = sorted(set(etcd_hosts) | set(postgres_hosts))
    hosts: dict[str, dict[str, Any]] = {}
    missing: dict[str, list[str]] = {}
    for host in members:
        hv = hostvars[host]
        hosts[host] = {"name": hv.get("pgha_member_name", host), "address": hv.get("pgha_address")}
        for var in required_vars:
            if var not in hv or hv.get(var) in (None, ""):
                missing.setdefault(var, []).append(host)
    first = hostvars[postgres_hosts[0]] if postgres_hosts else {}
    return {
        "etcd_hosts": etcd_hosts,
        "postgres_hosts": postgres_hosts,
        "hosts": hosts,
        "network_cidr": first.get("pgha_network_cidr") if first else None,
        "required_missing": [f"{var} (hosts: {', '.join(h)})" for var, h in missing.items()],
        "timing": {
            "ttl": first.get("patroni_ttl", 30) if first else 30,
            "loop_wait": first.get("patroni_loop_wait", 10) if first else 10,
            "retry_timeout": first.get("patroni_retry_timeout", 10) if first else 10,
        },
    }


def preflight_problems(hostvars: Any, groups: dict[str, list[str]], required_vars: list[str],
                       etcd_group: str = "etcd", postgres_group: str = "postgres") -> list[str]:
    """inventory_problems() of the live inventory."""
    return inventory_problems(summarise(hostvars, groups, required_vars, etcd_group, postgres_group))


class FilterModule:
    """pgha.patroni inventory filters."""

    def filters(self) -> dict[str, Any]:
        return {"inventory_problems": inventory_problems, "preflight_problems": preflight_problems}
