"""The lab/REST helper of the drills and benchmarks (tests/drills/patroni_lab.py), without a lab."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "drills"))

import patroni_lab  # noqa: E402  pylint: disable=wrong-import-position


def member(name: str, role: str = "replica", state: str = "streaming", timeline: int = 2) -> dict[str, Any]:
    return {"name": name, "role": role, "state": state, "timeline": timeline}


WHOLE = [member("d1", "leader", "running"), member("d2"), member("d3", "sync_standby")]


def test_urls_come_from_the_collection_builder() -> None:
    assert patroni_lab.api_urls({"d1": "10.0.0.1", "d2": "fd00::2"}, 8443, "https") == {
        "d1": "https://10.0.0.1:8443", "d2": "https://[fd00::2]:8443"}


def test_running_leader() -> None:
    assert patroni_lab.running_leader(WHOLE) == "d1"
    assert patroni_lab.running_leader([member("d1", "leader", "stopped")]) is None
    assert patroni_lab.running_leader(None) is None


def test_verdict_whole() -> None:
    verdict = patroni_lab.cluster_verdict({"d1": WHOLE, "d2": WHOLE, "d3": WHOLE})
    assert verdict["healthy"] is True
    assert (verdict["leader"], verdict["replicas"]) == ("d1", ["d2", "d3"])


@pytest.mark.parametrize("seen", [
    {"d1": WHOLE, "d2": WHOLE, "d3": "URLError: refused"},
    {"d1": WHOLE, "d2": WHOLE, "d3": [member("d3", "leader", "running")]},
    {"d1": [member("d1", "leader", "running"), member("d2"), member("d3", state="starting")]} | {"d2": WHOLE, "d3": WHOLE},
    {"d1": [member("d1", "leader", "running"), member("d2"), member("d3", timeline=1)]} | {"d2": WHOLE, "d3": WHOLE},
    {"d1": WHOLE[:2], "d2": WHOLE[:2], "d3": WHOLE[:2]},
    {},
])
def test_verdict_not_whole(seen: dict[str, Any]) -> None:
    verdict = patroni_lab.cluster_verdict(seen)
    assert verdict["healthy"] is False
    assert verdict["reason"]
    assert "leader" not in verdict


def test_wait_returns_the_first_truthy_answer() -> None:
    answers = iter([None, None, "d2"])
    assert patroni_lab.wait(lambda: next(answers), timeout=5, interval=0) == "d2"
    assert patroni_lab.wait(lambda: None, timeout=0, interval=0) is None


def test_read_scenario_drills() -> None:
    lab = patroni_lab.read_scenario(ROOT / "molecule" / "drills")
    assert lab.members == {"d1": "172.30.78.11", "d2": "172.30.78.12", "d3": "172.30.78.13"}
    assert lab.balancer_vip == "172.30.78.100" and lab.leader_vip == "172.30.78.101"
    assert lab.credentials_dir.endswith("/credentials/pgha-drills")


def test_read_scenario_overrides_win_over_role_defaults(tmp_path: Path) -> None:
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "group_vars" / "all").mkdir(parents=True)
    (tmp_path / "host_vars" / "n1.yml").write_text("pgha_address: 10.1.2.3\n", encoding="utf-8")
    (tmp_path / "host_vars" / "n2.yml").write_text("pgha_address: 10.1.2.4\npgha_restapi_port: 9009\n",
                                                   encoding="utf-8")
    (tmp_path / "group_vars" / "all" / "all.yml").write_text(
        "pgha_restapi_port: 8100\npgha_haproxy_primary_port: 6000\npgha_credentials_dir: /tmp/c/{{ pgha_cluster_name }}\n"
        "pgha_cluster_name: c1\npgha_leader_vip: \"{{ pgha_address | regex_replace('[.][0-9]+$', '.9') }}\"\n",
        encoding="utf-8")
    lab = patroni_lab.read_scenario(tmp_path)
    assert lab.api_urls == {"n1": "https://10.1.2.3:8100", "n2": "https://10.1.2.4:9009"}  # TLS by default
    assert lab.ca_file == "/tmp/c/c1/tls/ca.crt"
    assert lab.primary_port == 6000
    assert lab.postgresql_port == 5432  # the pgha role's default
    assert lab.leader_vip == "10.1.2.9"
    assert lab.credentials_dir == "/tmp/c/c1"


def test_read_scenario_without_tls(tmp_path: Path) -> None:
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "host_vars" / "n1.yml").write_text("pgha_address: 10.1.2.3\n", encoding="utf-8")
    (tmp_path / "group_vars" / "all.yml").write_text("pgha_tls: false\npgha_credentials_dir: /tmp/c\n", encoding="utf-8")
    lab = patroni_lab.read_scenario(tmp_path)
    assert lab.api_urls == {"n1": "http://10.1.2.3:8008"}
    assert lab.api_scheme == "http" and lab.ca_file == ""


def test_no_port_is_hard_coded_in_the_tools() -> None:
    for path in [*(ROOT / "tests" / "drills").glob("*.py"), *(ROOT / "benchmarks").glob("*.py"),
                 *(ROOT / "benchmarks").glob("*.sh")]:
        text = path.read_text(encoding="utf-8")
        for port in ("8008", "5432", "5000", "5001"):
            assert f":{port}" not in text and f"={port}" not in text and f" {port}" not in text, (path.name, port)
