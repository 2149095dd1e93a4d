"""Pure decision logic: configuration difference, validation, restart order, candidates."""

from __future__ import annotations

import pytest

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import (
    ValidationError,
    apply_patch,
    best_candidate,
    candidate_problem,
    changed_paths,
    config_patch,
    restart_order,
    select_restart_targets,
    shared_memory_direction,
    summarize,
    switched_to,
    validate_config,
    validate_timing,
)

CURRENT = {
    "ttl": 30,
    "loop_wait": 10,
    "retry_timeout": 10,
    "postgresql": {"use_pg_rewind": True, "parameters": {"max_connections": 100, "hot_standby": "on",
                                                         "work_mem": "4MB"}},
}


def cluster(*members, **extra):
    return {"members": list(members), **extra}


def m(name, role="replica", state="streaming", **kw):
    return {"name": name, "role": role, "state": state, "api_url": "http://10.0.0.1:8008/patroni", **kw}


class TestConfigPatch:
    def test_equal_values_need_nothing(self):
        assert config_patch(CURRENT, {"ttl": 30, "postgresql": {"parameters": {"max_connections": "100"}}}) == {}

    def test_booleans_compare_like_postgresql(self):
        assert config_patch(CURRENT, {"postgresql": {"parameters": {"hot_standby": True}}}) == {}

    def test_only_the_difference_is_sent(self):
        patch = config_patch(CURRENT, {"ttl": 30, "postgresql": {"parameters": {"max_connections": 200}}})
        assert patch == {"postgresql": {"parameters": {"max_connections": 200}}}
        assert changed_paths(patch) == ["postgresql.parameters.max_connections"]

    def test_null_deletes_existing_keys_only(self):
        assert config_patch(CURRENT, {"postgresql": {"parameters": {"work_mem": None, "absent": None}}}) == {
            "postgresql": {"parameters": {"work_mem": None}}}

    def test_new_nested_section(self):
        assert config_patch(CURRENT, {"standby_cluster": {"host": "x", "port": None}}) == {
            "standby_cluster": {"host": "x"}}

    def test_apply_patch(self):
        after = apply_patch(CURRENT, {"pause": True, "postgresql": {"parameters": {"work_mem": None}}})
        assert after["pause"] is True
        assert "work_mem" not in after["postgresql"]["parameters"]
        assert "work_mem" in CURRENT["postgresql"]["parameters"]  # not mutated

    def test_lists_compare_elementwise(self):
        current = {"postgresql": {"pg_hba": ["local all all trust"]}}
        assert config_patch(current, {"postgresql": {"pg_hba": ["local all all trust"]}}) == {}
        assert config_patch(current, {"postgresql": {"pg_hba": ["local all all peer"]}}) != {}


class TestValidation:
    def test_ttl_relation(self):
        with pytest.raises(ValidationError, match=r"config.ttl \(25\) must be at least config.loop_wait \+ 2 \* config.retry_timeout"):
            validate_timing({"ttl": 25, "loop_wait": 10, "retry_timeout": 10})
        validate_timing({"ttl": 30, "loop_wait": 10, "retry_timeout": 10})

    def test_minimums(self):
        with pytest.raises(ValidationError, match="minimum of 20"):
            validate_timing({"ttl": 10, "loop_wait": 1, "retry_timeout": 3})

    def test_types(self):
        with pytest.raises(ValidationError, match="config.ttl must be an integer"):
            validate_config({"ttl": "soon"}, {})
        with pytest.raises(ValidationError, match="pause must be true or false"):
            validate_config({"pause": "yes"}, CURRENT)
        with pytest.raises(ValidationError, match="single value"):
            validate_config({"postgresql": {"parameters": {"x": [1]}}}, CURRENT)
        validate_config({"ttl": "40", "postgresql": {"parameters": {"max_connections": 200}}}, CURRENT)


class TestRestartOrder:
    def members(self, old, new):
        reason = {"max_connections": {"old_value": str(old), "new_value": str(new)}}
        return [m("pg1", "leader", "running", pending_restart=True, pending_restart_reason=reason),
                m("pg2", pending_restart=True, pending_restart_reason=reason),
                m("pg3", pending_restart=True, pending_restart_reason=reason)]

    def test_rising_restarts_replicas_first(self):
        names, why = restart_order(self.members(100, 200))
        assert names == ["pg2", "pg3", "pg1"] and "rises" in why

    def test_falling_restarts_primary_first(self):
        names, why = restart_order(self.members(200, 100))
        assert names == ["pg1", "pg2", "pg3"] and "falls" in why

    def test_forced_order(self):
        assert restart_order(self.members(100, 200), "primary_first")[0][0] == "pg1"

    def test_mixed_directions_prefer_replicas_first(self):
        assert shared_memory_direction([
            {"max_connections": {"old_value": "100", "new_value": "200"}},
            {"max_worker_processes": {"old_value": "8", "new_value": "4"}},
        ]) == "up"

    def test_other_settings_do_not_count(self):
        assert shared_memory_direction([{"shared_buffers": {"old_value": "128MB", "new_value": "1GB"}}]) == "none"

    def test_targets(self):
        c = cluster(m("pg1", "leader", "running", pending_restart=True), m("pg2"), m("pg3", pending_restart=True))
        assert [x["name"] for x in select_restart_targets(c, None, "any", True)] == ["pg1", "pg3"]
        assert [x["name"] for x in select_restart_targets(c, None, "replica", False)] == ["pg2", "pg3"]
        assert [x["name"] for x in select_restart_targets(c, ["pg2"], "any", False)] == ["pg2"]


class TestCandidates:
    c = cluster(m("pg1", "leader", "running"), m("pg2", lag=50), m("pg3", lag=0, tags={"nofailover": True}),
                m("pg4", state="stopped"), m("pg5", lag=10))

    def test_problems(self):
        assert "not a member" in candidate_problem(self.c, "pg9")
        assert "nofailover" in candidate_problem(self.c, "pg3")
        assert "not healthy" in candidate_problem(self.c, "pg4")
        assert candidate_problem(self.c, "pg2") is None

    def test_best_candidate_has_least_lag_and_may_lead(self):
        assert best_candidate(self.c) == "pg5"

    def test_switched_to(self):
        done = cluster(m("pg1", timeline=2), m("pg2", "leader", "running", timeline=2), m("pg3", timeline=2))
        assert switched_to(done, "pg2", ["pg1", "pg2", "pg3"])
        lagging = cluster(m("pg1", state="stopped"), m("pg2", "leader", "running", timeline=2))
        assert not switched_to(lagging, "pg2", ["pg1", "pg2"])

    def test_summary(self):
        s = summarize(cluster(m("pg1", "leader", "running", pending_restart=True), m("pg2"), pause=True))
        assert s["leader"] == "pg1" and s["paused"] and s["pending_restart"] == ["pg1"]
