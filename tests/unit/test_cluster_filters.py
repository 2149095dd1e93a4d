"""The one place a member's REST URL is built."""

from __future__ import annotations

import pytest

from ansible_collections.pgha.patroni.plugins.plugin_utils._cluster import etcd_members, patroni_api_url, patroni_members


def test_api_url_brackets_ipv6_and_keeps_the_port():
    assert patroni_api_url("10.0.0.1", 8009, "https") == "https://10.0.0.1:8009"
    assert patroni_api_url("fd00::1", "8008", "http") == "http://[fd00::1]:8008"
    assert patroni_api_url("db1.example.org", 8008, "http") == "http://db1.example.org:8008"
    with pytest.raises(ValueError, match="pgha_address"):
        patroni_api_url("", 8008, "http")


def test_members_honour_per_host_values_over_the_defaults():
    hostvars = {
        "pg1": {"pgha_address": "10.0.0.11"},
        "pg2": {"pgha_address": "10.0.0.12", "pgha_member_name": "cs2", "pgha_restapi_port": 8010,
                "pgha_postgresql_port": 5433},
    }
    members = patroni_members(["pg1", "pg2"], hostvars)
    assert members == [
        {"host": "pg1", "name": "pg1", "address": "10.0.0.11", "api_port": 8008,
         "api_url": "https://10.0.0.11:8008", "postgresql_port": 5432},
        {"host": "pg2", "name": "cs2", "address": "10.0.0.12", "api_port": 8010,
         "api_url": "https://10.0.0.12:8010", "postgresql_port": 5433},
    ]


@pytest.mark.parametrize("own, scheme", [
    ({}, "https"),  # TLS is the default
    ({"pgha_tls": False}, "http"),
    ({"pgha_tls": "false"}, "http"),  # as an extra var or an unparsed inventory string
    ({"pgha_tls": "yes"}, "https"),
    ({"pgha_tls": False, "pgha_restapi_scheme": "https"}, "https"),  # an explicit scheme wins
])
def test_the_scheme_follows_pgha_tls_unless_set(own, scheme):
    hostvars = {"pg1": {"pgha_address": "10.0.0.11", **own}, "pg2": {"pgha_address": "10.0.0.12"}}
    members = patroni_members(["pg1", "pg2"], hostvars)
    assert members[0]["api_url"] == f"{scheme}://10.0.0.11:8008"
    assert members[1]["api_url"] == "https://10.0.0.12:8008"  # never the asking host's value


def test_a_host_without_an_override_gets_the_default_not_the_asking_hosts_value():
    """Templated on pg2 (which overrides its port), pg1 must still get the pgha role's default."""
    hostvars = {"pg1": {"pgha_address": "10.0.0.11"},
                "pg2": {"pgha_address": "10.0.0.12", "pgha_restapi_port": 8010, "pgha_etcd_client_port": 2479}}
    assert [m["api_port"] for m in patroni_members(["pg1", "pg2"], hostvars)] == [8008, 8010]
    assert [m["endpoint"] for m in etcd_members(["pg1", "pg2"], hostvars)] == ["10.0.0.11:2379", "10.0.0.12:2479"]
