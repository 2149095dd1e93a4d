"""The verdict of a failure drill (tests/drills/drill_analysis.py) on small synthetic runs."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "drills"))

from drill_analysis import (  # noqa: E402  pylint: disable=wrong-import-position
    Attempt, FinalState, HolderSample, Record, Sample, analyse, certain_runs, lost, merge, overlap, runs_of, step_acks,
    step_gaps, table)


def member_samples(name: str, pattern: str, start: float = 0.0, step: float = 1.0) -> list[Sample]:
    """Samples of member:<name>, one per character: W writable, R read-only, - no answer."""
    out = []
    for i, c in enumerate(pattern):
        t = start + i * step
        answered = c != "-"
        out.append(Sample(f"member:{name}", t - 0.1, t, name if answered else None, (c == "W") if answered else None))
    return out


def door_samples(source: str, answers: list[str | None], step: float = 1.0) -> list[Sample]:
    """Samples of one front door: the member answering as a primary at each step (None: none)."""
    return [Sample(source, i * step - 0.1, i * step, m, True if m else None) for i, m in enumerate(answers)]


def acked(writer: str, i: int, done: float, server: str = "d1") -> Attempt:
    return Attempt(writer=writer, id=i, sent=done - 0.05, done=done, result="ack", server=server)


# ---- runs_of: when a member may have been writable (the measure of overlaps) -------------------
# Samples are asked at t - 0.1 and answered at t (member_samples, door_samples).
def test_runs_of_no_samples() -> None:
    assert not runs_of([])
    assert not runs_of([], window=0.2)


def test_runs_of_single_sample_is_an_interval() -> None:
    # one writable answer: from the moment it was asked until the next sample was due
    assert runs_of(member_samples("d1", "W"), window=1.0) == {"d1": [(-0.1, 1.0)]}
    assert runs_of(member_samples("d1", "W")) == {"d1": [(-0.1, 0.0)]}
    assert not runs_of(member_samples("d1", "R"), window=1.0)


def test_runs_of_split_by_read_only_not_by_silence() -> None:
    # an unanswered probe is unknown: W W - W W is one run; a read-only answer ends it
    assert runs_of(member_samples("d1", "WW-WW")) == {"d1": [(-0.1, 4.0)]}
    assert runs_of(member_samples("d1", "WWRWW-W")) == {"d1": [(-0.1, 1.0), (2.9, 6.0)]}


def test_runs_of_read_only_answer_cuts_the_window() -> None:
    # the window after the last writable answer stops where the member said read-only
    assert runs_of(member_samples("d1", "WR"), window=5.0) == {"d1": [(-0.1, 0.9)]}
    # silence after it does not: the window runs its length, not up to the next answer
    assert runs_of(member_samples("d1", "W---R"), window=1.0) == {"d1": [(-0.1, 1.0)]}


def test_runs_of_back_to_back_members_on_one_door_overlap() -> None:
    # port 5000 answers on d1, then on d2 from the very next sample: within the sampling window,
    # so both may have been writable at once
    runs = runs_of(door_samples("port:5000", ["d1", "d1", "d2", "d2"]), window=1.0)
    assert runs == {"d1": [(-0.1, 2.0)], "d2": [(1.9, 4.0)]}
    total, windows = overlap(runs)
    assert total == pytest.approx(0.1)
    assert windows[0]["members"] == ["d1", "d2"]


def test_runs_of_members_alternating_behind_one_door_overlap() -> None:
    # two primaries behind port 5000, HAProxy answering from each in turn: every run is one sample
    runs = runs_of(door_samples("port:5000", ["d1", "d2", "d1", "d2"]), window=1.0)
    assert runs == {"d1": [(-0.1, 1.0), (1.9, 3.0)], "d2": [(0.9, 2.0), (2.9, 4.0)]}
    assert overlap(runs)[0] == pytest.approx(0.3)


def test_runs_of_door_handover_after_a_silence_is_no_overlap() -> None:
    # a switchover: d1 answers, nobody answers for longer than the window, then d2
    runs = runs_of(door_samples("port:5000", ["d1", "d1", None, None, None, "d2"], step=0.2), window=0.2)
    assert overlap(runs) == (0.0, [])


def test_runs_of_sorts_by_time() -> None:
    samples = member_samples("d1", "WW-WR")
    assert runs_of(list(reversed(samples)), 1.0) == runs_of(samples, 1.0)


# ---- certain_runs: when a member surely was writable (time without a primary, promotions) -------
def test_certain_runs_split_by_read_only_and_silence() -> None:
    assert certain_runs(member_samples("d1", "WWRWW-W")) == {"d1": [(0.0, 1.0), (3.0, 4.0), (6.0, 6.0)]}
    assert not certain_runs([])


# ---- cases the detector of issue 32 must catch; each passed unnoticed with the old one ---------
def members_dual(samples: list[Sample], interval: float) -> float:
    record = Record(run="r", started=0.0, stopped=20.0, samples=samples)
    return analyse(record, FinalState(leader="d1"), sample_interval=interval)["dual_primary_members_s"]


def doors_dual(samples: list[Sample], interval: float) -> float:
    record = Record(run="r", started=0.0, stopped=20.0, samples=samples)
    return analyse(record, FinalState(leader="d1"), sample_interval=interval)["dual_primary_front_doors_s"]


def test_detector_counts_a_single_writable_sample() -> None:
    # d2 writable in ONE sample while d1 is writable throughout (old: a run of one sample was dropped)
    samples = member_samples("d1", "WWWWWWWWWW", step=0.2) + member_samples("d2", "RRRRWRRRRR", step=0.2)
    assert members_dual(samples, 0.2) > 0


def test_detector_keeps_a_run_across_unanswered_probes() -> None:
    # d1 writable, then unanswered while d2 is writable for 0.6 s, then d1 writable again: d1 never said
    # read-only, so it may have been writable all along (old: the silence ended d1's run, no overlap)
    samples = member_samples("d1", "WWW-------WWW", step=0.2) + member_samples("d2", "RRRRRWWWRRRRR", step=0.2)
    assert members_dual(samples, 0.2) == pytest.approx(0.6)  # d2 asked at 0.9, read-only asked at 1.5


def test_detector_flags_two_members_behind_one_door_in_turn() -> None:
    # port 5000 answered by d1 and d2 in turn (old: every run a single sample, dropped)
    samples = door_samples("port:5000", ["d1", "d2", "d1", "d2", "d1"], step=0.2)
    assert doors_dual(samples, 0.2) > 0


def test_detector_flags_two_members_behind_one_door_back_to_back() -> None:
    # port 5000 answered by d1 then, at the very next sample, by d2 (old: two runs touching, no overlap)
    samples = door_samples("port:5000", ["d1", "d1", "d1", "d2", "d2", "d2"], step=0.2)
    assert doors_dual(samples, 0.2) == pytest.approx(0.1)


def test_detector_flags_two_doors_within_the_sampling_window() -> None:
    # port 5000 last on d1 at 1.0, the leader VIP first on d2 at 1.1, closer than the 0.2 s window
    port = [Sample("port:5000", t - 0.05, t, "d1", True) for t in (0.6, 0.8, 1.0)]
    vip = [Sample("vip", t - 0.05, t, "d2", True) for t in (1.1, 1.3, 1.5)]
    assert doors_dual(port + vip, 0.2) == pytest.approx(0.15)  # d1 until 1.2, d2 from 1.05


def test_detector_leaves_a_crashed_member_alone() -> None:
    # the old primary gone (no answer) and back read-only: its run ends one window after its last answer
    samples = member_samples("d1", "WWW--------RRR", step=0.2) + member_samples("d2", "RRRRRRRWWWWWWW", step=0.2)
    assert members_dual(samples, 0.2) == 0


# ---- overlap: dual-writable windows -----------------------------------------------------
def test_overlap_none() -> None:
    assert overlap({}) == (0.0, [])
    assert overlap({"d1": [(0.0, 5.0)]}) == (0.0, [])


def test_overlap_two_members() -> None:
    total, windows = overlap({"d1": [(0.0, 5.0)], "d2": [(3.0, 9.0)]})
    assert total == pytest.approx(2.0)
    assert windows == [{"start": 3.0, "seconds": 2.0, "members": ["d1", "d2"]}]


def test_overlap_touching_intervals_are_not_dual() -> None:
    assert overlap({"d1": [(0.0, 3.0)], "d2": [(3.0, 6.0)]}) == (0.0, [])


def test_overlap_same_member_from_two_sources_is_not_dual() -> None:
    assert overlap(merge({"d1": [(0.0, 5.0)]}, {"d1": [(2.0, 7.0)]})) == (0.0, [])


def test_overlap_three_members_one_window() -> None:
    total, windows = overlap({"d1": [(0.0, 10.0)], "d2": [(2.0, 4.0)], "d3": [(3.0, 6.0)]})
    assert total == pytest.approx(4.0)  # 2..6: at least two writable
    assert [w["members"] for w in windows] == [["d1", "d2"]]


def test_overlap_zero_length_runs_are_ignored() -> None:
    assert overlap({"d1": [(0.0, 5.0)], "d2": [(2.0, 2.0)]}) == (0.0, [])


def test_merge_keeps_every_interval() -> None:
    assert merge({"d1": [(0.0, 1.0)]}, {"d1": [(2.0, 3.0)], "d2": [(0.0, 1.0)]}) == {
        "d1": [(0.0, 1.0), (2.0, 3.0)], "d2": [(0.0, 1.0)]}


# ---- losses of acknowledged writes -----------------------------------------------------------
def test_lost_acknowledged_row_missing_afterwards() -> None:
    acks = [acked("front", 1, 1.0), acked("front", 2, 2.0), acked("front", 3, 3.0)]
    assert lost(acks, "front", {("front", 1), ("front", 3)}) == [2]


def test_lost_checks_the_writer_too() -> None:
    assert lost([acked("front", 1, 1.0)], "front", {("vip", 1)}) == [1]


def run_with(attempts: list[Attempt], rows: set[tuple[str, int]] | None, **marks: float) -> dict:
    record = Record(run="r", started=0.0, stopped=10.0, attempts=attempts,
                    samples=member_samples("d1", "WWWWWWWWWW"), marks=dict(marks))
    return analyse(record, FinalState(leader="d1", leader_is_primary=True, rows=rows), sample_interval=1.0)


def test_analyse_counts_a_missing_acknowledged_row_as_lost() -> None:
    res = run_with([acked("front", 1, 1.0), acked("front", 2, 2.0)], rows={("front", 1)})
    assert res["writers"]["front"]["acked_lost"] == 1
    assert res["writers"]["front"]["acked_lost_ids"] == [2]


def test_analyse_does_not_count_failed_writes_as_lost() -> None:
    attempts = [acked("front", 1, 1.0),
                Attempt("front", 2, 1.9, 2.0, "error", None, "OperationalError: gone"),
                Attempt("front", 3, 2.9, 3.0, "timeout"),
                Attempt("front", 4, 3.9, 4.0, "warning", "d1", "WARNING: canceling wait for synchronous replication")]
    res = run_with(attempts, rows={("front", 1), ("front", 4)})
    w = res["writers"]["front"]
    assert (w["acked"], w["errors"], w["timeouts"], w["warnings"]) == (1, 1, 1, 1)
    assert w["acked_lost"] == 0
    assert w["unacked_present"] == 1  # the warned commit made it: present, not acknowledged
    assert w["error_kinds"] == {"OperationalError: gone": 1, "WARNING: canceling wait for synchronous replication": 1}


def test_analyse_without_final_rows_reports_no_loss_count() -> None:
    res = run_with([acked("front", 1, 1.0)], rows=None)
    assert "acked_lost" not in res["writers"]["front"]


def test_analyse_no_samples_no_attempts() -> None:
    record = Record(run="empty", started=0.0, stopped=1.0)
    res = analyse(record, FinalState(), sample_interval=0.2)
    assert res["dual_primary_front_doors_s"] == 0
    assert res["dual_primary_members_s"] == 0
    assert res["no_primary_longest_s"] == 0
    assert res["writers"] == {}
    assert res["final_leader"] is None and res["final_leader_is_primary"] is None
    assert "vip_max_holders" not in res
    assert "run empty" in table(res)


def test_analyse_write_gap_and_recovery_after_fault() -> None:
    times = [1.0, 2.0, 3.0, 9.0, 10.0]
    res = run_with([acked("front", i, t) for i, t in enumerate(times, 1)],
                   rows={("front", i) for i in range(1, 6)}, fault=3.5)
    w = res["writers"]["front"]
    assert w["write_gap_s"] == pytest.approx(6.0)
    assert w["recovery_s"] == pytest.approx(5.5)
    assert w["first_ack_after_fault_s"] == pytest.approx(5.5)


def test_analyse_no_ack_after_fault_is_no_recovery() -> None:
    # nothing acknowledged after the fault: no recovery time at all (old: 0.0, inside any bound)
    res = run_with([acked("front", 1, 1.0)], rows={("front", 1)}, fault=5.0, healed=8.0)
    w = res["writers"]["front"]
    assert w["first_ack_after_fault_s"] is None
    assert w["recovery_s"] is None
    assert w["acked_after"] == {"fault": 0, "healed": 0}
    assert w["first_ack_after_s"] == {"fault": None, "healed": None}
    assert "nan" in table(res)


def test_analyse_recovery_without_a_long_gap() -> None:
    res = run_with([acked("front", i, 0.1 * i) for i in range(1, 60)], rows=set(), fault=3.0, healed=4.0)
    w = res["writers"]["front"]
    assert w["recovery_s"] == 0.0 and math.isfinite(w["first_ack_after_fault_s"])
    assert w["acked_after"] == {"fault": 29, "healed": 19}
    assert w["first_ack_after_s"] == {"fault": pytest.approx(0.1), "healed": pytest.approx(0.1)}


def test_analyse_answered_sample_counts() -> None:
    record = Record(run="r", started=0.0, stopped=5.0, samples=member_samples("d1", "WW--R"))
    res = analyse(record, FinalState(leader="d1"), sample_interval=1.0)
    assert res["sample_counts"] == {"member:d1": 5}
    assert res["answered_sample_counts"] == {"member:d1": 3}


def test_analyse_dual_primary_through_front_doors() -> None:
    # port 5000 still on d1 while the leader VIP already answers on d2, for 2 s
    samples = door_samples("port:5000", ["d1", "d1", "d1", "d1", "d2"]) + \
        door_samples("vip", ["d1", "d1", "d2", "d2", "d2"])
    record = Record(run="r", started=0.0, stopped=5.0, samples=samples)
    res = analyse(record, FinalState(leader="d2"), sample_interval=1.0)
    # d1 on 5000 from -0.1 until 4 (the sample after 3 is due), d2 on the VIP from 1.9
    assert res["dual_primary_front_doors_s"] == pytest.approx(2.1)
    assert res["dual_primary_front_doors_windows"][0]["members"] == ["d1", "d2"]
    assert res["port:5000_last_answer"] == {"member": "d2", "writable": True}


def test_analyse_members_and_stale_acks_after_promotion() -> None:
    samples = member_samples("d1", "WWWWWWRRRR") + member_samples("d2", "RRRRWWWWWW")
    attempts = [acked("front", 1, 1.0, "d1"), acked("front", 2, 5.5, "d1"), acked("front", 3, 7.0, "d2")]
    record = Record(run="r", started=0.0, stopped=10.0, attempts=attempts, samples=samples)
    res = analyse(record, FinalState(leader="d2", leader_is_primary=True,
                                     rows={("front", 1), ("front", 3)}), sample_interval=1.0)
    assert res["dual_primary_members_s"] == pytest.approx(2.0)  # d1 until 5.9 (read-only asked then), d2 from 3.9
    assert res["final_leader_promoted_at"] == pytest.approx(4.0)
    w = res["writers"]["front"]
    assert w["stale_acks"] == 1  # d1 acknowledged at 5.5, after d2's promotion at 4
    assert w["acked_lost"] == 1 and w["acked_lost_ids"] == [2]
    assert w["acked_by"] == {"d1": 2, "d2": 1}


def test_analyse_longest_time_without_primary() -> None:
    samples = member_samples("d1", "WWW-------") + member_samples("d2", "RRRRRRWWWW")
    res = analyse(Record(run="r", started=0.0, stopped=10.0, samples=samples), FinalState(leader="d2"), 1.0)
    assert res["no_primary_longest_s"] == pytest.approx(4.0)  # d1 last writable at 2, d2 first at 6


def test_analyse_leader_vip_holders() -> None:
    holders = [HolderSample(1.0, ["d1"]), HolderSample(2.0, ["d1", "d2"]), HolderSample(3.0, ["d2"], ["d3"]),
               HolderSample(4.0, ["d2"]), HolderSample(5.0, ["d2"])]
    record = Record(run="r", started=0.0, stopped=6.0, holders=holders, marks={"fault": 1.5})
    res = analyse(record, FinalState(leader="d2"), sample_interval=1.0)
    assert res["vip_max_holders"] == 2
    assert res["vip_multi_holder_samples"] == 1
    assert res["vip_on_final_leader_only_after_s"] == pytest.approx(2.5)  # the unknown at 3.0 does not count


def test_step_gaps_measure_each_marked_window_whole():
    times = [0.0, 0.5, 1.0, 4.0, 4.5, 5.0, 9.0, 9.5]
    marks = {"add:begin": 0.8, "add:end": 4.2, "roll:begin": 6.0, "roll:end": 7.0, "fault": 1.0, "open:begin": 1.0}
    gaps = step_gaps(times, marks)
    # 1.0 -> 4.0 lies inside 'add'; 'roll' has no ack inside, so its gap runs from the last ack before
    # it (5.0) to the first after it (9.0); a step without its end is left out
    assert gaps == {"add": 3.0, "roll": 4.0}


def test_step_gaps_without_a_gap_are_the_ack_interval():
    times = [float(i) / 10 for i in range(100)]
    assert step_gaps(times, {"s:begin": 2.0, "s:end": 3.0}) == {"s": 0.1}


def test_step_acks_count_each_marked_window():
    times = [0.0, 0.5, 1.0, 4.0, 4.5, 5.0, 9.0, 9.5]
    marks = {"add:begin": 0.8, "add:end": 4.2, "roll:begin": 6.0, "roll:end": 7.0, "open:begin": 1.0}
    # a step with no acknowledgement inside shows 0 (its gap alone, 4 s, could pass a loose bound)
    assert step_acks(times, marks) == {"add": 2, "roll": 0}


def test_analyse_reports_step_acks_per_writer():
    res = run_with([acked("front", i, float(i)) for i in range(1, 4)], rows=None,
                   **{"s:begin": 1.5, "s:end": 2.5, "t:begin": 5.0, "t:end": 6.0})
    assert res["writers"]["front"]["step_acks"] == {"s": 1, "t": 0}
