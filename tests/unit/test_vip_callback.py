# -*- coding: utf-8 -*-
# Copyright: pgha.patroni contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of roles/vip_callback/files/patroni_vip_callback.py, with the command runner faked."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Sequence

import pytest
from role_scripts import load_script


vc = load_script("vip_callback", "patroni_vip_callback.py")

VIP = "10.9.8.100"


class FakeRunner:
    """Records every command; `ip address show` reports whether the VIP is present."""

    def __init__(self, present: bool = False, fail: str = "") -> None:
        self.present = present
        self.fail = fail
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        argv = list(argv)
        self.calls.append(argv)
        if "show" in argv:
            out = "2: eth0    inet 10.9.8.11/24 brd 10.9.8.255 scope global eth0\n"
            if self.present:
                out += f"2: eth0    inet {VIP}/24 scope global secondary eth0\n"
            return subprocess.CompletedProcess(argv, 0, out, "")
        if self.fail and self.fail in argv:
            return subprocess.CompletedProcess(argv, 2, "", "RTNETLINK answers: Operation not permitted")
        if "add" in argv:
            self.present = True
        if "del" in argv:
            self.present = False
        return subprocess.CompletedProcess(argv, 0, "", "")

    def verbs(self) -> list[str]:
        """The privileged commands run, as short words."""
        words = []
        for argv in self.calls:
            if "show" in argv:
                continue
            if argv[-1] == VIP and any(a.endswith("arping") for a in argv):
                words.append("arping")
            elif "add" in argv:
                words.append("add")
            elif "del" in argv:
                words.append("del")
        return words


def _cfg(**kwargs: object) -> "vc.Config":
    cfg = vc.Config(address=VIP, prefix=24, interface="eth0", scope="demo")
    for key, value in kwargs.items():
        setattr(cfg, key, value)
    return cfg


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vc.syslog, "syslog", lambda *a: None)


@pytest.mark.parametrize("action", ["on_start", "on_restart", "on_role_change", "on_reload"])
@pytest.mark.parametrize(
    ("role", "expected"),
    [("primary", "add"), ("master", "add"), ("replica", "remove"), ("standby_leader", "remove"),
     ("demoted", "remove"), ("uninitialized", "remove")],
)
def test_decide_per_action_and_role(action: str, role: str, expected: str) -> None:
    assert vc.decide(action, role, _cfg()) == expected


def test_standby_leader_is_configurable() -> None:
    cfg = _cfg(leader_roles=("primary", "master", "standby_leader"))
    assert vc.decide("on_role_change", "standby_leader", cfg) == "add"


@pytest.mark.parametrize("role", ["primary", "replica"])
def test_on_stop_always_removes(role: str) -> None:
    assert vc.decide("on_stop", role, _cfg()) == "remove"


@pytest.mark.parametrize(("action", "role"), [("on_promote", "primary"), ("", "primary"),
                                              ("on_start", ""), ("on_start", "pri mary"),
                                              ("on_start", "primary;reboot")])
def test_decide_rejects_bad_arguments(action: str, role: str) -> None:
    with pytest.raises(vc.UsageError):
        vc.decide(action, role, _cfg())


def test_callback_adds_vip_then_announces_it() -> None:
    runner = FakeRunner(present=False)
    assert vc.run_callback("on_role_change", "primary", "demo", _cfg(), runner) == "add"
    assert runner.verbs() == ["add", "arping"]
    add = runner.calls[1]
    assert add == ["/usr/bin/sudo", "-n", "/usr/sbin/ip", "address", "add", f"{VIP}/24", "dev", "eth0"]
    assert runner.calls[-1] == ["/usr/bin/sudo", "-n", "/usr/bin/arping", "-q", "-U", "-c", "3", "-I", "eth0", VIP]


def test_callback_add_when_present_only_announces() -> None:
    runner = FakeRunner(present=True)
    vc.run_callback("on_start", "master", "demo", _cfg(), runner)
    assert runner.verbs() == ["arping"]


def test_callback_removes_on_replica() -> None:
    runner = FakeRunner(present=True)
    assert vc.run_callback("on_role_change", "replica", "demo", _cfg(), runner) == "remove"
    assert runner.verbs() == ["del"]
    assert runner.calls[1] == ["/usr/bin/sudo", "-n", "/usr/sbin/ip", "address", "del", f"{VIP}/24", "dev", "eth0"]


def test_callback_remove_when_absent_runs_nothing() -> None:
    runner = FakeRunner(present=False)
    vc.run_callback("on_restart", "replica", "demo", _cfg(), runner)
    assert runner.verbs() == []


def test_callback_disabled_does_nothing() -> None:
    runner = FakeRunner(present=False)
    assert vc.run_callback("on_start", "primary", "demo", _cfg(enabled=False), runner) == "skip"
    assert runner.calls == []


def test_callback_wrong_scope_is_refused() -> None:
    runner = FakeRunner(present=False)
    with pytest.raises(vc.UsageError):
        vc.run_callback("on_start", "primary", "other", _cfg(), runner)
    assert runner.calls == []


def test_failed_add_is_an_error() -> None:
    runner = FakeRunner(present=False, fail="add")
    with pytest.raises(RuntimeError):
        vc.run_callback("on_start", "primary", "demo", _cfg(), runner)


def test_without_sudo_commands_run_directly() -> None:
    runner = FakeRunner(present=False)
    vc.run_callback("on_start", "primary", "demo", _cfg(use_sudo=False), runner)
    assert runner.calls[1][0] == "/usr/sbin/ip"


