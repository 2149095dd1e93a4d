"""The timeline section of a drill result (tests/drills/drill_timeline.py) and its picture
(tests/drills/drill_plot.py), on a small synthetic run: two writers with a failure burst,
a primary change from d1 to d2, both VIPs moving with it, a fault band."""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "drills"))

import drill_load  # noqa: E402  pylint: disable=wrong-import-position
import drill_plot  # noqa: E402  pylint: disable=wrong-import-position
import pgload  # noqa: E402  pylint: disable=wrong-import-position
from drill_analysis import (  # noqa: E402  pylint: disable=wrong-import-position
    Attempt, FinalState, HolderSample, Record, Sample, analyse)
from drill_timeline import dumps, record_of, timeline  # noqa: E402  pylint: disable=wrong-import-position

T0 = 1_700_000_000.0  # the start of the synthetic run (unix time)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def attempts(writer: str) -> list[Attempt]:
    """A write every 100 ms for 6 s; those sent in [2.0, 3.0) fail: errors, and every third a timeout."""
    out = []
    for i in range(60):
        sent = T0 + i * 0.1
        if 20 <= i < 30:
            result, done = ("timeout", sent + 2.0) if i % 3 == 0 else ("error", sent + 0.01)
            out.append(Attempt(writer, i + 1, sent, done, result, None, "OperationalError: gone"))
        else:
            out.append(Attempt(writer, i + 1, sent, sent + 0.005, "ack", "d1" if i < 20 else "d2"))
    return out


def member_samples() -> list[Sample]:
    """Every 200 ms: d1 primary until 2.4 s then silent, d2 replica then primary from 3.6 s."""
    out = []
    for k in range(30):
        t = T0 + k * 0.2
        d1 = True if k <= 12 else None
        d2 = k >= 18
        out.append(Sample("member:d1", t - 0.01, t, "d1" if d1 is not None else None, d1))
        out.append(Sample("member:d2", t - 0.01, t, "d2", d2))
    return out


def holder_samples() -> list[HolderSample]:
    """Every second: both VIPs on d1, then on d2 from 4 s; at 3 s d1 could not be asked."""
    out = []
    for s in range(7):
        on = ["d1"] if s < 4 else ["d2"]
        out.append(HolderSample(T0 + s, on if s != 3 else [], ["d1"] if s == 3 else [], on if s != 3 else []))
    return out


def record(with_holders: bool = True) -> Record:
    return Record(run="synthetic", started=T0, stopped=T0 + 6.0,
                  attempts=attempts("front") + attempts("vip"), samples=member_samples(),
                  holders=holder_samples() if with_holders else [],
                  marks={"fault": T0 + 2.0, "promoted": T0 + 3.6, "healed": T0 + 4.5})


def result(rec: Record) -> dict[str, Any]:
    """What pgload writes: the verdict and the timeline, through JSON."""
    acked = {(a.writer, a.id) for a in rec.attempts if a.result == "ack"}
    res = analyse(rec, FinalState(leader="d2", leader_is_primary=True, rows=acked), sample_interval=0.2)
    res["timeline"] = timeline(rec)
    return json.loads(dumps(res))


# ---- the VIP holder sampler: both VIPs from one look into each container ----------------------
class FakeExec:
    """Stands in for ``docker exec <container> ip -o -4 addr show``: its output, or a failure (None)."""

    def __init__(self, output: str | None) -> None:
        self.output = output
        self.returncode = 0 if output is not None else 1

    async def communicate(self) -> tuple[bytes, bytes]:
        return (self.output or "").encode(), b""


IP_OUTPUT = {
    "d1": "2: eth0    inet 10.0.0.11/24 brd 10.0.0.255 scope global eth0\n"
          "2: eth0    inet 10.0.0.100/32 scope global eth0\n",
    "d2": "2: eth0    inet 10.0.0.12/24 brd 10.0.0.255 scope global eth0\n"
          "2: eth0    inet 10.0.0.101/32 scope global eth0\n",
    "d3": None,
}


PIDS = {"d1": "101\n", "d2": "102\n", "d3": "0\n"}  # d3 is not running


