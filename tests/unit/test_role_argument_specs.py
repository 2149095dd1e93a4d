"""Every role documents exactly the variables of its defaults/main.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
ROLE_DIRS = sorted(p for p in ROLES.iterdir() if (p / "meta" / "argument_specs.yml").exists())


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_argument_specs_match_defaults(role: Path) -> None:
    defaults_file = role / "defaults" / "main.yml"
    defaults = yaml.safe_load(defaults_file.read_text()) if defaults_file.exists() else {}
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())
    # pgha has no tasks: its one entry point documents the shared variables
    # without a run-time validation task (preflight checks them).
    entry = "variables" if role.name == "pgha" else "main"
    options = specs["argument_specs"][entry].get("options") or {}
    assert sorted(set(defaults or {}) - set(options)) == [], "defaults without a spec"
    assert sorted(set(options) - set(defaults or {})) == [], "specs without a default"


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_role_variables_carry_the_role_prefix(role: Path) -> None:
    defaults_file = role / "defaults" / "main.yml"
    defaults = yaml.safe_load(defaults_file.read_text()) if defaults_file.exists() else {}
    prefix = role.name + "_"
    assert [k for k in (defaults or {}) if not k.startswith(prefix)] == []
