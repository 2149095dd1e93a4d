"""Whether a drill passed: pure functions over what one load run saw.

No I/O here. tests/drills/drill_load.py records the attempts and samples,
tests/drills/drill_health.py reads the final state of the cluster, and
``analyse`` turns both into the verdict the molecule drills assert on and the
benchmarks report: dual-writable windows through the front doors and among
the members, write gaps, recovery after the ``fault`` mark, acknowledged
writes missing on the final leader, acknowledgements by a member other than
the newest primary after its promotion ("stale"), leader VIP holders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Span = tuple[float, float]
Runs = dict[str, list[Span]]  # member name -> intervals in which it was writable


@dataclass
class Attempt:
    """One numbered write."""

    writer: str
    id: int
    sent: float
    done: float | None = None
    result: str = "pending"  # ack | error | warning | timeout | pending
    server: str | None = None
    error: str | None = None
    late: str | None = None  # what an abandoned attempt did after its timeout


@dataclass
class Sample:
    """One answer to "who are you, and do you accept writes?"."""

    source: str  # member:<name> | port:<port> | vip
    start: float
    end: float
    member: str | None  # the member that answered (None: no answer)
    writable: bool | None  # None: no answer
    error: str | None = None


@dataclass
class HolderSample:
    """Which members' containers held the leader VIP (and the balancer VIP) at one moment."""

    at: float
    holders: list[str]  # the leader VIP's
    unknown: list[str] = field(default_factory=list)
    balancer_holders: list[str] | None = None  # None: the balancer VIP was not looked for


@dataclass
class Record:
    """Everything one load run saw."""

    run: str
    started: float
    stopped: float
    attempts: list[Attempt] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    holders: list[HolderSample] = field(default_factory=list)
    marks: dict[str, float] = field(default_factory=dict)


@dataclass
class FinalState:
    """The cluster after the run, read once."""

    leader: str | None = None
    leader_is_primary: bool | None = None
    rows: set[tuple[str, int]] | None = None  # (writer, id) present on the final leader; None: not read
    read_error: str | None = None


def certain_runs(samples: list[Sample]) -> Runs:
    """Per member, the intervals in which consecutive samples of ONE source saw it writable.

    An interval spans first..last writable answer of a run, and any other answer or no
    answer ends it, so it is certain (up to one sample interval shorter than the truth,
    never longer): the measure of the time WITHOUT a primary and of a promotion's time.
    Never the measure of an overlap (runs_of is)."""
    out: Runs = {}
    current: str | None = None
    first = last = 0.0
    for s in sorted(samples, key=lambda x: x.end):
        who = s.member if s.writable else None
        if who != current:
            if current is not None:
                out.setdefault(current, []).append((first, last))
            current, first = who, s.end
        last = s.end
    if current is not None:
        out.setdefault(current, []).append((first, last))
    return out


def runs_of(samples: list[Sample], window: float = 0.0) -> Runs:
    """Per member, the intervals in which samples of ONE source say it may have been writable.

    The measure of an overlap, so it errs on the side of "writable":
    - each writable answer is an interval, from the moment it was asked (``start``) until
      the next sample was due (``end + window``, the sampling window): a single answer
      counts, and two different members answering one front door within the window overlap;
    - an unanswered probe is unknown, not "not writable": writable answers of one member
      with only unanswered probes between them form one run;
    - a run ends at its last writable answer plus the window, earlier only where the same
      member answered "read-only" before that (the start of that answer); an answer by
      another member ends it too, but does not shorten it.
    """
    out: Runs = {}
    current: str | None = None
    first = last = 0.0
    for s in sorted(samples, key=lambda x: x.end):
        if s.member is None or s.writable is None:
            continue  # unknown: neither ends nor extends the run
        if s.writable and s.member == current:
            last = s.end + window
            continue
        if current is not None:
            if s.member == current:  # the same member, now read-only
                last = min(last, max(first, s.start))
            out.setdefault(current, []).append((first, last))
            current = None
        if s.writable:
            current, first, last = s.member, s.start, s.end + window
    if current is not None:
        out.setdefault(current, []).append((first, last))
    return out


