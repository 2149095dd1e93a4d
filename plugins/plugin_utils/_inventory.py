# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of inventory values shared by the preflight filters (controller side)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network_cidr(cidr: Any) -> tuple[Network | None, list[str]]:
    """pgha_network_cidr as a network, or None with the sentence that says why not."""
    try:
        return ipaddress.ip_network(str(cidr), strict=False), []
    except ValueError:
        return None, [f"pgha_network_cidr '{cidr}' is not a network like 10.0.0.0/24."]


def client_cidr_problems(cidrs: Any) -> list[str]:
    """pgha_client_cidrs: a non-empty list of networks (HAProxy admits connections from these only)."""
    if isinstance(cidrs, str) or not isinstance(cidrs, (list, tuple)) or not cidrs:
        return [f"pgha_client_cidrs {cidrs!r} is not a list of networks: set it to the networks the clients "
                f"connect from, for example ['10.0.0.0/24']."]
    problems = []
    for cidr in cidrs:
        try:
            ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            problems.append(f"pgha_client_cidrs entry '{cidr}' is not a network like 10.0.0.0/24: fix it in the inventory.")
    return problems


# PostgreSQL majors the roles build and configure (Patroni 4.1 supports them;
# 15 is the one the lab tests). 13 defaults to md5 password hashes; the
# patroni role sets password_encryption to scram-sha-256 on every major.
SUPPORTED_POSTGRESQL_MAJORS = (13, 14, 15, 16, 17)
# The last day of each supported major (the PostgreSQL project's policy: five
# years after its first release); preflight warns once it has passed.
POSTGRESQL_END_OF_LIFE = {13: "2025-11-13", 14: "2026-11-12", 15: "2027-11-11", 16: "2028-11-09", 17: "2029-11-08"}
POSTGRESQL_INSTALL_METHODS = ("source", "package")

# Variables of earlier releases and the one fact each became (0.3.0).
RENAMED = {
    "postgresql_install_method": "pgha_postgresql_install_method",
    "postgresql_build_dir": "pgha_build_dir (the parent of a fresh private build directory)",
    "patroni_ttl": "pgha_ttl",
    "patroni_loop_wait": "pgha_loop_wait",
    "patroni_retry_timeout": "pgha_retry_timeout",
    "patroni_restapi_port": "pgha_restapi_port",
    "haproxy_patroni_api_port": "pgha_restapi_port",
    "patroni_restapi_username": "pgha_restapi_username",
    "patroni_restapi_password": "pgha_restapi_password",
    "patroni_api_urls": "pgha_restapi_port and pgha_restapi_scheme",
    "postgresql_port": "pgha_postgresql_port",
    "patroni_postgresql_port": "pgha_postgresql_port",
    "haproxy_postgresql_port": "pgha_postgresql_port",
    "postgresql_version": "pgha_postgresql_version",
    "patroni_postgresql_version": "pgha_postgresql_version",
    "postgresql_install_link": "pgha_postgresql_prefix",
    "patroni_postgresql_bin_dir": "pgha_postgresql_bin_dir",
    "postgresql_data_dir": "pgha_postgresql_data_dir",
    "patroni_postgresql_data_dir": "pgha_postgresql_data_dir",
    "postgresql_run_dir": "pgha_postgresql_socket_dir",
    "patroni_postgresql_socket_dir": "pgha_postgresql_socket_dir",
    "postgresql_home": "pgha_postgresql_home",
    "postgresql_user": "pgha_postgresql_user",
    "patroni_user": "pgha_postgresql_user",
    "vip_callback_user": "pgha_postgresql_user",
    "postgresql_group": "pgha_postgresql_group",
    "patroni_group": "pgha_postgresql_group",
    "etcd_client_port": "pgha_etcd_client_port",
    "patroni_etcd_port": "pgha_etcd_client_port",
    "etcd_peer_port": "pgha_etcd_peer_port",
    "etcd_name": "pgha_member_name",
    "etcd_address": "pgha_address",
    "etcd_group": "pgha_etcd_group",
    "patroni_etcd_group": "pgha_etcd_group",
    "preflight_etcd_group": "pgha_etcd_group",
    "haproxy_backend_group": "pgha_postgres_group",
    "keepalived_leader_group": "pgha_postgres_group",
    "preflight_postgres_group": "pgha_postgres_group",
    "keepalived_balancer_group": "pgha_balancer_group",
    "patroni_credentials_dir": "pgha_credentials_dir",
    "patroni_namespace": "pgha_namespace",
    "patroni_etcd_protocol": "pgha_tls (true: https with client certificates)",
    "haproxy_primary_port": "pgha_haproxy_primary_port",
    "haproxy_replica_port": "pgha_haproxy_replica_port",
    "haproxy_sync_replica_port": "pgha_haproxy_sync_replica_port (0 turns it off)",
    "haproxy_sync_replica_enabled": "pgha_haproxy_sync_replica_port (0 turns it off)",
    "haproxy_stats_port": "pgha_haproxy_stats_port (0 turns it off)",
    "haproxy_stats_enabled": "pgha_haproxy_stats_port (0 turns it off)",
    "keepalived_interface": "pgha_vip_interface",
    "vip_callback_interface": "pgha_vip_interface",
    "keepalived_prefix": "pgha_vip_prefix",
    "vip_callback_prefix": "pgha_vip_prefix",
    "keepalived_balancer_vip": "pgha_balancer_vip",
    "keepalived_leader_vip": "pgha_leader_vip",
    "vip_callback_address": "pgha_leader_vip",
    "keepalived_leader_api_url": "pgha_restapi_url",
    "vip_callback_api_url": "pgha_restapi_url",
    "keepalived_leader_check_bound": "pgha_leader_check_bound",
    "vip_callback_guard_bound": "pgha_leader_check_bound",
    "haproxy_bind_address": "haproxy_bind_addresses (a list; the default is pgha_address and the balancer VIP)",
}


