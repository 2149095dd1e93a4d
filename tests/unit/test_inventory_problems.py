"""The preflight checks, as pure functions."""

from __future__ import annotations

from ansible_collections.pgha.patroni.plugins.plugin_utils._cluster import shared_defaults
from ansible_collections.pgha.patroni.plugins.filter.inventory_problems import (
    end_of_life_warning,
    inventory_problems,
    preflight_problems,
    version_problems,
)


def summary(**over):
    base = {
        "etcd_hosts": ["a", "b", "c"],
        "postgres_hosts": ["a", "b", "c"],
        "network_cidr": "10.1.0.0/24",
        "hosts": {h: {"name": h, "address": f"10.1.0.{i}"} for i, h in enumerate("abc", 1)},
        "required_missing": [],
        "timing": {"ttl": 30, "loop_wait": 10, "retry_timeout": 10},
    }
    base.update(over)
    return base


def test_good_inventory_has_no_problem():
    assert inventory_problems(summary()) == []


def test_even_and_empty_etcd_groups():
    assert "odd number" in inventory_problems(summary(etcd_hosts=["a", "b"]))[0]
    assert "empty" in inventory_problems(summary(etcd_hosts=[]))[0]
    assert inventory_problems(summary(etcd_hosts=["a"])) == []


def test_ttl_relation():
    problems = inventory_problems(summary(timing={"ttl": 20, "loop_wait": 10, "retry_timeout": 10}))
    assert problems == [
        "pgha_ttl (20) must be at least pgha_loop_wait + 2 * pgha_retry_timeout (10 + 2 * 10 = 30), or Patroni "
        "would silently change them: raise pgha_ttl or lower pgha_loop_wait / pgha_retry_timeout."
    ]
    assert inventory_problems(summary(timing={"ttl": "x", "loop_wait": 1, "retry_timeout": 1}))


def test_fence_bound_from_the_inventory():
    ok = summary(fence={"bound": 16})
    assert inventory_problems(ok) == []
    assert inventory_problems(summary(fence={})) == []  # the role derives it
    late = inventory_problems(summary(fence={"bound": 18}))
    assert len(late) == 1 and "(30 - 10 - 1 - 2 = 17)" in late[0]
    assert inventory_problems(summary(fence={"bound": 3}))  # not above interval + timeout
    assert inventory_problems(summary(fence={"bound": 3, "mode": "disabled"})) == []
    assert "whole seconds" in inventory_problems(summary(fence={"bound": "soon"}))[0]


def test_names_addresses_and_network():
    hosts = {
        "a": {"name": "A", "address": "10.1.0.1"},
        "b": {"name": "a", "address": "10.1.0.1"},
        "c": {"name": "c", "address": "10.9.0.3"},
    }
    problems = inventory_problems(summary(hosts=hosts))
    assert any("not usable" in p for p in problems)  # upper case name
    assert any("would both be member" in p for p in problems)
    assert any("share the address 10.1.0.1" in p for p in problems)
    assert any("outside pgha_network_cidr" in p for p in problems)


def test_unresolvable_and_missing_address():
    hosts = {
        "a": {"name": "a", "address": "no-such-host.invalid"},
        "b": {"name": "b", "address": None},
        "c": {"name": "c", "address": "10.1.0.3"},
    }
    problems = inventory_problems(summary(hosts=hosts))
    assert any("does not resolve" in p for p in problems)
    assert any("has no pgha_address" in p for p in problems)


def test_preflight_problems_reads_hostvars_and_required_vars():
    hostvars = {
        "a": {"pgha_address": "10.1.0.1", "pgha_network_cidr": "10.1.0.0/24", "pgha_cluster_name": "x"},
        "b": {"pgha_address": "10.1.0.2", "pgha_network_cidr": "10.1.0.0/24", "pgha_cluster_name": ""},
        "c": {"pgha_address": "10.1.0.3", "pgha_network_cidr": "10.1.0.0/24", "pgha_cluster_name": "x"},
    }
    groups = {"etcd": ["a", "b", "c"], "postgres": ["a", "b", "c"]}
    problems = preflight_problems(hostvars, groups, ["pgha_cluster_name"], {})
    assert problems == [
        "The variable pgha_cluster_name (hosts: b) is not set: define it in the inventory's group_vars (see inventories/example)."
    ]


def test_the_defaults_come_from_the_pgha_role():
    defaults = shared_defaults()
    assert defaults["pgha_restapi_port"] == 8008 and defaults["pgha_ttl"] == 30
    assert "pgha_restapi_url" not in defaults  # derived (templated) values are left out


DEFAULTS = shared_defaults()


def live(**per_host):
    hostvars = {h: {"pgha_address": f"10.1.0.{i}", "pgha_network_cidr": "10.1.0.0/24", "pgha_cluster_name": "x"}
                for i, h in enumerate("abc", 1)}
    for host, extra in per_host.items():
        hostvars[host].update(extra)
    groups = {"etcd": ["a", "b", "c"], "postgres": ["a", "b", "c"], "balancers": ["a", "b", "c"]}
    return preflight_problems(hostvars, groups, ["pgha_cluster_name"], DEFAULTS)


