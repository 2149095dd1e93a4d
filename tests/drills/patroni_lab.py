"""A Patroni lab as the drills and the benchmarks see it: one helper for all of them.

* member REST URLs, built by the collection's own ``patroni_api_url``
  (plugins/plugin_utils/_cluster.py, loaded by file path, so this works from
  the checkout and from an installed collection without any sys.path setup);
* the cluster over the REST API: each member's ``GET /cluster`` view, the
  running leader, and the verdict "one running leader, every other member
  streaming on its timeline" (``cluster_verdict``, no I/O);
* the drills scenario's inventory (``read_scenario``): members, ports, VIPs
  and the credentials directory as molecule/drills gives them, falling back to
  the pgha role's defaults, so the benchmarks hard-code none of them;
* ``run_module``: one pgha.patroni module run on the controller, its result
  read from the ansible.posix.json callback.

Only the standard library at import time: read_scenario needs PyYAML and
Jinja2 (the controller venv has both).

Command line (the molecule drills pass ports from the inventory; benchmarks
shell scripts give --scenario):
    patroni_lab.py --scenario molecule/drills leader
    patroni_lab.py --member d1=172.30.78.11 ... --api-port PORT [--api-scheme http] healthy
``leader`` prints the running leader (exit 1 without one); ``healthy`` prints
the REST verdict as JSON (exit 0 when the cluster is whole).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Mapping, TypeVar

ROOT = Path(__file__).resolve().parents[2]  # the checkout, or the installed collection
ROLE_DEFAULTS = ROOT / "roles" / "pgha" / "defaults" / "main.yml"
T = TypeVar("T")


def _cluster_utils() -> ModuleType:
    path = ROOT / "plugins" / "plugin_utils" / "_cluster.py"
    spec = importlib.util.spec_from_file_location("pgha_plugin_utils_cluster", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_CLUSTER = _cluster_utils()
patroni_api_url: Callable[..., str] = _CLUSTER.patroni_api_url


# ---- REST ------------------------------------------------------------------------------
def api_urls(members: Mapping[str, str], port: int, scheme: str = "http") -> dict[str, str]:
    """Each member's REST base URL by member name (members: name -> address)."""
    return {name: patroni_api_url(address, port, scheme) for name, address in members.items()}


_CA_FILE: list[str] = []  # the CA that signed the REST API's certificates (use_ca_file)


def use_ca_file(path: str | None) -> None:
    """Verify https REST APIs against this CA bundle (the cluster CA) from now on."""
    _CA_FILE[:] = [path] if path else []


def get_json(url: str, timeout: float = 3.0) -> Any:
    """GET url and decode its JSON body; raises OSError or ValueError."""
    context = ssl.create_default_context(cafile=_CA_FILE[0] if _CA_FILE else None) if url.startswith("https://") else None
    with urllib.request.urlopen(url, timeout=timeout, context=context) as answer:
        return json.load(answer)


def cluster_view(url: str, timeout: float = 3.0) -> list[dict[str, Any]]:
    """The members as one member's REST API (base URL) lists them in GET /cluster."""
    members = get_json(f"{url}/cluster", timeout)["members"]
    if not isinstance(members, list):
        raise ValueError("GET /cluster: 'members' is not a list")
    return members


def cluster(urls: Iterable[str], timeout: float = 3.0) -> list[dict[str, Any]] | None:
    """The GET /cluster view of the first member that answers, or None."""
    for url in urls:
        try:
            return cluster_view(url, timeout)
        except (OSError, ValueError, KeyError):
            continue
    return None


def running_leader(view: list[dict[str, Any]] | None) -> str | None:
    """The member a view names as the running leader."""
    return next((m["name"] for m in view or [] if m.get("role") == "leader" and m.get("state") == "running"), None)


def leader(urls: Iterable[str], timeout: float = 3.0) -> str | None:
    """The running leader, as the first member that answers and names one sees it."""
    for url in urls:
        name = running_leader(cluster([url], timeout))
        if name:
            return name
    return None


def views(urls: Mapping[str, str], timeout: float = 3.0) -> dict[str, list[dict[str, Any]] | str]:
    """Every member's own view by member name, or the text of why it did not answer."""
    out: dict[str, list[dict[str, Any]] | str] = {}
    for name, url in urls.items():
        try:
            out[name] = cluster_view(url, timeout)
        except (OSError, ValueError, KeyError) as exc:
            out[name] = f"{type(exc).__name__}: {exc}"[:160]
    return out