@pytest.mark.parametrize("root", [False, True])
def test_holder_sampler_records_leader_and_balancer_vip(monkeypatch: pytest.MonkeyPatch, root: bool) -> None:
    calls: list[tuple[str, ...]] = []

    async def fake_exec(*argv: str, **_kwargs: Any) -> FakeExec:
        calls.append(argv)
        if argv[:2] == ("docker", "exec"):
            return FakeExec(IP_OUTPUT[argv[2]])
        if argv[:2] == ("docker", "inspect"):
            return FakeExec(PIDS[argv[-1]])
        assert argv[:3] == ("nsenter", "-t", argv[2]) and argv[3] == "-n"
        return FakeExec(IP_OUTPUT[{"101": "d1", "102": "d2"}[argv[2]]])

    monkeypatch.setattr(drill_load.asyncio, "create_subprocess_exec", fake_exec)
    monkeypatch.setattr(drill_load.os, "geteuid", lambda: 0 if root else 1000)
    args = argparse.Namespace(member=["d1=10.0.0.11", "d2=10.0.0.12", "d3=10.0.0.13"], dbname="postgres",
                              user="postgres", timeout=2.0, leader_vip="10.0.0.101", balancer="10.0.0.100",
                              holder_interval=0.01)
    load = drill_load.Load(args)

    async def one_sample() -> None:
        sampler = asyncio.ensure_future(load.vip_holder_sampler())
        while not load.holders:
            await asyncio.sleep(0.001)
        load.stopping.set()
        await sampler

    asyncio.run(one_sample())
    first = load.holders[0]
    assert (first.holders, first.unknown, first.balancer_holders) == (["d2"], ["d3"], ["d1"])
    # as root the sampler reads each namespace with nsenter (paused containers answer too), else docker exec
    assert any(c[0] == "nsenter" for c in calls) == root
    assert any(c[:2] == ("docker", "exec") for c in calls) != root


# ---- the timeline section -------------------------------------------------------------
def test_timeline_round_trips_through_json() -> None:
    rec = record()
    back = record_of(json.loads(json.dumps(timeline(rec))), rec.run)
    assert back.stopped == pytest.approx(6.0)
    assert back.marks == pytest.approx({"fault": 2.0, "promoted": 3.6, "healed": 4.5})
    assert len(back.attempts) == len(rec.attempts) == 120
    for a, b in zip(rec.attempts, back.attempts):
        assert (b.writer, b.id, b.result, b.server) == (a.writer, a.id, a.result, a.server)
        assert b.sent == pytest.approx(a.sent - T0, abs=1e-3)
        assert b.done == pytest.approx(a.done - T0, abs=1e-3)
    assert len(back.samples) == len(rec.samples)
    for a, b in zip(sorted(rec.samples, key=lambda s: (s.source, s.end)),
                    sorted(back.samples, key=lambda s: (s.source, s.end))):
        assert (b.source, b.member, b.writable) == (a.source, a.member, a.writable)
        assert (b.start, b.end) == pytest.approx((a.start - T0, a.end - T0), abs=1e-3)
    assert [(h.at, h.holders, h.unknown, h.balancer_holders) for h in back.holders] == \
        [(pytest.approx(h.at - T0), h.holders, h.unknown, h.balancer_holders) for h in rec.holders]


def test_timeline_keeps_pending_attempts_and_unsampled_balancer() -> None:
    rec = Record(run="r", started=T0, stopped=T0 + 1.0, attempts=[Attempt("front", 1, T0 + 0.5)],
                 holders=[HolderSample(T0 + 0.5, ["d1"])])
    back = record_of(json.loads(json.dumps(timeline(rec))))
    assert (back.attempts[0].result, back.attempts[0].done) == ("pending", None)
    assert back.holders[0].balancer_holders is None


def test_dumps_is_the_same_json_with_rows_on_one_line() -> None:
    res = result(record())
    text = dumps(res)
    assert json.loads(text) == json.loads(json.dumps(res))
    assert '\n    [1, 0.0, 0.005, "ack", "d1"],\n' in text
    assert '\n "final_leader": "d2",\n' in text  # the verdict stays indented as before


# ---- what the picture is made of ------------------------------------------------------------
def test_per_bin_counts_the_failure_burst() -> None:
    rec = record_of(timeline(record()))
    counts = drill_plot.per_bin([a for a in rec.attempts if a.writer == "front"], end=6.0)
    assert len(counts["ack"]) == 60
    assert counts["ack"][:20] == [1] * 20 and counts["ack"][30:] == [1] * 30
    assert counts["ack"][20:30] == [0] * 10
    assert counts["timeout"][20:30] == [0, 1, 0, 0, 1, 0, 0, 1, 0, 0]
    assert counts["failed"][20:30] == [1, 0, 1, 1, 0, 1, 1, 0, 1, 1]
    assert sum(map(sum, counts.values())) == 60


def test_spans_merge_equal_states_and_last_until_the_end() -> None:
    points = [(0.0, "a"), (1.0, "a"), (2.0, "b"), (3.0, "a")]
    assert drill_plot.spans(points, end=5.0) == [(0.0, 2.0, "a"), (2.0, 3.0, "b"), (3.0, 5.0, "a")]
    assert drill_plot.spans(list(reversed(points)), end=5.0) == drill_plot.spans(points, end=5.0)
    assert drill_plot.spans([], end=5.0) == []


