# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Patroni REST API client of the pgha.patroni modules (private).

* one or more configured member URLs; the client uses the first member that
  answers, and after a failed request (or a failed poll) looks for one again
  across all of them, the one that failed last;
* a member's own base URL (published in ``/cluster``, a value from the DCS) is
  only used when it is one of the configured URLs, or when it is HTTPS and
  verified against the configured CA: nothing, credentials least of all, goes
  to a URL planted in the DCS;
* HTTP basic auth, sent with the requests that change something (Patroni checks
  it on those) and with reads only when ``auth_reads`` is set;
* answers must be JSON objects of the expected shape, or the request fails;
* a deadline (:meth:`PatroniClient.deadline_in`) caps every request's timeout at
  the time left, so a wait ends on time;
* TLS: CA bundle, client certificate and key, validate_certs;
* a timeout per request; retries on transient errors: connection refused,
  reset or timed out and 502/503 for reads; for writes only when the request
  never reached Patroni (connection refused) and once on 409 (a concurrent
  configuration write);
* failures become :class:`PatroniApiError` with one clear sentence.

It also records every state-changing request it sent (method, URL, path,
body with secrets masked — never credentials) so modules can return them as ``actions``.
"""

from __future__ import annotations

import copy
import json
import socket
import ssl
import time
from typing import Any, Callable
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from ansible.module_utils.urls import open_url

DEFAULT_PORT_HINT = 8008
READ_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
MASK = "********"


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
        "auth_reads": {"type": "bool", "default": False},
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
        auth_reads=p.get("auth_reads") or False,
    )


def is_secret_key(key: Any) -> bool:
    """A configuration key whose value may hold a secret: *_command, *conninfo*, *password*."""
    name = str(key).lower()
    return name.endswith("_command") or "conninfo" in name or "password" in name


def mask_secrets(value: Any) -> Any:
    """A copy of ``value`` with the values of secret keys (see :func:`is_secret_key`) masked."""
    if isinstance(value, dict):
        return {k: (MASK if is_secret_key(k) and v is not None and not isinstance(v, dict) else mask_secrets(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return copy.deepcopy(value)


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _short(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= 120 else text[:120] + "..."


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
        auth_reads: bool = False,
        clock: Callable[[], float] = time.monotonic,
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
        self.auth_reads = auth_reads
        self._open = opener
        self._sleep = sleep
        self._clock = clock
        self.base: str | None = None
        self.deadline: float | None = None
        self.actions: list[dict[str, Any]] = []

    # ------------------------------------------------------------ trust and time

    def trusted(self, url: str) -> bool:
        """Whether requests may go to ``url``: only a configured member's scheme, host and port.

        A URL read from the DCS is used only when it is one of the configured ones; a certificate
        of the cluster CA is not enough (the backup host has one too), and whoever can write a
        member key must not be able to steer requests and the REST password elsewhere.
        """
        return _origin(self.normalize_url(url)) in {_origin(u) for u in self.urls}

    def deadline_in(self, seconds: float | None) -> None:
        """From now on, no request waits past ``seconds`` from now (None: no deadline)."""
        self.deadline = None if seconds is None else self._clock() + seconds

    def time_left(self) -> float | None:
        return None if self.deadline is None else self.deadline - self._clock()

    def forget_member(self) -> None:
        """Look for an answering member again at the next request, the one used until now last."""
        if self.base in self.urls:
            self.urls.remove(self.base)
            self.urls.append(self.base)
        self.base = None

    @staticmethod
    def normalize_url(url: str) -> str:
        url = url.strip().rstrip("/")
        if "://" not in url:
            url = "http://" + url
        if url.endswith("/patroni"):
            url = url[: -len("/patroni")]
        return url

    # ------------------------------------------------------------ transport

    def _send(self, method: str, url: str, body: Any = None, timeout: float | None = None) -> Response:
        data = json.dumps(body) if body is not None else None
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        kwargs: dict[str, Any] = {
            "method": method,
            "data": data,
            "headers": headers,
            "timeout": timeout if timeout is not None else self.timeout,
            "validate_certs": self.validate_certs,
            "use_proxy": False,
            "follow_redirects": "none",
            "use_netrc": False,
        }
        if self.username and self.password is not None and (method not in READ_METHODS or self.auth_reads):
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
        discovered = base is None
        if base is None:
            base = self.discover()
        try:
            return self._request(method, path, body, self.normalize_url(base), ok, record, retry_conflict)
        except PatroniApiError:
            if discovered:
                self.forget_member()
            raise

    def _request(self, method: str, path: str, body: Any, base: str, ok: tuple[int, ...],
                 record: bool | None, retry_conflict: bool) -> Response:
        url = base + path
        method = method.upper()
        is_read = method in READ_METHODS
        if not self.trusted(base):
            raise PatroniApiError(
                f"refusing to send {method} {path} to {base}: a member publishes that REST API URL in the DCS, "
                "but it is not one of the configured api_url; "
                "add it to api_url if it is a member of this cluster", url=url)
        if record if record is not None else not is_read:
            self.actions.append({"method": method, "url": url, "path": path, "body": mask_secrets(body)})
        # while waiting (a deadline is set), the wait's next poll is the retry, on another member
        attempts = 1 if self.deadline is not None else 1 + self.retries
        conflict_retried = False
        attempt = 0
        while True:
            attempt += 1
            left = self.time_left()
            if left is not None and left <= 0:
                raise PatroniApiError(f"no time left to send {method} {path} to {base} (wait_timeout reached)",
                                      url=url)
            timeout = self.timeout if left is None else max(0.1, min(self.timeout, left))
            try:
                response = self._send(method, url, body, timeout)
            except (URLError, OSError, socket.timeout) as error:
                problem, never_arrived = _transport_problem(error)
                if (is_read or never_arrived) and attempt < attempts and "TLS" not in problem and self._pause():
                    continue
                if problem == "no answer before the timeout":
                    raise PatroniApiError(
                        f"the Patroni REST API at {base} did not answer {method} {path} within "
                        f"{round(timeout, 1)} seconds: raise timeout or check the member", url=url) from None
                raise PatroniApiError(f"could not reach the Patroni REST API at {base}: {problem}", url=url) from None
            if response.status in ok:
                return response
            if response.status == 409 and retry_conflict and not conflict_retried and self._pause():
                conflict_retried = True
                continue
            if is_read and response.status in (502, 503) and attempt < attempts and self._pause():
                continue
            raise PatroniApiError(self._message(method, url, path, response), status=response.status,
                                  body=response.text, url=url)

    def _pause(self) -> bool:
        """Sleep before a retry; False when the deadline leaves no time for one."""
        left = self.time_left()
        if left is not None and left <= self.retry_delay:
            return False
        self._sleep(self.retry_delay)
        return True

    def discover(self) -> str:
        """The first configured URL whose GET /cluster answers with a cluster; cached until a request fails."""
        if self.base:
            return self.base
        problems = []
        for url in self.urls:
            try:
                self.cluster(base=url)
            except PatroniApiError as error:
                if error.status in (401, 403):
                    raise
                problems.append(str(error))
                continue
            self.base = url
            return url
        raise PatroniApiError("no configured Patroni REST API URL answered GET /cluster with a cluster: "
                              + "; ".join(problems))

    # ------------------------------------------------------------ endpoints

    def get(self, path: str, base: str | None = None, ok: tuple[int, ...] = (200,)) -> Any:
        return self.request("GET", path, base=base, ok=ok).data

    def get_object(self, path: str, base: str | None = None, ok: tuple[int, ...] = (200,),
                   method: str = "GET", body: Any = None, retry_conflict: bool = False) -> dict[str, Any]:
        """A request whose answer must be a JSON object; anything else is an error, never an empty state."""
        response = self.request(method, path, body=body, base=base, ok=ok, retry_conflict=retry_conflict)
        if not isinstance(response.data, dict):
            what = "no JSON" if response.data is None else f"JSON {type(response.data).__name__}"
            raise PatroniApiError(
                f"the Patroni REST API answered {method} {path} with {what} where a JSON object was expected "
                f"({_short(response.text)!r}): is this a Patroni REST API URL?", status=response.status,
                body=response.text)
        return response.data

    def cluster(self, base: str | None = None) -> dict[str, Any]:
        """GET /cluster, checked: a ``members`` list of objects that each have a name."""
        data = self.get_object("/cluster", base=base)
        members = data.get("members", [])
        if not isinstance(members, list) or not all(
                isinstance(m, dict) and isinstance(m.get("name"), str) and m["name"] for m in members):
            raise PatroniApiError("the Patroni REST API answered GET /cluster with members of the wrong shape "
                                  f"(a list of objects with a name was expected): {_short(json.dumps(members))!r}")
        data["members"] = members
        return data

    def config(self) -> dict[str, Any]:
        return self.get_object("/config")

    def member_status(self, base: str) -> dict[str, Any]:
        """GET /patroni of one member; Patroni answers 503 (with the body) when PostgreSQL is down."""
        return self.get_object("/patroni", base=base, ok=(200, 503))

    def history(self) -> list[dict[str, Any]]:
        """GET /history as a list of {timeline, lsn, reason, timestamp, new_leader}."""
        data = self.get("/history")
        if not isinstance(data, list) or not all(isinstance(e, list) and len(e) >= 3 for e in data):
            raise PatroniApiError("the Patroni REST API answered GET /history with something that is not a list "
                                  f"of timeline entries: {_short(json.dumps(data))!r}")
        keys = ("timeline", "lsn", "reason", "timestamp", "new_leader")
        return [{key: (entry[i] if i < len(entry) else None) for i, key in enumerate(keys)} for entry in data]

    def patch_config(self, patch: dict[str, Any]) -> dict[str, Any]:
        return self.get_object("/config", method="PATCH", body=patch, retry_conflict=True)

    def delete(self, path: str, base: str | None = None, ok: tuple[int, ...] = (200,)) -> Response:
        return self.request("DELETE", path, base=base, ok=ok)

    def post(self, path: str, body: Any = None, base: str | None = None,
             ok: tuple[int, ...] = (200,)) -> Response:
        return self.request("POST", path, body=body, base=base, ok=ok)


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 1.0,
               sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
               client: PatroniClient | None = None) -> bool:
    """Call ``check`` until it returns True or ``timeout`` seconds passed.

    With ``client``: no request of ``check`` waits past the deadline, and after
    every failed poll the client looks for an answering member again across all
    configured URLs.
    """
    deadline = clock() + timeout
    if client is not None:
        client.deadline_in(timeout)
    try:
        while True:
            try:
                if check():
                    return True
            except PatroniApiError:
                pass
            if client is not None:
                client.forget_member()
            left = deadline - clock()
            if left <= 0:
                return False
            sleep(min(interval, left))
    finally:
        if client is not None:
            client.deadline_in(None)


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

    if not wait_until(done, timeout, interval, client=client):
        leader = leader_of(last) or {}
        states = ", ".join(f"{m.get('name')}={m.get('role')}/{m.get('state')}" for m in last.get("members", []))
        raise PatroniApiError(
            f"{candidate} is not the running leader with every other member streaming after {timeout}s "
            f"(leader: {leader.get('name') or 'none'}; members: {states or 'unknown'})")
    return last
