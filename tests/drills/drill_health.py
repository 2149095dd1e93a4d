"""The state of a drills cluster, looked at once.

Which member answers on an address and port and whether it accepts writes
(``probe``), which containers hold the leader VIP (``vip_holders``), whether
the cluster is whole (``check_healthy``: the REST verdict of patroni_lab plus
the leader VIP and the balancer's primary port), and who leads with which
rows at the end of a load run (``final_state``). Used by pgload.py and
benchmarks/drills.py. SQL goes through psycopg with the password from
PGPASSWORD; the REST API is read through patroni_lab.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import psycopg

import patroni_lab
from drill_analysis import FinalState

TABLE = "pgha_drill"
# Which member answers: its address, or (through a VIP) its host name, which is
# the member name in this collection. pg_read_file needs a superuser (the drills use postgres).
IDENTITY = ("SELECT host(inet_server_addr()), "
            "coalesce(trim(E'\\n ' FROM pg_read_file('/etc/hostname', 0, 64)), ''), pg_is_in_recovery()")


@dataclass(frozen=True)
class Login:
    """How the tools log in to PostgreSQL (without a password: PGPASSWORD's)."""

    dbname: str = "postgres"
    user: str = "postgres"
    timeout: float = 3.0
    password: str | None = field(default=None, repr=False)

    def connect(self, host: str, port: int) -> psycopg.Connection[Any]:
        extra = {"password": self.password} if self.password else {}
        return psycopg.connect(host=host, port=port, dbname=self.dbname, user=self.user,
                               connect_timeout=max(1, int(self.timeout)), autocommit=True,
                               application_name="pgload-health", **extra)


def short(exc: BaseException) -> str:
    """An exception as one short line."""
    text = str(exc).strip().splitlines()
    return (type(exc).__name__ + ": " + (text[0] if text else ""))[:160]


def member_of(address: str | None, hostname: str | None, members: Mapping[str, str]) -> str | None:
    """Member name of a server seen as (address, host name); members: name -> address."""
    by_address = {addr: name for name, addr in members.items()}
    if address in by_address:
        return by_address[address]
    if hostname in members:
        return hostname
    return address


def probe(host: str, port: int, members: Mapping[str, str], login: Login) -> tuple[str | None, bool]:
    """(member, accepts writes) of the server answering on host:port; raises psycopg.Error."""
    with login.connect(host, port) as conn:
        row = conn.execute(IDENTITY).fetchone()
    assert row is not None  # a SELECT without FROM returns one row
    address, hostname, recovery = row
    return member_of(address, hostname, members), not recovery


# What a container is asked for its addresses; holds() reads the answer.
IP_ADDR = ["ip", "-o", "-4", "addr", "show"]


def holds(ip_addr_output: str, address: str) -> bool:
    """Whether ``ip -o -4 addr show`` output lists address on some interface."""
    return f" {address}/" in ip_addr_output


def vip_holders(containers: Iterable[str], vip: str) -> list[str]:
    """The containers (named like the members) that hold the VIP, by ``docker exec ... ip addr``."""
    holders = []
    for name in containers:
        out = subprocess.run(["docker", "exec", name, *IP_ADDR],
                             capture_output=True, text=True, check=False, timeout=10)
        if holds(out.stdout, vip):
            holders.append(name)
    return holders


def check_healthy(members: Mapping[str, str], api_urls: Mapping[str, str], login: Login, *,
                  leader_vip: str | None = None, containers: bool = False,
                  balancer: str | None = None, balancer_port: int | None = None,
                  balancer_off_leader: bool = False) -> dict[str, Any]:
    """One look: the REST verdict (one running leader, the others streaming on its timeline);
    with containers, the leader VIP on the leader's container only (and, with
    balancer_off_leader, the balancer VIP on one member that is not the leader); with a
    balancer, its primary port answering on the leader as a primary. A JSON-ready verdict."""
    verdict = patroni_lab.cluster_verdict(patroni_lab.views(api_urls, login.timeout))
    leader = verdict.get("leader")
    if verdict["healthy"] and leader_vip and containers:
        holders = vip_holders(members, leader_vip)
        verdict["vip_holders"] = holders
        if holders != [leader]:
            verdict.update(healthy=False, reason=f"leader VIP on {holders}, leader {leader}")
    if verdict["healthy"] and balancer and containers and balancer_off_leader:
        holders = vip_holders(members, balancer)
        verdict["balancer_vip_holders"] = holders
        if len(holders) != 1 or leader in holders:
            verdict.update(healthy=False, reason=f"balancer VIP on {holders}, expected one member other than {leader}")
    if verdict["healthy"] and balancer and balancer_port:
        try:
            door, writable = probe(balancer, balancer_port, members, login)
            verdict["port_answer"] = [door, writable]
            if door != leader or not writable:
                verdict.update(healthy=False, reason=f"port {balancer_port} answers on {door} (primary: {writable})")
        except psycopg.Error as exc:
            verdict.update(healthy=False, reason=f"port {balancer_port}: {short(exc)}")
    if not verdict["healthy"]:
        verdict.pop("leader", None)
        verdict.pop("replicas", None)
    return verdict


def rows_on(address: str, port: int, login: Login, run: str) -> tuple[bool, set[tuple[str, int]]]:
    """(is a primary, the (writer, id) rows of this run) on one member."""
    with login.connect(address, port) as conn:
        row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        rows = conn.execute(f"SELECT writer, id FROM {TABLE} WHERE run = %s", (run,)).fetchall()
    return not (row and row[0]), {(str(w), int(i)) for w, i in rows}


def final_state(members: Mapping[str, str], api_urls: Mapping[str, str], port: int, login: Login,
                run: str) -> FinalState:
    """The running leader after a run and the rows it holds."""
    final = FinalState(leader=patroni_lab.leader(api_urls.values(), login.timeout))
    if final.leader in members:
        try:
            final.leader_is_primary, final.rows = rows_on(members[final.leader], port, login, run)
        except psycopg.Error as exc:
            final.read_error = short(exc)
    return final
