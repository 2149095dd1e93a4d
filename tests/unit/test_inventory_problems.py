"""The preflight checks, as pure functions."""

from __future__ import annotations

from ansible_collections.pgha.patroni.plugins.filter.inventory_problems import (
    inventory_problems,
    preflight_problems,
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
        "patroni_ttl (20) is smaller than patroni_loop_wait + 2 * patroni_retry_timeout (10 + 2 * 10 = 30); "
        "Patroni would silently change these values. Raise patroni_ttl or lower the other two."
    ]
    assert inventory_problems(summary(timing={"ttl": "x", "loop_wait": 1, "retry_timeout": 1}))


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
    problems = preflight_problems(hostvars, groups, ["pgha_cluster_name"])
    assert problems == [
        "The variable pgha_cluster_name (hosts: b) is not set: define it in the inventory's group_vars (see inventories/example)."
    ]
