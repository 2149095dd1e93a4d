"""Make the collection importable as ansible_collections.pgha.patroni."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".cache" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "pgha" / "patroni"

if not (LINK / "plugins").exists():
    subprocess.run([str(ROOT / "lab" / "link-collection.sh")], check=True)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
