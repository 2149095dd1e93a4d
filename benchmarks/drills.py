"""Switchover write gap, unplanned failover time and acknowledged writes lost, on the drills lab.

Runs against the molecule scenario `drills` (d1-d3, 172.30.78.0/24), created and
converged by benchmarks/drills_lab.sh when it is not running. Not part of `make test`.
Every measurement comes from tests/drills/pgload.py (a write every 100 ms through
HAProxy's primary port on the balancer VIP, client-side timeouts, acknowledgement =
COMMIT without warning); members, ports and VIPs come from the scenario's inventory
(tests/drills/patroni_lab.py read_scenario). Each command prints a table and writes
benchmarks/results/<name>.json; every round's own pgload result and its picture
(tests/drills/drill_plot.py: writes per 100 ms of each writer, who is primary,
which node holds each VIP, the fault band) stay next to it as
benchmarks/results/<name>/<round>.json and .png (the last run's only; a new
run of the same benchmark clears them first).

    .venv/bin/python benchmarks/drills.py switchover --rounds 5
    .venv/bin/python benchmarks/drills.py switchover --rounds 5 --haproxy classic
    .venv/bin/python benchmarks/drills.py switchover --rounds 5 --tls both
    .venv/bin/python benchmarks/drills.py switchover --rounds 5 --vip-mode keepalived
    .venv/bin/python benchmarks/drills.py failover --rounds 3 --profile fast
    .venv/bin/python benchmarks/drills.py failover --rounds 3 --profile default
    .venv/bin/python benchmarks/drills.py loss --rounds 2 --durability async
    .venv/bin/python benchmarks/drills.py loss --rounds 2 --durability strict
    .venv/bin/python benchmarks/drills.py defences --rounds 1
    .venv/bin/python benchmarks/drills.py plot benchmarks/results/failover_fast [FILE.json ...]
    .venv/bin/python benchmarks/drills.py --plot benchmarks/results/failover_fast   (the same)

``defences`` runs the Patroni-freeze drill (``loss``, asynchronous) with the
split-brain defences off -- no fence, no leader VIP guard, no HAProxy
shutdown-sessions, turned off at run time on the running lab -- and then on
again, and prints both; it writes benchmarks/results/defences.json.

``plot`` needs no lab: it draws the pictures again from saved pgload results
(files, or directories of them), each PNG next to its JSON.

Profiles: fast = ttl 20, loop_wait 2, retry_timeout 5 (the drills scenario's);
default = ttl 30, loop_wait 10, retry_timeout 10 (the role's defaults). The
profile is applied to the running cluster with pgha.patroni.edit_config and
the fast one is restored at the end.

``switchover --tls both`` rebuilds the lab twice, with pgha_tls false and then
true (the inventory's default, so the lab ends as the inventory says), times
a second converge of each (the re-run of site.yml, changed=0) and prints both
side by side; it writes benchmarks/results/switchover_drills_tls.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "drills"))

import patroni_lab  # noqa: E402  pylint: disable=wrong-import-position
from drill_health import Login, check_healthy  # noqa: E402  pylint: disable=wrong-import-position

PGLOAD = ROOT / "tests" / "drills" / "pgload.py"
RESULTS = ROOT / "benchmarks" / "results"
SCENARIO = ROOT / "molecule" / "drills"
PROFILES = {"fast": {"ttl": 20, "loop_wait": 2, "retry_timeout": 5},
            "default": {"ttl": 30, "loop_wait": 10, "retry_timeout": 10}}


class Lab:
    """The drills lab: its members, ports and VIPs from the scenario's inventory, read once."""

    def __init__(self, tls: bool | None = None, keep: Path | None = None) -> None:
        """tls None: the lab as it runs; True/False: rebuild it with pgha_tls set so.
        keep: the directory where every round's pgload result and picture stay (None: nowhere)."""
        self.keep = keep
        env = dict(os.environ)
        if tls is not None:
            env.update(PGHA_FRESH="1", PGHA_CONVERGE_ARGS=f"-e pgha_tls={str(tls).lower()}")
        subprocess.run([str(ROOT / "benchmarks" / "drills_lab.sh")], check=True, cwd=ROOT, env=env)
        self.scenario = patroni_lab.read_scenario(SCENARIO)
        if tls is False:
            self.scenario = dataclasses.replace(
                self.scenario, api_scheme="http", ca_file="",
                api_urls=patroni_lab.api_urls(self.scenario.members, self.scenario.api_port, "http"))
        creds = Path(self.scenario.credentials_dir)
        self.api_password = (creds / "patroni_restapi").read_text(encoding="utf-8").strip()
        pg_password = (creds / "patroni_superuser").read_text(encoding="utf-8").strip()
        self.env = dict(os.environ, PGPASSWORD=pg_password,
                        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"))
        self.login = Login(password=pg_password)
        self.urls = list(self.scenario.api_urls.values())
        patroni_lab.use_ca_file(self.scenario.ca_file)

    # ---- state ---------------------------------------------------------------------
    def wait_new_leader(self, old: str, timeout: float = 180) -> None:
        """Wait (bounded) until a member other than old leads, asking only the others."""
        others = [url for name, url in self.scenario.api_urls.items() if name != old]
        patroni_lab.wait(lambda: patroni_lab.leader(others, 2) not in (None, old), timeout, 0.5)

    def wait_healthy(self, timeout: float = 180) -> str:
        """Wait (bounded) until the cluster is whole; the leader."""
        leader = patroni_lab.wait(self.healthy_leader, timeout, 1.0)
        if not leader:
            raise SystemExit("the drills cluster did not become healthy in time")
        return leader

    def healthy_leader(self) -> str | None:
        verdict = check_healthy(self.scenario.members, self.scenario.api_urls, self.login, leader_vip=self.scenario.leader_vip,
                                containers=True, balancer=self.scenario.balancer_vip,
                                balancer_port=self.scenario.primary_port)
        return verdict.get("leader") if verdict["healthy"] else None

    # ---- actions -------------------------------------------------------------------
    def module(self, name: str, **params: Any) -> dict[str, Any]:
        try:
            return patroni_lab.run_module(name, params | {"api_url": self.urls, "api_password": self.api_password,
                                                          "ca_cert": self.scenario.ca_file})
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from exc

    def profile(self, timing: str, durability: str) -> None:
        config: dict[str, Any] = dict(PROFILES[timing])
        strict = durability == "strict"
        config.update(synchronous_mode=strict, synchronous_mode_strict=strict)
        self.module("pgha.patroni.edit_config", config=config)
        if strict:
            patroni_lab.wait(lambda: any(m["role"] == "sync_standby" for m in patroni_lab.cluster(self.urls) or []),
                             60, 1.0)

    def under_load(self, label: str, action: Callable[[Callable[[str], None]], None],
                   direct: str | None = None) -> dict[str, Any]:
        """Run pgload, call action(mark) after 4 s, wait healthy (mark healed), 4 s more, return the
        analysis; with keep, pgload's result and picture stay there as <label>.json and <label>.png."""
        lab = self.scenario
        with tempfile.TemporaryDirectory(prefix="pgha-bench-") as tmp:
            stop, marks, out = (os.path.join(tmp, n) for n in ("stop", "marks", "result.json"))
            if self.keep:
                out = str(self.keep / f"{label}.json")
            args = [sys.executable, str(PGLOAD), "--balancer", lab.balancer_vip, "--leader-vip", lab.leader_vip,
                    "--containers", "--port", str(lab.postgresql_port), "--balancer-port", str(lab.primary_port),
                    "--api-port", str(lab.api_port), "--api-scheme", lab.api_scheme, "--api-ca", lab.ca_file,
                    "--run", f"{label}-{int(time.time())}", "--max-duration", "300",
                    "--stop-file", stop, "--marks", marks, "--out", out,
                    "--writer", f"front=host={lab.balancer_vip} port={lab.primary_port}"]
            args += [f"--member={n}={a}" for n, a in lab.members.items()]
            if direct:
                args += ["--writer", f"direct=host={lab.members[direct]} port={lab.postgresql_port}"]
            with subprocess.Popen(args, env=self.env, stdout=subprocess.PIPE, text=True) as proc:
                time.sleep(4)

                def mark(name: str) -> None:
                    with open(marks, "a", encoding="utf-8") as handle:
                        handle.write(f"{name} {time.time()}\n")

                action(mark)
                self.wait_healthy()
                mark("healed")
                time.sleep(4)
                open(stop, "w", encoding="utf-8").close()
                table, _err = proc.communicate(timeout=120)
            print(table)
            with open(out, encoding="utf-8") as handle:
                return json.load(handle)


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 2), "max": round(max(values), 2),
            "min": round(min(values), 2), "n": len(values)} if values else {}


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# HAProxy health-check timings: the role's defaults, and the commonly copied ones.
HAPROXY = {"ours": {"haproxy_check_inter": "1s", "haproxy_check_fastinter": "500ms",
                    "haproxy_check_downinter": "1s", "haproxy_check_fall": 2, "haproxy_check_rise": 1},
           "classic": {"haproxy_check_inter": "3s", "haproxy_check_fastinter": "3s",
                       "haproxy_check_downinter": "3s", "haproxy_check_fall": 3, "haproxy_check_rise": 2}}


