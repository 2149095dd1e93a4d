# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load a role's standalone script (roles/<role>/files/<name>.py, no package) as a module for its tests."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROLES = Path(__file__).resolve().parents[2] / "roles"


def load_script(role: str, filename: str) -> ModuleType:
    """roles/<role>/files/<filename> as a module named after the file."""
    name = Path(filename).stem
    loader = importlib.machinery.SourceFileLoader(name, str(ROLES / role / "files" / filename))
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module
