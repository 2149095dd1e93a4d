"""The verdict of site.yml's reach play, as a pure function."""

from __future__ import annotations

from ansible_collections.pgha.patroni.plugins.filter.reach_problems import host_problem, reach_problems

FACTS = {"ansible_facts": {"architecture": "x86_64"}, "changed": False}


def hv(result, **over):
    base = {"__preflight_reach": result, "ansible_user": "deploy", "ansible_host": "10.0.0.1"}
    base.update(over)
    return base


def test_a_host_that_answered_is_fine():
    assert host_problem("n1", hv(FACTS)) is None


def test_unreachable_names_the_host_user_and_cause():
    msg = host_problem("n1", hv({"unreachable": True, "msg": "Task failed: Failed to connect: Connection refused"}))
    assert msg.startswith("n1 (10.0.0.1): unreachable over ssh as deploy (Failed to connect: Connection refused)")


def test_a_missing_key_is_named_when_the_host_was_not_reached(tmp_path):
    key = tmp_path / "nope"
    msg = host_problem("n1", hv({"unreachable": True, "msg": "Permission denied"}, ansible_ssh_private_key_file=str(key)))
    assert msg == f"n1 (10.0.0.1): the SSH key {key} does not exist on the controller; " \
                  "create it or correct ansible_ssh_private_key_file."


def test_a_missing_key_does_not_matter_when_the_host_answered(tmp_path):
    assert host_problem("n1", hv(FACTS, ansible_ssh_private_key_file=str(tmp_path / "nope"))) is None


def test_a_refused_sudo_says_how_to_fix_it():
    msg = host_problem("n1", hv({"failed": True, "msg": "Task failed: Missing sudo password"}))
    assert msg == ("n1 (10.0.0.1): reached as deploy but cannot become root (Missing sudo password); "
                   "give deploy sudo rights (passwordless, or run with --ask-become-pass).")


def test_another_failure_is_not_blamed_on_sudo():
    msg = host_problem("n1", hv({"failed": True, "msg": "/usr/bin/python3: not found"}))
    assert msg == "n1 (10.0.0.1): reached as deploy but reading its facts as root failed (/usr/bin/python3: not found)."


def test_reach_problems_keeps_only_the_bad_hosts():
    hostvars = {"a": hv(FACTS), "b": hv({"unreachable": True, "msg": "timeout"}, ansible_host="10.0.0.2")}
    assert reach_problems(hostvars, ["a", "b"]) == [
        "b (10.0.0.2): unreachable over ssh as deploy (timeout); check the address, that sshd runs there, "
        "and that the key of deploy is authorized."]