def test_member_spans_show_the_primary_change() -> None:
    by_member = drill_plot.member_spans(record_of(timeline(record())).samples, end=6.0)
    assert list(by_member) == ["d1", "d2"]
    assert [s for _a, _b, s in by_member["d1"]] == ["primary", "silent"]
    assert [s for _a, _b, s in by_member["d2"]] == ["replica", "primary"]
    assert by_member["d1"][0][1] == pytest.approx(2.6)  # primary until the first silent sample
    assert by_member["d2"][1][0] == pytest.approx(3.6)
    assert by_member["d2"][1][1] == pytest.approx(6.0)


def test_holder_spans_follow_both_vips() -> None:
    rec = record_of(timeline(record()))
    spans = drill_plot.holder_spans(rec.holders, ["d1", "d2"], end=6.0)
    assert spans["d1"]["leader_vip"] == [(0.0, 3.0, "held"), (3.0, 4.0, "unknown"), (4.0, 6.0, "free")]
    assert spans["d2"]["balancer_vip"] == [(0.0, 4.0, "free"), (4.0, 6.0, "held")]


def test_holder_spans_without_balancer_samples() -> None:
    spans = drill_plot.holder_spans([HolderSample(0.0, ["d1"])], ["d1"], end=1.0)
    assert spans == {"d1": {"leader_vip": [(0.0, 1.0, "held")]}}


@pytest.mark.parametrize("marks, band", [
    ({"fault": 2.0, "promoted": 3.0, "healed": 5.0}, (2.0, 5.0)),
    ({"quorum_lost": 1.0, "fault": 2.0, "thaw": 4.0}, (2.0, 4.0)),
    ({"fault": 2.0}, None),
    ({"healed": 5.0}, None),
])
def test_fault_band(marks: dict[str, float], band: tuple[float, float] | None) -> None:
    assert drill_plot.fault_span(marks) == band


# ---- the picture ------------------------------------------------------------------------
def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header, which must be one."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_plot_draws_a_row_per_writer_then_members_and_vips(tmp_path: Path) -> None:
    res = result(record())
    png = tmp_path / "result.png"
    drill_plot.plot(res, png)
    width, height = png_size(png)
    assert width > 800 and height > 400
    axes = drill_plot.figure(res).axes
    assert len(axes) == 4
    assert [ax.get_ylabel().split("\n")[0] for ax in axes[:2]] == ["front", "vip"]
    assert axes[0].get_title(loc="left").startswith("writer front: 60 sent, 50 acknowledged, 7 failed, 3 timed out")
    assert [t.get_text() for t in axes[2].get_yticklabels()] == ["d1", "d2"]
    assert axes[3].get_title(loc="left").startswith("VIPs")
    assert axes[-1].get_xlim() == pytest.approx((0.0, 6.0), abs=0.01)


def test_plot_without_vip_samples_has_no_vip_row(tmp_path: Path) -> None:
    res = result(record(with_holders=False))
    axes = drill_plot.figure(res).axes
    assert len(axes) == 3
    assert axes[-1].get_title(loc="left").startswith("members")
    drill_plot.plot(res, tmp_path / "without.png")
    drill_plot.plot(result(record()), tmp_path / "with.png")
    assert png_size(tmp_path / "without.png")[1] < png_size(tmp_path / "with.png")[1]


def test_plot_refuses_a_result_without_timeline(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no timeline"):
        drill_plot.plot({"run": "old", "writers": {}}, tmp_path / "old.png")
    assert not (tmp_path / "old.png").exists()


def test_command_line_draws_next_to_each_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, old = tmp_path / "round-0.json", tmp_path / "summary.json"
    good.write_text(dumps(result(record())), encoding="utf-8")
    old.write_text(json.dumps({"rounds": []}), encoding="utf-8")
    assert drill_plot.main([str(good)]) == 0
    assert png_size(tmp_path / "round-0.png")
    assert drill_plot.main([str(old), str(good)]) == 1  # one file was not a pgload result
    assert "summary.json" in capsys.readouterr().err
    assert not (tmp_path / "summary.png").exists()


# ---- pgload draws it, or says in one line why not ----------------------------------------
def test_pgload_writes_the_picture_next_to_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pgload.draw_picture(result(record()), str(tmp_path / "result.json"))
    assert png_size(tmp_path / "result.png")
    assert capsys.readouterr().out == f"picture: {tmp_path / 'result.png'}\n"


def test_pgload_skips_the_picture_without_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "drill_plot", None)  # import drill_plot raises ImportError
    pgload.draw_picture(result(record()), str(tmp_path / "result.json"))
    out = capsys.readouterr().out
    assert out.startswith("picture skipped: ") and out.count("\n") == 1
    assert not (tmp_path / "result.png").exists()


def test_pgload_skips_a_picture_it_cannot_draw(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pgload.draw_picture({"run": "no timeline"}, str(tmp_path / "result.json"))
    assert capsys.readouterr().out.startswith("picture skipped: ValueError")
    assert not (tmp_path / "result.png").exists()
