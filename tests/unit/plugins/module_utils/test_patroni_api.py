"""The REST client against a tiny in-process HTTP stub on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import (
    PatroniApiError,
    PatroniClient,
    connection_argument_spec,
    wait_until,
)

USER, PASSWORD = "patroni", "s3cret"
GOOD_AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


class Stub:
    """Answers queued per (method, path); records every request."""

    def __init__(self):
        self.queue: dict[tuple[str, str], list[tuple[int, str, float]]] = {}
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                stub.requests.append({"method": self.command, "path": self.path, "body": body,
                                      "auth": self.headers.get("Authorization")})
                if self.command != "GET" and self.headers.get("Authorization") != GOOD_AUTH:
                    status, text, delay = 401, "no auth header received", 0.0
                else:
                    answers = stub.queue.get((self.command, self.path)) or [(200, "{}", 0.0)]
                    status, text, delay = answers.pop(0) if len(answers) > 1 else answers[0]
                if delay:
                    time.sleep(delay)
                data = text.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PATCH = do_DELETE = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, method, path, *answers):
        self.queue[(method, path)] = [(a[0], a[1], a[2] if len(a) > 2 else 0.0) for a in answers]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def stub():
    s = Stub()
    yield s
    s.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client(urls, **kw):
    kw.setdefault("username", USER)
    kw.setdefault("password", PASSWORD)
    kw.setdefault("retry_delay", 0.01)
    kw.setdefault("timeout", 2)
    return PatroniClient(urls, **kw)


def test_argument_spec_hides_the_password():
    spec = connection_argument_spec()
    assert spec["api_password"]["no_log"] is True
    assert spec["api_url"]["type"] == "list"


def test_url_normalisation():
    c = client("10.0.0.1:8008/patroni, https://h:8008/")
    assert c.urls == ["http://10.0.0.1:8008", "https://h:8008"]


def test_get_cluster_and_basic_auth(stub):
    stub.answer("GET", "/cluster", (200, json.dumps({"members": [{"name": "pg1", "role": "leader"}]})))
    c = client([stub.url])
    assert c.cluster()["members"][0]["name"] == "pg1"
    assert stub.requests[-1]["auth"] is None  # reads go without credentials
    assert c.actions == []  # reads are not actions
    c.post("/reload", None)
    assert stub.requests[-1]["auth"] == GOOD_AUTH
    reads_too = client([stub.url], auth_reads=True)
    reads_too.cluster()
    assert stub.requests[-1]["auth"] == GOOD_AUTH


def test_first_member_that_answers_is_used(stub):
    dead = f"http://127.0.0.1:{free_port()}"
    c = client([dead, stub.url], retries=0)
    assert c.discover() == stub.url


def test_no_member_answers():
    c = client([f"http://127.0.0.1:{free_port()}"], retries=1)
    with pytest.raises(PatroniApiError, match="connection refused"):
        c.cluster()


def test_wrong_password_is_a_clear_401(stub):
    c = client([stub.url], password="wrong")
    with pytest.raises(PatroniApiError) as error:
        c.patch_config({"pause": True})
    assert str(error.value) == (f"the Patroni REST API at {stub.url} rejected the credentials (401): "
                                "check api_username/api_password")
    assert error.value.status == 401
    assert c.actions == [{"method": "PATCH", "url": stub.url + "/config", "path": "/config", "body": {"pause": True}}]
    assert "wrong" not in json.dumps(c.actions)


def test_403(stub):
    stub.answer("POST", "/restart", (403, "Access is denied"))
    with pytest.raises(PatroniApiError, match=r"\(403 Forbidden\).*allowlist"):
        client([stub.url]).post("/restart", {})


def test_409_is_retried_once(stub):
    stub.answer("PATCH", "/config", (409, ""), (200, '{"pause": true}'))
    c = client([stub.url])
    assert c.patch_config({"pause": True}) == {"pause": True}
    assert [r["method"] for r in stub.requests if r["path"] == "/config"] == ["PATCH", "PATCH"]


def test_409_twice_fails(stub):
    stub.answer("PATCH", "/config", (409, ""), (409, ""), (200, "{}"))
    with pytest.raises(PatroniApiError, match="answered 409"):
        client([stub.url]).patch_config({"pause": True})


def test_412_text_is_quoted_and_not_retried(stub):
    stub.answer("POST", "/switchover", (412, "candidate name does not match with sync_standby"))
    with pytest.raises(PatroniApiError) as error:
        client([stub.url]).post("/switchover", {"leader": "pg1", "candidate": "pg2"})
    assert "answered 412 to POST /switchover: Patroni says 'candidate name does not match with sync_standby'" in str(
        error.value)
    assert len([r for r in stub.requests if r["path"] == "/switchover"]) == 1


def test_503_on_write_is_not_retried(stub):
    stub.answer("POST", "/switchover", (503, "Switchover failed"))
    with pytest.raises(PatroniApiError, match="Switchover failed") as error:
        client([stub.url]).post("/switchover", {"leader": "pg1"})
    assert error.value.status == 503 and error.value.body == "Switchover failed"
    assert len([r for r in stub.requests if r["path"] == "/switchover"]) == 1


def test_503_on_read_is_retried(stub):
    stub.answer("GET", "/config", (503, ""), (200, '{"ttl": 30}'))
    assert client([stub.url], retries=2).config() == {"ttl": 30}


def test_member_status_accepts_503_with_body(stub):
    stub.answer("GET", "/patroni", (503, '{"state": "stopped"}'))
    assert client([stub.url]).member_status(stub.url)["state"] == "stopped"


def test_timeout_is_reported(stub):
    stub.answer("GET", "/cluster", (200, "{}", 1.5))
    c = client([stub.url], timeout=0.3, retries=1)
    started = time.monotonic()
    with pytest.raises(PatroniApiError, match="did not answer GET /cluster within 0.3 seconds"):
        c.request("GET", "/cluster", base=stub.url)
    assert time.monotonic() - started < 3


def test_wait_until_gives_up():
    ticks = iter(range(100))
    assert wait_until(lambda: False, timeout=3, sleep=lambda _: None, clock=lambda: next(ticks)) is False
    assert wait_until(lambda: True, timeout=0) is True
