# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/filter/vip_problems.py: one owner per virtual address."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

_PATH = Path(__file__).resolve().parents[2] / "plugins" / "filter" / "vip_problems.py"
_SPEC = importlib.util.spec_from_file_location("pgha_vip_problems", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
vp = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = vp
_SPEC.loader.exec_module(vp)


def _settings(**kwargs: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "leader_vip_mode": "callback", "balancer_vip_enabled": True,
        "balancer_vip": "10.0.0.100", "leader_vip": "10.0.0.101", "network_cidr": "10.0.0.0/24",
        "member_addresses": {"a": "10.0.0.11", "b": "10.0.0.12"},
        "keepalived_modes": ["balancer"], "balancer_router_id": 51, "leader_router_id": 52,
        "bound": 20, "interval": 2, "timeout": 1, "fall": 4,
    }
    base.update(kwargs)
    return base


def test_good_settings() -> None:
    assert vp.vip_problems(_settings()) == []
    assert vp.vip_problems(_settings(leader_vip_mode="keepalived", keepalived_modes=["balancer", "leader"])) == []
    assert vp.vip_problems(_settings(leader_vip_mode="none", balancer_vip_enabled=False, keepalived_modes=[],
                                     balancer_vip="", leader_vip="")) == []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"leader_vip": "10.0.0.100"}, "two owners"),
        ({"leader_vip_mode": "callback", "keepalived_modes": ["balancer", "leader"]}, "callback script"),
        ({"leader_vip_mode": "none", "keepalived_modes": ["leader"]}, "nobody"),
        ({"leader_vip": "10.1.0.101"}, "outside pgha_network_cidr"),
        ({"balancer_vip": "10.0.0.255"}, "broadcast"),
        ({"balancer_vip": "10.0.0.12"}, "address of host b"),
        ({"leader_vip": ""}, "not set"),
        ({"leader_vip": "10.0.0.101/24"}, "without a prefix"),
        ({"leader_vip_mode": "vrrp"}, "not one of"),
        ({"balancer_vip_enabled": False}, "pgha_balancer_vip_enabled is false"),
        ({"leader_vip_mode": "keepalived", "keepalived_modes": ["balancer", "leader"], "leader_router_id": 51}, "must all differ"),
        ({"balancer_router_id": 300}, "1 to 255"),
        ({"fall": 10}, "bound"),
        ({"timeout": 3}, "longer than its interval"),
    ],
)
def test_bad_settings(change: dict[str, Any], words: str) -> None:
    problems = vp.vip_problems(_settings(**change))
    assert any(words in p for p in problems), problems


def test_replica_vip_has_its_own_address_and_router_id() -> None:
    problems = vp.vip_problems(_settings(replica_vip="", keepalived_modes=["balancer", "replica"]))
    assert any("pgha_replica_vip is not set" in p for p in problems), problems
    problems = vp.vip_problems(_settings(replica_vip="10.0.0.200", keepalived_modes=["balancer", "replica"],
                                         replica_router_id=51))
    assert any("must all differ" in p for p in problems), problems