def cluster_verdict(seen: Mapping[str, list[dict[str, Any]] | str]) -> dict[str, Any]:
    """Whether the cluster is whole by the REST API alone.

    Whole: every member answers, all name the same running leader, the leader's
    view lists every member, the others stream, all on one timeline. Returns
    {"healthy": bool, "leader", "replicas"} or {"healthy": False, "reason"}."""
    verdict: dict[str, Any] = {"healthy": False}
    answered = {name: view for name, view in seen.items() if not isinstance(view, str)}
    silent = [name for name in seen if name not in answered]
    if silent or not answered:
        verdict["reason"] = f"{silent[0]}: REST API does not answer ({seen[silent[0]]})" if silent else "no member"
        return verdict
    leaders = {name: running_leader(view) for name, view in answered.items()}
    verdict["leaders_seen"] = leaders
    names = set(leaders.values())
    the_leader = next(iter(names), None)
    if the_leader is None or len(names) != 1:
        verdict["reason"] = "the members do not agree on one running leader"
        return verdict
    view = answered.get(the_leader) or next(iter(answered.values()))
    others = [m for m in view if m["name"] != the_leader]
    if ({m["name"] for m in view} != set(seen) or any(m.get("state") != "streaming" for m in others)
            or len({m.get("timeline") for m in view}) != 1):
        verdict["reason"] = "not every other member streams on the leader's timeline: " + ", ".join(
            f"{m['name']} {m.get('role')} {m.get('state')} tl {m.get('timeline')}" for m in view)
        return verdict
    verdict.update(healthy=True, leader=the_leader, replicas=sorted(n for n in seen if n != the_leader))
    return verdict


def wait(look: Callable[[], T | None], timeout: float, interval: float = 1.0) -> T | None:
    """Call look until it returns something truthy or timeout passes; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        answer = look()
        if answer or time.monotonic() >= deadline:
            return answer
        time.sleep(interval)


# ---- the drills scenario's inventory ------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """How a molecule scenario's cluster is reached, read from its inventory."""

    members: dict[str, str]  # member name -> address
    api_urls: dict[str, str]  # member name -> REST base URL
    api_port: int
    api_scheme: str
    postgresql_port: int
    primary_port: int  # HAProxy's port of the primary, on the balancer VIP
    balancer_vip: str
    leader_vip: str
    credentials_dir: str
    ca_file: str  # the cluster CA on the controller, '' without TLS


def _lookup(plugin: str, *terms: str, default: str | None = None, **_kwargs: Any) -> str:
    """The env lookup, the only one the lab's inventory uses."""
    if plugin not in ("env", "ansible.builtin.env"):
        raise ValueError(f"lookup {plugin!r} is not supported outside Ansible")
    return ",".join(os.environ.get(t, default if default is not None else "") for t in terms)


def render(value: Any, variables: Mapping[str, Any]) -> Any:
    """An inventory value with its Jinja2 expressions resolved (nested ones too).

    Covers what the lab's inventory uses (variables, ``~``, ``default``,
    ``regex_replace``, the env lookup); anything else fails loudly."""
    import jinja2  # pylint: disable=import-outside-toplevel

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters["regex_replace"] = lambda text, pattern, repl="": re.sub(pattern, repl, str(text))
    env.filters["bool"] = _CLUSTER.as_bool
    env.globals["lookup"] = _lookup
    for _round in range(10):
        if not isinstance(value, str) or "{{" not in value:
            return value
        value = env.from_string(value).render(variables)
    raise ValueError(f"cannot resolve {value!r}")


def _yaml_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml"))
    return [p for p in (path.with_suffix(".yml"), path.with_suffix(".yaml")) if p.exists()]


def _read_yaml(paths: Iterable[Path]) -> dict[str, Any]:
    import yaml  # pylint: disable=import-outside-toplevel

    out: dict[str, Any] = {}
    for path in paths:
        out.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return out


