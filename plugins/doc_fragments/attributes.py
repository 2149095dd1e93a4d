# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Attributes shared by every pgha.patroni module.

    Also the usual support levels (full check mode, no diff mode, idempotent) and
    the membership of the action group C(pgha.patroni.patroni);
    a module lists under its own C(attributes) only what differs.
    """

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    support: full
    description:
      - Can run in check mode and return the changed status prediction without
        sending any request that changes the cluster (only reads are sent).
  diff_mode:
    support: none
    description:
      - Will return details on what has changed (or possibly needs changing in
        check mode), when in diff mode.
  idempotent:
    support: full
    description:
      - When run twice in a row with the same arguments against an unchanged cluster,
        the second run reports no change.
  action_group:
    support: full
    membership:
      - pgha.patroni.patroni
    description:
      - Use C(group/pgha.patroni.patroni) in C(module_defaults) to give every module of the
        collection the same connection options (API URLs, credentials, CA) once per play.
"""