def apply_haproxy(lab: Lab, timing: str) -> None:
    """Re-render haproxy.cfg on the drills lab with the given check timings (reload, no restart)."""
    subprocess.run([str(ROOT / ".venv" / "bin" / "molecule"), "converge", "-s", "drills", "--",
                    "--tags", "haproxy_configure", "-e", json.dumps(HAPROXY[timing])],
                   env=dict(lab.env, PATH=str(ROOT / ".venv" / "bin") + os.pathsep + os.environ["PATH"]),
                   cwd=ROOT, check=True, capture_output=True)


def converge_lab(*extra: str) -> None:
    """Converge the running drills lab again with extra ansible-playbook arguments (none: as the inventory says)."""
    env = dict(os.environ, PATH=str(ROOT / ".venv" / "bin") + os.pathsep + os.environ.get("PATH", ""),
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"))
    subprocess.run([str(ROOT / ".venv" / "bin" / "molecule"), "converge", "-s", "drills", "--", *extra],
                   env=env, cwd=ROOT, check=True, capture_output=True)


def bench_switchover(lab: Lab, rounds: int, haproxy: str = "ours", vip_mode: str = "as-built") -> dict[str, Any]:
    lab.profile("fast", "async")
    if haproxy != "ours":
        apply_haproxy(lab, haproxy)
    if vip_mode != "as-built":
        converge_lab("-e", f"pgha_leader_vip_mode={vip_mode}")
    try:
        rows = switchover_rounds(lab, rounds)
    finally:
        if haproxy != "ours":
            apply_haproxy(lab, "ours")
        if vip_mode != "as-built":
            converge_lab()
    gaps = [r["write_gap_s"] for r in rows]
    return {"haproxy": HAPROXY[haproxy] | {"name": haproxy}, "leader_vip_mode": vip_mode, "rounds": rows,
            "write_gap_s": summary(gaps),
            "request_to_recovered_s": summary([r["request_to_recovered_s"] or 0.0 for r in rows]),
            # None when a round sampled no VIP holder at all: never read as "at most one"
            "leader_vip_max_holders": (None if any(r["leader_vip_max_holders"] is None for r in rows)
                                       else max(r["leader_vip_max_holders"] for r in rows))}


def rerun_seconds(tls: bool) -> float:
    """Wall time of a converge of the running drills lab (a re-run: nothing to change), the faster of two."""
    return min(_converge_seconds(tls), _converge_seconds(tls))


def _converge_seconds(tls: bool) -> float:
    started = time.monotonic()
    converge_lab("-e", f"pgha_tls={str(tls).lower()}")
    return round(time.monotonic() - started, 1)


def bench_tls(rounds: int, keep: Path) -> dict[str, Any]:
    """Switchover write gap and the re-run time of site.yml with TLS off, then on, on fresh labs."""
    out: dict[str, Any] = {"rounds": []}
    for tls in (False, True):
        key = "tls_on" if tls else "tls_off"
        lab = Lab(tls, keep=fresh_rounds_dir(keep / key))
        rerun = rerun_seconds(tls)
        res = bench_switchover(lab, rounds)
        out[key] = {"write_gap_s": res["write_gap_s"], "request_to_recovered_s": res["request_to_recovered_s"],
                    "rerun_site_s": rerun, "rounds": res["rounds"]}
        out["rounds"] += [{"tls": key} | r for r in res["rounds"]]
    print("\n                       TLS off     TLS on")
    for label, path in (("write gap median (s)", ("write_gap_s", "median")), ("write gap max (s)", ("write_gap_s", "max")),
                        ("recovered median (s)", ("request_to_recovered_s", "median"))):
        print(f"{label:22} {out['tls_off'][path[0]][path[1]]:>7}    {out['tls_on'][path[0]][path[1]]:>7}")
    print(f"{'site.yml re-run (s)':22} {out['tls_off']['rerun_site_s']:>7}    {out['tls_on']['rerun_site_s']:>7}")
    return out


def switchover_rounds(lab: Lab, rounds: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(rounds):
        leader = lab.wait_healthy()
        candidate = sorted(n for n in lab.scenario.members if n != leader)[i % 2]

        def act(mark: Any, candidate: str = candidate) -> None:
            mark("fault")
            lab.module("pgha.patroni.switchover", candidate=candidate)

        res = lab.under_load(f"bench-switchover-{i}", act)
        w = res["writers"]["front"]
        rows.append({"from": leader, "to": candidate, "write_gap_s": w["write_gap_s"],
                     "request_to_recovered_s": w.get("recovery_s"),
                     "failed_attempts": w["errors"] + w["timeouts"], "acked_lost": w.get("acked_lost"),
                     "front_door_dual_s": res["dual_primary_front_doors_s"],
                     "leader_vip_max_holders": res.get("vip_max_holders")})
    return rows


def bench_failover(lab: Lab, rounds: int, timing: str) -> dict[str, Any]:
    lab.profile(timing, "async")
    rows = []
    try:
        for i in range(rounds):
            leader = lab.wait_healthy()

            def act(mark: Any, leader: str = leader) -> None:
                mark("fault")
                subprocess.run(["docker", "kill", leader], check=True, capture_output=True)
                lab.wait_new_leader(leader)
                mark("promoted")
                subprocess.run(["docker", "start", leader], check=True, capture_output=True)

            res = lab.under_load(f"bench-failover-{timing}-{i}", act)
            w = res["writers"]["front"]
            rows.append({"crashed": leader, "new_leader": res["final_leader"],
                         "crash_to_first_ack_s": w["recovery_s"], "write_gap_s": w["write_gap_s"],
                         "promoted_after_s": round(res["marks"]["promoted"] - res["marks"]["fault"], 2),
                         "acked_lost": w.get("acked_lost"),
                         "front_door_dual_s": res["dual_primary_front_doors_s"]})
    finally:
        lab.profile("fast", "async")
    return {"profile": PROFILES[timing] | {"name": timing}, "rounds": rows,
            "crash_to_first_ack_s": summary([r["crash_to_first_ack_s"] for r in rows])}


def bench_loss(lab: Lab, rounds: int, durability: str, tag: str = "") -> dict[str, Any]:
    """tag: part of each round's name (its JSON and picture), so two calls in one run keep both."""
    lab.profile("fast", durability)
    rows = []
    try:
        for i in range(rounds):
            leader = lab.wait_healthy()

            def act(mark: Any, leader: str = leader) -> None:
                pid = subprocess.run(["docker", "exec", leader, "systemctl", "show", "-p", "MainPID", "--value",
                                      "patroni"], check=True, capture_output=True, text=True).stdout.strip()
                mark("fault")
                subprocess.run(["docker", "exec", leader, "kill", "-STOP", pid], check=True)
                lab.wait_new_leader(leader)
                mark("promoted")
                time.sleep(8)
                subprocess.run(["docker", "exec", leader, "kill", "-CONT", pid], check=True)

            res = lab.under_load(f"bench-loss-{durability}{tag}-{i}", act, direct=leader)
            rows.append({"frozen": leader, "new_leader": res["final_leader"],
                         "members_dual_s": res["dual_primary_members_s"],
                         "front_door_dual_s": res["dual_primary_front_doors_s"],
                         "front_acked_lost": res["writers"]["front"].get("acked_lost"),
                         "direct_acked_lost": res["writers"]["direct"].get("acked_lost"),
                         "front_recovery_s": res["writers"]["front"].get("recovery_s"),
                         "vip_single_after_s": res.get("vip_on_final_leader_only_after_s")})
    finally:
        lab.profile("fast", "async")
    return {"durability": durability, "fault": "Patroni SIGSTOP on the leader until a new leader + 8 s",
            "rounds": rows,
            "front_acked_lost": summary([r["front_acked_lost"] or 0 for r in rows]),
            "direct_acked_lost": summary([r["direct_acked_lost"] or 0 for r in rows]),
            "members_dual_s": summary([r["members_dual_s"] for r in rows])}


def set_defences(lab: Lab, on: bool) -> None:
    """Turn the split-brain defences off or on again on every member, at run time: the fence
    (pgha-fence), the leader VIP guard (pgha-vip-guard) and HAProxy's on-marked-down
    shutdown-sessions (haproxy.cfg kept aside and put back, then a reload)."""
    cfg, kept = "/etc/haproxy/haproxy.cfg", "/etc/haproxy/haproxy.cfg.pgha-defences"
    haproxy = (f"cp -p {kept} {cfg} && rm -f {kept}" if on else
               f"cp -p {cfg} {kept} && sed -i 's/ on-marked-down shutdown-sessions//' {cfg}")
    for member in lab.scenario.members:
        units = "pgha-fence pgha-vip-guard"
        subprocess.run(["docker", "exec", member, "sh", "-c",
                        f"systemctl {'start' if on else 'stop'} {units}; "
                        f"if [ -e {kept} ] || [ {str(on).lower()} = false ]; then {haproxy}; fi; "
                        "systemctl reload haproxy"], check=True, capture_output=True)


def bench_defences(lab: Lab, rounds: int) -> dict[str, Any]:
    """The Patroni-freeze drill (async) with the defences off, then on, in one run (issue 16)."""
    out: dict[str, Any] = {"fault": "Patroni SIGSTOP on the leader until a new leader + 8 s (asynchronous, fast profile)",
                           "defences": "pgha-fence, pgha-vip-guard, HAProxy on-marked-down shutdown-sessions"}
    try:
        for state in ("off", "on"):
            set_defences(lab, state == "on")
            lab.wait_healthy()
            res = bench_loss(lab, rounds, "async", tag=f"-defences-{state}")
            out[state] = {k: res[k] for k in ("rounds", "front_acked_lost", "direct_acked_lost", "members_dual_s")}
    finally:
        set_defences(lab, True)
    out["rounds"] = [dict(r, defences=state) for state in ("off", "on") for r in out[state]["rounds"]]
    return out


def result_name(args: argparse.Namespace) -> str:
    """The name of a benchmark's results: benchmarks/results/<name>.json and <name>/."""
    if args.what == "switchover" and args.tls == "both":
        return "switchover_drills_tls"
    if args.what == "switchover":
        name = "switchover_drills" if args.haproxy == "ours" else f"switchover_drills_{args.haproxy}"
        return name if args.vip_mode == "as-built" else f"{name}_vip_{args.vip_mode}"
    if args.what == "failover":
        return f"failover_{args.profile}"
    if args.what == "defences":
        return "defences"
    return f"loss_{args.durability}"


def fresh_rounds_dir(path: Path) -> Path:
    """The directory of one benchmark's rounds, without the results and pictures of an earlier run."""
    path.mkdir(parents=True, exist_ok=True)
    for old in [*path.glob("*.json"), *path.glob("*.png")]:
        old.unlink()
    return path


def redraw(paths: list[Path]) -> int:
    """Draw the pictures of saved pgload results again (files, or directories of them); no lab."""
    import drill_plot  # pylint: disable=import-outside-toplevel  # only this command needs matplotlib
    files = [f for p in paths for f in (sorted(p.rglob("*.json")) if p.is_dir() else [p])]
    if not files:
        print("no JSON results there", file=sys.stderr)
        return 1
    return drill_plot.main([str(f) for f in files])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("switchover")
    s.add_argument("--rounds", type=int, default=5)
    s.add_argument("--haproxy", choices=sorted(HAPROXY), default="ours",
                   help="HAProxy check timings during the run (classic: inter 3s fall 3 rise 2)")
    s.add_argument("--vip-mode", choices=["as-built", "callback", "keepalived"], default="as-built",
                   help="converge the lab with this pgha_leader_vip_mode for the run, and back as built after")
    s.add_argument("--tls", choices=["as-built", "both"], default="as-built",
                   help="both: rebuild the lab with TLS off, then on, and compare (about 10 minutes more)")
    f = sub.add_parser("failover")
    f.add_argument("--rounds", type=int, default=3)
    f.add_argument("--profile", choices=sorted(PROFILES), default="fast")
    loss = sub.add_parser("loss")
    loss.add_argument("--rounds", type=int, default=2)
    loss.add_argument("--durability", choices=["async", "strict"], default="async")
    d = sub.add_parser("defences", help="the Patroni-freeze drill with the defences off, then on")
    d.add_argument("--rounds", type=int, default=1)
    p = sub.add_parser("plot", help="draw the pictures again from saved pgload results (no lab)")
    p.add_argument("results", nargs="+", type=Path, metavar="FILE.json|DIR",
                   help="pgload results, or directories of them (benchmarks/results/<name>)")
    argv = sys.argv[1:]
    args = parser.parse_args(["plot", *argv[1:]] if argv[:1] == ["--plot"] else argv)  # --plot: as plot
    if args.what == "plot":
        return redraw(args.results)
    rounds = max(1, min(args.rounds, 20))
    name = result_name(args)
    keep = RESULTS / name
    before = loadavg()
    started = time.time()
    if args.what == "switchover" and args.tls == "both":
        res = bench_tls(rounds, keep)
    elif args.what == "switchover":
        res = bench_switchover(Lab(keep=fresh_rounds_dir(keep)), rounds, args.haproxy, args.vip_mode)
    elif args.what == "failover":
        res = bench_failover(Lab(keep=fresh_rounds_dir(keep)), rounds, args.profile)
    elif args.what == "defences":
        res = bench_defences(Lab(keep=fresh_rounds_dir(keep)), rounds)
    else:
        res = bench_loss(Lab(keep=fresh_rounds_dir(keep)), rounds, args.durability)
    res.update(loadavg_before=before, loadavg_after=loadavg(), cpus=os.cpu_count(),
               seconds=round(time.time() - started), when=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    print(f"\n{name}: load average before {before}, after {res['loadavg_after']} on {os.cpu_count()} CPUs")
    rows = res["rounds"]
    keys = list(rows[0])
    print("  ".join(f"{k:>20}" for k in keys))
    for r in rows:
        print("  ".join(f"{r[k]!s:>20}" for k in keys))
    for k, v in res.items():
        if isinstance(v, dict) and "median" in v:
            print(f"{k}: median {v['median']}  max {v['max']}  (n={v['n']})")
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / f"{name}.json", "w", encoding="utf-8") as handle:
        json.dump(res, handle, indent=2)
    print(f"results: {RESULTS / name}.json, rounds and pictures in {keep}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
