"""The files module never makes a new file wider than its final mode (issue 28, item 6).

The temporary file is written 0600 by mkstemp; before the fix it was made
0644 and only then given its final mode, so a secret file (pgbackrest.conf
with the cipher passphrase, keepalived.conf) was readable by every local
user for a moment. This records every mode the file passes through.
"""

from __future__ import annotations

import os
import stat


from ansible_collections.pgha.patroni.plugins.modules import files


class RecordingModule:
    """The two AnsibleModule methods _prepare_temp uses, applying modes for real and recording them."""

    def __init__(self, seen):
        self.seen = seen

    @staticmethod
    def load_file_common_arguments(args):
        return dict(args)

    def set_fs_attributes_if_different(self, file_args, changed):
        if file_args.get("mode"):
            os.chmod(file_args["path"], int(file_args["mode"], 8))
            self.seen.append(stat.S_IMODE(os.stat(file_args["path"]).st_mode))
        return changed


def run(tmp_path, monkeypatch, mode, current=None):
    seen = []
    real_chmod = os.chmod

    def chmod(path, value, *args, **kwargs):
        real_chmod(path, value, *args, **kwargs)
        seen.append(stat.S_IMODE(os.stat(path).st_mode))

    monkeypatch.setattr(files.os, "chmod", chmod)
    fd, tmp = files.tempfile.mkstemp(dir=tmp_path)
    os.close(fd)
    seen.append(stat.S_IMODE(os.stat(tmp).st_mode))
    files._prepare_temp(RecordingModule(seen), {"path": str(tmp_path / "f"), "mode": mode}, tmp,
                        os.stat(current) if current else None)
    return seen


def test_a_new_secret_file_is_never_wider_than_0600(tmp_path, monkeypatch):
    seen = run(tmp_path, monkeypatch, "0600")
    assert seen[-1] == 0o600
    assert all(m & 0o077 == 0 for m in seen), [oct(m) for m in seen]


def test_a_new_file_without_a_mode_ends_0644(tmp_path, monkeypatch):
    assert run(tmp_path, monkeypatch, None)[-1] == 0o644


def test_a_replaced_file_keeps_its_mode_without_a_wider_step(tmp_path, monkeypatch):
    old = tmp_path / "old"
    old.write_text("x")
    os.chmod(old, 0o640)
    seen = run(tmp_path, monkeypatch, None, current=old)
    assert seen[-1] == 0o640
    assert all(m & 0o007 == 0 for m in seen), [oct(m) for m in seen]
