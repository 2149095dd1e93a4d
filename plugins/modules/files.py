#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: files
short_description: Directories, files and symbolic links of one service in a single task
version_added: 0.2.0
description:
  - Brings a set of directories, files (content given by the caller, typically from the
    C(ansible.builtin.template) lookup) and symbolic links to the asked-for state in one
    module run, so a re-run where nothing differs costs one round trip instead of two per
    file (C(ansible.builtin.template) runs a C(stat) and then a C(file) module per file).
  - Directories are created first, then files, then links, in the order given.
  - A file is replaced only when its content differs, atomically, after the optional
    O(files[].validate) command accepted the new content; owner, group and mode are
    corrected whenever they differ.
  - A new file is written under a temporary name, given its owner and mode, and only then renamed
    into place, so a file that holds a secret is never readable by others.
  - The roles of this collection group the files of one service by the handler their changes call.
author: pgha.patroni maintainers (@pgha)
extends_documentation_fragment:
  - pgha.patroni.attributes
attributes:
  check_mode:
    support: full
    description:
      - Reports which paths would change, and with C(--diff) how their content would, without writing anything.
  diff_mode:
    support: full
    details: Content changes only; owner, mode and links are reported in RV(changed_paths).
  action_group:
    support: none
    membership: []
options:
  directories:
    description: Directories to create (with parents) and whose ownership and mode to enforce.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Absolute path., type: path, required: true}
      owner: {description: Owner name., type: str}
      group: {description: Group name., type: str}
      mode: {description: Octal mode as a string (V("0750")). Left as it is when omitted., type: str}
  files:
    description: Regular files with their whole content.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Absolute path; the parent directory must exist or be listed in O(directories)., type: path, required: true}
      content: {description: The whole content of the file., type: str, required: true}
      owner: {description: Owner name., type: str}
      group: {description: Group name., type: str}
      mode: {description: Octal mode as a string (V("0640")). New files get V("0644") when omitted., type: str}
      validate:
        description:
          - Command run on a temporary copy before it replaces the file; C(%s) is the temporary
            file's path. A non-zero exit fails the task and leaves the file as it was.
        type: str
  links:
    description: Symbolic links; an existing link that points elsewhere is replaced.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Path of the link., type: path, required: true}
      src: {description: What the link points to., type: path, required: true}
notes:
  - Only the standard library and C(ansible.module_utils.basic) are used on the managed host.
  - Give the task C(no_log) when a file holds a secret; the diff then stays out of the output.
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.file
"""

EXAMPLES = r"""
- name: Write the etcd configuration and its unit
  pgha.patroni.files:
    directories:
      - {path: /etc/etcd, owner: root, group: etcd, mode: "0750"}
    files:
      - path: /etc/etcd/etcd.conf.yml
        content: "{{ lookup('ansible.builtin.template', 'etcd.conf.yml.j2') }}"
        owner: root
        group: etcd
        mode: "0640"
      - path: /etc/systemd/system/etcd.service
        content: "{{ lookup('ansible.builtin.template', 'etcd.service.j2') }}"
        mode: "0644"
    links:
      - {path: /usr/local/bin/patronictl, src: /opt/patroni/bin/patronictl}
  notify: etcd restart
"""

RETURN = r"""
changed_paths:
  description: The paths that were (or in check mode would be) created or modified.
  returned: always
  type: list
  elements: str
  sample: [/etc/etcd/etcd.conf.yml]