def test_live_defaults_are_clean():
    assert live() == []


def test_port_collisions_between_colocated_services():
    problems = live(a={"pgha_restapi_port": 5000}, b={"pgha_haproxy_stats_port": 2379})
    assert problems == [
        "Host a would listen on port 5000 for pgha_restapi_port and pgha_haproxy_primary_port: "
        "give each service of a host its own port.",
        "Host b would listen on port 2379 for pgha_etcd_client_port and pgha_haproxy_stats_port: "
        "give each service of a host its own port.",
    ]
    # a turned-off listener (0) collides with nothing
    assert live(a={"pgha_haproxy_stats_port": 0, "pgha_haproxy_sync_replica_port": 0}) == []
    assert "not a port number" in live(a={"pgha_restapi_port": "http"})[0]


def test_renamed_variables_are_named_with_their_new_name():
    assert live(a={"patroni_restapi_port": 8009}) == [
        "Host a sets patroni_restapi_port, which is now pgha_restapi_port: rename it in the inventory."
    ]


def test_unsupported_postgresql_major():
    problems = live(a={"pgha_postgresql_version": "12.4"})
    assert len(problems) == 1 and problems[0].startswith("PostgreSQL 12 is not supported by these roles")
    assert live(a={"pgha_postgresql_version": "16.6"}) == []


def test_the_version_follows_the_install_method():
    assert version_problems("15.18") == [] and version_problems("15.18", "source") == []
    assert version_problems("17", "package") == [] and version_problems("17.2", "package") == []
    # a source build needs the release to fetch, a package the major
    assert version_problems("17", "source") == [
        "pgha_postgresql_version '17' is not a PostgreSQL release for pgha_postgresql_install_method: source: "
        "write it like 15.18 (the upstream tarball to build)."]
    assert "not a PostgreSQL major" in version_problems("17.2.1", "package")[0]
    assert version_problems("17", "apt")[0].startswith("pgha_postgresql_install_method is 'apt': set it to source")
    assert version_problems("12", "package")[0].startswith("PostgreSQL 12 is not supported")
    problems = live(a={"pgha_postgresql_install_method": "package", "pgha_postgresql_version": "17"})
    assert problems == []


def test_end_of_life_is_a_warning_from_the_day_after():
    assert end_of_life_warning("13.20", "2025-11-13") == ""
    assert end_of_life_warning("13", "2025-11-14").startswith("PostgreSQL 13 reached its end of life on 2025-11-13:")
    assert end_of_life_warning("17.2", "2026-12-07") == ""
    assert end_of_life_warning("banana", "2026-12-07") == "" and end_of_life_warning("99", "2026-12-07") == ""


def test_vip_ownership_is_checked_before_any_host():
    problems = live(a={"pgha_leader_vip_mode": "callback", "pgha_leader_vip": "10.1.0.2"})
    assert problems == ["pgha_leader_vip 10.1.0.2 is the address of host b: a VIP must be an address no host owns."]
    problems = live(a={"pgha_balancer_vip_enabled": True, "pgha_balancer_vip": "10.1.0.50",
                       "pgha_replica_vip": "10.1.0.50"})
    assert any("pgha_balancer_vip and pgha_replica_vip are both 10.1.0.50" in p for p in problems)


def test_timing_comes_from_the_inventory_over_the_defaults():
    assert "pgha_ttl (20) must be at least" in live(a={"pgha_ttl": 20})[0]


