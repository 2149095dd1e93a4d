# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of inventory values shared by the preflight filters (controller side)."""

from __future__ import annotations

import ipaddress
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
