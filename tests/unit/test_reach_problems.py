"""The verdict of site.yml's reach play, as a pure function."""

from __future__ import annotations

from ansible_collections.pgha.patroni.plugins.filter.reach_problems import host_problem, reach_problems

FACTS = {"ansible_facts": {"distribution": "Debian", "distribution_major_version": "13", "architecture": "x86_64"},
         "changed": False}


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


DEBIAN12 = {"distribution": "Debian", "distribution_major_version": "12", "distribution_version": "12.8",
            "architecture": "x86_64"}


def facts(**over):
    return {"ansible_facts": {**DEBIAN12, **over}, "changed": False}


def test_debian_12_and_13_on_x86_64_are_served():
    assert host_problem("n1", hv(facts())) is None
    assert host_problem("n1", hv(facts(distribution_major_version="13", distribution_version="13.2"))) is None


def test_a_redhat_host_is_refused_with_what_is_supported():
    msg = host_problem("n1", hv(facts(distribution="Rocky", distribution_major_version="9",
                                      distribution_version="9.4")))
    assert msg == ("n1 (10.0.0.1): runs Rocky 9.4 on x86_64, which the roles cannot serve; "
                   "they support Debian 12 or newer on x86_64 - use such a host.")


def test_an_older_debian_is_refused():
    msg = host_problem("n1", hv(facts(distribution_major_version="11", distribution_version="11.9")))
    assert msg.startswith("n1 (10.0.0.1): runs Debian 11.9 on x86_64, which the roles cannot serve")


def test_another_architecture_is_refused():
    msg = host_problem("n1", hv(facts(architecture="aarch64")))
    assert msg.startswith("n1 (10.0.0.1): runs Debian 12.8 on aarch64, which the roles cannot serve")


def test_prefixed_fact_names_count_too():
    prefixed = {"ansible_" + k: v for k, v in {**DEBIAN12, "distribution": "CentOS"}.items()}
    assert "runs CentOS 12.8 on x86_64" in host_problem("n1", hv({"ansible_facts": prefixed}))
