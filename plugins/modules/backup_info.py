#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_info
short_description: Read a pgBackRest stanza - its backups, WAL range and sizes - and check a recovery target
version_added: 0.2.0
description:
  - Runs C(pgbackrest info --output=json) for one stanza on the host it runs on (the repository host, or a member
    whose C(pgbackrest.conf) points at it) and returns the backups, the last full, differential and incremental one,
    the archived WAL range and the sizes.
  - With O(target_time) or O(target_lsn) it also says whether a point-in-time recovery to that target can start from
    one of the backups (one must have ended before it, in whole seconds as pgBackRest counts), and from which; without either, whether a restore of
    the newest state is possible. C(playbooks/restore.yml) refuses a target this module calls unreachable.
  - Never changes anything. Run it as the user pgBackRest runs as on that host (C(become_user)), so that
    pgBackRest's lock and log files keep their owner.
author: pgha.patroni maintainers (@pgha)
options:
  stanza:
    description: The stanza, C(pgha_backup_stanza) (the cluster name by default).
    type: str
    required: true
  config:
    description: pgBackRest's configuration file.
    type: path
    default: /etc/pgbackrest/pgbackrest.conf
  executable:
    description: The pgbackrest program.
    type: path
    default: /usr/bin/pgbackrest
  target_time:
    description:
      - A recovery target time with its time zone, for example V(2026-11-26 12:00:00+00).
      - Mutually exclusive with O(target_lsn).
    type: str
  target_lsn:
    description:
      - A recovery target LSN as PostgreSQL prints it, for example V(0/3000060).
      - Mutually exclusive with O(target_time).
    type: str
  fail_unreachable:
    description: Fail, with the reason, when the target (or, without one, the newest state) cannot be restored.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Only reads; runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  idempotent:
    support: full
    description: Reports no change, ever.
notes:
  - The repository's status codes 1 and 3 (the stanza was never created) are not errors; RV(exists) is then V(false).
    Code 2 (no valid backup) is not either. Any other code (99 - the repository could not be read) fails the module.
  - Backups with page checksum errors are listed and can be chosen, as pgBackRest itself chooses them.
seealso:
  - name: pgBackRest info command
    description: The output this module reads.
    link: https://pgbackrest.org/command.html#command-info
"""

EXAMPLES = r"""
- name: Read the backups of the cluster's stanza on the repository host
  pgha.patroni.backup_info:
    stanza: "{{ pgha_backup_stanza }}"
  become: true
  become_user: pgbackrest
  register: backups

- name: Show the last full backup and the archived WAL
  ansible.builtin.debug:
    msg: "{{ backups.last_full.label }} ({{ backups.last_full.stop_time }}); WAL {{ backups.wal.min }} - {{ backups.wal.max }}"

- name: Refuse a point-in-time recovery the repository cannot reach
  pgha.patroni.backup_info:
    stanza: "{{ pgha_backup_stanza }}"
    target_time: "2026-11-26 12:00:00+00"
    fail_unreachable: true
  become: true
  become_user: pgbackrest
"""

RETURN = r"""
exists:
  description: Whether the stanza was created in the repository.
  returned: always
  type: bool
status:
  description: pgBackRest's status of the stanza (code 0 is V(ok)).
  returned: always
  type: dict
  sample: {code: 0, message: ok}
backups:
  description: Every backup of the stanza, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    label:
      description: The backup's label, for example V(20261126-121000F).
      type: str
    type:
      description: V(full), V(diff) or V(incr).
      type: str
    prior:
      description: The backup a differential or incremental one builds on.
      type: str
    error:
      description: Whether pgBackRest found page checksum errors in it.
      type: bool
    start:
      description: When it started, seconds since the epoch.
      type: int
    stop:
      description: When it ended, seconds since the epoch.
      type: int
    start_time:
      description: When it started, ISO 8601 in UTC.
      type: str
    stop_time:
      description: When it ended, ISO 8601 in UTC.
      type: str
    lsn_start:
      description: The LSN it started at.
      type: str
    lsn_stop:
      description: The LSN it ended at; a recovery target must not be older.
      type: str
    wal_start:
      description: The first WAL segment it needs.
      type: str
    wal_stop:
      description: The last WAL segment it needs.
      type: str
    size:
      description: Size of the database it copied, in bytes.
      type: int
    delta:
      description: Bytes it copied (less than RV(backups[].size) for differential and incremental backups).
      type: int
    repo_size:
      description: Size in the repository, compressed, in bytes.
      type: int
    repo_delta:
      description: Bytes it added to the repository, compressed.
      type: int
