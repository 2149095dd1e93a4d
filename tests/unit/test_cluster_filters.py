"""The one place a member's REST URL is built."""

from __future__ import annotations

import pytest

from ansible_collections.pgha.patroni.plugins.plugin_utils._cluster import patroni_api_url, patroni_members


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
    members = patroni_members(["pg1", "pg2"], hostvars, "http", 8008, 5432)
    assert members == [
        {"host": "pg1", "name": "pg1", "address": "10.0.0.11", "api_port": 8008,
         "api_url": "http://10.0.0.11:8008", "postgresql_port": 5432},
        {"host": "pg2", "name": "cs2", "address": "10.0.0.12", "api_port": 8010,
         "api_url": "http://10.0.0.12:8010", "postgresql_port": 5433},
    ]