# Users and databases (pgha_users, pgha_databases): PostgreSQL identifiers the
# roles quote nowhere, so plain lower-case names only.
IDENTIFIER_RE = r"^[a-z_][a-z0-9_]{0,62}$"
USER_KEYS = {"name", "password", "attributes", "member_of", "privileges", "connection_limit", "cidrs", "state", "login"}
DATABASE_KEYS = {"name", "owner", "encoding", "locale", "extensions", "state"}
DATABASE_PRIVILEGES = {"ALL", "CONNECT", "CREATE", "TEMPORARY", "TEMP"}
ROLE_ATTRIBUTES = {"SUPERUSER", "CREATEDB", "CREATEROLE", "INHERIT", "LOGIN", "REPLICATION", "BYPASSRLS"}
RESERVED_USERS = ("postgres",)


def _kind(value: Any) -> str:
    """What YAML made of a value, in words (Ansible wraps the types it reads)."""
    for kind, name in ((bool, "a boolean"), (int, "a number"), (float, "a number"), (dict, "a mapping"),
                       (list, "a list"), (tuple, "a list")):
        if isinstance(value, kind):
            return name
    return "no string" if value is None else type(value).__name__.lstrip("_")


def _is_secret_text(value: Any) -> bool:
    """A password as the inventory may give it: a string, or a Vault-encrypted value."""
    return isinstance(value, str) or "vault" in type(value).__name__.lower() or "encrypted" in type(value).__name__.lower()


def _entry_problems(var: str, noun: str, needs: str, entry: Any, keys: set[str], own: tuple[str, ...] | list[str],
                    own_what: str, seen: set[str]) -> tuple[str | None, str, list[str]]:
    """What pgha_users and pgha_databases entries share: a mapping with a plain name, known keys,
    not one of the cluster's own, each once, state present or absent. Returns (name, state, problems);
    name is None when the entry has none (the other checks then make no sense)."""
    if not isinstance(entry, dict) or not entry.get("name"):
        return None, "", [f"{var} entry {entry!r} has no name: each {noun} is a mapping with at least {needs}."]
    name = str(entry["name"])
    where = f"{var} entry '{name}'"
    problems: list[str] = []
    unknown = sorted(set(entry) - keys)
    if unknown:
        problems.append(f"{where} has unknown keys {', '.join(unknown)}: use {', '.join(sorted(keys))}.")
    if not re.match(IDENTIFIER_RE, name):
        problems.append(f"{where}: the name must be lower-case letters, digits and '_' (at most 63, not starting with a digit).")
    if name in own:
        problems.append(f"{where}: '{name}' is {own_what}; choose another name.")
    if name in seen:
        problems.append(f"{where} appears twice: each {noun} once.")
    seen.add(name)
    state = entry.get("state", "present")
    if state not in ("present", "absent"):
        problems.append(f"{where}: state must be present or absent, not '{state}'.")
    return name, state, problems


