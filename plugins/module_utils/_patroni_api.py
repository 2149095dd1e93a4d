# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Patroni REST API client of the pgha.patroni modules (private).

* one or more member URLs; the client uses the first member that answers
  and can address any member by its own base URL;
* HTTP basic auth (sent on every request; Patroni checks it on writes);
* TLS: CA bundle, client certificate and key, validate_certs;
* a timeout per request; retries on transient errors: connection refused,
  reset or timed out and 502/503 for reads; for writes only when the request
  never reached Patroni (connection refused) and once on 409 (a concurrent
  configuration write);
* failures become :class:`PatroniApiError` with one clear sentence.

It also records every state-changing request it sent (method, URL, body —
never credentials) so modules can return them as ``actions``.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from typing import Any, Callable
from urllib.error import HTTPError, URLError

from ansible.module_utils.urls import open_url

DEFAULT_PORT_HINT = 8008
READ_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))


def connection_argument_spec() -> dict[str, Any]:
    """The shared connection options; every module merges these into its spec."""
    return {
        "api_url": {"type": "list", "elements": "str", "required": True, "aliases": ["api_urls"]},
        "api_username": {"type": "str", "default": "patroni"},
        "api_password": {"type": "str", "no_log": True},
        "ca_cert": {"type": "path", "aliases": ["ca_path"]},
        "client_cert": {"type": "path"},
        "client_key": {"type": "path"},
        "validate_certs": {"type": "bool", "default": True},
        "timeout": {"type": "int", "default": 10},
    }


def client_from_module(module: Any) -> "PatroniClient":
    """Build a client from a module's parameters (see :func:`connection_argument_spec`)."""
    p = module.params
    return PatroniClient(
        urls=p["api_url"],
        username=p["api_username"],
        password=p["api_password"],
        ca_cert=p["ca_cert"],
        client_cert=p["client_cert"],
        client_key=p["client_key"],
        validate_certs=p["validate_certs"],
        timeout=p["timeout"],
    )


class PatroniApiError(Exception):
    """A request failed; ``str(error)`` is the sentence to show the operator."""

    def __init__(self, message: str, status: int | None = None, body: str = "", url: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.url = url


class Response:
    """Status, parsed JSON (or None) and raw text of one answer."""

    def __init__(self, status: int, text: str) -> None:
        self.status = status
        self.text = text
        try:
            self.data: Any = json.loads(text) if text else None
        except ValueError:
            self.data = None


def _reason(body: str) -> str:
    text = (body or "").strip()
    if not text:
        return ""
    try:
        data = json.loads(text)
        if isinstance(data, dict) and "message" in data:
            text = str(data["message"])
    except ValueError:
        pass
    return text if len(text) <= 300 else text[:300] + "..."


def _transport_problem(error: BaseException) -> tuple[str, bool]:
    """Describe a transport error; the bool says whether the request surely never arrived."""
    reason: Any = getattr(error, "reason", error)
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is Patroni running and its REST API listening on that address and port?)", True
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "no answer before the timeout", False
    if isinstance(reason, ssl.SSLCertVerificationError):
        return (f"TLS certificate verification failed ({reason.verify_message or reason}): "
                "set ca_cert to the CA that signed the Patroni certificate, or validate_certs=false"), True
    if isinstance(reason, ssl.SSLError):
        return f"TLS handshake failed ({reason}): check ca_cert, client_cert and client_key", True
    if isinstance(reason, socket.gaierror):
        return f"the host name does not resolve ({reason})", True
    if isinstance(reason, ConnectionResetError):
        return "the connection was reset", False
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror, False
    return str(reason), False


