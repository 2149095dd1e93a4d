# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pgha-etcd-leader-away (pgha.patroni.etcd): keep the etcd raft leader off
the host whose Patroni holds the PostgreSQL leader key.

Why: when a whole host freezes (a paused VM or container, a stalled
hypervisor) while it runs both the etcd leader and the PostgreSQL primary,
the other members elect a new etcd leader and promote a new primary. When
the host wakes up, its etcd member still believes for a moment that it
leads, finds every lease expired by its own clock and proposes to revoke
them all; if it has already stepped down, raft forwards those proposals to
the new leader, which applies them (etcd-io/etcd#15247: the check added in
3.5 skips itself when the member ticks again, which it does at once after a
freeze). The new primary's leader key goes with its lease, and the woken
Patroni, which still believes it leads, writes the key again: its primary
wins and the new primary's writes are lost. With the etcd leader on another
host, the woken member is a follower and revokes nothing.

Every `interval` seconds, on each etcd member that shares its host with a
Patroni member: when this member is the etcd leader and the leader key of
the Patroni cluster names this host's Patroni member, move the etcd
leadership to the healthiest other member (the one that answers and has
applied the most). It never moves it to a member that does not answer.
Runs as the etcd user; with etcd authentication it logs in as etcd's root
user, against this host's own member only, to read Patroni's leader key and
to move the leadership.

  pgha-etcd-leader-away --config /etc/etcd/pgha-etcd-leader-away.conf [--once]

