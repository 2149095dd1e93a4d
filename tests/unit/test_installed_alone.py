"""The built tarball, installed alone with only what galaxy.yml declares, resolves every module (issue 28, item 7).

``ansible-galaxy collection install`` of the tarball into an empty collections
path, plus the collections galaxy.yml declares (copied from the controller's
``ansible`` package, as Galaxy would install them), and nothing else: the
bundled collections of the ``ansible`` package are hidden. Every playbook of
the collection must then pass ``--syntax-check``, which resolves each module
and action a task names; a collection used but not declared fails it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def bundled_collections() -> Path:
    """The ansible package's collections (site-packages/ansible_collections), not this checkout's link."""
    for entry in sys.path:
        candidate = Path(entry) / "ansible_collections" / "ansible" / "posix"
        if candidate.is_dir():
            return candidate.parents[1]
    pytest.skip("the ansible package's collections are not installed")


def clean_env() -> dict[str, str]:
    """The environment without Ansible's settings (the test session's collections path among them)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}


def run(argv, **kwargs):
    kwargs.setdefault("env", clean_env())
    return subprocess.run(argv, check=False, capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("alone")
    built = run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(work), str(ROOT)])
    assert built.returncode == 0, built.stderr
    tarball = next(work.glob("pgha-patroni-*.tar.gz"))
    path = work / "collections"
    done = run([str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p", str(path), str(tarball)])
    assert done.returncode == 0, done.stderr
    declared = (yaml.safe_load((ROOT / "galaxy.yml").read_text()) or {}).get("dependencies") or {}
    source = bundled_collections()
    for name in declared:
        namespace, collection = name.split(".")
        shutil.copytree(source / namespace / collection, path / "ansible_collections" / namespace / collection)
    return path


def syntax_check(path: Path, playbook: str):
    env = clean_env()
    env.update(ANSIBLE_COLLECTIONS_PATH=str(path), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_HOME=str(path.parent / "home"), ANSIBLE_LOCAL_TEMP=str(path.parent / "tmp"))
    return run([str(BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,", playbook],
               env=env, cwd=str(path.parent))


def test_every_playbook_resolves_with_only_the_declared_dependencies(installed):
    playbooks = sorted(p.stem for p in (ROOT / "playbooks").glob("*.yml"))
    assert "site" in playbooks
    failed = {}
    for name in playbooks:
        result = syntax_check(installed, f"pgha.patroni.{name}")
        if result.returncode != 0:
            failed[name] = (result.stderr or result.stdout)[-600:]
    assert not failed, failed


def test_the_check_fails_without_a_declared_dependency(installed, tmp_path):
    # The test above cannot pass by resolving nothing: without community.crypto, site fails.
    bare = tmp_path / "collections"
    shutil.copytree(installed, bare, symlinks=True)
    shutil.rmtree(bare / "ansible_collections" / "community" / "crypto")
    result = syntax_check(bare, "pgha.patroni.site")
    assert result.returncode != 0
    assert "community.crypto" in (result.stderr + result.stdout)
