"""Write load, member sampler and analysis for the failure drills and benchmarks.

One process, one asyncio loop, three kinds of workers:

* writers: each commits one numbered row every ``--interval`` seconds through a
  libpq DSN (default: the balancer VIP, port 5000) and records, per attempt,
  the id, the time it was sent, and whether it was acknowledged. An attempt is
  acknowledged only when the INSERT (autocommit, so the COMMIT) returned
  without error AND without any WARNING notice: PostgreSQL reports a commit
  whose synchronous-replication wait was cancelled as a success with a
  WARNING. Every attempt has a client-side wall-clock bound (``--timeout``,
  connect included); when it passes, the attempt counts as not acknowledged
  and its connection is abandoned (a fresh one is opened for the next
  attempt). ``statement_timeout`` is never used.
* samplers: every ``--sample-interval`` seconds each member is asked directly
  whether it accepts writes (``pg_is_in_recovery() = false``); new
  connections through the balancer port and the leader VIP ask which server
  answers there and whether it is a primary; optionally (``--containers``)
  ``docker exec <c> ip -o -4 addr`` tells which container holds the leader VIP.
* analysis at the end: dual-primary windows through the front doors and
  among the members, write gap, recovery time after the ``fault`` mark,
  acknowledged writes missing on the final leader, acknowledgements by a
  member other than the newest primary after its promotion.

Everything is bounded: ``--max-duration`` ends the run even when nobody
touches ``--stop-file``. The password comes from PGPASSWORD (never a flag).

Example (the drills lab):
    PGPASSWORD=... .venv/bin/python tests/drills/pgload.py \\
        --member d1=172.30.78.11 --member d2=172.30.78.12 --member d3=172.30.78.13 \\
        --balancer 172.30.78.100 --leader-vip 172.30.78.101 --containers \\
        --stop-file /tmp/stop --marks /tmp/marks --out /tmp/result.json
Marks file: lines ``<label> <unix time>`` (e.g. ``fault 1732550000.12``) added by
the drill while the load runs; ``fault`` is the reference for recovery times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg

TABLE = "pgha_drill"
# Which member answers: its address, or (through a VIP) its host name, which is
# the member name in this collection. pg_read_file needs a superuser (the drills use postgres).
IDENTITY = ("SELECT host(inet_server_addr()), "
            "coalesce(trim(E'\\n ' FROM pg_read_file('/etc/hostname', 0, 64)), ''), pg_is_in_recovery()")


@dataclass
class Attempt:
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
    source: str  # member:<name> | port:<port> | vip
    start: float
    end: float
    member: str | None  # the member that answered (None: no answer)
    writable: bool | None  # None: no answer
    error: str | None = None


@dataclass
class HolderSample:
    at: float
    holders: list[str]
    unknown: list[str] = field(default_factory=list)


def now() -> float:
    return time.time()


def short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (type(exc).__name__ + ": " + (text[0] if text else ""))[:160]


class Load:
    """Runs writers and samplers until the stop file appears or max-duration passes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.members: dict[str, str] = dict(m.split("=", 1) for m in args.member)
        self.by_address = {addr: name for name, addr in self.members.items()}
        self.attempts: list[Attempt] = []
        self.samples: list[Sample] = []
        self.holders: list[HolderSample] = []
        self.stopping = asyncio.Event()
        self.pending: set[asyncio.Task[Any]] = set()
        self.started = now()
        self.stopped = self.started
        self.base = (f"dbname={args.dbname} user={args.user} "
                     f"connect_timeout={max(1, int(args.timeout))} application_name=pgload")

    # ---- helpers -----------------------------------------------------------------
    def who(self, address: str | None, hostname: str | None) -> str | None:
        """Member name of a server seen as (address, host name)."""
        if address in self.by_address:
            return self.by_address[address]
        if hostname in self.members:
            return hostname
        return address

    def dsn(self, hostport: str) -> str:
        host, _sep, port = hostport.partition(":")
        return f"host={host} port={port or 5432} {self.base}"

    def writer_dsns(self) -> list[tuple[str, str]]:
        out = []
        for spec in self.args.writer or [f"front=host={self.args.balancer} port={self.args.balancer_port}"]:
            name, _sep, dsn = spec.partition("=")
            out.append((name, f"{dsn} {self.base}"))
        return out

    async def bounded(self, coro: Any, timeout: float) -> tuple[bool, Any]:
        """Run coro with a wall-clock bound; on timeout abandon it (it cleans up itself)."""
        task = asyncio.ensure_future(coro)
        done, _pending = await asyncio.wait({task}, timeout=timeout)
        if task in done:
            if task.cancelled():
                return True, None
            return True, task.result() if task.exception() is None else task.exception()
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)
        return False, None

    async def ticker(self, interval: float, body: Any) -> None:
        next_at = asyncio.get_running_loop().time()
        while not self.stopping.is_set() and len(self.pending) < 200:
            await body()
            next_at += interval
            delay = next_at - asyncio.get_running_loop().time()
            if delay < 0:
                next_at = asyncio.get_running_loop().time()
                delay = 0
            try:
                await asyncio.wait_for(self.stopping.wait(), delay)
            except asyncio.TimeoutError:
                pass

    # ---- writers -----------------------------------------------------------------
    async def prepare(self) -> None:
        """Create the table through the first writer's DSN (retrying, bounded)."""
        deadline = now() + 60
        dsn = self.writer_dsns()[0][1]
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                    await conn.execute(
                        f"CREATE TABLE IF NOT EXISTS {TABLE} (run text, writer text, id int, "
                        "sent timestamptz, acked_by inet DEFAULT inet_server_addr(), "
                        "PRIMARY KEY (run, writer, id))")
                    return
            except psycopg.Error as exc:
                if now() > deadline:
                    raise SystemExit(f"cannot create {TABLE}: {short(exc)}") from exc
                await asyncio.sleep(1)

    async def writer(self, name: str, dsn: str) -> None:
        # state["conn"]: (connection, its notice list) reused while it works
        state: dict[str, Any] = {"conn": None, "id": 0}

        async def attempt(rec: Attempt, held: tuple[Any, list[str], str | None] | None) -> None:
            conn = held[0] if held else None
            try:
                if held is None:
                    notices: list[str] = []
                    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
                    conn.add_notice_handler(
                        lambda diag: notices.append(f"{diag.severity_nonlocalized}: {diag.message_primary}"))
                    ident = await (await conn.execute(IDENTITY)).fetchone()
                    if rec.result != "pending":  # abandoned while connecting: do not write late
                        await conn.close()
                        return
                    held = (conn, notices, self.who(ident[0], ident[1]))
                    state["conn"] = held
                notices = held[1]
                notices.clear()
                await conn.execute(
                    f"INSERT INTO {TABLE} (run, writer, id, sent) VALUES (%s, %s, %s, to_timestamp(%s))",
                    (self.args.run, name, rec.id, rec.sent))
                server = held[2]
                warnings = [n for n in notices if not n.startswith(("NOTICE", "DEBUG", "LOG", "INFO"))]
                if rec.result == "pending":
                    rec.done = now()
                    rec.server = server
                    rec.result = "warning" if warnings else "ack"
                    rec.error = "; ".join(warnings) or None
                else:  # abandoned earlier: note what happened late, never an acknowledgement
                    rec.server = server
                    rec.late = f"committed at +{now() - rec.sent:.1f}s" + (" with warning" if warnings else "")
                    await conn.close()
            except BaseException as exc:  # noqa: BLE001 - every failure is a result here
                if rec.result == "pending":
                    rec.done = now()
                    rec.result = "error"
                    rec.error = short(exc)
                else:
                    rec.late = "failed: " + short(exc)
                if conn is not None:
                    await conn.close()
                if held is not None and state["conn"] is held:
                    state["conn"] = None
                if isinstance(exc, asyncio.CancelledError):
                    raise

        async def one() -> None:
            state["id"] += 1
            rec = Attempt(writer=name, id=state["id"], sent=now())
            self.attempts.append(rec)
            finished, _result = await self.bounded(attempt(rec, state["conn"]), self.args.timeout)
            if not finished:
                rec.done = now()
                rec.result = "timeout"
                state["conn"] = None  # the abandoned attempt owns (and closes) it

        await self.ticker(self.args.interval, one)
        if state["conn"] is not None:
            await state["conn"][0].close()

    # ---- samplers ----------------------------------------------------------------
    async def member_sampler(self, name: str, address: str) -> None:
        holder: dict[str, Any] = {"conn": None}
        dsn = self.dsn(f"{address}:{self.args.port}")

        async def ask(start: float) -> Sample:
            conn = holder["conn"]
            try:
                if conn is None:
                    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
                    holder["conn"] = conn
                cur = await conn.execute("SELECT pg_is_in_recovery()")
                row = await cur.fetchone()
                return Sample(f"member:{name}", start, now(), name, not row[0])
            except BaseException as exc:  # noqa: BLE001
                if conn is not None:
                    await conn.close()
                if holder["conn"] is conn:
                    holder["conn"] = None
                if isinstance(exc, asyncio.CancelledError):
                    raise
                return Sample(f"member:{name}", start, now(), None, None, short(exc))

        async def one() -> None:
            start = now()
            finished, sample = await self.bounded(ask(start), self.args.sample_timeout)
            if not finished or not isinstance(sample, Sample):
                holder["conn"] = None
                sample = Sample(f"member:{name}", start, now(), None, None, "timeout")
            self.samples.append(sample)

        await self.ticker(self.args.sample_interval, one)
        if holder["conn"] is not None:
            await holder["conn"].close()

    async def door_sampler(self, source: str, hostport: str) -> None:
        dsn = self.dsn(hostport)

        async def ask(start: float) -> Sample:
            try:
                async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                    row = await (await conn.execute(IDENTITY)).fetchone()
                    return Sample(source, start, now(), self.who(row[0], row[1]), not row[2])
            except Exception as exc:  # noqa: BLE001 - any failure is "no answer"
                return Sample(source, start, now(), None, None, short(exc))

        async def one() -> None:
            start = now()
            finished, sample = await self.bounded(ask(start), self.args.sample_timeout)
            if not finished or not isinstance(sample, Sample):
                sample = Sample(source, start, now(), None, None, "timeout")
            self.samples.append(sample)

        await self.ticker(self.args.sample_interval, one)

    async def vip_holder_sampler(self) -> None:
        vip = self.args.leader_vip

        async def look(name: str) -> bool | None:
            proc = await asyncio.create_subprocess_exec(
                "docker", "exec", name, "ip", "-o", "-4", "addr", "show",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
            try:
                out, _err = await asyncio.wait_for(proc.communicate(), 2)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
                return None
            if proc.returncode != 0:
                return None
            return f" {vip}/" in out.decode()

        async def one() -> None:
            at = now()
            found = await asyncio.gather(*(look(n) for n in self.members))
            self.holders.append(HolderSample(
                at, [n for n, f in zip(self.members, found) if f],
                [n for n, f in zip(self.members, found) if f is None]))

        await self.ticker(self.args.holder_interval, one)

    async def watch_stop(self) -> None:
        deadline = self.started + self.args.max_duration
        while now() < deadline:
            if self.args.stop_file and os.path.exists(self.args.stop_file):
                break
            await asyncio.sleep(0.2)
        self.stopping.set()

    async def run(self) -> None:
        await self.prepare()
        self.started = now()
        workers = [self.watch_stop()]
        workers += [self.writer(n, d) for n, d in self.writer_dsns()]
        workers += [self.member_sampler(n, a) for n, a in self.members.items()]
        if self.args.balancer:
            workers.append(self.door_sampler(f"port:{self.args.balancer_port}",
                                             f"{self.args.balancer}:{self.args.balancer_port}"))
        if self.args.leader_vip:
            workers.append(self.door_sampler("vip", f"{self.args.leader_vip}:{self.args.port}"))
            if self.args.containers:
                workers.append(self.vip_holder_sampler())
        await asyncio.gather(*workers)
        self.stopped = now()


# ---- final state --------------------------------------------------------------------
def final_leader(members: dict[str, str], api_port: int) -> str | None:
    for address in members.values():
        try:
            with urllib.request.urlopen(f"http://{address}:{api_port}/cluster", timeout=3) as answer:
                for member in json.load(answer)["members"]:
                    if member["role"] == "leader" and member.get("state") == "running":
                        return member["name"]
        except (OSError, ValueError, KeyError):
            continue
    return None


def rows_on(address: str, args: argparse.Namespace) -> tuple[bool, set[tuple[str, int]]]:
    dsn = (f"host={address} port={args.port} dbname={args.dbname} user={args.user} "
           f"connect_timeout=3 application_name=pgload-final")
    with psycopg.connect(dsn, autocommit=True) as conn:
        primary = not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        rows = conn.execute(f"SELECT writer, id FROM {TABLE} WHERE run = %s", (args.run,)).fetchall()
    return primary, set(rows)


# ---- analysis -----------------------------------------------------------------------
def runs_of(samples: list[Sample]) -> dict[str, list[tuple[float, float]]]:
    """Per member, the intervals in which consecutive samples of ONE source saw it writable.

    An interval spans first..last writable answer of a run, so it is certain (up to
    one sample interval shorter than the truth, never longer)."""
    out: dict[str, list[tuple[float, float]]] = {}
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


def overlap(intervals: dict[str, list[tuple[float, float]]]) -> tuple[float, list[dict[str, Any]]]:
    """Total time in which two or more distinct members were writable, and the windows."""
    events: list[tuple[float, int, str]] = []
    for member, spans in intervals.items():
        for a, b in spans:
            if b > a:
                events += [(a, 1, member), (b, -1, member)]
    events.sort(key=lambda e: (e[0], e[1]))
    active: dict[str, int] = {}
    total, windows, opened = 0.0, [], None
    for t, delta, member in events:
        was = sum(1 for v in active.values() if v > 0) >= 2
        active[member] = active.get(member, 0) + delta
        is_ = sum(1 for v in active.values() if v > 0) >= 2
        if not was and is_:
            opened = (t, sorted(m for m, v in active.items() if v > 0))
        elif was and not is_ and opened is not None:
            total += t - opened[0]
            windows.append({"start": opened[0], "seconds": round(t - opened[0], 3), "members": opened[1]})
            opened = None
    return total, windows


def merge(*maps: dict[str, list[tuple[float, float]]]) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    for m in maps:
        for k, v in m.items():
            out.setdefault(k, []).extend(v)
    return out


def analyse(load: Load, args: argparse.Namespace, marks: dict[str, float]) -> dict[str, Any]:
    fault = marks.get("fault")
    res: dict[str, Any] = {"run": args.run, "started": load.started, "stopped": load.stopped,
                           "duration_s": round(load.stopped - load.started, 1), "marks": marks}
    by_source: dict[str, list[Sample]] = {}
    for s in load.samples:
        by_source.setdefault(s.source, []).append(s)
    door_sources = [k for k in by_source if not k.startswith("member:")]
    door_runs = merge(*(runs_of(by_source[k]) for k in door_sources))
    member_runs = merge(*(runs_of(v) for k, v in by_source.items() if k.startswith("member:")))
    door_total, door_windows = overlap(door_runs)
    member_total, member_windows = overlap(member_runs)
    res["dual_primary_front_doors_s"] = round(door_total, 3)
    res["dual_primary_front_doors_windows"] = door_windows
    res["dual_primary_members_s"] = round(member_total, 3)
    res["dual_primary_members_windows"] = member_windows

    # Longest time in which no member answered as a primary (direct samplers).
    spans = sorted(x for v in member_runs.values() for x in v)
    longest_none, reach = 0.0, None
    for a, b in spans:
        if reach is not None and a > reach:
            longest_none = max(longest_none, a - reach)
        reach = b if reach is None else max(reach, b)
    res["no_primary_longest_s"] = round(longest_none, 3)
    if reach is not None:
        res["no_primary_at_end_s"] = round(max(0.0, load.stopped - reach - args.sample_interval * 2), 3)

    # Promotion times: first writable answer of each member run (direct samplers).
    promotions = sorted((a, m) for m, spans in member_runs.items() for a, _end in spans)
    res["writable_runs"] = {m: [[round(a - load.started, 2), round(b - load.started, 2)] for a, b in v]
                            for m, v in member_runs.items()}

    leader = final_leader(load.members, args.api_port)
    res["final_leader"] = leader
    present: set[tuple[str, int]] | None = None
    if leader:
        try:
            primary, present = rows_on(load.members[leader], args)
            res["final_leader_is_primary"] = primary
        except psycopg.Error as exc:
            res["final_read_error"] = short(exc)
    # The newest promotion of the final leader: acks by anyone else after it are stale.
    newest = max((a for a, m in promotions if m == leader), default=None)
    res["final_leader_promoted_at"] = round(newest - load.started, 2) if newest else None

    writers: dict[str, Any] = {}
    for name in sorted({a.writer for a in load.attempts}):
        atts = [a for a in load.attempts if a.writer == name]
        acks = sorted((a for a in atts if a.result == "ack"), key=lambda a: a.done or 0)
        times = [a.done for a in acks if a.done]
        gaps = [(b - a, a, b) for a, b in zip(times, times[1:])]
        longest = max(gaps, default=(0.0, None, None))
        w: dict[str, Any] = {
            "attempts": len(atts),
            "acked": len(acks),
            "errors": sum(a.result == "error" for a in atts),
            "timeouts": sum(a.result == "timeout" for a in atts),
            "warnings": sum(a.result == "warning" for a in atts),
            "late_commits": sum(1 for a in atts if a.late and a.late.startswith("committed")),
            "write_gap_s": round(longest[0], 3),
            "write_gap_from": round(longest[1] - load.started, 2) if longest[1] else None,
            "acked_by": {s: sum(1 for a in acks if a.server == s) for s in sorted({a.server or "?" for a in acks})},
        }
        if fault is not None:
            after = [g for g in gaps if g[2] > fault]
            worst = max(after, default=None)
            w["recovery_s"] = round(worst[2] - fault, 3) if worst and worst[0] > 1.0 else 0.0
            w["first_ack_after_fault_s"] = round(min((t for t in times if t > fault), default=float("nan")) - fault, 3)
        if newest is not None and leader:
            w["stale_acks"] = sum(1 for a in acks if (a.done or 0) > newest and a.server != leader)
        if present is not None:
            lost = [a.id for a in acks if (name, a.id) not in present]
            w["acked_lost"] = len(lost)
            w["acked_lost_ids"] = lost[:50]
            acked_ids = {a.id for a in acks}
            w["unacked_present"] = sum(1 for (wr, i) in present if wr == name and i not in acked_ids)
        errs: dict[str, int] = {}
        for a in atts:
            if a.error:
                errs[a.error[:80]] = errs.get(a.error[:80], 0) + 1
        w["error_kinds"] = dict(sorted(errs.items(), key=lambda kv: -kv[1])[:8])
        writers[name] = w
    res["writers"] = writers

    # Front doors at the end: who answers there now.
    for source in door_sources:
        last = [s for s in by_source[source] if s.member]
        res[f"{source}_last_answer"] = {"member": last[-1].member, "writable": last[-1].writable} if last else None
    if load.holders:
        res["vip_max_holders"] = max(len(h.holders) for h in load.holders)
        multi = [h for h in load.holders if len(h.holders) > 1]
        res["vip_multi_holder_samples"] = len(multi)
        res["vip_holders_last"] = load.holders[-1].holders
        if fault is not None and leader:
            single_since = None
            for h in load.holders:
                if h.at < fault:
                    continue
                if h.holders == [leader] and not h.unknown:
                    single_since = single_since or h.at
                else:
                    single_since = None
            res["vip_on_final_leader_only_after_s"] = round(single_since - fault, 2) if single_since else None
    res["sample_counts"] = {k: len(v) for k, v in by_source.items()}
    return res


def table(res: dict[str, Any]) -> str:
    lines = [f"run {res['run']}: {res['duration_s']} s, final leader {res['final_leader']}"]
    lines.append(f"  dual primary through front doors : {res['dual_primary_front_doors_s']:.2f} s")
    lines.append(f"  dual primary among members       : {res['dual_primary_members_s']:.2f} s")
    lines.append(f"  longest time without any primary : {res['no_primary_longest_s']:.2f} s")
    if "vip_max_holders" in res:
        lines.append(f"  leader VIP holders (max / last)  : {res['vip_max_holders']} / {res['vip_holders_last']}"
                     f"; on final leader only after {res.get('vip_on_final_leader_only_after_s')} s")
    head = f"  {'writer':<10}{'sent':>6}{'acked':>7}{'err':>5}{'tmo':>5}{'warn':>5}{'gap s':>8}{'recov s':>9}{'lost':>6}{'stale':>6}"
    lines.append(head)
    for name, w in res["writers"].items():
        lines.append(f"  {name:<10}{w['attempts']:>6}{w['acked']:>7}{w['errors']:>5}{w['timeouts']:>5}"
                     f"{w['warnings']:>5}{w['write_gap_s']:>8.2f}{w.get('recovery_s', float('nan')):>9.2f}"
                     f"{w.get('acked_lost', '?')!s:>6}{w.get('stale_acks', '?')!s:>6}")
    return "\n".join(lines)


def read_marks(path: str | None) -> dict[str, float]:
    marks: dict[str, float] = {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                parts = line.split()
                if len(parts) == 2:
                    marks[parts[0]] = float(parts[1])
    return marks


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    p.add_argument("--member", action="append", default=[], help="NAME=ADDRESS of each member (repeat)")
    p.add_argument("--probe", metavar="HOST:PORT",
                   help="only ask HOST:PORT once which member answers and whether it accepts writes; "
                        "prints '<member> <true|false>' and exits 0, or exits 1 without an answer")
    p.add_argument("--writer", action="append",
                   help="NAME=DSN of a writer (repeat); default: front=host=<balancer> port=5000. "
                        "Multi-host: 'direct=host=a,b,c port=5432,5432,5432 target_session_attrs=read-write'")
    p.add_argument("--check-healthy", action="store_true",
                   help="only check once that the cluster is whole (see check_healthy); prints JSON, exit 0 if so")
    p.add_argument("--balancer", help="balancer VIP (samples port --balancer-port)")
    p.add_argument("--balancer-port", type=int, default=5000)
    p.add_argument("--leader-vip", help="leader VIP (samples VIP:--port)")
    p.add_argument("--containers", action="store_true",
                   help="also ask each member's container (docker exec, named like the member) for the leader VIP")
    p.add_argument("--port", type=int, default=5432)
    p.add_argument("--api-port", type=int, default=8008)
    p.add_argument("--dbname", default="postgres")
    p.add_argument("--user", default="postgres")
    p.add_argument("--run", default=f"run-{int(time.time())}", help="label of this run's rows")
    p.add_argument("--interval", type=float, default=0.1, help="seconds between writes")
    p.add_argument("--timeout", type=float, default=2.0, help="client-side bound of one write (connect + commit)")
    p.add_argument("--sample-interval", type=float, default=0.2)
    p.add_argument("--sample-timeout", type=float, default=1.0)
    p.add_argument("--holder-interval", type=float, default=1.0)
    p.add_argument("--max-duration", type=float, default=300.0, help="hard end of the run (seconds)")
    p.add_argument("--stop-file", help="the run ends when this file exists")
    p.add_argument("--marks", help="file of '<label> <unix time>' lines written during the run")
    p.add_argument("--out", help="write the JSON result here")
    p.add_argument("--raw", action="store_true", help="include every attempt and sample in the JSON")
    return p.parse_args(argv)


def probe(args: argparse.Namespace) -> int:
    host, _sep, port = args.probe.partition(":")
    names = {addr: name for name, addr in (m.split("=", 1) for m in args.member)}
    try:
        with psycopg.connect(host=host, port=int(port or 5432), dbname=args.dbname, user=args.user,
                             connect_timeout=max(1, int(args.timeout)), autocommit=True) as conn:
            address, hostname, recovery = conn.execute(IDENTITY).fetchone()
    except psycopg.Error as exc:
        print(short(exc))
        return 1
    name = names.get(address) or (hostname if hostname in names.values() else address)
    print(name, "false" if recovery else "true")
    return 0


def check_healthy(args: argparse.Namespace) -> int:
    """One look: every member's REST API names the same running leader, the others stream on
    its timeline, the leader VIP is on the leader's container only, port 5000 answers there as
    a primary. Prints a JSON verdict; exit 0 when healthy."""
    members = dict(m.split("=", 1) for m in args.member)
    verdict: dict[str, Any] = {"healthy": False}
    views = {}
    for name, address in members.items():
        try:
            with urllib.request.urlopen(f"http://{address}:{args.api_port}/cluster", timeout=3) as answer:
                views[name] = json.load(answer)["members"]
        except (OSError, ValueError, KeyError) as exc:
            verdict["reason"] = f"{name}: REST API does not answer ({short(exc)})"
    leaders = {name: next((m["name"] for m in view if m["role"] == "leader" and m["state"] == "running"), None)
               for name, view in views.items()}
    verdict["leaders_seen"] = leaders
    leader = next(iter(leaders.values()), None)
    if "reason" not in verdict:
        view = views[leader] if leader in views else []
        others = [m for m in view if m["name"] != leader]
        if leader is None or set(leaders.values()) != {leader}:
            verdict["reason"] = "the members do not agree on one running leader"
        elif len(view) != len(members) or any(m["state"] != "streaming" for m in others) \
                or len({m.get("timeline") for m in view}) != 1:
            verdict["reason"] = "not every other member streams on the leader's timeline: " + \
                ", ".join(f"{m['name']} {m['role']} {m['state']} tl {m.get('timeline')}" for m in view)
    if "reason" not in verdict and args.leader_vip and args.containers:
        holders = []
        for name in members:
            out = subprocess.run(["docker", "exec", name, "ip", "-o", "-4", "addr", "show"],
                                 capture_output=True, text=True, check=False, timeout=10)
            if f" {args.leader_vip}/" in out.stdout:
                holders.append(name)
        verdict["vip_holders"] = holders
        if holders != [leader]:
            verdict["reason"] = f"leader VIP on {holders}, leader {leader}"
    if "reason" not in verdict and args.balancer:
        try:
            with psycopg.connect(host=args.balancer, port=args.balancer_port, dbname=args.dbname, user=args.user,
                                 connect_timeout=3, autocommit=True) as conn:
                address, hostname, recovery = conn.execute(IDENTITY).fetchone()
            door = members and ({a: n for n, a in members.items()}.get(address) or hostname)
            verdict["port_answer"] = [door, not recovery]
            if door != leader or recovery:
                verdict["reason"] = f"port {args.balancer_port} answers on {door} (primary: {not recovery})"
        except psycopg.Error as exc:
            verdict["reason"] = f"port {args.balancer_port}: {short(exc)}"
    if "reason" not in verdict:
        verdict.update(healthy=True, leader=leader, replicas=sorted(n for n in members if n != leader))
    print(json.dumps(verdict))
    return 0 if verdict["healthy"] else 1


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.probe:
        return probe(args)
    if args.check_healthy:
        return check_healthy(args)
    if not args.member:
        raise SystemExit("give every member with --member NAME=ADDRESS")
    load = Load(args)
    # Not asyncio.run(): it would cancel and wait for abandoned attempts at the end.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(load.run())
    res = analyse(load, args, read_marks(args.marks))
    if args.raw:
        res["attempts"] = [asdict(a) for a in load.attempts]
        res["samples"] = [asdict(s) for s in load.samples]
        res["holders"] = [asdict(h) for h in load.holders]
    print(table(res))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(res, handle, indent=1, default=str)
    sys.stdout.flush()
    os._exit(0)  # abandoned attempts may still wait on a frozen server: do not wait for them


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
