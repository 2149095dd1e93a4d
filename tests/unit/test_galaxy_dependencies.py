"""Every collection a default run calls is declared in galaxy.yml (issue 28, item 7).

An install with ansible-core alone resolves only what galaxy.yml declares: a
role that calls community.crypto without declaring it fails at its first task
on such a controller. This reads every FQCN the runtime files name (roles,
playbooks, site.yml, plugins) and compares the collections with the
dependencies.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ["roles", "playbooks", "site.yml", "plugins"]
FQCN = re.compile(r"(?<![\w./-])([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*\b")
# Part of ansible-core itself, or this collection.
BUILT_IN = {"ansible.builtin", "ansible.module_utils", "ansible.plugins", "ansible.errors",
            "ansible.utils", "ansible.parsing", "ansible.template", "ansible.legacy", "ansible.netcommon_",
            "pgha.patroni"}
NAMESPACES = {"ansible", "community", "containers", "kubernetes", "amazon", "google", "azure", "cloud"}


def used_collections() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for entry in RUNTIME:
        path = ROOT / entry
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.suffix in {".yml", ".yaml", ".py", ".j2"}]
        for file in files:
            for match in FQCN.finditer(file.read_text(encoding="utf-8")):
                name = f"{match.group(1)}.{match.group(2)}"
                if match.group(1) in NAMESPACES and name not in BUILT_IN:
                    found.setdefault(name, set()).add(str(file.relative_to(ROOT)))
    return found


def test_every_collection_the_runtime_calls_is_declared():
    declared = set((yaml.safe_load((ROOT / "galaxy.yml").read_text()) or {}).get("dependencies") or {})
    missing = {name: sorted(files)[:3] for name, files in used_collections().items() if name not in declared}
    assert not missing, f"used but not declared in galaxy.yml dependencies: {missing}"


def test_the_scan_finds_what_the_tls_role_calls():
    # The test above cannot pass by finding nothing.
    assert "community.crypto" in used_collections()
