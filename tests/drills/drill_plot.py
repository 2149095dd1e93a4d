"""The picture of one drill or benchmark run: a PNG timeline drawn from pgload's JSON result.

Rows, on one x axis in seconds (0 = start of the load run):

* one row per writer (``front``, ``vip``, ``direct``, ...): the writes it SENT
  in each 100 ms, stacked: acknowledged (green), failed (red: an error, a
  WARNING, or never finished) and timed out (dark red);
* members: one lane per member, from the member sampler: primary (accepts
  writes), replica, or no answer;
* VIPs (when the run looked into the containers): one lane per member, the
  upper half coloured while its container held the leader VIP, the lower
  half while it held the balancer VIP; two lanes coloured at once is a VIP
  on two nodes;
* on every row, the fault as a shaded band from the ``fault`` mark to the
  ``healed`` mark (else to the last mark after it) and every mark of the run
  as a labelled dashed line.

Everything comes from the result's ``timeline`` section (drill_timeline.py),
so a picture can be drawn again without a lab:

    .venv/bin/python tests/drills/drill_plot.py RESULT.json [...]

writes RESULT.png next to each RESULT.json. Drawn with matplotlib's Agg
canvas only (no display, no pyplot).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Iterable

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from drill_analysis import Attempt, HolderSample, Record, Sample
from drill_timeline import record_of

BIN_S = 0.1  # width of one bar of a writer row
# Outcome of an attempt -> (legend label, colour); drawn bottom-up in this order.
OUTCOMES = {"ack": ("acknowledged", "tab:green"), "failed": ("failed", "tab:red"),
            "timeout": ("timed out", "darkred")}
MEMBER_STATES = {"primary": ("primary (accepts writes)", "tab:blue"), "replica": ("replica", "lightgrey"),
                 "silent": ("no answer", "mistyrose")}
VIPS = {"leader_vip": ("leader VIP", "tab:purple"), "balancer_vip": ("balancer VIP", "tab:cyan"),
        "unknown": ("unknown (container did not answer)", "gainsboro")}
FAULT_COLOUR = "orange"

Span = tuple[float, float, str]  # start, end, state


def outcome(attempt: Attempt) -> str:
    """The OUTCOMES key of one attempt: only ``ack`` is an acknowledgement."""
    if attempt.result in ("ack", "timeout"):
        return attempt.result
    return "failed"


def per_bin(attempts: Iterable[Attempt], end: float, width: float = BIN_S) -> dict[str, list[int]]:
    """Per outcome, how many attempts were sent in each bin [k*width, (k+1)*width) of 0..end."""
    count = max(1, math.ceil(end / width))
    out = {key: [0] * count for key in OUTCOMES}
    for a in attempts:
        # the small addend keeps a send at exactly k*width (times are rounded to the ms) in bin k
        k = min(count - 1, max(0, math.floor(a.sent / width + 1e-6)))
        out[outcome(a)][k] += 1
    return out


def spans(points: Iterable[tuple[float, str]], end: float) -> list[Span]:
    """States seen at moments as spans: each lasts until the next moment (the last one until end);
    consecutive moments in the same state make one span."""
    ordered = sorted(points, key=lambda p: p[0])
    out: list[Span] = []
    for i, (at, state) in enumerate(ordered):
        until = ordered[i + 1][0] if i + 1 < len(ordered) else max(end, at)
        if out and out[-1][2] == state:
            out[-1] = (out[-1][0], until, state)
        else:
            out.append((at, until, state))
    return out


def member_state(sample: Sample) -> str:
    if sample.writable is None:
        return "silent"
    return "primary" if sample.writable else "replica"


def member_spans(samples: Iterable[Sample], end: float) -> dict[str, list[Span]]:
    """Per member (from its own sampler, source ``member:<name>``), primary / replica / silent spans."""
    points: dict[str, list[tuple[float, str]]] = {}
    for s in samples:
        if s.source.startswith("member:"):
            points.setdefault(s.source.split(":", 1)[1], []).append((s.end, member_state(s)))
    return {name: spans(points[name], end) for name in sorted(points)}


def holder_spans(holders: list[HolderSample], members: Iterable[str], end: float) -> dict[str, dict[str, list[Span]]]:
    """Per member, per VIP (leader_vip, balancer_vip), spans of held / free / unknown."""
    def state(h: HolderSample, name: str, held: list[str] | None) -> str:
        if name in h.unknown:
            return "unknown"
        return "held" if held and name in held else "free"

    out: dict[str, dict[str, list[Span]]] = {}
    for name in members:
        out[name] = {"leader_vip": spans([(h.at, state(h, name, h.holders)) for h in holders], end)}
        if any(h.balancer_holders is not None for h in holders):
            out[name]["balancer_vip"] = spans([(h.at, state(h, name, h.balancer_holders)) for h in holders], end)
    return out


def fault_span(marks: dict[str, float]) -> tuple[float, float] | None:
    """The fault band: from ``fault`` to ``healed``, else to the last mark after the fault."""
    start = marks.get("fault")
    if start is None:
        return None
    end = marks.get("healed", max((t for t in marks.values() if t > start), default=start))
    return (start, end) if end > start else None


# ---- drawing ------------------------------------------------------------------------
def draw_writer(ax: Axes, name: str, attempts: list[Attempt], end: float, summary: dict[str, Any]) -> None:
    counts = per_bin(attempts, end)
    edges = [k * BIN_S for k in range(len(counts["ack"]) + 1)]
    bottom = [0] * len(counts["ack"])
    for key, (label, colour) in OUTCOMES.items():
        top = [b + c for b, c in zip(bottom, counts[key])]
        ax.stairs(top, edges, baseline=bottom, fill=True, color=colour, label=label)
        bottom = top
    ax.set_ylim(0, max([1, *bottom]) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(f"{name}\nwrites / {int(BIN_S * 1000)} ms")
    totals = {key: sum(v) for key, v in counts.items()}
    lost = summary.get("acked_lost")
    ax.set_title(f"writer {name}: {len(attempts)} sent, {totals['ack']} acknowledged, {totals['failed']} failed, "
                 f"{totals['timeout']} timed out" + ("" if lost is None else f", {lost} acknowledged lost"),
                 loc="left", fontsize="small")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")


def lanes(ax: Axes, names: list[str], title: str) -> None:
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(max(1, len(names)) - 0.5, -0.5)
    ax.set_title(title, loc="left", fontsize="small")


def draw_members(ax: Axes, by_member: dict[str, list[Span]]) -> None:
    names = list(by_member)
    for lane, name in enumerate(names):
        for state, (_label, colour) in MEMBER_STATES.items():
            ranges = [(a, b - a) for a, b, s in by_member[name] if s == state]
            ax.broken_barh(ranges, (lane - 0.4, 0.8), facecolors=colour)
    lanes(ax, names, "members: who accepts writes (each member asked directly)")
    ax.legend(handles=[Patch(color=c, label=label) for label, c in MEMBER_STATES.values()],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")


def draw_vips(ax: Axes, by_member: dict[str, dict[str, list[Span]]]) -> None:
    names = list(by_member)
    shown = ["leader_vip"] + (["balancer_vip"] if any("balancer_vip" in per for per in by_member.values()) else [])
    for lane, name in enumerate(names):
        for vip, offset in (("leader_vip", -0.4), ("balancer_vip", 0.0)):
            colour = VIPS[vip][1]
            for state, face in (("held", colour), ("unknown", VIPS["unknown"][1])):
                ranges = [(a, b - a) for a, b, s in by_member[name].get(vip, []) if s == state]
                ax.broken_barh(ranges, (lane + offset, 0.38), facecolors=face)
    lanes(ax, names, "VIPs: which node holds them (upper half leader VIP, lower half balancer VIP)")
    ax.legend(handles=[Patch(color=VIPS[k][1], label=VIPS[k][0]) for k in (*shown, "unknown")],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")


def draw_marks(axes: list[Axes], marks: dict[str, float]) -> None:
    band = fault_span(marks)
    for ax in axes:
        if band:
            ax.axvspan(band[0], band[1], color=FAULT_COLOUR, alpha=0.2, zorder=0)
        for at in marks.values():
            ax.axvline(at, color="dimgrey", linestyle="--", linewidth=0.8)
    if marks:
        top = axes[0].secondary_xaxis("top")
        top.set_xticks(list(marks.values()), list(marks), fontsize="small", rotation=30, ha="left")


def title_of(result: dict[str, Any]) -> str:
    parts = [f"run {result.get('run', '?')}"]
    if result.get("final_leader"):
        parts.append(f"final leader {result['final_leader']}")
    recovery = (result.get("writers", {}).get("front") or {}).get("recovery_s")
    if recovery is not None:
        parts.append(f"front recovery {recovery} s")
    if "dual_primary_front_doors_s" in result:
        parts.append(f"dual primary via the front doors {result['dual_primary_front_doors_s']} s")
    return ", ".join(parts)


def by_writer(attempts: Iterable[Attempt]) -> dict[str, list[Attempt]]:
    """The attempts of each writer, writers in the order of their first attempt."""
    out: dict[str, list[Attempt]] = {}
    for a in attempts:
        out.setdefault(a.writer, []).append(a)
    return out


def vip_nodes(holders: Iterable[HolderSample]) -> set[str]:
    """Every node a holder sample names."""
    return {n for h in holders for n in (*h.holders, *h.unknown, *(h.balancer_holders or []))}


def figure(result: dict[str, Any]) -> Figure:
    """The figure of one result: a row per writer, the members, the VIPs (when sampled)."""
    section = result.get("timeline")
    if not section:
        raise ValueError("no timeline in this result (not a pgload result, "
                         "or written before pgload kept one)")
    record: Record = record_of(section, result.get("run", ""))
    end = max([record.stopped, *(a.done or a.sent for a in record.attempts), *(s.end for s in record.samples)])
    writers = by_writer(record.attempts)
    by_member = member_spans(record.samples, end)
    names = sorted(set(by_member) | vip_nodes(record.holders))
    by_member = {n: by_member.get(n, []) for n in names}
    heights = [1.6] * len(writers) + [0.5 + 0.35 * len(names)]
    if record.holders:
        heights.append(0.5 + 0.45 * len(names))
    fig = Figure(figsize=(13, 1.0 + sum(heights)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = list(fig.subplots(len(heights), 1, sharex=True, squeeze=False, height_ratios=heights)[:, 0])
    for ax, (name, attempts) in zip(axes, writers.items()):
        draw_writer(ax, name, attempts, end, result.get("writers", {}).get(name, {}))
    draw_members(axes[len(writers)], by_member)
    if record.holders:
        draw_vips(axes[len(writers) + 1], holder_spans(record.holders, names, end))
    draw_marks(axes, record.marks)
    axes[-1].set_xlim(0, end)
    axes[-1].set_xlabel("seconds since the start of the load run")
    fig.suptitle(title_of(result), fontsize="medium")
    return fig


def plot(result: dict[str, Any], png_path: str | Path) -> None:
    """Draw one result's timeline into png_path."""
    figure(result).savefig(png_path, dpi=100)


def png_path_for(json_path: str | Path) -> Path:
    """RESULT.json -> RESULT.png, next to it."""
    return Path(json_path).with_suffix(".png")


def plot_file(json_path: str | Path) -> Path:
    """Read a saved result and draw it next to itself; the PNG's path."""
    with open(json_path, encoding="utf-8") as handle:
        result = json.load(handle)
    png = png_path_for(json_path)
    plot(result, png)
    return png


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("results", nargs="+", metavar="RESULT.json", help="pgload JSON result(s) to draw")
    status = 0
    for path in parser.parse_args(argv).results:
        try:
            print(plot_file(path))
        except (OSError, ValueError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
