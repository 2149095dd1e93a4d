# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of roles/patroni/files/pgha_fence.py, the software fence."""

from __future__ import annotations

import os

import pytest
from role_scripts import load_script


fence = load_script("patroni", "pgha_fence.py")
CFG = fence.Config(api_url="http://127.0.0.1:8008", data_dir="/nonexistent", pg_ctl="/bin/false",
                   interval=1.0, timeout=1.0, bound=14.0)
OK = fence.Probe(True, False, "HTTP 200")
SILENT = fence.Probe(False, None, "no answer (timed out)")
LOST = fence.Probe(False, False, "HTTP 503")
PAUSED = fence.Probe(True, True, "HTTP 200 (paused)")


def steps(state, seq):
    """Run (time, probe, primary) steps; return the decisions."""
    return [fence.decide(t, p, prim, state, CFG) for t, p, prim in seq]


def test_frozen_patroni_is_fenced_after_the_bound_and_not_before():
    state = fence.FenceState()
    seq = [(0, OK, True)] + [(t, SILENT, True) for t in range(1, 15)] + [(14.5, SILENT, True)]
    assert steps(state, seq) == ["none"] * 15 + ["fence"]


def test_patroni_back_within_the_bound_is_never_fenced():
    # SIGKILL of Patroni: systemd restarts it and it confirms again in seconds
    state = fence.FenceState()
    seq = [(0, OK, True)] + [(t, SILENT, True) for t in range(1, 10)] + [(10, OK, True)] + \
          [(t, SILENT, True) for t in range(11, 24)]
    assert "fence" not in steps(state, seq)


def test_never_confirmed_means_never_armed():
    # a guard that cannot reach its REST API (wrong CA, Patroni down since boot) does nothing
    state = fence.FenceState()
    assert "fence" not in steps(state, [(t, SILENT, True) for t in range(0, 100)])


def test_maintenance_mode_is_never_fenced_while_patroni_says_so():
    state = fence.FenceState()
    # paused and answering (503: no lease renewal confirmed by this probe) for a long time
    seq = [(0, OK, True)] + [(t, fence.Probe(False, True, "HTTP 503 (paused)"), True) for t in range(1, 60)]
    assert "fence" not in steps(state, seq)
    # a short silence while paused (Patroni restarted in maintenance) is not fenced either
    assert "fence" not in steps(state, [(t, SILENT, True) for t in range(60, 70)])
    # resumed: the pause flag clears with the next answer, and the guard arms again
    assert steps(state, [(70, OK, True), (71, SILENT, True), (90, SILENT, True)]) == ["none", "none", "fence"]


def test_a_replica_disarms_and_a_lost_lease_counts_like_silence():
    state = fence.FenceState()
    assert steps(state, [(0, OK, True), (1, LOST, False), (30, LOST, False)]) == ["none"] * 3
    assert state.last_confirmed is None
    # promoted again later: armed only by a new confirmation
    assert steps(state, [(31, LOST, True), (60, LOST, True)]) == ["none", "none"]
    assert steps(state, [(61, OK, True), (62, LOST, True), (75.5, LOST, True)]) == ["none", "none", "fence"]


def test_run_fences_once_then_waits_for_a_new_confirmation():
    clock = iter([0, 0, 0, 1, 1, 1, 20, 20, 20, 21, 21, 21, 40, 40, 40])
    answers = iter([OK, SILENT, SILENT, SILENT, SILENT])
    fenced = []
    state = fence.FenceState()
    for _step in range(5):
        fence.run(CFG, once=True, probe=lambda _c: next(answers), primary=lambda _d: True,
                  do_fence=lambda c: fenced.append(c) or True, clock=lambda: next(clock), sleep=lambda _s: None,
                  state=state)
    assert len(fenced) == 1


def test_primary_detection(tmp_path):
    data = tmp_path
    assert not fence.postgres_primary(str(data))
    (data / "postmaster.pid").write_text(f"{os.getpid()}\n{data}\n")
    assert fence.postgres_primary(str(data))
    (data / "standby.signal").write_text("")
    assert not fence.postgres_primary(str(data))
    (data / "standby.signal").unlink()
    (data / "postmaster.pid").write_text("999999999\n")
    assert not fence.postgres_primary(str(data))


def test_bad_configuration_is_refused(tmp_path):
    conf = tmp_path / "fence.conf"
    conf.write_text("[fence]\napi_url = http://x\ndata_dir = /d\npg_ctl = /p\nbound = 1.5\n")
    with pytest.raises(fence.UsageError, match="bound above interval"):
        fence.load_config(str(conf))
    conf.write_text("[fence]\napi_url = http://x\n")
    with pytest.raises(fence.UsageError, match="needs data_dir, pg_ctl"):
        fence.load_config(str(conf))
    assert fence.main(["--config", str(tmp_path / "missing.conf")]) == fence.EXIT_USAGE


def test_a_stalled_fence_asks_again_before_deciding():
    # the whole node froze while a probe was in flight: the probe "fails" and the clock jumped
    state = fence.FenceState(last_confirmed=0.0)
    fenced = []
    clock = iter([1.0, 30.0, 30.0])
    fence.run(CFG, once=True, probe=lambda _c: SILENT, primary=lambda _d: True,
              do_fence=lambda c: fenced.append(c) or True, clock=lambda: next(clock), sleep=lambda _s: None,
              state=state)
    assert not fenced and state.last_confirmed == 0.0


def test_a_failed_fence_stays_armed_and_tries_again():
    state = fence.FenceState(last_confirmed=0.0)
    attempts = []
    for t in (20.0, 21.0):
        clock = iter([t, t, t])
        fence.run(CFG, once=True, probe=lambda _c: SILENT, primary=lambda _d: True,
                  do_fence=lambda c: attempts.append(c) and False, clock=lambda: next(clock),
                  sleep=lambda _s: None, state=state)
    assert len(attempts) == 2 and state.last_confirmed == 0.0


def test_patroni_stopped_in_maintenance_mode_is_never_fenced():
    # pause, then stop Patroni for as long as the work takes: PostgreSQL keeps running as primary
    state = fence.FenceState()
    seq = [(0, OK, True), (1, PAUSED, True)] + [(t, SILENT, True) for t in range(2, 3600, 7)]
    assert "fence" not in steps(state, seq)


def test_a_pg_ctl_that_cannot_run_is_reported_not_raised():
    def boom(*_a, **_k):
        raise FileNotFoundError("pg_ctl")
    assert fence.fence(CFG, runner=boom) is False