def test_the_example_inventory_passes_preflight():
    """inventories/example (the guide's topology) is a valid inventory as shipped."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(root / "inventories" / "example"), "--list"],
        capture_output=True, text=True, check=True, cwd=root,
    )
    data = json.loads(listed.stdout)
    hostvars = data["_meta"]["hostvars"]
    groups = {name: data[name].get("hosts", []) for name in ("etcd", "postgres", "balancers")}
    assert preflight_problems(hostvars, groups, ["pgha_cluster_name", "pgha_network_cidr", "postgresql_source_checksum"]) == []
    assert hostvars["cs1"]["pgha_address"] == "192.168.43.10" and hostvars["cs1"]["pgha_replica_vip"] == "192.168.43.102"


def test_backup_group_one_host_not_a_member():
    assert inventory_problems(summary(backup_hosts=["r"])) == []
    two = inventory_problems(summary(backup_hosts=["r", "s"]))
    assert len(two) == 1 and "takes one pgBackRest repository host" in two[0]
    member = inventory_problems(summary(backup_hosts=["a"]))
    assert len(member) == 1 and "both the backup and the postgres group" in member[0]
    no_tls = inventory_problems(summary(backup_hosts=["r"], tls=False))
    assert len(no_tls) == 1 and "pgha_tls is off" in no_tls[0]
    assert inventory_problems(summary(tls=False)) == []


def test_a_cluster_name_that_could_escape_a_path_or_a_shell_is_refused():
    for bad in ["../etc", "a b", "x;reboot", "Prod", "-x", "a/b", "$(id)"]:
        problems = inventory_problems(summary(cluster_name=bad))
        assert problems == [
            f"pgha_cluster_name '{bad}' cannot be used: it names etcd keys, directories and certificates; "
            "use lower-case letters, digits, '-', '_' and '.' (starting and ending with a letter or digit)."
        ], bad
    for good in ["pgha", "prod-eu.1", "a"]:
        assert inventory_problems(summary(cluster_name=good)) == []


def test_client_cidrs_are_a_list_of_networks():
    assert inventory_problems(summary(client_cidrs=["10.1.0.0/24", "192.0.2.7/32", "2001:db8::/64"])) == []
    assert inventory_problems(summary(client_cidrs=["10.1.0.0/24", "10.1.0/33"])) == [
        "pgha_client_cidrs entry '10.1.0/33' is not a network like 10.0.0.0/24: fix it in the inventory."
    ]
    for bad in ["10.1.0.0/24", [], {"a": 1}]:
        problems = inventory_problems(summary(client_cidrs=bad))
        assert len(problems) == 1 and problems[0].startswith("pgha_client_cidrs ") and "is not a list of networks" in problems[0], bad


def test_the_old_single_bind_address_is_named_with_its_list():
    assert live(a={"haproxy_bind_address": "*"}) == [
        "Host a sets haproxy_bind_address, which is now haproxy_bind_addresses (a list; the default is pgha_address "
        "and the balancer VIP): rename it in the inventory."
    ]


GOOD_USERS = [
    {"name": "app", "connection_limit": 50, "privileges": [{"database": "app", "privileges": ["CONNECT", "temporary"]}]},
    {"name": "reader", "password": "s3cret", "member_of": ["pg_read_all_data"], "cidrs": ["10.9.0.0/24"],
     "attributes": ["NOINHERIT"]},
    {"name": "old", "state": "absent"},
]
GOOD_DATABASES = [{"name": "app", "owner": "app", "extensions": ["pgcrypto"]}, {"name": "gone", "state": "absent"}]


def test_users_and_databases_that_are_fine():
    assert inventory_problems(summary(users=GOOD_USERS, databases=GOOD_DATABASES)) == []
    assert inventory_problems(summary(users=[], databases=[])) == []


def test_a_password_that_is_not_a_string_is_named_without_its_value():
    problems = inventory_problems(summary(users=[{"name": "app", "password": 12345}], databases=[]))
    assert problems == [
        "pgha_users entry 'app': the password is not a string (YAML read it as a number): quote it (or take it from "
        "Vault), or leave it out to have one generated into the credentials directory."
    ]
    assert "12345" not in problems[0]


def test_an_owner_the_inventory_does_not_keep():
    problems = inventory_problems(summary(users=GOOD_USERS, databases=GOOD_DATABASES + [{"name": "app2", "owner": "old"}]))
    assert problems == ["pgha_databases entry 'app2': its owner 'old' is not a user of pgha_users (state: present); "
                        "add it there or name another owner."]
    assert inventory_problems(summary(users=[], databases=[{"name": "x", "owner": "postgres"}])) == []
    assert "has no owner" in inventory_problems(summary(users=[], databases=[{"name": "x"}]))[0]


def test_names_keys_attributes_and_privileges():
    cases = {
        "Bad-Name": [{"name": "Bad-Name"}],
        "unknown keys passwd": [{"name": "a", "passwd": "x"}],
        "cluster's own role": [{"name": "replicator"}],
        "appears twice": [{"name": "a"}, {"name": "a"}],
        "not given to application users": [{"name": "a", "attributes": ["SUPERUSER"]}],
        "unknown role attributes FLY": [{"name": "a", "attributes": ["FLY"]}],
        "connection_limit must be": [{"name": "a", "connection_limit": "many"}],
        "is not a network": [{"name": "a", "cidrs": ["10.0.0.0/33"]}],
        "which is not a database of pgha_databases": [{"name": "a", "privileges": [{"database": "nope", "privileges": ["CONNECT"]}]}],
        "unknown database privileges SELECT": [{"name": "a", "privileges": [{"database": "postgres", "privileges": ["SELECT"]}]}],
        "state must be present or absent": [{"name": "a", "state": "gone"}],
        "use login: false": [{"name": "a", "attributes": ["NOLOGIN"]}],
    }
    for expected, users in cases.items():
        problems = inventory_problems(summary(users=users, databases=[],
                                              reserved_users=["postgres", "replicator", "rewind_user", "pgbouncer_auth"]))
        assert len(problems) == 1 and expected in problems[0], (expected, problems)
    assert "must be a list" in inventory_problems(summary(users={"name": "a"}, databases=[]))[0]


def test_replica_max_lag_is_a_size():
    for good in ["16MB", "1048576", "", "1GB", "512kB"]:
        assert inventory_problems(summary(replica_max_lag=good)) == [], good
    assert len(inventory_problems(summary(replica_max_lag="1 GB"))) == 1  # HAProxy's check line takes no space
    assert inventory_problems(summary(replica_max_lag="lots")) == [
        "pgha_replica_max_lag 'lots' is not a size: use bytes or a size such as 16MB or 1GB (\"\" for no limit)."
    ]
