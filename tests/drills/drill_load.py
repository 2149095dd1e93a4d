"""Write load and samplers of the failure drills and benchmarks (the asyncio part of pgload.py).

One process, one asyncio loop, three kinds of workers:

* writers: each commits one numbered row every ``--interval`` seconds through a
  libpq DSN and records, per attempt, the id, the time it was sent, and
  whether it was acknowledged. An attempt is acknowledged only when the INSERT
  (autocommit, so the COMMIT) returned without error AND without any WARNING
  notice: PostgreSQL reports a commit whose synchronous-replication wait was
  cancelled as a success with a WARNING. Every attempt has a client-side
  wall-clock bound (``--timeout``, connect included); when it passes, the
  attempt counts as not acknowledged and its connection is abandoned (a fresh
  one is opened for the next attempt). ``statement_timeout`` is never used.
* samplers: every ``--sample-interval`` seconds each member is asked directly
  whether it accepts writes (``pg_is_in_recovery() = false``); new
  connections through the balancer's primary port and the leader VIP ask
  which server answers there and whether it is a primary; optionally
  (``--containers``) ``docker exec <c> ip -o -4 addr`` tells which container
  holds the leader VIP.
* a stop watcher: the run ends when ``--stop-file`` exists or after
  ``--max-duration`` seconds.

``Load.run()`` returns a drill_analysis.Record of everything seen.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import psycopg

from drill_analysis import Attempt, HolderSample, Record, Sample
from drill_health import IDENTITY, IP_ADDR, TABLE, holds, member_of, short


def now() -> float:
    return time.time()


def read_marks(path: str | None) -> dict[str, float]:
    """The marks file: lines ``<label> <unix time>`` written by the drill during the run."""
    marks: dict[str, float] = {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                parts = line.split()
                if len(parts) == 2:
                    marks[parts[0]] = float(parts[1])
    return marks


class Load:
    """Runs writers and samplers until the stop file appears or max-duration passes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.members: dict[str, str] = dict(m.split("=", 1) for m in args.member)
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
    def dsn(self, hostport: str) -> str:
        host, _sep, port = hostport.partition(":")
        return f"host={host} port={port or self.args.port} {self.base}"

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
                    held = (conn, notices, member_of(ident[0], ident[1], self.members))
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
                    return Sample(source, start, now(), member_of(row[0], row[1], self.members), not row[2])
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
        vip, balancer = self.args.leader_vip, self.args.balancer

        pids: dict[str, int] = {}

        async def run(*argv: str) -> str | None:
            """stdout of one command; None when it failed or took over 2 s."""
            proc = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
            try:
                out, _err = await asyncio.wait_for(proc.communicate(), 2)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
                return None
            return out.decode() if proc.returncode == 0 else None

        async def addresses(name: str) -> str | None:
            """The container's ``ip addr`` output; None when it could not be asked.

            Read in the container's network namespace (nsenter, a few ms, and it
            answers for a paused container too), found by its PID, which is
            looked up again after a restart; ``docker exec`` where nsenter is
            not allowed (not root)."""
            if pids.get(name, 1) > 0 and os.geteuid() == 0:
                if name not in pids:
                    pid = await run("docker", "inspect", "-f", "{{.State.Pid}}", name)
                    pids[name] = int(pid.strip() or 0) if pid else 0
                    if not pids[name]:
                        pids.pop(name)
                        return None
                out = await run("nsenter", "-t", str(pids[name]), "-n", *IP_ADDR)
                if out is None:
                    pids.pop(name, None)  # gone or restarted: look the PID up next time
                return out
            return await run("docker", "exec", name, *IP_ADDR)

        async def one() -> None:
            at = now()
            seen = dict(zip(self.members, await asyncio.gather(*(addresses(n) for n in self.members))))
            self.holders.append(HolderSample(
                at, [n for n, out in seen.items() if out is not None and holds(out, vip)],
                [n for n, out in seen.items() if out is None],
                [n for n, out in seen.items() if out is not None and holds(out, balancer)] if balancer else None))

        await self.ticker(self.args.holder_interval, one)

    async def watch_stop(self) -> None:
        deadline = self.started + self.args.max_duration
        while now() < deadline:
            if self.args.stop_file and os.path.exists(self.args.stop_file):
                break
            await asyncio.sleep(0.2)
        self.stopping.set()

    async def run(self) -> Record:
        """Create the table, run every worker until the stop, return what they saw."""
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
        return Record(run=self.args.run, started=self.started, stopped=self.stopped, attempts=self.attempts,
                      samples=self.samples, holders=self.holders, marks=read_marks(self.args.marks))
