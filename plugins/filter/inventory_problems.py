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

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import timing_problems
from ansible_collections.pgha.patroni.plugins.plugin_utils._cluster import as_bool, shared_defaults
from ansible_collections.pgha.patroni.plugins.plugin_utils._inventory import (
    POSTGRESQL_END_OF_LIFE, POSTGRESQL_INSTALL_METHODS, RENAMED, SUPPORTED_POSTGRESQL_MAJORS, access_problems, client_cidr_problems, parse_network_cidr)
from ansible_collections.pgha.patroni.plugins.plugin_utils._vips import vip_problems

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


PORTS = {
    # group -> the port variables its services listen on
    "etcd": ("pgha_etcd_client_port", "pgha_etcd_peer_port"),
    "postgres": ("pgha_postgresql_port", "pgha_restapi_port"),
    "balancers": ("pgha_haproxy_primary_port", "pgha_haproxy_replica_port",
                  "pgha_haproxy_sync_replica_port", "pgha_haproxy_stats_port", "pgha_pgbouncer_port"),
    # pgBackRest's TLS server: on the repository host, and on every member
    # while a repository exists
    "backup": ("pgha_backup_port",),
}


def backup_problems(backup_hosts: list[str], postgres_hosts: list[str], group: str = "backup", tls: bool = True) -> list[str]:
    """The backup group holds at most one repository host, which is not a member, and needs TLS."""
    problems: list[str] = []
    if backup_hosts and not tls:
        problems.append(
            f"The {group} group lists {', '.join(backup_hosts)} but pgha_tls is off: pgBackRest's members and repository "
            f"host authenticate each other with certificates of the cluster CA. Turn pgha_tls on, or empty the {group} group."
        )
    if len(backup_hosts) > 1:
        problems.append(
            f"The {group} group has {len(backup_hosts)} hosts ({', '.join(backup_hosts)}): it takes one pgBackRest "
            f"repository host; keep one there."
        )
    shared = [h for h in backup_hosts if h in postgres_hosts]
    if shared:
        problems.append(
            f"Host {', '.join(shared)} is in both the {group} and the postgres group: the repository must survive "
            f"the loss of any member, so put it on a host of its own."
        )
    return problems


def port_problems(host: str, ports: dict[str, Any]) -> list[str]:
    """Two services of one host on one port, or a port that is not a port."""
    problems: list[str] = []
    owners: dict[int, list[str]] = {}
    for var, value in ports.items():
        if value is None:
            continue  # no default known (the filter used without the pgha role's values)
        try:
            port = int(value)
        except (TypeError, ValueError):
            problems.append(f"{var} of host {host} is '{value}', not a port number.")
            continue
        if port == 0 and var in ("pgha_haproxy_sync_replica_port", "pgha_haproxy_stats_port"):
            continue  # listener turned off
        if not 1 <= port <= 65535:
            problems.append(f"{var} of host {host} is {port}, outside 1-65535.")
            continue
        owners.setdefault(port, []).append(var)
    for port, names in sorted(owners.items()):
        if len(names) > 1:
            problems.append(f"Host {host} would listen on port {port} for {' and '.join(names)}: "
                            f"give each service of a host its own port.")
    return problems


def version_problems(version: Any, method: Any = "source") -> list[str]:
    """pgha_postgresql_version for the install method: a full release to build, or a major to install."""
    method = str(method or "source")
    if method not in POSTGRESQL_INSTALL_METHODS:
        return [f"pgha_postgresql_install_method is '{method}': set it to source (the verified upstream tarball, "
                f"built once) or package (the distribution's postgresql-NN)."]
    parts = str(version or "").split(".")
    if not all(p.isdigit() for p in parts) or (method == "source" and len(parts) != 2) or len(parts) > 2:
        example = "15.18 (the upstream tarball to build)" if method == "source" else "17 (the package postgresql-17)"
        return [f"pgha_postgresql_version '{version}' is not a PostgreSQL {'release' if method == 'source' else 'major'} "
                f"for pgha_postgresql_install_method: {method}: write it like {example}."]
    if int(parts[0]) not in SUPPORTED_POSTGRESQL_MAJORS:
        majors = ", ".join(str(m) for m in SUPPORTED_POSTGRESQL_MAJORS)
        return [f"PostgreSQL {parts[0]} is not supported by these roles (supported majors: {majors}; "
                f"README explains why): set pgha_postgresql_version to a release of one of them."]
    return []


def end_of_life_warning(version: Any, today: str) -> str:
    """The sentence to warn with when the major of version is past its end of life on today (YYYY-MM-DD), else ''."""
    major = str(version or "").split(".", maxsplit=1)[0]
    end = POSTGRESQL_END_OF_LIFE.get(int(major)) if major.isdigit() else None
    if end is None or today <= end:
        return ""
    return (f"PostgreSQL {major} reached its end of life on {end}: it gets no more fixes, security ones included. "
            f"Plan the move to a newer major (playbook pgha.patroni.major_upgrade).")