def merge(*maps: Runs) -> Runs:
    """The runs of several sources together, per member."""
    out: Runs = {}
    for m in maps:
        for k, v in m.items():
            out.setdefault(k, []).extend(v)
    return out


def overlap(intervals: Runs) -> tuple[float, list[dict[str, Any]]]:
    """Total time in which two or more distinct members were writable, and the windows."""
    events: list[tuple[float, int, str]] = []
    for member, spans in intervals.items():
        for a, b in spans:
            if b > a:
                events += [(a, 1, member), (b, -1, member)]
    events.sort(key=lambda e: (e[0], e[1]))  # at equal times an end comes before a start
    active: dict[str, int] = {}
    total, windows = 0.0, []
    opened: tuple[float, list[str]] | None = None
    for t, delta, member in events:
        was = sum(1 for v in active.values() if v > 0) >= 2
        active[member] = active.get(member, 0) + delta
        now_dual = sum(1 for v in active.values() if v > 0) >= 2
        if not was and now_dual:
            opened = (t, sorted(m for m, v in active.items() if v > 0))
        elif was and not now_dual and opened is not None:
            total += t - opened[0]
            windows.append({"start": opened[0], "seconds": round(t - opened[0], 3), "members": opened[1]})
            opened = None
    return total, windows


def longest_without_primary(runs: Runs) -> tuple[float, float | None]:
    """The longest gap between writable intervals of any member, and the end of the last one."""
    longest, reach = 0.0, None
    for a, b in sorted(x for v in runs.values() for x in v):
        if reach is not None and a > reach:
            longest = max(longest, a - reach)
        reach = b if reach is None else max(reach, b)
    return longest, reach


def lost(acked: list[Attempt], writer: str, present: set[tuple[str, int]]) -> list[int]:
    """Ids of acknowledged writes that are not on the final leader."""
    return [a.id for a in acked if (writer, a.id) not in present]


def step_gaps(times: list[float], marks: dict[str, float]) -> dict[str, float]:
    """The longest time without an acknowledgement inside each '<step>:begin' .. '<step>:end' window.

    The window's edges count as the last acknowledgement before it and the first after it, so a
    gap that starts before the step or ends after it is counted whole.
    """
    out: dict[str, float] = {}
    for label, start in marks.items():
        if not label.endswith(":begin"):
            continue
        step = label[: -len(":begin")]
        end = marks.get(step + ":end")
        if end is None:
            continue
        before = max((t for t in times if t < start), default=start)
        after = min((t for t in times if t > end), default=end)
        points = [before] + [t for t in times if start <= t <= end] + [after]
        out[step] = round(max((b - a for a, b in zip(points, points[1:])), default=0.0), 3)
    return out


def step_acks(times: list[float], marks: dict[str, float]) -> dict[str, int]:
    """The acknowledgements inside each '<step>:begin' .. '<step>:end' window (0: the step wrote nothing)."""
    out: dict[str, int] = {}
    for label, start in marks.items():
        if label.endswith(":begin") and label[: -len(":begin")] + ":end" in marks:
            step = label[: -len(":begin")]
            out[step] = sum(1 for t in times if start <= t <= marks[step + ":end"])
    return out


