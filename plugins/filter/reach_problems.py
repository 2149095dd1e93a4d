# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Explain why managed hosts could not be reached or could not become root."""

from __future__ import annotations

DOCUMENTATION = r"""
name: reach_problems
short_description: One sentence per host that cannot be managed
version_added: 0.2.0
description:
  - Takes C(hostvars) and the hosts of the play after the preflight role's
    C(reach) step (a C(setup) task with C(become), registered as
    C(__preflight_reach)) and returns one sentence per host that is
    unreachable, whose SSH key is missing on the controller, that cannot
    become root, or that runs a system the roles cannot serve (anything but
    Debian 12 or newer on x86_64). An empty list means every host can be
    managed.
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The hosts to judge (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
author: pgha.patroni contributors
"""

EXAMPLES = r"""
- name: Stop when a host cannot be managed
  ansible.builtin.fail:
    msg: "{{ hostvars | pgha.patroni.reach_problems(ansible_play_hosts_all) }}"
  when: hostvars | pgha.patroni.reach_problems(ansible_play_hosts_all) | length > 0
"""

RETURN = r"""
_value:
  description: One sentence per host that cannot be managed; empty when all can.
  type: list
  elements: str
"""

import os
import re
from typing import Any


# What a refused privilege escalation looks like (sudo, su, doas; Ansible's own wording).
BECOME_FAILURE = re.compile(r"sudo|password is required|privilege escalation|become|not in the sudoers|"
                            r"Incorrect .*password|Timeout \(\d+s\) waiting for privilege", re.IGNORECASE)


def _short(text: Any, limit: int = 300) -> str:
    """One line, at most limit characters."""
    return re.sub(r"\s+", " ", str(text or "")).strip()[:limit]


def host_problem(host: str, hv: Any) -> str | None:
    """The sentence for one host, or None when it can be managed."""
    result = hv.get("__preflight_reach") or {}
    user = hv.get("ansible_user") or hv.get("ansible_ssh_user") or "the login user"
    connection = hv.get("ansible_connection") or "ssh"
    where = f"{host} ({hv.get('ansible_host') or host})"
    key = hv.get("ansible_ssh_private_key_file") or hv.get("ansible_private_key_file")
    cause = _short(re.sub(r"^(Task failed: )+", "", str(result.get("msg") or "")))
    if result.get("unreachable"):
        if key and not os.path.isfile(os.path.expanduser(str(key))):
            return (f"{where}: the SSH key {key} does not exist on the controller; "
                    "create it or correct ansible_ssh_private_key_file.")
        return (f"{where}: unreachable over {connection} as {user} ({cause}); check the address, "
                f"that sshd runs there, and that the key of {user} is authorized.")
    if result.get("failed") or "ansible_facts" not in result:
        if BECOME_FAILURE.search(cause):
            return (f"{where}: reached as {user} but cannot become root ({cause}); "
                    f"give {user} sudo rights (passwordless, or run with --ask-become-pass).")
        return f"{where}: reached as {user} but reading its facts as root failed ({cause or 'no answer'})."
    return platform_problem(where, result["ansible_facts"])


# What the roles can serve: apt, systemd and Debian's package names, x86_64 builds.
SUPPORTED_DISTRIBUTION = "Debian"
SUPPORTED_MIN_MAJOR = 12
SUPPORTED_ARCHITECTURES = ("x86_64",)


def platform_problem(where: str, facts: dict[str, Any]) -> str | None:
    """The sentence for a host whose system the roles cannot serve, or None."""
    def fact(name: str) -> str:
        return str(facts.get(name) or facts.get("ansible_" + name) or "")
    distribution, major, arch = fact("distribution"), fact("distribution_major_version"), fact("architecture")
    if not distribution and not arch:
        return None  # a host that answered without platform facts (tests); judged by the roles
    supported = (distribution == SUPPORTED_DISTRIBUTION and major.isdigit() and int(major) >= SUPPORTED_MIN_MAJOR
                 and arch in SUPPORTED_ARCHITECTURES)
    if supported:
        return None
    system = f"{distribution or 'an unknown system'} {fact('distribution_version') or major}".strip()
    return (f"{where}: runs {system} on {arch or 'an unknown architecture'}, which the roles cannot serve; "
            f"they support {SUPPORTED_DISTRIBUTION} {SUPPORTED_MIN_MAJOR} or newer on "
            f"{' or '.join(SUPPORTED_ARCHITECTURES)} - use such a host.")


def reach_problems(hostvars: Any, hosts: list[str]) -> list[str]:
    """host_problem() for every host, the ones that can be managed left out."""
    problems = (host_problem(h, hostvars[h]) for h in hosts)
    return [p for p in problems if p]


class FilterModule:
    """pgha.patroni reachability filter."""

    def filters(self) -> dict[str, Any]:
        return {"reach_problems": reach_problems}
