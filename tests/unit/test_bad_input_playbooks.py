"""Bad inventories fail in preflight, with a clear message, before any host is touched.

Each case runs the real site.yml with ansible-playbook against an inventory
whose hosts do not exist: had any play reached a host, the run would report
it UNREACHABLE, so the absence of that word proves nothing was touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INVENTORIES = ROOT / "tests" / "playbooks" / "inventories"


def run_playbook(playbook: Path, inventory: Path | str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".cache" / "collections")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    ansible_playbook = Path(sys.executable).parent / "ansible-playbook"
    return subprocess.run(
        [str(ansible_playbook), "-i", str(inventory), str(playbook), *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def run_case_playbook(name: str) -> str:
    """Run a localhost playbook of tests/playbooks that asserts its own cases; return its output."""
    result = run_playbook(ROOT / "tests" / "playbooks" / name, "localhost,")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.mark.parametrize(
    ("inventory", "message"),
    [
        ("even_etcd", "The etcd group has 2 members (n1, n2): etcd needs an odd number"),
    ],
)
def test_site_refuses_bad_inventory_before_touching_hosts(inventory: str, message: str) -> None:
    result = run_playbook(ROOT / "site.yml", INVENTORIES / inventory / "hosts.yml")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert message in output, output
    assert "UNREACHABLE" not in output, output
    assert "changed=0" in output, output


def test_site_refuses_vips_ports_versions_and_old_names_before_any_host() -> None:
    """VIP ownership, port collisions, versions and renamed variables: all refused on the controller."""
    result = run_playbook(ROOT / "site.yml", INVENTORIES / "bad_vips" / "hosts.yml")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for sentence in (
        "The inventory has 5 problem(s); nothing was changed:",
        "Host n3 sets patroni_ttl, which is now pgha_ttl: rename it in the inventory.",
        "Host n2 would listen on port 5000 for pgha_restapi_port and pgha_haproxy_primary_port",
        "PostgreSQL 12 is not supported by these roles",
        "pgha_leader_vip 127.0.0.12 is the address of host n2: a VIP must be an address no host owns.",
        "pgha_balancer_vip and pgha_replica_vip are both 127.0.0.100: one address would have two owners",
    ):
        assert sentence in output, (sentence, output)
    assert "UNREACHABLE" not in output, output
    assert "PLAY [Reach every host" not in output, output


def test_limit_does_not_skip_the_inventory_check() -> None:
    """--limit skips the localhost play; the reach play checks the inventory before contacting a host."""
    result = run_playbook(ROOT / "site.yml", INVENTORIES / "bad_vips" / "hosts.yml", "--limit", "n3")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Host n3 sets patroni_ttl, which is now pgha_ttl" in output, output
    assert "UNREACHABLE" not in output, output


def test_site_names_hosts_it_cannot_manage_and_changes_nothing() -> None:
    """Unreachable hosts and a missing key stop the run in the reach play, each named with its cause."""
    result = run_playbook(ROOT / "site.yml", INVENTORIES / "unreachable" / "hosts.yml")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Cannot manage 3 host(s); nothing was changed" in output, output
    assert "n1 (127.0.0.1): unreachable over ssh as pgha-nobody" in output, output
    assert "n2 (127.0.0.1): the SSH key /nonexistent/pgha-test-key does not exist on the controller" in output, output
    assert "PLAY [Consensus store]" not in output, output
    assert "changed=1" not in output, output


def test_files_module_check_change_idempotent() -> None:
    """pgha.patroni.files: check mode, change, no change, refused validate, drift corrected."""
    run_case_playbook("files_module.yml")


@pytest.fixture(scope="module")
def postgresql_bad_input_run() -> str:
    """Run every case of tests/playbooks/postgresql_bad_checksum.yml once (localhost, no docker)."""
    return run_case_playbook("postgresql_bad_checksum.yml")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("bad_checksum", "postgresql_source_checksum says sha256:" + "0" * 64),
        ("missing_checksum", "postgresql_source_checksum is empty"),
        ("malformed_checksum", "but must look like"),
        ("missing_archive", "but no such file exists on the controller"),
    ],
)
def test_postgresql_role_refuses_bad_source_before_changing_anything(
    postgresql_bad_input_run: str, case: str, message: str,
) -> None:
    """The playbook itself asserts the failure and that nothing was created; check each message."""
    reports = [line for line in postgresql_bad_input_run.splitlines() if f"case {case}: role failed: " in line]
    assert len(reports) == 1, postgresql_bad_input_run
    assert message in reports[0], reports[0]
    if case == "bad_checksum":
        assert "The checksum of " in reports[0] and " is sha256:" in reports[0], reports[0]


@pytest.fixture(scope="module")
def patroni_safety_run() -> str:
    """Run every case of tests/playbooks/patroni_safety.yml once (localhost, no docker)."""
    return run_case_playbook("patroni_safety.yml")


@pytest.mark.parametrize(
    ("case", "outcome"),
    [
        ("watchdog_required_missing",
         "role failed: patroni_watchdog_mode is required but there is no watchdog device on localhost"),
        ("watchdog_automatic_missing", "role passed"),
        ("watchdog_off", "role passed"),
        ("watchdog_margin_too_small", "set patroni_watchdog_safety_margin between 1 and 10"),
        ("watchdog_margin_too_large", "(20 - 12 = 8 s) must be at least pgha_loop_wait + pgha_retry_timeout (11 s)"),
        ("watchdog_mode_unquoted_off", "unquoted, YAML reads it as false"),
        ("durability_strict", "role passed"),
        ("durability_strict_overridden", "patroni_durability is strict but patroni_synchronous_mode (False)"),
        ("durability_unknown", "patroni_durability is sync but must be async or strict"),
        ("durability_strict_alone", "patroni_synchronous_mode_strict is true but patroni_synchronous_mode is false"),
    ],
)
def test_patroni_role_refuses_unsafe_split_brain_settings(patroni_safety_run: str, case: str, outcome: str) -> None:
    """required without a device fails in preflight; automatic warns and continues; bad profiles fail."""
    reports = [line for line in patroni_safety_run.splitlines() if f"case {case}: role " in line]
    assert len(reports) == 1, patroni_safety_run
    assert outcome in reports[0], reports[0]
    if case == "watchdog_required_missing":
        assert "Load softdog on the host" in reports[0], reports[0]
        assert "set patroni_watchdog_mode to automatic (run without) or" in reports[0], reports[0]
    if case == "watchdog_automatic_missing":
        assert "WARNING: no watchdog device on localhost" in patroni_safety_run, patroni_safety_run