class PatroniClient:
    """Talks to one Patroni cluster through the REST API of its members."""

    def __init__(
        self,
        urls: list[str] | str,
        username: str | None = None,
        password: str | None = None,
        ca_cert: str | None = None,
        client_cert: str | None = None,
        client_key: str | None = None,
        validate_certs: bool = True,
        timeout: float = 10,
        retries: int = 2,
        retry_delay: float = 1.0,
        opener: Callable[..., Any] = open_url,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if isinstance(urls, str):
            urls = [u.strip() for u in urls.split(",")]
        self.urls = [self.normalize_url(u) for u in urls if u and u.strip()]
        if not self.urls:
            raise PatroniApiError("api_url is empty: give the REST API URL of at least one Patroni member")
        self.username = username
        self.password = password
        self.ca_cert = ca_cert
        self.client_cert = client_cert
        self.client_key = client_key
        self.validate_certs = validate_certs
        self.timeout = timeout
        self.retries = max(0, retries)
        self.retry_delay = retry_delay
        self._open = opener
        self._sleep = sleep
        self.base: str | None = None
        self.actions: list[dict[str, Any]] = []

    @staticmethod
    def normalize_url(url: str) -> str:
        url = url.strip().rstrip("/")
        if "://" not in url:
            url = "http://" + url
        if url.endswith("/patroni"):
            url = url[: -len("/patroni")]
        return url

    # ------------------------------------------------------------ transport

    def _send(self, method: str, url: str, body: Any = None) -> Response:
        data = json.dumps(body) if body is not None else None
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        kwargs: dict[str, Any] = {
            "method": method,
            "data": data,
            "headers": headers,
            "timeout": self.timeout,
            "validate_certs": self.validate_certs,
            "use_proxy": False,
            "follow_redirects": "none",
            "use_netrc": False,
        }
        if self.username and self.password is not None:
            kwargs.update(url_username=self.username, url_password=self.password, force_basic_auth=True)
        if self.ca_cert:
            kwargs["ca_path"] = self.ca_cert
        if self.client_cert:
            kwargs["client_cert"] = self.client_cert
        if self.client_key:
            kwargs["client_key"] = self.client_key
        try:
            answer = self._open(url, **kwargs)
            status = answer.getcode() if hasattr(answer, "getcode") else answer.status
            return Response(status, answer.read().decode("utf-8", "replace"))
        except HTTPError as error:
            try:
                text = error.read().decode("utf-8", "replace")
            except Exception:  # pylint: disable=broad-except
                text = ""
            return Response(error.code, text)

    def _message(self, method: str, url: str, path: str, response: Response) -> str:
        base = url[: -len(path)] if path and url.endswith(path) else url
        status = response.status
        said = _reason(response.text)
        if status == 401:
            return (f"the Patroni REST API at {base} rejected the credentials (401): "
                    "check api_username/api_password")
        if status == 403:
            return (f"the Patroni REST API at {base} refused {method} {path} (403 Forbidden): the controller's "
                    "address is not allowed (restapi.allowlist) or a client certificate is required")
        if status == 404:
            return f"the Patroni REST API at {base} has no {path} (404): is this a Patroni REST API URL?"
        quoted = f": Patroni says {said!r}" if said else ""
        return f"Patroni at {base} answered {status} to {method} {path}{quoted}"

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        base: str | None = None,
        ok: tuple[int, ...] = (200,),
        record: bool | None = None,
        retry_conflict: bool = False,
    ) -> Response:
        """Send one request to ``base`` (default: the member found by :meth:`discover`).

        Returns the :class:`Response` when its status is in ``ok``; raises
        :class:`PatroniApiError` otherwise.
        """
        if base is None:
            base = self.discover()
        base = self.normalize_url(base)
        url = base + path
        method = method.upper()
        is_read = method in READ_METHODS
        if record if record is not None else not is_read:
            self.actions.append({"method": method, "url": url, "body": body})
        attempts = 1 + self.retries
        conflict_retried = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send(method, url, body)
            except (URLError, OSError, socket.timeout) as error:
                problem, never_arrived = _transport_problem(error)
                if (is_read or never_arrived) and attempt < attempts and "TLS" not in problem:
                    self._sleep(self.retry_delay)
                    continue
                if problem == "no answer before the timeout":
                    raise PatroniApiError(
                        f"the Patroni REST API at {base} did not answer {method} {path} within "
                        f"{self.timeout} seconds: raise timeout or check the member", url=url) from None
                raise PatroniApiError(f"could not reach the Patroni REST API at {base}: {problem}", url=url) from None
            if response.status in ok:
                return response
            if response.status == 409 and retry_conflict and not conflict_retried:
                conflict_retried = True
                self._sleep(self.retry_delay)
                continue
            if is_read and response.status in (502, 503) and attempt < attempts:
                self._sleep(self.retry_delay)
                continue
            raise PatroniApiError(self._message(method, url, path, response), status=response.status,
                                  body=response.text, url=url)

    def discover(self) -> str:
        """The first member URL whose GET /cluster answers; cached."""
        if self.base:
            return self.base
        problems = []
        for url in self.urls:
            try:
                self.request("GET", "/cluster", base=url)
            except PatroniApiError as error:
                if error.status in (401, 403):
                    raise
                problems.append(str(error))
                continue
            self.base = url
            return url
        raise PatroniApiError("no Patroni member answered: " + "; ".join(problems))

    # ------------------------------------------------------------ endpoints

    def get(self, path: str, base: str | None = None, ok: tuple[int, ...] = (200,)) -> Any:
        return self.request("GET", path, base=base, ok=ok).data

    def cluster(self) -> dict[str, Any]:
        return self.get("/cluster") or {}

    def config(self) -> dict[str, Any]:
        return self.get("/config") or {}

    def member_status(self, base: str) -> dict[str, Any]:
        """GET /patroni of one member; Patroni answers 503 (with the body) when PostgreSQL is down."""
        return self.request("GET", "/patroni", base=base, ok=(200, 503)).data or {}

    def patch_config(self, patch: dict[str, Any]) -> dict[str, Any]:
        return self.request("PATCH", "/config", body=patch, retry_conflict=True).data or {}

    def post(self, path: str, body: Any = None, base: str | None = None,
             ok: tuple[int, ...] = (200,)) -> Response:
        return self.request("POST", path, body=body, base=base, ok=ok)


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 1.0,
               sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> bool:
    """Call ``check`` until it returns True or ``timeout`` seconds passed."""
    deadline = clock() + timeout
    while True:
        try:
            if check():
                return True
        except PatroniApiError:
            pass
        if clock() >= deadline:
            return False
        sleep(interval)


def wait_for_leader(client: PatroniClient, candidate: str, expected_members: list[str], timeout: float,
                    interval: float = 1.0) -> dict[str, Any]:
    """Poll GET /cluster until ``candidate`` leads and runs and the others stream.

    Returns the last /cluster answer; raises :class:`PatroniApiError` on timeout.
    """
    # imported here so that this file stays importable on its own in unit tests
    from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import (  # pylint: disable=import-outside-toplevel
        leader_of,
        switched_to,
    )

    last: dict[str, Any] = {}

    def done() -> bool:
        last.clear()
        last.update(client.cluster())
        return switched_to(last, candidate, expected_members)

    if not wait_until(done, timeout, interval):
        leader = leader_of(last) or {}
        states = ", ".join(f"{m.get('name')}={m.get('role')}/{m.get('state')}" for m in last.get("members", []))
        raise PatroniApiError(
            f"{candidate} is not the running leader with every other member streaming after {timeout}s "
            f"(leader: {leader.get('name') or 'none'}; members: {states or 'unknown'})")
    return last
