# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Connection options shared by every pgha.patroni module."""

    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - REST API URL of one or more Patroni members, for example C(http://10.0.0.11:8008).
      - A list is tried in order; the module talks to the first member that answers and,
        when a request or a poll fails, looks for an answering member again across the whole list.
      - Modules that address one member (M(pgha.patroni.restart), M(pgha.patroni.reinit),
        M(pgha.patroni.reload), M(pgha.patroni.maintenance), M(pgha.patroni.cancel_scheduled)) use the
        C(api_url) that member publishes in C(GET /cluster) only when it is one of these URLs, or when it
        is C(https) and verified against O(ca_cert). A URL planted in the DCS never receives a request,
        so list every member here.
      - A trailing C(/patroni) is ignored; C(http://) is assumed when no scheme is given.
    type: list
    elements: str
    required: true
    aliases: [api_urls]
  api_username:
    description:
      - User name of the Patroni REST API basic authentication (C(restapi.authentication.username)).
      - Patroni checks it on every request that changes something; it is sent only with those
        (C(POST), C(PATCH), C(PUT), C(DELETE)) unless O(auth_reads=true).
    type: str
    default: patroni
  api_password:
    description:
      - Password of the Patroni REST API basic authentication (C(restapi.authentication.password)).
      - Never logged and never returned.
    type: str
  ca_cert:
    description:
      - CA certificate bundle (PEM) used to verify the REST API's TLS certificate.
    type: path
    aliases: [ca_path]
  client_cert:
    description:
      - Client certificate (PEM) for REST APIs that require one (C(restapi.verify_client)).
    type: path
  client_key:
    description:
      - Private key of O(client_cert), when it is not in the same file.
    type: path
  validate_certs:
    description:
      - Verify the REST API's TLS certificate. Only set to V(false) in a lab.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for one answer of the REST API. Reads are retried on transient
        errors (connection refused or reset, timeouts, 502 and 503); writes are retried only
        when they never reached Patroni, and once on 409 (a concurrent configuration change).
      - While a module waits for a result, each request's timeout is capped at the time left of
        its C(wait_timeout), so the task ends on time.
    type: int
    default: 10
  auth_reads:
    description:
      - Also send the basic-auth credentials with reads (C(GET)), for a REST API behind a proxy
        that asks for them. Patroni itself only checks them on requests that change something.
    type: bool
    default: false
notes:
  - The modules run wherever the REST API is reachable; usually the controller
    (a play on localhost, or C(delegate_to=localhost)) or the first database host.
  - Only the Python standard library and ansible-core are needed on the host that runs them.
"""