last_full:
  description: The newest full backup (same fields as RV(backups)), or null.
  returned: always
  type: dict
last_diff:
  description: The newest differential backup, or null.
  returned: always
  type: dict
last_incr:
  description: The newest incremental backup, or null.
  returned: always
  type: dict
oldest:
  description: The oldest backup, or null; no recovery reaches further back.
  returned: always
  type: dict
newest:
  description: The newest backup, or null.
  returned: always
  type: dict
wal:
  description: The archived WAL range of the current database.
  returned: always
  type: dict
  sample: {min: "000000010000000000000001", max: "000000010000000000000007"}
repo_size:
  description: Bytes the stanza's backups take in the repository (compressed), without the WAL archive.
  returned: always
  type: int
system_id:
  description: The database system identifier the stanza belongs to.
  returned: always
  type: int
pg_version:
  description: The PostgreSQL major version of the stanza's current database.
  returned: always
  type: str
target:
  description: Whether a recovery can reach the target, and from which backup.
  returned: always
  type: dict
  contains:
    type:
      description: V(time), V(lsn) or V(latest).
      type: str
    value:
      description: The target as given.
      type: str
    reachable:
      description: Whether a restore to it can start from a backup of the repository.
      type: bool
    backup:
      description: The label of the backup a restore would start from.
      type: str
    reason:
      description: Why it cannot be reached (empty when it can).
      type: str
    option:
      description:
        - The target as C(pgbackrest restore --target) takes it - a time in UTC written C(YYYY-MM-DD HH:MM:SS+00), or the
          LSN; null for V(latest).
      type: str
  sample: {type: time, value: "2026-11-26 13:00:00+01:00", option: "2026-11-26 12:00:00+00", reachable: true,
           backup: 20261126-115500F, reason: ""}
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.patroni.plugins.module_utils._pgbackrest import STATUS_KNOWN, stanza_summary, target_check


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            stanza=dict(type="str", required=True),
            config=dict(type="path", default="/etc/pgbackrest/pgbackrest.conf"),
            executable=dict(type="path", default="/usr/bin/pgbackrest"),
            target_time=dict(type="str"),
            target_lsn=dict(type="str"),
            fail_unreachable=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("target_time", "target_lsn")],
        supports_check_mode=True,
    )
    params = module.params
    command = [params["executable"], "--config=" + params["config"], "--stanza=" + params["stanza"],
               "--output=json", "--log-level-file=off", "info"]
    rc, out, err = module.run_command(command)
    if rc != 0:
        module.fail_json(msg=f"pgbackrest info of stanza {params['stanza']} failed (exit {rc}): {(err or out).strip()}",
                         rc=rc, stdout=out, stderr=err)
    try:
        info = json.loads(out)
    except ValueError:
        module.fail_json(msg=f"pgbackrest info printed no JSON: {out[:500]}", stdout=out, stderr=err)
    result = stanza_summary(info, params["stanza"])
    code = result["status"]["code"]
    if code not in STATUS_KNOWN:
        # pgbackrest info exits 0 when it cannot read the repository: say so
        module.fail_json(msg=f"The repository could not tell about stanza {params['stanza']}: status {code}, "
                             f"{result['status']['message']}", status=result["status"])
    result["target"] = target_check(result, params["target_time"], params["target_lsn"])
    if params["fail_unreachable"] and not result["target"]["reachable"]:
        module.fail_json(msg=f"Stanza {params['stanza']}: {result['target']['reason']}", changed=False, target=result["target"])
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