"""

import os
import stat
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text


def _attrs(module: AnsibleModule, item: dict[str, Any], path: str) -> dict[str, Any]:
    """File arguments in the form set_fs_attributes_if_different() takes."""
    args = {"path": path, "owner": item.get("owner"), "group": item.get("group"), "mode": item.get("mode")}
    return module.load_file_common_arguments(args)


def ensure_directory(module: AnsibleModule, item: dict[str, Any]) -> bool:
    path = item["path"]
    changed = False
    if not os.path.isdir(path):
        if os.path.lexists(path):
            module.fail_json(msg=f"{path} exists but is not a directory; remove it or choose another path.")
        changed = True
        if not module.check_mode:
            os.makedirs(path)
    if module.check_mode and changed:
        return True
    return module.set_fs_attributes_if_different(_attrs(module, item, path), changed)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _prepare_temp(module: AnsibleModule, item: dict[str, Any], tmp: str, current: os.stat_result | None) -> None:
    """Give the temporary file its final owner and mode before it is renamed into place.

    A file that holds a secret is never readable by others, not even for a moment: the
    temporary file is 0600 (mkstemp) while its owner changes, and then gets its final mode
    at once (the one asked for, else the current file's, else 0644), never a wider one first.
    """
    if current is not None:
        os.chown(tmp, current.st_uid, current.st_gid)
    module.set_fs_attributes_if_different({**_attrs(module, item, tmp), "mode": None}, False)
    if item.get("mode"):
        module.set_fs_attributes_if_different({**_attrs(module, item, tmp), "owner": None, "group": None}, False)
    else:
        os.chmod(tmp, stat.S_IMODE(current.st_mode) if current is not None else 0o644)


def ensure_file(module: AnsibleModule, item: dict[str, Any], diffs: list[dict[str, str]]) -> bool:
    path = item["path"]
    if os.path.islink(path):
        path = os.path.realpath(path)   # like ansible.builtin.template: write through the link
    wanted = to_bytes(item["content"], errors="surrogate_or_strict")
    if os.path.isdir(path):
        module.fail_json(msg=f"{path} is a directory, not a file; remove it or choose another path.")
    current = _read(path)
    changed = current != wanted
    if changed:
        diffs.append({"before_header": path, "after_header": path,
                      "before": to_text(current or b"", errors="surrogate_or_replace"),
                      "after": to_text(wanted, errors="surrogate_or_replace")})
        if module.check_mode:
            return True
        parent = os.path.dirname(path) or "."
        if not os.path.isdir(parent):
            module.fail_json(msg=f"The directory {parent} of {path} does not exist; list it under directories.")
        if item.get("validate") and "%s" not in item["validate"]:
            module.fail_json(msg=f"validate for {path} must contain %s (the file to check).")
        fd, tmp = tempfile.mkstemp(prefix=".pgha-", dir=parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(wanted)
            if item.get("validate"):
                rc, out, err = module.run_command(item["validate"] % tmp)
                if rc != 0:
                    module.fail_json(msg=f"{path} was not replaced: validate ({item['validate']}) refused the new "
                                         f"content: {(err or out).strip()}", rc=rc)
            _prepare_temp(module, item, tmp, os.stat(path) if current is not None else None)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return True
    return module.set_fs_attributes_if_different(_attrs(module, item, path), False)


def ensure_link(module: AnsibleModule, item: dict[str, Any]) -> bool:
    path, src = item["path"], item["src"]
    if os.path.islink(path) and os.readlink(path) == src:
        return False
    if os.path.lexists(path) and not os.path.islink(path):
        module.fail_json(msg=f"{path} exists and is not a symbolic link; remove it or choose another path.")
    if not os.path.isdir(os.path.dirname(path) or "."):
        module.fail_json(msg=f"The directory of the link {path} does not exist; list it under directories.")
    if not module.check_mode:
        tmp = f"{path}.pgha-tmp"
        try:
            if os.path.lexists(tmp):
                os.unlink(tmp)
            os.symlink(src, tmp)
            os.replace(tmp, path)
        except OSError as err:
            if os.path.lexists(tmp):
                os.unlink(tmp)
            module.fail_json(msg=f"Could not point {path} at {src}: {err}")
    return True


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "directories": {"type": "list", "elements": "dict", "default": [], "options": {
                "path": {"type": "path", "required": True},
                "owner": {"type": "str"}, "group": {"type": "str"}, "mode": {"type": "str"}}},
            "files": {"type": "list", "elements": "dict", "default": [], "options": {
                "path": {"type": "path", "required": True},
                "content": {"type": "str", "required": True},
                "owner": {"type": "str"}, "group": {"type": "str"}, "mode": {"type": "str"},
                "validate": {"type": "str"}}},
            "links": {"type": "list", "elements": "dict", "default": [], "options": {
                "path": {"type": "path", "required": True},
                "src": {"type": "path", "required": True}}},
        },
        supports_check_mode=True,
    )
    changed_paths: list[str] = []
    diffs: list[dict[str, str]] = []
    for item in module.params["directories"]:
        if ensure_directory(module, item):
            changed_paths.append(item["path"])
    for item in module.params["files"]:
        if ensure_file(module, item, diffs):
            changed_paths.append(item["path"])
    for item in module.params["links"]:
        if ensure_link(module, item):
            changed_paths.append(item["path"])
    result: dict[str, Any] = {"changed": bool(changed_paths), "changed_paths": changed_paths}
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