def writer_report(name: str, attempts: list[Attempt], record: Record, final: FinalState,
                  newest: float | None) -> dict[str, Any]:
    """What one writer saw: counts, the longest gap, recovery after the fault, losses, stale acks."""
    fault = record.marks.get("fault")
    acks = sorted((a for a in attempts if a.result == "ack"), key=lambda a: a.done or 0)
    times = [a.done for a in acks if a.done]
    gaps = [(b - a, a, b) for a, b in zip(times, times[1:])]
    longest = max(gaps, default=(0.0, None, None))
    w: dict[str, Any] = {
        "attempts": len(attempts),
        "acked": len(acks),
        "errors": sum(a.result == "error" for a in attempts),
        "timeouts": sum(a.result == "timeout" for a in attempts),
        "warnings": sum(a.result == "warning" for a in attempts),
        "late_commits": sum(1 for a in attempts if a.late and a.late.startswith("committed")),
        "write_gap_s": round(longest[0], 3),
        "write_gap_from": round(longest[1] - record.started, 2) if longest[1] else None,
        "acked_by": {s: sum(1 for a in acks if (a.server or "?") == s) for s in sorted({a.server or "?" for a in acks})},
    }
    if any(label.endswith(":begin") for label in record.marks):
        w["step_gaps_s"] = step_gaps(times, record.marks)
        w["step_acks"] = step_acks(times, record.marks)
    if fault is not None:
        first = min((t for t in times if t > fault), default=None)
        w["first_ack_after_fault_s"] = round(first - fault, 3) if first is not None else None
        if first is None:
            w["recovery_s"] = None  # nothing acknowledged after the fault: never recovered
        else:
            worst = max((g for g in gaps if g[2] > fault), default=None)
            w["recovery_s"] = round(worst[2] - fault, 3) if worst and worst[0] > 1.0 else 0.0
    # Acknowledgements after each mark ("fault", "healed", ...): a writer that stopped shows 0.
    w["acked_after"] = {label: sum(1 for t in times if t > at) for label, at in record.marks.items()}
    # From each mark to the first acknowledgement after it (None: none after it).
    w["first_ack_after_s"] = {label: (round(min(t for t in times if t > at) - at, 3) if w["acked_after"][label] else None)
                              for label, at in record.marks.items()}
    if newest is not None and final.leader:
        w["stale_acks"] = sum(1 for a in acks if (a.done or 0) > newest and a.server != final.leader)
    if final.rows is not None:
        missing = lost(acks, name, final.rows)
        w["acked_lost"] = len(missing)
        w["acked_lost_ids"] = missing[:50]
        acked_ids = {a.id for a in acks}
        w["unacked_present"] = sum(1 for (wr, i) in final.rows if wr == name and i not in acked_ids)
    errs: dict[str, int] = {}
    for a in attempts:
        if a.error:
            errs[a.error[:80]] = errs.get(a.error[:80], 0) + 1
    w["error_kinds"] = dict(sorted(errs.items(), key=lambda kv: -kv[1])[:8])
    return w


def vip_report(holders: list[HolderSample], fault: float | None, leader: str | None) -> dict[str, Any]:
    """Leader VIP holders: the most at once, and since when only the final leader holds it."""
    if not holders:
        return {}
    res: dict[str, Any] = {
        "vip_max_holders": max(len(h.holders) for h in holders),
        "vip_multi_holder_samples": sum(1 for h in holders if len(h.holders) > 1),
        "vip_holders_last": holders[-1].holders,
    }
    if fault is not None and leader:
        single_since = None
        for h in holders:
            if h.at < fault:
                continue
            if h.holders == [leader] and not h.unknown:
                single_since = single_since or h.at
            else:
                single_since = None
        res["vip_on_final_leader_only_after_s"] = round(single_since - fault, 2) if single_since else None
    return res


