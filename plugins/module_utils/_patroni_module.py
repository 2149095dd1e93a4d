# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every pgha.patroni module does around its own logic (private).

* :func:`run_module`: build the AnsibleModule with the connection options, the
  client, call the module's ``run`` and turn a :class:`PatroniApiError` into
  ``fail_json`` (with the ``actions`` sent so far);
* :func:`post_and_wait_for_leader`: the request-then-wait part of a
  switchover or failover.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.patroni.plugins.module_utils._patroni_api import (
    PatroniApiError,
    PatroniClient,
    client_from_module,
    connection_argument_spec,
    wait_for_leader,
)
from ansible_collections.pgha.patroni.plugins.module_utils._patroni_logic import (
    healthy_names,
    leader_state,
    member_url,
)

RunFunction = Callable[[AnsibleModule, PatroniClient], "dict[str, Any]"]


def run_module(argument_spec_extra: dict[str, Any] | None, run_fn: RunFunction, *, fail_with_actions: bool = True,
               **ansible_module_kwargs: Any) -> None:
    """Run ``run_fn(module, client)`` as a module and exit with the dictionary it returns.

    ``argument_spec_extra`` is merged into :func:`connection_argument_spec`;
    ``ansible_module_kwargs`` go to AnsibleModule (check mode is supported unless
    told otherwise). A :class:`PatroniApiError` fails the task with its sentence and,
    when ``fail_with_actions``, the requests that changed something before it; the
    task is ``changed`` whenever such a request was sent.
    """
    spec = connection_argument_spec()
    spec.update(argument_spec_extra or {})
    ansible_module_kwargs.setdefault("supports_check_mode", True)
    module = AnsibleModule(argument_spec=spec, **ansible_module_kwargs)
    actions: list[dict[str, Any]] = []
    try:
        client = client_from_module(module)
        actions = client.actions
        result = run_fn(module, client)
    except PatroniApiError as error:
        # a write that was sent changed something, even when what followed it failed
        if fail_with_actions:
            module.fail_json(msg=str(error), actions=actions, changed=bool(actions))
        module.fail_json(msg=str(error), changed=bool(actions))
    module.exit_json(**result)


def require_trusted(client: PatroniClient, members: list[dict[str, Any]]) -> None:
    """Refuse, before anything is sent, members whose published REST URL the client will not use.

    A URL must be one of the configured api_url, and the Patroni answering there must call itself
    by the member's name: a member key that points "pg3" at pg2's (configured) URL would otherwise
    send pg3's reinit or restart to pg2.
    """
    refused = [f"{m['name']} ({member_url(m) or 'no api_url'})" for m in members
               if not client.trusted(member_url(m) or "http://")]
    if refused:
        raise PatroniApiError(
            f"refusing to address {', '.join(refused)}: the REST API URL these members publish in the DCS is not "
            "one of the configured api_url; list every member's REST URL in api_url; nothing was sent")
    for member in members:
        answered = member_identity(client, member_url(member))
        if answered is not None and answered != member["name"]:
            raise PatroniApiError(
                f"refusing to address {member['name']}: the REST API URL it publishes in the DCS "
                f"({member_url(member)}) is answered by member {answered}; a member key in the DCS was changed "
                "or two members share a URL; nothing was sent")


def member_identity(client: PatroniClient, base: str) -> str | None:
    """The name the Patroni at ``base`` gives itself in GET /patroni, or None when it does not say."""
    try:
        status = client.member_status(base)
    except PatroniApiError:
        return None  # not answering: the operation itself will say so
    name = (status.get("patroni") or {}).get("name") if isinstance(status.get("patroni"), dict) else None
    return str(name) if name else None


def post_and_wait_for_leader(client: PatroniClient, path: str, body: dict[str, Any], cluster: dict[str, Any],
                             candidate: str, wait: bool, wait_timeout: float,
                             result: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` to ``path`` (C(/switchover) or C(/failover)), then wait for ``candidate`` to lead.

    ``cluster`` is the C(GET /cluster) answer before the request: every member healthy
    in it must stream again. A 503 is tolerated (Patroni does not know the outcome yet;
    the cluster tells). Sets ``patroni_message``, ``after`` and, when waited for,
    ``elapsed`` in ``result`` and returns it.
    """
    healthy_before = healthy_names(cluster)
    started = time.monotonic()
    try:
        answer = client.post(path, body)
        result["patroni_message"] = answer.text.strip()
    except PatroniApiError as error:
        if error.status != 503:  # 503: the outcome is not known yet; look at the cluster
            raise
        result["patroni_message"] = error.body.strip()
    if wait:
        try:
            final = wait_for_leader(client, candidate, healthy_before, wait_timeout)
        except PatroniApiError as error:
            raise PatroniApiError(f"{error} (Patroni answered: {result['patroni_message'] or 'nothing'})") from None
        result["elapsed"] = round(time.monotonic() - started, 2)
        result["after"] = leader_state(final)
    else:
        result["after"] = leader_state(client.cluster())
    return result