The configuration (INI, section [away]): endpoint (this member's client
URL on the loopback address), endpoints (every member's, comma separated), leader_key (Patroni's
leader key), member (this host's Patroni member name), interval, timeout,
ca_file, cert_file, key_file (TLS, optional), user and password (etcd
authentication, optional; the file is root:etcd 0640).
"""

from __future__ import annotations

import argparse
import base64
import configparser
import http.client
import json
import ssl
import sys
import time
import urllib.error
import urllib.request


class EtcdError(Exception):
    """An etcd endpoint did not answer, or answered with an error."""


class Etcd:
    """The few calls of etcd's v3 JSON gateway this guard needs."""

    def __init__(self, conf):
        self.timeout = float(conf.get("timeout", "1"))
        self.user = conf.get("user", "")
        self.password = conf.get("password", "")
        self.local = conf["endpoint"]
        self.ca_file = conf.get("ca_file", "")
        self.cert_file = conf.get("cert_file", "")
        self.key_file = conf.get("key_file", "")
        self.token = None

    def _context(self):
        """The TLS settings, read again for every request: a renewed certificate or CA needs no restart."""
        if not self.ca_file:
            return None
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.cert_file:
            context.load_cert_chain(self.cert_file, self.key_file or None)
        return context

    def _post(self, endpoint, path, body, auth=True):
        headers = {"Content-Type": "application/json"}
        if auth and self.token:
            headers["Authorization"] = self.token
        req = urllib.request.Request(endpoint.rstrip("/") + path, data=json.dumps(body).encode(),
                                     headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self._context()) as resp:
                answer = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")[:200]
            raise EtcdError(f"{endpoint}{path}: HTTP {err.code} {detail}") from err
        except (OSError, ValueError, http.client.HTTPException) as err:
            raise EtcdError(f"{endpoint}{path}: {err!r}") from err
        if not isinstance(answer, dict):
            raise EtcdError(f"{endpoint}{path}: not a JSON object: {str(answer)[:100]}")
        return answer

    @staticmethod
    def _auth_error(err):
        return "token" in str(err) or "HTTP 401" in str(err) or "permission denied" in str(err)

    def call(self, endpoint, path, body):
        """POST with a token when authentication is configured; log in again once when it expired."""
        if self.user and not self.token:
            self.login()
        try:
            return self._post(endpoint, path, body)
        except EtcdError as err:
            if self.user and self._auth_error(err):
                self.login()
                return self._post(endpoint, path, body)
            raise

    def login(self):
        """A token from this host's own member: the password never crosses the network."""
        self.token = None
        res = self._post(self.local, "/v3/auth/authenticate", {"name": self.user, "password": self.password},
                         auth=False)
        self.token = res.get("token")
        if not self.token:
            raise EtcdError(f"{self.local}: etcd gave no token to user {self.user}")

    def status(self, endpoint):
        """(member id, leader id, raft applied index) of one member."""
        res = self.call(endpoint, "/v3/maintenance/status", {})
        return (str(res.get("header", {}).get("member_id", "")), str(res.get("leader", "")),
                int(res.get("raftAppliedIndex", res.get("raftIndex", 0)) or 0))

    def get(self, endpoint, key):
        res = self.call(endpoint, "/v3/kv/range", {"key": base64.b64encode(key.encode()).decode()})
        kvs = res.get("kvs") or []
        try:
            return base64.b64decode(kvs[0].get("value", "")).decode() if kvs else None
        except (ValueError, AttributeError) as err:
            raise EtcdError(f"{endpoint}: {key} holds no readable value: {err!r}") from err

    def move_leader(self, endpoint, target_id):
        self.call(endpoint, "/v3/maintenance/transfer-leadership", {"targetID": target_id})


def choose_target(etcd, conf, leader_id):
    """The other member that answers, follows this leader and applied the most; None when none does."""
    best = None
    for endpoint in [e.strip() for e in conf["endpoints"].split(",") if e.strip()]:
        if endpoint.rstrip("/") == conf["endpoint"].rstrip("/"):
            continue
        try:
            member_id, its_leader, applied = etcd.status(endpoint)
        except EtcdError:
            continue
        if member_id == leader_id or its_leader != leader_id:
            continue
        if best is None or applied > best[1]:
            best = (member_id, applied, endpoint)
    return best


def check_once(etcd, conf, log):
    """One look; returns what it did ('moved', 'not-leader', 'primary-elsewhere', 'no-target')."""
    member_id, leader_id = etcd.status(conf["endpoint"])[:2]
    if not leader_id or member_id != leader_id:
        return "not-leader"
    holder = etcd.get(conf["endpoint"], conf["leader_key"])
    if holder != conf["member"]:
        return "primary-elsewhere"
    target = choose_target(etcd, conf, leader_id)
    if target is None:
        log(f"the etcd leader and the PostgreSQL primary ({holder}) share this host, and no other etcd member "
            "answers in step: the leadership stays")
        return "no-target"
    etcd.move_leader(conf["endpoint"], target[0])
    log(f"moved the etcd leadership to {target[2]}: the PostgreSQL primary ({holder}) runs on this host")
    return "moved"


def read_config(path):
    parser = configparser.ConfigParser(interpolation=None)
    if not parser.read(path):
        raise SystemExit(f"pgha-etcd-leader-away: cannot read {path}")
    conf = dict(parser["away"])
    missing = [k for k in ("endpoint", "endpoints", "leader_key", "member") if not conf.get(k)]
    if missing:
        raise SystemExit(f"pgha-etcd-leader-away: {path} lacks {', '.join(missing)}")
    return conf


def main(argv=None):
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--config", required=True)
    args.add_argument("--once", action="store_true", help="look once, print what was done, exit")
    opts = args.parse_args(argv)
    conf = read_config(opts.config)

    def log(msg):
        print(msg, flush=True)

    etcd = Etcd(conf)
    interval = float(conf.get("interval", "1"))
    last_said = None

    def say_once(msg):
        nonlocal last_said
        if msg != last_said:  # say it once, not every second
            log(msg)
        last_said = msg

    while True:
        try:
            done = check_once(etcd, conf, say_once)
            if done != "no-target":
                last_said = None
        except EtcdError as err:
            done = "error"
            say_once(f"etcd does not answer as expected: {err}")
        if opts.once:
            print(done)
            return 0 if done != "error" else 1
        # after a move, give the new leader time to settle before looking again
        time.sleep(interval * (3 if done == "moved" else 1))


if __name__ == "__main__":
    sys.exit(main())