def read_scenario(directory: Path, defaults: Path = ROLE_DEFAULTS) -> Scenario:
    """Members, ports, VIPs and credentials of a molecule scenario whose inventory links
    host_vars/ (one file per member, with pgha_address) and group_vars/ (every member is
    in every group, as in the drills scenario). Precedence as in Ansible: the pgha role's
    defaults, then group_vars (all first), then host_vars. A scenario that keeps them in an
    inventory/ subdirectory (the drills scenario: beside its verify.yml they would be the
    playbook's own variables on any inventory) is read from there."""
    if (directory / "inventory" / "group_vars").is_dir():
        directory = directory / "inventory"
    group_dir = directory / "group_vars"
    groups = sorted({p.stem for p in group_dir.iterdir()} - {"all"}) if group_dir.is_dir() else []
    group_vars = _read_yaml([*_yaml_files(group_dir / "all")] + [f for g in groups for f in _yaml_files(group_dir / g)])
    base = {**_read_yaml([defaults]), **group_vars}
    hostvars: dict[str, dict[str, Any]] = {}
    for path in sorted((directory / "host_vars").glob("*.yml")):
        raw = {**base, **_read_yaml([path]), "inventory_hostname": path.stem}
        hostvars[path.stem] = {key: render(raw[key], raw) for key in (
            "pgha_address", "pgha_member_name", "pgha_restapi_port", "pgha_restapi_scheme", "pgha_tls", "pgha_postgresql_port",
            "pgha_haproxy_primary_port", "pgha_balancer_vip", "pgha_leader_vip", "pgha_credentials_dir",
            "pgha_tls_controller_dir")
            if key in raw}
    if not hostvars:
        raise ValueError(f"{directory}/host_vars has no member")
    first = next(iter(hostvars.values()))
    members = _CLUSTER.patroni_members(list(hostvars), hostvars)
    return Scenario(members={m["name"]: m["address"] for m in members},
                    api_urls={m["name"]: m["api_url"] for m in members},
                    api_port=int(first["pgha_restapi_port"]),
                    api_scheme=str(first["pgha_restapi_scheme"]),
                    postgresql_port=int(first["pgha_postgresql_port"]),
                    primary_port=int(first["pgha_haproxy_primary_port"]),
                    balancer_vip=str(first.get("pgha_balancer_vip", "")),
                    leader_vip=str(first.get("pgha_leader_vip", "")),
                    credentials_dir=str(first["pgha_credentials_dir"]),
                    ca_file=(f"{first['pgha_tls_controller_dir']}/ca.crt" if _CLUSTER.as_bool(first["pgha_tls"]) else ""))


# ---- one module run on the controller ----------------------------------------------------
def run_module(name: str, params: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run one module on localhost with the checkout's venv and collection link; its result.

    Raises RuntimeError when ansible or the module fails."""
    environ = dict(env or os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"),
                   ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible"), "localhost", "-m", name,
                          "-a", json.dumps(dict(params))],
                         env=environ, capture_output=True, text=True, check=False, cwd=ROOT)
    try:
        # the JSON document, then whatever other enabled callbacks print (ansible.cfg: profile_tasks)
        document, _end = json.JSONDecoder().raw_decode(out.stdout[out.stdout.index("{"):])
        result = document["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError) as exc:
        raise RuntimeError(f"ansible -m {name} failed: {out.stdout[-2000:]}{out.stderr[-2000:]}") from exc
    if result.get("failed"):
        raise RuntimeError(f"{name} failed: {result.get('msg')}")
    return result


# ---- command line ---------------------------------------------------------------------------
def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    p.add_argument("--scenario", type=Path, help="a molecule scenario directory to read the members and ports from")
    p.add_argument("--member", action="append", default=[], help="NAME=ADDRESS of each member (repeat)")
    p.add_argument("--api-port", type=int, help="the members' REST API port (with --member)")
    p.add_argument("--api-scheme", default="http", choices=["http", "https"])
    p.add_argument("--api-ca", help="CA bundle that signed the REST API's certificates (https)")
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("what", choices=["leader", "healthy", "credentials-dir"])
    args = p.parse_args(argv)
    use_ca_file(args.api_ca)
    if args.what == "credentials-dir":
        if not args.scenario:
            p.error("credentials-dir needs --scenario")
        print(read_scenario(args.scenario).credentials_dir)
        return 0
    if args.scenario:
        scenario = read_scenario(args.scenario)
        use_ca_file(args.api_ca or scenario.ca_file)
        urls = scenario.api_urls
    elif args.member and args.api_port:
        urls = api_urls(dict(m.split("=", 1) for m in args.member), args.api_port, args.api_scheme)
    else:
        p.error("give --scenario, or --member NAME=ADDRESS (repeat) and --api-port")
    if args.what == "leader":
        name = leader(urls.values(), args.timeout)
        print(name or "")
        return 0 if name else 1
    verdict = cluster_verdict(views(urls, args.timeout))
    print(json.dumps(verdict))
    return 0 if verdict["healthy"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
