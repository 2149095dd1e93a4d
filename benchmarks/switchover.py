"""Switchover benchmark against the loopback Patroni cluster of tests/integration/cluster.sh.

For each round it runs the pgha.patroni.switchover task (ansible, ad hoc) and measures
* the task's duration from the call to "new leader running, others streaming"
  (wall clock of the ansible call, and the module's own ``elapsed``);
* the write gap seen by a client that commits an INSERT every 100 ms over a direct
  libpq connection (multi-host, target_session_attrs=read-write, reconnecting on error):
  the longest interval between two successful commits, and the failed attempts.

Run with the Patroni venv's Python (it has psycopg and PyYAML):
    .cache/patroni-venv/bin/python benchmarks/switchover.py [--rounds 3]
The members' REST URLs come from the loopback cluster's inventory
(tests/integration/inventory: each member's pgha_address and pgha_restapi_port). It starts the cluster when
no member names a leader and stops it afterwards. Prints its figures; writes no file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg  # from the Patroni venv
import yaml  # from the Patroni venv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "drills"))

import patroni_lab  # noqa: E402  pylint: disable=wrong-import-position

CLUSTER_SH = str(ROOT / "tests" / "integration" / "cluster.sh")
INVENTORY = ROOT / "tests" / "integration" / "inventory" / "hosts.yml"
_MEMBERS = yaml.safe_load(INVENTORY.read_text(encoding="utf-8"))["all"]["children"]["postgres"]["hosts"]
API: list[str] = [patroni_lab.patroni_api_url(m["pgha_address"], m["pgha_restapi_port"], "http") for m in _MEMBERS.values()]
PASSWORD = os.environ.get("PGHA_IT_API_PASSWORD", "it-api-secret-0123456789")
DSN = ("host=127.0.0.1,127.0.0.1,127.0.0.1 port=5441,5442,5443 dbname=postgres user=postgres "
       "password=it-pg-secret target_session_attrs=read-write connect_timeout=1")
INTERVAL = 0.1


class Writer(threading.Thread):
    """Commits one row every 100 ms; records commit times and failures."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.commits: list[float] = []
        self.failures = 0
        self.stop = threading.Event()

    def run(self) -> None:
        conn = None
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(DSN, autocommit=True)
                conn.execute("INSERT INTO bench_writes (at) VALUES (clock_timestamp())")
                self.commits.append(time.monotonic())
            except psycopg.Error:
                self.failures += 1
                if conn is not None:
                    conn.close()
                conn = None
            self.stop.wait(max(0.0, INTERVAL - (time.monotonic() - started)))
        if conn is not None:
            conn.close()

    def gap(self, start: float, end: float) -> float:
        """Longest interval between commits around [start, end]."""
        times = [t for t in self.commits if start - 1 <= t <= end + 1]
        if len(times) < 2:
            return float("nan")
        return max(b - a for a, b in zip(times, times[1:]))


def leader() -> str | None:
    return patroni_lab.leader(API, timeout=2)


def switchover(candidate: str) -> tuple[float, float, bool]:
    started = time.monotonic()
    try:
        result = patroni_lab.run_module("pgha.patroni.switchover",
                                        {"api_url": API, "api_password": PASSWORD, "candidate": candidate})
    except RuntimeError as exc:
        sys.exit(str(exc))
    wall = time.monotonic() - started
    return wall, float(result.get("elapsed", "nan")), bool(result.get("changed"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = max(1, min(parser.parse_args().rounds, 10))
    started_cluster = leader() is None
    if started_cluster:
        subprocess.run([CLUSTER_SH, "install"], check=True)
        subprocess.run([CLUSTER_SH, "start"], check=True)
    try:
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS bench_writes (id bigserial PRIMARY KEY, at timestamptz)")
        writer = Writer()
        writer.start()
        time.sleep(2)
        rows = []
        for n in range(rounds):
            current = leader()
            candidate = "m2" if current != "m2" else "m1"
            t0 = time.monotonic()
            wall, elapsed, changed = switchover(candidate)
            t1 = time.monotonic()
            time.sleep(2)
            rows.append((n + 1, current, candidate, wall, elapsed, writer.gap(t0, t1), changed))
            print(f"round {n + 1}: {current} -> {candidate}: task {wall:.2f} s (module elapsed {elapsed:.2f} s), "
                  f"write gap {rows[-1][5]:.2f} s", flush=True)
        writer.stop.set()
        writer.join()
        print(f"writer: {len(writer.commits)} commits, {writer.failures} failed attempts (every {INTERVAL}s)")
        print(f"median over {rounds} rounds: task {statistics.median(r[3] for r in rows):.2f} s, "
              f"module elapsed {statistics.median(r[4] for r in rows):.2f} s, "
              f"write gap {statistics.median(r[5] for r in rows):.2f} s (max {max(r[5] for r in rows):.2f} s)")
    finally:
        if started_cluster:
            subprocess.run([CLUSTER_SH, "stop"], check=False)


if __name__ == "__main__":
    main()
