"""Write load, member sampler and analysis for the failure drills and benchmarks.

The command line of three parts, each in its own module next to this file:
drill_load.py (the asyncio writers and samplers), drill_analysis.py (pure
functions that decide whether a drill passed) and drill_health.py (one look
at the cluster: probe, health, final leader and its rows; the REST API through
patroni_lab.py, which builds member URLs with the collection's
patroni_api_url). Every port comes from the caller (the molecule drills pass
the inventory's); the password from PGPASSWORD (never a flag).

Three modes:
  (default)        run the load until --stop-file exists or --max-duration
                   passes, then print a table and write the JSON verdict (--out)
                   with the run's raw time series under "timeline"
                   (drill_timeline.py) and its picture next to it: --out
                   result.json also writes result.png (drill_plot.py; skipped
                   with one line when matplotlib cannot be imported)
  --probe H:P      ask H:P once which member answers and whether it accepts
                   writes: prints '<member> <true|false>', exit 1 without answer
  --check-healthy  one look whether the cluster is whole: prints JSON, exit 0 if so

Example (the drills lab; the ports are the inventory's pgha_postgresql_port,
pgha_restapi_port and pgha_haproxy_primary_port, as molecule/drills passes them):
    PGPASSWORD=... .venv/bin/python tests/drills/pgload.py \\
        --member d1=172.30.78.11 --member d2=172.30.78.12 --member d3=172.30.78.13 \\
        --port "$PG_PORT" --api-port "$API_PORT" --balancer-port "$PRIMARY_PORT" \\
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
import sys
import time
from dataclasses import asdict
from typing import Any

import psycopg

import patroni_lab
from drill_analysis import analyse, table
from drill_health import Login, check_healthy, final_state, probe, short
from drill_load import Load
from drill_timeline import dumps, timeline


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    p.add_argument("--member", action="append", default=[], help="NAME=ADDRESS of each member (repeat)")
    p.add_argument("--probe", metavar="HOST:PORT",
                   help="only ask HOST:PORT once which member answers and whether it accepts writes; "
                        "prints '<member> <true|false>' and exits 0, or exits 1 without an answer")
    p.add_argument("--writer", action="append",
                   help="NAME=DSN of a writer (repeat); default: front=host=<balancer> port=<balancer-port>. "
                        "Multi-host: 'direct=host=a,b,c port=P,P,P target_session_attrs=read-write'")
    p.add_argument("--check-healthy", action="store_true",
                   help="only check once that the cluster is whole (drill_health.check_healthy); "
                        "prints JSON, exit 0 if so")
    p.add_argument("--balancer", help="balancer VIP (samples port --balancer-port)")
    p.add_argument("--balancer-port", type=int, help="HAProxy's primary port on the balancer VIP")
    p.add_argument("--balancer-off-leader", action="store_true",
                   help="with --check-healthy and --containers: the balancer VIP must sit on one member other "
                        "than the leader (keepalived_balancer_avoid_leader)")
    p.add_argument("--leader-vip", help="leader VIP (samples VIP:--port)")
    p.add_argument("--containers", action="store_true",
                   help="also ask each member's container (docker exec, named like the member) which VIPs it holds")
    p.add_argument("--port", type=int, help="PostgreSQL port of the members and the leader VIP")
    p.add_argument("--api-port", type=int, help="Patroni REST API port of the members")
    p.add_argument("--api-scheme", default="http", choices=["http", "https"])
    p.add_argument("--api-ca", help="CA bundle that signed the REST API's certificates (https)")
    p.add_argument("--dbname", default="postgres")
    p.add_argument("--user", default="postgres")
    p.add_argument("--run", default=f"run-{int(time.time())}", help="label of this run's rows")
    p.add_argument("--interval", type=float, default=0.1, help="seconds between writes")
    p.add_argument("--timeout", type=float, default=2.0, help="client-side bound of one write (connect + commit)")
    p.add_argument("--sample-interval", type=float, default=0.2)
    p.add_argument("--sample-timeout", type=float, default=1.0)
    p.add_argument("--holder-interval", type=float, default=0.1,
                   help="seconds between two looks at who holds the VIPs (nsenter as root; docker exec otherwise)")
    p.add_argument("--max-duration", type=float, default=300.0, help="hard end of the run (seconds)")
    p.add_argument("--stop-file", help="the run ends when this file exists")
    p.add_argument("--marks", help="file of '<label> <unix time>' lines written during the run")
    p.add_argument("--out", help="write the JSON result here")
    p.add_argument("--raw", action="store_true", help="include every attempt and sample in the JSON")
    args = p.parse_args(argv)
    needed = []
    if args.probe:
        if not args.probe.rpartition(":")[2].isdigit():
            p.error("--probe needs HOST:PORT")
    elif args.check_healthy:
        needed = ["member", "api_port"] + (["balancer_port"] if args.balancer else [])
    else:
        needed = ["member", "port", "api_port"] + (["balancer_port"] if args.balancer else [])
        if not args.writer and not args.balancer:
            p.error("give --writer NAME=DSN, or --balancer (and --balancer-port) for the default writer")
    missing = ["--" + n.replace("_", "-") for n in needed if not getattr(args, n)]
    if missing:
        p.error(f"this mode needs {', '.join(missing)}")
    return args


def run_probe(args: argparse.Namespace, members: dict[str, str]) -> int:
    host, _sep, port = args.probe.rpartition(":")
    try:
        name, writable = probe(host, int(port), members, Login(args.dbname, args.user, args.timeout))
    except psycopg.Error as exc:
        print(short(exc))
        return 1
    print(name, "true" if writable else "false")
    return 0


def draw_picture(res: dict[str, Any], out: str) -> None:
    """The run's timeline as a PNG next to its JSON; a missing matplotlib or a drawing error
    only skips the picture (one line), never the drill."""
    try:
        import drill_plot  # pylint: disable=import-outside-toplevel  # matplotlib is optional here
    except ImportError as exc:
        print(f"picture skipped: {short(exc)}")
        return
    png = drill_plot.png_path_for(out)
    try:
        drill_plot.plot(res, png)
    except Exception as exc:  # noqa: BLE001 - a picture never fails the drill
        print(f"picture skipped: {short(exc)}")
        return
    print(f"picture: {png}")


def run_load(args: argparse.Namespace, members: dict[str, str], urls: dict[str, str]) -> None:
    load = Load(args)
    # Not asyncio.run(): it would cancel and wait for abandoned attempts at the end.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    record = loop.run_until_complete(load.run())
    final = final_state(members, urls, args.port, Login(args.dbname, args.user), args.run)
    res = analyse(record, final, args.sample_interval)
    if args.raw:
        res["attempts"] = [asdict(a) for a in record.attempts]
        res["samples"] = [asdict(s) for s in record.samples]
        res["holders"] = [asdict(h) for h in record.holders]
    res["timeline"] = timeline(record)
    print(table(res))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(dumps(res) + "\n")
        draw_picture(res, args.out)
    sys.stdout.flush()
    os._exit(0)  # abandoned attempts may still wait on a frozen server: do not wait for them


def main(argv: list[str]) -> int:
    args = parse(argv)
    members: dict[str, str] = dict(m.split("=", 1) for m in args.member)
    if args.probe:
        return run_probe(args, members)
    patroni_lab.use_ca_file(args.api_ca)
    urls = patroni_lab.api_urls(members, args.api_port, args.api_scheme)
    if args.check_healthy:
        verdict = check_healthy(members, urls, Login(args.dbname, args.user), leader_vip=args.leader_vip,
                                containers=args.containers, balancer=args.balancer,
                                balancer_port=args.balancer_port, balancer_off_leader=args.balancer_off_leader)
        print(json.dumps(verdict))
        return 0 if verdict["healthy"] else 1
    run_load(args, members, urls)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
