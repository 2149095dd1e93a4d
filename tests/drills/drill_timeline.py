"""The raw time series of one load run as a compact JSON section, and back.

pgload.py adds ``timeline(record)`` to its JSON result under the key
``timeline``; drill_plot.py draws the pictures from it, also long after the
lab is gone. Every time in it is in seconds since ``started`` (the start of
the load run), rounded to the millisecond; every series is a list of rows
whose columns ``fields`` names:

    {"started": 1732550000.123, "stopped": 40.2,
     "fields": {"attempts": ["id", "sent", "done", "result", "server"],
                "samples": ["start", "end", "member", "writable"],
                "holders": ["at", "leader_vip", "unknown", "balancer_vip"]},
     "marks": {"fault": 4.02, "healed": 31.7},
     "attempts": {"front": [[1, 0.0, 0.004, "ack", "d1"], ...], "vip": [...]},
     "samples": {"member:d1": [[0.0, 0.003, "d1", true], ...], "vip": [...]},
     "holders": [[0.5, ["d1"], [], ["d1"]], ...]}

``result`` is ack | error | warning | timeout | pending (drill_analysis.Attempt);
a sample's ``member`` and ``writable`` are null when nobody answered; a
holder row lists the containers holding the leader VIP, those that could not
be asked, and those holding the balancer VIP (null: not sampled).
``dumps`` writes a result with one row of a series per line. No I/O here.
"""

from __future__ import annotations

import json
from typing import Any

from drill_analysis import Attempt, HolderSample, Record, Sample

FIELDS = {"attempts": ["id", "sent", "done", "result", "server"],
          "samples": ["start", "end", "member", "writable"],
          "holders": ["at", "leader_vip", "unknown", "balancer_vip"]}


def since(started: float, at: float | None) -> float | None:
    """Seconds from started to at, to the millisecond (None stays None)."""
    return None if at is None else round(at - started, 3)


def timeline(record: Record) -> dict[str, Any]:
    """The JSON-ready timeline of a run: writers, samplers, VIP holders and marks."""
    t0 = record.started
    attempts: dict[str, list[list[Any]]] = {}
    for a in record.attempts:
        attempts.setdefault(a.writer, []).append([a.id, since(t0, a.sent), since(t0, a.done), a.result, a.server])
    samples: dict[str, list[list[Any]]] = {}
    for s in record.samples:
        samples.setdefault(s.source, []).append([since(t0, s.start), since(t0, s.end), s.member, s.writable])
    holders = [[since(t0, h.at), h.holders, h.unknown, h.balancer_holders] for h in record.holders]
    return {"started": t0, "stopped": since(t0, record.stopped), "fields": FIELDS,
            "marks": {label: since(t0, at) for label, at in record.marks.items()},
            "attempts": attempts, "samples": samples, "holders": holders}


def rows(section: dict[str, Any], series: str) -> list[dict[str, Any]]:
    """The rows of one series as dicts named by the section's own field list."""
    names = section.get("fields", FIELDS)[series]
    data = section.get(series) or []
    if isinstance(data, dict):
        return [dict(zip(names, row), key=key) for key, items in data.items() for row in items]
    return [dict(zip(names, row)) for row in data]


def record_of(section: dict[str, Any], run: str = "") -> Record:
    """A Record with the times of the timeline relative to the start (0 = start of the run)."""
    attempts = [Attempt(writer=r["key"], id=r["id"], sent=r["sent"], done=r["done"], result=r["result"],
                        server=r["server"]) for r in rows(section, "attempts")]
    samples = [Sample(r["key"], r["start"], r["end"], r["member"], r["writable"]) for r in rows(section, "samples")]
    holders = [HolderSample(r["at"], r["leader_vip"], r["unknown"], r.get("balancer_vip"))
               for r in rows(section, "holders")]
    return Record(run=run, started=0.0, stopped=section.get("stopped") or 0.0, attempts=attempts,
                  samples=samples, holders=holders, marks=dict(section.get("marks") or {}))


def is_row(value: Any) -> bool:
    """A list of plain values: written on one line."""
    return isinstance(value, (list, tuple)) and not any(isinstance(v, (dict, list, tuple)) for v in value)


def dumps(value: Any, level: int = 0) -> str:
    """JSON indented by one space per level, like json.dumps(indent=1), but lists of plain values on one line."""
    if is_row(value) or not isinstance(value, (dict, list, tuple)) or not value:
        return json.dumps(value, separators=(", ", ": "), default=str)
    inner, outer = " " * (level + 1), " " * level
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(str(k))}: {dumps(v, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + outer + "}"
    return "[\n" + ",\n".join(inner + dumps(v, level + 1) for v in value) + "\n" + outer + "]"
