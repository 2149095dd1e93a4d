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


def run_playbook(playbook: Path, inventory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".cache" / "collections")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    ansible_playbook = Path(sys.executable).parent / "ansible-playbook"
    return subprocess.run(
        [str(ansible_playbook), "-i", str(inventory), str(playbook), *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


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