FENCE_DEFAULTS = {"interval": 1, "timeout": 2}  # the patroni role's defaults of patroni_fence_interval / _timeout


def fence_problems(fence: dict[str, Any], ttl: Any, loop_wait: Any) -> list[str]:
    """The software fence's bound, when the inventory sets it: above interval + timeout, and at most
    ttl - loop_wait - interval - timeout (a probe of a frozen Patroni waits its whole timeout), so the
    fence acts before a replica can be promoted."""
    if fence.get("bound") is None or str(fence.get("mode", "auto")) == "disabled":
        return []
    try:
        bound, ttl_s, loop_s = int(fence["bound"]), int(ttl), int(loop_wait)
        interval = int(fence.get("interval") or FENCE_DEFAULTS["interval"])
        timeout = int(fence.get("timeout") or FENCE_DEFAULTS["timeout"])
    except (TypeError, ValueError):
        return [f"patroni_fence_bound, patroni_fence_interval and patroni_fence_timeout must be whole seconds, "
                f"got {fence.get('bound')!r}, {fence.get('interval')!r}, {fence.get('timeout')!r}."]
    highest = ttl_s - loop_s - interval - timeout
    if interval + timeout < bound <= highest:
        return []
    return [f"patroni_fence_bound ({bound}) must be above patroni_fence_interval + patroni_fence_timeout "
            f"({interval} + {timeout}) and at most pgha_ttl - pgha_loop_wait - patroni_fence_interval - "
            f"patroni_fence_timeout ({ttl_s} - {loop_s} - {interval} - {timeout} = {highest}), so the fence stops "
            f"a silent leader's PostgreSQL before a replica can be promoted: change it, or set patroni_fence_mode: disabled."]


def inventory_problems(summary: dict[str, Any]) -> list[str]:
    """Every problem of the inventory summary, one sentence each."""
    problems: list[str] = []
    etcd_hosts = list(summary.get("etcd_hosts") or [])
    postgres_hosts = list(summary.get("postgres_hosts") or [])
    hosts: dict[str, dict[str, Any]] = summary.get("hosts") or {}

    for host, old in summary.get("renamed") or []:
        problems.append(f"Host {host} sets {old}, which is now {RENAMED[old]}: rename it in the inventory.")

    problems += etcd_count_problems(etcd_hosts)
    problems += backup_problems(list(summary.get("backup_hosts") or []), postgres_hosts,
                                summary.get("backup_group") or "backup", as_bool(summary.get("tls", True)))
    if not postgres_hosts:
        problems.append("The postgres group is empty: put the PostgreSQL/Patroni hosts in the 'postgres' group.")

    for var in summary.get("required_missing") or []:
        problems.append(f"The variable {var} is not set: define it in the inventory's group_vars (see inventories/example).")

    cluster = summary.get("cluster_name")
    if cluster is not None and not NAME_RE.match(str(cluster)):
        problems.append(
            f"pgha_cluster_name '{cluster}' cannot be used: it names etcd keys, directories and certificates; "
            f"use lower-case letters, digits, '-', '_' and '.' (starting and ending with a letter or digit)."
        )

    network = None
    cidr = summary.get("network_cidr")
    if cidr:
        network, found = parse_network_cidr(cidr)
        problems += found
    if summary.get("client_cidrs") is not None:
        problems += client_cidr_problems(summary["client_cidrs"])
    lag = summary.get("replica_max_lag")
    if lag is not None and not re.match(r"^([0-9]+(B|kB|MB|GB|TB)?)?$", str(lag)):
        problems.append(f"pgha_replica_max_lag '{lag}' is not a size: use bytes or a size such as 16MB or 1GB (\"\" for no limit).")
    if summary.get("users") is not None or summary.get("databases") is not None:
        problems += access_problems(summary.get("databases") or [], summary.get("users") or [],
                                    summary.get("reserved_users") or ["postgres"])

    names: dict[str, str] = {}
    addresses: dict[str, str] = {}
    for host in sorted(hosts):
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
        problems += port_problems(host, info.get("ports") or {})

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
        problems += timing_problems(timing.get("ttl"), timing.get("loop_wait"), timing.get("retry_timeout"), prefix="pgha_")
        problems += fence_problems(summary.get("fence") or {}, timing.get("ttl"), timing.get("loop_wait"))
    if "postgresql_version" in summary:
        problems += version_problems(summary["postgresql_version"], summary.get("postgresql_install_method"))
    if summary.get("vip"):
        problems += [p for p in vip_problems(summary["vip"]) if p not in problems]
    return problems


