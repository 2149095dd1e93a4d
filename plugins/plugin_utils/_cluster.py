# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a member is reached, built in one place (controller side).

Used by the ``pgha.patroni.patroni_api_url`` and ``pgha.patroni.patroni_members``
filters (roles, playbooks) and imported as-is by the lab tools
(``tests/drills``, ``benchmarks``), so the Patroni REST URL of a member is
spelled the same way everywhere.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Mapping


def host_for_url(address: Any) -> str:
    """An address as it goes in a URL: IPv6 literals in brackets."""
    text = str(address)
    try:
        if ipaddress.ip_address(text).version == 6:
            return f"[{text}]"
    except ValueError:
        pass
    return text


def patroni_api_url(address: Any, port: Any, scheme: str) -> str:
    """The base URL of a member's Patroni REST API, without a trailing slash."""
    if not address:
        raise ValueError("a member without an address has no REST API URL: set pgha_address")
    return f"{scheme}://{host_for_url(address)}:{int(port)}"


def _value(hostvars: Mapping[str, Any], host: str, name: str, defaults: Mapping[str, Any]) -> Any:
    """A host's own inventory value, else the pgha role's default (never another host's value)."""
    hv = hostvars[host]
    return hv[name] if name in hv else defaults[name]


def as_bool(value: Any) -> bool:
    """An inventory boolean as Ansible's bool filter reads it (true/yes/on/1)."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "on", "1", "y", "t")


def restapi_scheme(hostvars: Mapping[str, Any], host: str, defaults: Mapping[str, Any]) -> str:
    """A host's own pgha_restapi_scheme, else https with TLS (pgha_tls, default true), else http."""
    hv = hostvars[host]
    if "pgha_restapi_scheme" in hv:
        return str(hv["pgha_restapi_scheme"])
    return "https" if as_bool(_value(hostvars, host, "pgha_tls", defaults)) else "http"


def patroni_members(hosts: list[str], hostvars: Mapping[str, Any],
                    defaults: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each host of ``hosts`` as a member: its name, address, ports and REST URL.

    Per-host inventory values (``pgha_member_name``, ``pgha_restapi_port``,
    ``pgha_postgresql_port``, ``pgha_restapi_scheme`` or ``pgha_tls``) win; a
    host without one gets the pgha role's default, not the value of the host
    that asks.
    """
    defaults = shared_defaults() if defaults is None else defaults
    members = []
    for host in hosts:
        hv = hostvars[host]
        port = int(_value(hostvars, host, "pgha_restapi_port", defaults))
        members.append({
            "host": host,
            "name": str(hv.get("pgha_member_name", host)),
            "address": hv.get("pgha_address"),
            "api_port": port,
            "api_url": patroni_api_url(hv.get("pgha_address"), port, restapi_scheme(hostvars, host, defaults)),
            "postgresql_port": int(_value(hostvars, host, "pgha_postgresql_port", defaults)),
        })
    return members


def etcd_members(hosts: list[str], hostvars: Mapping[str, Any],
                 defaults: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each host of ``hosts`` as an etcd member: name, address, client and peer ports, client endpoint."""
    defaults = shared_defaults() if defaults is None else defaults
    members = []
    for host in hosts:
        hv = hostvars[host]
        client = int(_value(hostvars, host, "pgha_etcd_client_port", defaults))
        members.append({
            "host": host,
            "name": str(hv.get("pgha_member_name", host)),
            "address": hv.get("pgha_address"),
            "client_port": client,
            "peer_port": int(_value(hostvars, host, "pgha_etcd_peer_port", defaults)),
            "endpoint": f"{host_for_url(hv.get('pgha_address'))}:{client}",
        })
    return members


def shared_defaults() -> dict[str, Any]:
    """The constant values of the pgha role's defaults (roles/pgha/defaults/main.yml).

    That file is the one source of the cluster's shared facts. Code that runs
    outside a play with the pgha role (the preflight filter on localhost, the
    lab tools) reads the literal values from it; templated (derived) values
    are left out.
    """
    import yaml  # PyYAML ships with ansible-core

    path = Path(__file__).resolve().parents[2] / "roles" / "pgha" / "defaults" / "main.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {k: v for k, v in data.items() if not (isinstance(v, str) and "{{" in v)}