def analyse(record: Record, final: FinalState, sample_interval: float) -> dict[str, Any]:
    """The verdict of one run as a JSON-ready dict (keys asserted on by molecule/drills/tasks/run.yml)."""
    res: dict[str, Any] = {"run": record.run, "started": record.started, "stopped": record.stopped,
                           "duration_s": round(record.stopped - record.started, 1), "marks": record.marks}
    by_source: dict[str, list[Sample]] = {}
    for s in record.samples:
        by_source.setdefault(s.source, []).append(s)
    door_sources = [k for k in by_source if not k.startswith("member:")]
    # Overlaps on the runs that err towards "writable" (runs_of); times without a primary and the
    # promotion time on the certain ones (certain_runs).
    door_runs = merge(*(runs_of(by_source[k], sample_interval) for k in door_sources))
    member_runs = merge(*(runs_of(v, sample_interval) for k, v in by_source.items() if k.startswith("member:")))
    member_certain = merge(*(certain_runs(v) for k, v in by_source.items() if k.startswith("member:")))
    door_total, door_windows = overlap(door_runs)
    member_total, member_windows = overlap(member_runs)
    res["dual_primary_front_doors_s"] = round(door_total, 3)
    res["dual_primary_front_doors_windows"] = door_windows
    res["dual_primary_members_s"] = round(member_total, 3)
    res["dual_primary_members_windows"] = member_windows

    # Longest time in which no member answered as a primary (direct samplers).
    longest_none, reach = longest_without_primary(member_certain)
    res["no_primary_longest_s"] = round(longest_none, 3)
    if reach is not None:
        res["no_primary_at_end_s"] = round(max(0.0, record.stopped - reach - sample_interval * 2), 3)
    res["writable_runs"] = {m: [[round(a - record.started, 2), round(b - record.started, 2)] for a, b in v]
                            for m, v in member_runs.items()}

    res["final_leader"] = final.leader
    res["final_leader_is_primary"] = final.leader_is_primary
    if final.read_error:
        res["final_read_error"] = final.read_error
    # The newest promotion of the final leader: acks by anyone else after it are stale.
    newest = max((a for a, _b in member_certain.get(final.leader or "", [])), default=None)
    res["final_leader_promoted_at"] = round(newest - record.started, 2) if newest else None

    res["writers"] = {name: writer_report(name, [a for a in record.attempts if a.writer == name],
                                          record, final, newest)
                      for name in sorted({a.writer for a in record.attempts})}

    # Front doors at the end: who answers there now.
    for source in door_sources:
        last = [s for s in by_source[source] if s.member]
        res[f"{source}_last_answer"] = {"member": last[-1].member, "writable": last[-1].writable} if last else None
    res.update(vip_report(record.holders, record.marks.get("fault"), final.leader))
    res["sample_counts"] = {k: len(v) for k, v in by_source.items()}
    res["answered_sample_counts"] = {k: sum(1 for s in v if s.member is not None and s.writable is not None)
                                     for k, v in by_source.items()}
    return res


def _num(value: float | None) -> float:
    """A figure for the table: NaN where there is none."""
    return float("nan") if value is None else value


def table(res: dict[str, Any]) -> str:
    """The verdict as a short human-readable table."""
    lines = [f"run {res['run']}: {res['duration_s']} s, final leader {res['final_leader']}",
             f"  dual primary through front doors : {res['dual_primary_front_doors_s']:.2f} s",
             f"  dual primary among members       : {res['dual_primary_members_s']:.2f} s",
             f"  longest time without any primary : {res['no_primary_longest_s']:.2f} s"]
    if "vip_max_holders" in res:
        lines.append(f"  leader VIP holders (max / last)  : {res['vip_max_holders']} / {res['vip_holders_last']}"
                     f"; on final leader only after {res.get('vip_on_final_leader_only_after_s')} s")
    lines.append(f"  {'writer':<10}{'sent':>6}{'acked':>7}{'err':>5}{'tmo':>5}{'warn':>5}"
                 f"{'gap s':>8}{'recov s':>9}{'lost':>6}{'stale':>6}")
    for name, w in res["writers"].items():
        lines.append(f"  {name:<10}{w['attempts']:>6}{w['acked']:>7}{w['errors']:>5}{w['timeouts']:>5}"
                     f"{w['warnings']:>5}{w['write_gap_s']:>8.2f}{_num(w.get('recovery_s')):>9.2f}"
                     f"{w.get('acked_lost', '?')!s:>6}{w.get('stale_acks', '?')!s:>6}")
    return "\n".join(lines)
