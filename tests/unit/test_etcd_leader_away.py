# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of roles/etcd/files/pgha_etcd_leader_away.py against fake etcd JSON gateways on loopback.

The molecule default scenario checks the real thing: after converge, the etcd leader is not on the
PostgreSQL primary's host."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from role_scripts import load_script

away = load_script("etcd", "pgha_etcd_leader_away.py")
LEADER_KEY = "/service/c1/leader"


class Member:
    """One fake etcd member: its id, who it thinks leads, its applied index, the keys, the moves asked of it."""

    def __init__(self, member_id, leader, applied, keys=None, users=None, answers=True, tokens=None):
        self.member_id, self.leader, self.applied = member_id, leader, applied
        self.keys = keys or {}
        self.users = users  # None: no authentication
        self.answers = answers
        self.moves = []
        self.logins = 0
        # etcd applies a login on every member (it goes through raft): one token set per fake cluster
        self.tokens = tokens if tokens is not None else set()
        server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def handler(self):
        member = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def reply(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                if not member.answers:
                    self.reply(503, {"error": "etcdserver: request timed out"})
                    return
                if self.path == "/v3/auth/authenticate":
                    if member.users and member.users.get(body.get("name")) == body.get("password"):
                        member.logins += 1
                        token = f"t{member.member_id}-{member.logins}"
                        member.tokens.add(token)
                        self.reply(200, {"token": token})
                    else:
                        self.reply(400, {"error": "etcdserver: authentication failed, invalid user ID or password"})
                    return
                if member.users is not None and self.headers.get("Authorization") not in member.tokens:
                    self.reply(401, {"error": "etcdserver: invalid auth token"})
                    return
                if self.path == "/v3/maintenance/status":
                    self.reply(200, {"header": {"member_id": member.member_id}, "leader": member.leader,
                                     "raftAppliedIndex": str(member.applied)})
                elif self.path == "/v3/kv/range":
                    key = base64.b64decode(body["key"]).decode()
                    kvs = [{"key": body["key"], "value": base64.b64encode(member.keys[key].encode()).decode()}] \
                        if key in member.keys else []
                    self.reply(200, {"kvs": kvs} if kvs else {})
                elif self.path == "/v3/maintenance/transfer-leadership":
                    member.moves.append(body["targetID"])
                    self.reply(200, {})
                else:
                    self.reply(404, {"error": "not found"})

        return Handler

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def cluster(request):
    made = []

    def make(*members):
        made.extend(members)
        return members

    request.addfinalizer(lambda: [m.close() for m in made])
    return make


def conf_for(local, members, member="pg1", **extra):
    conf = {"endpoint": local.url, "endpoints": ",".join(m.url for m in members), "leader_key": LEADER_KEY,
            "member": member, "timeout": "1"}
    conf.update(extra)
    return conf


def run_once(conf):
    said = []
    done = away.check_once(away.Etcd(conf), conf, said.append)
    return done, said


def test_the_leader_on_the_primary_s_host_moves_to_the_member_that_applied_the_most(cluster):
    keys = {LEADER_KEY: "pg1"}
    a, b, c = cluster(Member("1", "1", 100, keys), Member("2", "1", 90), Member("3", "1", 99))
    done, said = run_once(conf_for(a, [a, b, c]))
    assert done == "moved"
    assert a.moves == ["3"]
    assert "PostgreSQL primary (pg1)" in said[0]


def test_nothing_moves_when_the_primary_is_elsewhere_or_this_member_does_not_lead(cluster):
    a, b = cluster(Member("1", "1", 100, {LEADER_KEY: "pg2"}), Member("2", "1", 100))
    assert run_once(conf_for(a, [a, b]))[0] == "primary-elsewhere"
    c, d = cluster(Member("1", "2", 100, {LEADER_KEY: "pg1"}), Member("2", "2", 100))
    assert run_once(conf_for(c, [c, d]))[0] == "not-leader"
    # no leader key at all (no primary): nothing to keep away from
    e, f = cluster(Member("1", "1", 100), Member("2", "1", 100))
    assert run_once(conf_for(e, [e, f]))[0] == "primary-elsewhere"
    assert not a.moves and not c.moves and not e.moves


def test_never_moves_to_a_member_that_does_not_answer_or_follows_another_leader(cluster):
    keys = {LEADER_KEY: "pg1"}
    a = Member("1", "1", 100, keys)
    silent = Member("2", "1", 100, answers=False)
    stale = Member("3", "3", 200)  # a woken member that still believes it leads
    cluster(a, silent, stale)
    done, said = run_once(conf_for(a, [a, silent, stale]))
    assert done == "no-target"
    assert not a.moves
    assert "leadership stays" in said[0]


def test_logs_in_and_logs_in_again_when_the_token_expired(cluster):
    users = {"root": "s3cret"}
    keys = {LEADER_KEY: "pg1"}
    tokens = set()
    a, b = cluster(Member("1", "1", 100, keys, users, tokens=tokens), Member("2", "1", 100, users=users, tokens=tokens))
    conf = conf_for(a, [a, b], user="root", password="s3cret")
    etcd = away.Etcd(conf)
    assert away.check_once(etcd, conf, lambda m: None) == "moved"
    assert a.moves == ["2"]
    tokens.clear()  # the token expired
    assert away.check_once(etcd, conf, lambda m: None) == "moved"
    # both logins went to this host's own member, never to the other one (the password stays local)
    assert (a.logins, b.logins) == (2, 0)


def test_a_wrong_password_is_an_error_that_names_the_member(cluster):
    (a,) = cluster(Member("1", "1", 100, {LEADER_KEY: "pg1"}, {"root": "right"}))
    conf = conf_for(a, [a], user="root", password="wrong")
    with pytest.raises(away.EtcdError, match="authentication failed"):
        away.check_once(away.Etcd(conf), conf, lambda m: None)
    assert not a.moves


def test_the_configuration_must_name_every_required_setting(tmp_path):
    path = tmp_path / "away.conf"
    path.write_text("[away]\nendpoint = http://127.0.0.1:1\n")
    with pytest.raises(SystemExit, match="lacks endpoints, leader_key, member"):
        away.read_config(str(path))


def test_the_command_line_looks_once_and_says_what_it_did(cluster, tmp_path, capsys):
    keys = {LEADER_KEY: "pg1"}
    a, b = cluster(Member("1", "1", 100, keys), Member("2", "1", 100))
    path = tmp_path / "away.conf"
    path.write_text(f"[away]\nendpoint = {a.url}\nendpoints = {a.url},{b.url}\nleader_key = {LEADER_KEY}\n"
                    "member = pg1\ninterval = 1\ntimeout = 1\n")
    assert away.main(["--config", str(path), "--once"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "moved" and a.moves == ["2"]
    # its own member gone: an error, said in one line, and a non-zero exit
    a.close()
    assert away.main(["--config", str(path), "--once"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "error" and out[0].startswith("etcd does not answer as expected: ")