def summarise(hostvars: Any, groups: dict[str, list[str]], required_vars: list[str],
              defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the summary inventory_problems() checks from Ansible's hostvars and groups.

    ``defaults`` are the pgha role's constant defaults (read from that role
    when not given); a host's own inventory value wins over its default.
    """
    defaults = shared_defaults() if defaults is None else dict(defaults)
    group_names = {
        "etcd": defaults.get("pgha_etcd_group", "etcd"),
        "postgres": defaults.get("pgha_postgres_group", "postgres"),
        "balancers": defaults.get("pgha_balancer_group", "balancers"),
        # the inventory (or -e) may name the backup group, which is optional
        "backup": next((hostvars[h]["pgha_backup_group"] for h in groups.get("all") or [] if "pgha_backup_group" in hostvars[h]),
                       defaults.get("pgha_backup_group", "backup")),
    }
    members = {role: list(groups.get(name) or []) for role, name in group_names.items()}
    everyone = sorted(set().union(*members.values()))
    # with a repository, every member runs pgBackRest's TLS server too
    port_roles = dict(members, backup=members["backup"] + (members["postgres"] if members["backup"] else []))

    def value(host: str, var: str) -> Any:
        hv = hostvars[host]
        return hv[var] if var in hv else defaults.get(var)

    hosts: dict[str, dict[str, Any]] = {}
    missing: dict[str, list[str]] = {}
    renamed: list[tuple[str, str]] = []
    for host in everyone:
        hv = hostvars[host]
        ports = {var: value(host, var) for role, names in PORTS.items() if host in port_roles[role] for var in names}
        hosts[host] = {"name": hv.get("pgha_member_name", host), "address": hv.get("pgha_address"), "ports": ports}
        renamed += [(host, old) for old in sorted(RENAMED) if old in hv]
        if host in members["etcd"] or host in members["postgres"]:
            for var in required_vars:
                if var not in hv or hv.get(var) in (None, ""):
                    missing.setdefault(var, []).append(host)
    # Cluster-wide settings are read from the first PostgreSQL member.
    first = members["postgres"][0] if members["postgres"] else None
    summary: dict[str, Any] = {
        "etcd_hosts": members["etcd"],
        "postgres_hosts": members["postgres"],
        "backup_hosts": members["backup"],
        "backup_group": group_names["backup"],
        "hosts": hosts,
        "renamed": renamed,
        "network_cidr": hostvars[first].get("pgha_network_cidr") if first else None,
        "cluster_name": hostvars[first].get("pgha_cluster_name") if first else None,
        "client_cidrs": hostvars[first].get("pgha_client_cidrs") if first else None,
        "required_missing": [f"{var} (hosts: {', '.join(h)})" for var, h in missing.items()],
    }
    if first and defaults:
        summary["timing"] = {key: value(first, "pgha_" + key) for key in ("ttl", "loop_wait", "retry_timeout")}
        # the fence's settings only as the inventory sets them (the patroni role derives the bound)
        summary["fence"] = {key: hostvars[first].get("patroni_fence_" + key) for key in ("mode", "bound", "interval", "timeout")}
        summary["postgresql_version"] = value(first, "pgha_postgresql_version")
        summary["postgresql_install_method"] = value(first, "pgha_postgresql_install_method")
        summary["tls"] = value(first, "pgha_tls")
        summary["replica_max_lag"] = value(first, "pgha_replica_max_lag")
        summary["databases"] = value(first, "pgha_databases")
        summary["users"] = value(first, "pgha_users")
        summary["reserved_users"] = [value(first, var) or default for var, default in (
            ("patroni_superuser_username", "postgres"), ("patroni_replication_username", "replicator"),
            ("patroni_rewind_username", "rewind_user"), ("pgha_pgbouncer_auth_user", "pgbouncer_auth"))]
        summary["vip"] = {
            "leader_vip_mode": value(first, "pgha_leader_vip_mode"),
            "balancer_vip_enabled": value(first, "pgha_balancer_vip_enabled"),
            "balancer_vip": value(first, "pgha_balancer_vip"),
            "leader_vip": value(first, "pgha_leader_vip"),
            "replica_vip": value(first, "pgha_replica_vip"),
            "network_cidr": summary["network_cidr"],
            "member_addresses": {h: hostvars[h].get("pgha_address", "") for h in everyone},
        }
    return summary


def preflight_problems(hostvars: Any, groups: dict[str, list[str]], required_vars: list[str],
                       defaults: dict[str, Any] | None = None) -> list[str]:
    """inventory_problems() of the live inventory."""
    return inventory_problems(summarise(hostvars, groups, required_vars, defaults))


class FilterModule:
    """pgha.patroni inventory filters."""

    def filters(self) -> dict[str, Any]:
        return {"inventory_problems": inventory_problems, "preflight_problems": preflight_problems,
                "end_of_life_warning": end_of_life_warning}