@pytest.mark.parametrize(
    "argv",
    [[], ["on_start"], ["on_start", "primary"], ["on_start", "primary", "demo", "extra"],
     ["on_promote", "primary", "demo"], ["guard", "--forever"], ["before_stop", "primary"]],
)
def test_main_bad_arguments_exit_2(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "vip.conf"
    conf.write_text(f"[vip]\naddress = {VIP}\n", encoding="utf-8")
    runner = FakeRunner()
    assert vc.main(["--config", str(conf), *argv], runner=runner) == 2
    assert "usage:" in capsys.readouterr().err
    assert runner.calls == []


def test_main_missing_config_exit_2(tmp_path: Path) -> None:
    assert vc.main(["--config", str(tmp_path / "absent"), "on_start", "primary", "demo"], runner=FakeRunner()) == 2


def test_main_reads_config(tmp_path: Path) -> None:
    conf = tmp_path / "vip.conf"
    conf.write_text(f"[vip]\naddress = {VIP}\nprefix = 16\ninterface = ens3\nscope = demo\n"
                    "leader_roles = primary, master, standby_leader\narping_count = 2\n", encoding="utf-8")
    runner = FakeRunner()
    assert vc.main(["--config", str(conf), "on_role_change", "standby_leader", "demo"], runner=runner) == 0
    assert ["/usr/bin/sudo", "-n", "/usr/sbin/ip", "address", "add", f"{VIP}/16", "dev", "ens3"] in runner.calls
    assert runner.calls[-1][-5:] == ["-c", "2", "-I", "ens3", VIP]


def test_before_stop_removes_the_vip_first(tmp_path: Path) -> None:
    # Patroni's postgresql.before_stop runs the script with no arguments and waits for it
    conf = tmp_path / "vip.conf"
    conf.write_text(f"[vip]\naddress = {VIP}\nscope = demo\n", encoding="utf-8")
    runner = FakeRunner(present=True)
    assert vc.main(["--config", str(conf), "before_stop"], runner=runner) == 0
    assert not runner.present
    assert any("del" in call for call in runner.calls)


# ---------------------------------------------------------------- guard

@pytest.mark.parametrize(
    ("probes", "present", "fall", "expected"),
    [
        ([True, True], True, 3, ["none", "none"]),
        ([False, False], True, 3, ["none", "none"]),
        ([False, False, False], True, 3, ["none", "none", "remove"]),
        ([False, False, True, False, False], True, 3, ["none", "none", "none", "none", "none"]),
        ([False], True, 1, ["remove"]),
        ([False, False, False], False, 2, ["none", "none", "none"]),
        ([False, False, False, False], False, 1, ["none", "none", "none", "none"]),
        ([True], False, 3, ["add"]),
    ],
)
def test_guard_decide(probes: list[bool], present: bool, fall: int, expected: list[str]) -> None:
    state = vc.GuardState()
    cfg = _cfg(guard_fall=fall)
    assert [vc.guard_decide(p, present, state, cfg) for p in probes] == expected


def test_guard_counts_only_while_vip_is_here() -> None:
    state = vc.GuardState()
    cfg = _cfg(guard_fall=2)
    assert vc.guard_decide(False, False, state, cfg) == "none"
    assert vc.guard_decide(False, False, state, cfg) == "none"
    # a callback has just added the VIP: it gets the full grace of `fall` probes
    assert vc.guard_decide(False, True, state, cfg) == "none"
    assert vc.guard_decide(False, True, state, cfg) == "remove"


def test_guard_without_heal_never_adds() -> None:
    assert vc.guard_decide(True, False, vc.GuardState(), _cfg(guard_heal=False)) == "none"


def test_guard_loop_removes_after_fall(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = FakeRunner(present=True)
    answers = iter([(True, "ok"), (False, "HTTP 503"), (False, "HTTP 503")])
    steps: list[float] = []

    def sleep(seconds: float) -> None:
        steps.append(seconds)
        if len(steps) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        vc.run_guard(_cfg(guard_fall=2), runner=runner, probe=lambda cfg: next(answers), sleep=sleep)
    assert runner.verbs() == ["del"]
    assert runner.present is False


def test_guard_history_is_bounded() -> None:
    runner = FakeRunner(present=False)
    state = vc.GuardState()
    probes = vc.GUARD_HISTORY * 3
    answers = iter([(False, "HTTP 503")] * (probes - 1) + [(True, "ok")])
    steps: list[float] = []

    def sleep(seconds: float) -> None:
        steps.append(seconds)
        if len(steps) == probes:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        vc.run_guard(_cfg(), runner=runner, probe=lambda cfg: next(answers), sleep=sleep, state=state)
    assert len(state.history) == vc.GUARD_HISTORY
    assert list(state.history)[-2:] == ["none", "add"]  # the newest decisions are kept


class _Answer:
    def __init__(self, body: bytes) -> None:
        self.status, self.body = 200, body

    def __enter__(self) -> "_Answer":
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def read(self, _n: int) -> bytes:
        return self.body


@pytest.mark.parametrize(
    ("body", "confirmed"),
    [(b'{"role": "primary", "state": "running"}', True),
     # a switchover's demotion: before_stop dropped the VIP and the lease is still valid; no heal then
     (b'{"role": "primary", "state": "stopping"}', False),
     (b'{"role": "primary", "state": "restarting"}', False),
     (b'{"role": "replica", "state": "running"}', False),
     (b"{}", True)],
)
def test_probe_confirms_only_a_running_leader(monkeypatch: pytest.MonkeyPatch, body: bytes, confirmed: bool) -> None:
    monkeypatch.setattr(vc.urllib.request, "urlopen", lambda *_a, **_k: _Answer(body))
    cfg = vc.Config(address=VIP, api_url="http://127.0.0.1:8008")
    assert vc.probe_leader(cfg)[0] is confirmed
