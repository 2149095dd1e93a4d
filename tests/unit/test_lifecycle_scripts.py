"""The shell scripts behind the lifecycle: which etcd members leave (roles/etcd/files/etcd-prune.sh)
and which installed PostgreSQL builds may go (roles/postgresql/files/remove-unused-builds.sh).

Both run here against fakes: etcdctl is a script that prints a member list and records removals;
the builds are directories in a temporary prefix, one of them with a process running from it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRUNE = ROOT / "roles" / "etcd" / "files" / "etcd-prune.sh"
BUILDS_LIB = ROOT / "roles" / "postgresql" / "files" / "running-builds.sh"
REMOVE_BUILDS = ROOT / "roles" / "postgresql" / "files" / "remove-unused-builds.sh"

MEMBERS = (
    '{"members":['
    '{"ID":1,"name":"m1","peerURLs":["https://10.0.0.1:2380"]},'
    '{"ID":2,"name":"m2","peerURLs":["https://10.0.0.9:2380"]},'
    '{"ID":255,"name":"m3","peerURLs":["https://10.0.0.3:2380"]},'
    '{"ID":16,"name":"","peerURLs":["https://10.0.0.4:2380"]},'
    '{"ID":17,"name":"","peerURLs":["https://10.0.0.5:2380"]}]}'
)


def fake_etcdctl(tmp_path: Path, listing_ok: bool = True) -> tuple[Path, Path]:
    log = tmp_path / "calls"
    ctl = tmp_path / "etcdctl"
    listing = f"echo '{MEMBERS}'" if listing_ok else "echo 'Error: context deadline exceeded' >&2; exit 1"
    ctl.write_text(f"""#!/bin/sh
echo "$*" >> {log}
case "$1 $2" in
  "member list") {listing} ;;
  "member remove") echo "Member $3 removed" ;;
esac
""")
    ctl.chmod(0o755)
    return ctl, log


def prune(tmp_path: Path, check: bool, listing_ok: bool = True) -> tuple[subprocess.CompletedProcess, str]:
    ctl, log = fake_etcdctl(tmp_path, listing_ok)
    env = dict(os.environ, PGHA_ETCDCTL=str(ctl), PGHA_KEEP_NAMES="m1,m2,m4",
               PGHA_KEEP_URLS="https://10.0.0.1:2380,https://10.0.0.2:2380,https://10.0.0.4:2380",
               PGHA_CHECK="1" if check else "0")
    run = subprocess.run(["bash", str(PRUNE)], input="\n", env=env, capture_output=True, text=True, check=False)
    return run, log.read_text() if log.exists() else ""


def test_prune_removes_members_the_group_does_not_name(tmp_path):
    run, calls = prune(tmp_path, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    # m2 changed its address but is still named by the group: kept; the member that never
    # started at a listed peer URL (10.0.0.4) is kept, the other one goes
    assert run.stdout.split("\n")[:2] == ["removed=m3", "removed=(not started)"]
    assert "member remove ff" in calls and "member remove 11" in calls
    assert "member remove 2" not in calls and "member remove 10" not in calls


def test_prune_in_check_mode_only_reports(tmp_path):
    run, calls = prune(tmp_path, check=True)
    assert run.returncode == 0
    assert "removed=m3" in run.stdout
    assert "member remove" not in calls


def test_prune_says_why_when_etcd_does_not_answer(tmp_path):
    run, calls = prune(tmp_path, check=False, listing_ok=False)
    assert run.returncode == 1
    assert run.stdout.strip() == "ERROR: cannot list the etcd members: Error: context deadline exceeded"
    assert "member remove" not in calls


def test_unused_builds_go_and_the_running_one_stays(tmp_path):
    prefix = tmp_path / "pgsql"
    builds = {}
    for name in ("15.17-aaaa", "15.18-bbbb", "15.18-cccc"):
        d = tmp_path / f"pgsql-{name}"
        (d / "bin").mkdir(parents=True)
        (d / f".pgha-build-postgresql-{name}").write_text("")
        builds[name] = d
    prefix.symlink_to(builds["15.18-cccc"])
    # a process that runs from the old 15.18-bbbb build
    sleeper = builds["15.18-bbbb"] / "bin" / "sleep"
    shutil.copy2(shutil.which("sleep"), sleeper)
    proc = subprocess.Popen([str(sleeper), "30"])
    try:
        time.sleep(0.2)
        env = dict(os.environ, PGHA_PREFIX=str(prefix), PGHA_PGUSER="nobody", PGHA_PGSOCKET="/nonexistent",
                   PGHA_PGPORT="5432", PGHA_CURRENT=str(builds["15.18-cccc"]), PGHA_CHECK="0")
        script = BUILDS_LIB.read_text() + "\n" + REMOVE_BUILDS.read_text()
        run = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, check=False)
    finally:
        proc.kill()
        proc.wait()
    assert run.returncode == 0, run.stdout + run.stderr
    lines = set(run.stdout.split())
    assert lines == {f"removed={builds['15.17-aaaa']}", f"kept={builds['15.18-bbbb']}"}, run.stdout
    assert not builds["15.17-aaaa"].exists()
    assert builds["15.18-bbbb"].exists() and builds["15.18-cccc"].exists()
