# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that build how members are reached, in one place."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import timing_problems
from ansible_collections.pgha.patroni.plugins.plugin_utils._cluster import etcd_members, patroni_api_url, patroni_members


def _api_url(address: Any, port: Any, scheme: str) -> str:
    try:
        return patroni_api_url(address, port, scheme)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"patroni_api_url: {exc}") from exc


def _members(hosts: list[str], hostvars: Any) -> list[dict[str, Any]]:
    try:
        return patroni_members(list(hosts), hostvars)
    except (TypeError, ValueError, KeyError) as exc:
        raise AnsibleFilterError(f"patroni_members: {exc}") from exc


def _etcd_members(hosts: list[str], hostvars: Any) -> list[dict[str, Any]]:
    try:
        return etcd_members(list(hosts), hostvars)
    except (TypeError, ValueError, KeyError) as exc:
        raise AnsibleFilterError(f"etcd_members: {exc}") from exc


def _masked(text: Any, secrets: list[Any]) -> str:
    """``text`` with every secret value replaced by ********."""
    out = str(text)
    for secret in sorted((str(s) for s in secrets if s not in (None, "")), key=len, reverse=True):
        out = out.replace(secret, "********")
    return out


class FilterModule:
    """pgha.patroni member filters."""

    def filters(self) -> dict[str, Any]:
        return {"patroni_api_url": _api_url, "patroni_members": _members, "etcd_members": _etcd_members, "timing_problems": timing_problems,
                "masked": _masked}
