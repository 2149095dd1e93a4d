# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of inventory values shared by the preflight filters (controller side)."""

from __future__ import annotations

import ipaddress
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network_cidr(cidr: Any) -> tuple[Network | None, list[str]]:
    """pgha_network_cidr as a network, or None with the sentence that says why not."""
    try:
        return ipaddress.ip_network(str(cidr), strict=False), []
    except ValueError:
        return None, [f"pgha_network_cidr '{cidr}' is not a network like 10.0.0.0/24."]