def access_problems(databases: Any, users: Any, reserved: list[str] | tuple[str, ...] = RESERVED_USERS) -> list[str]:
    """pgha_databases and pgha_users: one sentence per problem, before anything is created."""
    problems: list[str] = []
    if not isinstance(users, (list, tuple)):
        return [f"pgha_users must be a list of users (name, password, ...), not {users!r}."]
    if not isinstance(databases, (list, tuple)):
        return [f"pgha_databases must be a list of databases (name, owner, ...), not {databases!r}."]

    names: set[str] = set()
    present: set[str] = set()
    for user in users:
        name, state, found = _entry_problems("pgha_users", "user", "'name'", user, USER_KEYS, reserved, "the cluster's own role, managed by Patroni", names)
        problems += found
        if name is None:
            continue
        where = f"pgha_users entry '{name}'"
        if state == "present":
            present.add(name)
        if "password" in user and user["password"] is not None and not _is_secret_text(user["password"]):
            problems.append(
                f"{where}: the password is not a string (YAML read it as {_kind(user['password'])}): quote it "
                f"(or take it from Vault), or leave it out to have one generated into the credentials directory."
            )
        attributes = user.get("attributes", [])
        if not isinstance(attributes, (list, tuple)):
            problems.append(f"{where}: attributes must be a list such as [CREATEDB], not {attributes!r}.")
        else:
            bad = [a for a in attributes if str(a).upper().removeprefix("NO") not in ROLE_ATTRIBUTES]
            if bad:
                problems.append(f"{where}: unknown role attributes {', '.join(map(str, bad))}: use {', '.join(sorted(ROLE_ATTRIBUTES))} (or NO...).")
            elif any(str(a).upper() in ("LOGIN", "NOLOGIN") for a in attributes):
                problems.append(f"{where}: LOGIN and NOLOGIN are not attributes here: use login: false for a role that may not log in.")
            elif any(str(a).upper() in ("SUPERUSER", "REPLICATION", "BYPASSRLS") for a in attributes):
                problems.append(f"{where}: SUPERUSER, REPLICATION and BYPASSRLS are not given to application users; "
                                f"the cluster's own roles hold them.")
        limit = user.get("connection_limit", -1)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < -1:
            problems.append(f"{where}: connection_limit must be a whole number (-1 for no limit), not {limit!r}.")
        cidrs = user.get("cidrs", [])
        if isinstance(cidrs, str) or not isinstance(cidrs, (list, tuple)):
            problems.append(f"{where}: cidrs must be a list of networks such as ['10.1.0.0/24'], not {cidrs!r}.")
        else:
            for cidr in cidrs:
                try:
                    ipaddress.ip_network(str(cidr), strict=False)
                except ValueError:
                    problems.append(f"{where}: '{cidr}' is not a network like 10.0.0.0/24.")
        member_of = user.get("member_of", [])
        if isinstance(member_of, str) or not isinstance(member_of, (list, tuple)):
            problems.append(f"{where}: member_of must be a list of roles, not {member_of!r}.")
        privileges = user.get("privileges", [])
        if not isinstance(privileges, (list, tuple)) or not all(isinstance(p, dict) for p in privileges):
            problems.append(f"{where}: privileges must be a list of {{database: NAME, privileges: [CONNECT, ...]}}.")
        else:
            for grant in privileges:
                privs = grant.get("privileges", [])
                if not grant.get("database") or not isinstance(privs, (list, tuple)) or not privs:
                    problems.append(f"{where}: each privileges entry needs a database and a list of privileges, not {grant!r}.")
                    continue
                bad = [p for p in privs if str(p).upper() not in DATABASE_PRIVILEGES]
                if bad:
                    problems.append(f"{where}: unknown database privileges {', '.join(map(str, bad))} on {grant['database']}: "
                                    f"use {', '.join(sorted(DATABASE_PRIVILEGES))}.")
    for user in users:
        if isinstance(user, dict) and user.get("name") and user.get("state", "present") == "present":
            for role in user.get("member_of") or []:
                if isinstance(role, str) and role not in present and role in names:
                    problems.append(f"pgha_users entry '{user['name']}' is a member of '{role}', which the inventory drops (state: absent).")

    db_names: set[str] = set()
    present_dbs: set[str] = set()
    for db in databases:
        name, state, found = _entry_problems("pgha_databases", "database", "'name' and 'owner'", db, DATABASE_KEYS, ("postgres", "template0", "template1"),
                                             "one of the cluster's own databases", db_names)
        problems += found
        if name is None or state not in ("present", "absent"):
            continue
        where = f"pgha_databases entry '{name}'"
        if state == "absent":
            continue
        present_dbs.add(name)
        owner = db.get("owner")
        if not owner:
            problems.append(f"{where} has no owner: name one of pgha_users.")
        elif owner not in present and owner not in reserved:
            problems.append(
                f"{where}: its owner '{owner}' is not a user of pgha_users (state: present); "
                f"add it there or name another owner."
            )
        extensions = db.get("extensions", [])
        if isinstance(extensions, str) or not isinstance(extensions, (list, tuple)):
            problems.append(f"{where}: extensions must be a list of names, not {extensions!r}.")
    for user in users:
        if isinstance(user, dict) and user.get("state", "present") == "present":
            for grant in user.get("privileges") or []:
                if isinstance(grant, dict) and grant.get("database") and grant["database"] not in present_dbs | {"postgres"}:
                    problems.append(f"pgha_users entry '{user.get('name')}' has privileges on '{grant['database']}', "
                                    f"which is not a database of pgha_databases (state: present).")
    return problems
