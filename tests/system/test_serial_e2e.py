"""End to end: ``backsight run --sim wall-approach`` with its console on a pty; a host
client changes obstacle.warning_ttc_s live, saves, the device is stopped with SIGTERM
and restarted: the value is still set, and the restarted device's recorded alerts come
at the times the new thresholds call for (contact - warning_ttc_s, contact - danger_ttc_s).
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import time

import pytest

from helpers.pty_port import PtyPort
from pi_app.config import load_config
from pi_app.exc import SerialConsoleError
from pi_app.host import ConsoleClient

#: slow: a real device loop at real time behind a pty
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    importlib.util.find_spec("pi_app.commands.run") is None
    or importlib.util.find_spec("pi_app.sim.scenario") is None,
    reason="needs `backsight run` (pi_app.commands.run) and the scenario loader")]
KEY = "obstacle.warning_ttc_s"
CONTACT_S = 14.0  # wall-approach: 2.5 m/s toward a wall 35 m behind (scenario file)
WARNING_TTC_S, DANGER_TTC_S = 0.9, 0.5  # later than the defaults, after the wall is in range


def start_device(config_path, pty: PtyPort, tmp_path, *extra: str) -> subprocess.Popen:
    log = open(tmp_path / f"device-{time.monotonic_ns()}.log", "w")
    return subprocess.Popen([sys.executable, "-m", "pi_app", "run", "--sim", "wall-approach",
                             "--config", str(config_path), "--serial-port", pty.slave_path, *extra],
                            stdout=log, stderr=subprocess.STDOUT, text=True)


def connect(pty: PtyPort, proc: subprocess.Popen, deadline_s: float = 60.0) -> ConsoleClient:
    """A client once the device's console answers (start-up takes a moment)."""
    client = ConsoleClient(pty, timeout_s=0.3)
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        assert proc.poll() is None, f"device exited early with {proc.returncode}"
        try:
            if client.command("version")[0].startswith("OK backsight"):
                client.timeout_s = 5.0
                return client
        except SerialConsoleError:
            continue
    raise AssertionError("the device's serial console never answered")


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def recorded(path) -> tuple[dict, list[tuple[float, str, str]]]:
    """The recording's header and its alert changes, read with the project's reader."""
    from pi_app.record import read_recording

    rec = read_recording(path)
    return {"config": rec.config, "policy": rec.policy}, \
        [(t_s, level, kind) for t_s, level, kind, _source in rec.alerts]


def test_set_save_restart_keeps_the_value_and_the_alerts_follow_it(tmp_path):
    config_path = tmp_path / "config.toml"
    recording = tmp_path / "after-restart.rec"
    with PtyPort() as pty:
        proc = start_device(config_path, pty, tmp_path)
        try:
            client = connect(pty, proc)
            assert client.get(KEY) == "2.5"
            assert client.command(f"set {KEY} 3.0") == [f"OK {KEY}=3.0"]
            assert client.get(KEY) == "3.0"
            assert client.command("set obstacle.danger_ttc_s 0.5") == ["OK obstacle.danger_ttc_s=0.5"]
            assert client.command(f"set {KEY} {WARNING_TTC_S}") == [f"OK {KEY}={WARNING_TTC_S}"]
            status = client.command("status")[-1]
            assert "level=" in status and status.endswith("unsaved=1")
            assert client.command("stream on") == ["OK stream on"]
            assert client.read_telemetry(0.6)  # the live loop streams while we talk
            client.command("stream off")
            assert client.command("save") == [f"OK saved {config_path}"]
            assert client.command("status")[-1].endswith("unsaved=0")
        finally:
            assert stop(proc) == 0
        assert load_config(config_path).obstacle.warning_ttc_s == WARNING_TTC_S

        proc = start_device(config_path, pty, tmp_path, "--speed", "4", "--duration", "15.0",
                            "--record", str(recording))
        try:
            client = connect(pty, proc)
            assert client.get(KEY) == str(WARNING_TTC_S)  # still set after the restart
            assert client.get("obstacle.danger_ttc_s") == str(DANGER_TTC_S)
            assert proc.wait(60) == 0  # runs past the wall (--duration), then stops itself
        finally:
            if proc.poll() is None:
                stop(proc)

    header, alerts = recorded(recording)
    assert header["config"]["obstacle"]["warning_ttc_s"] == WARNING_TTC_S
    obstacle = [(t_s, level) for t_s, level, kind in alerts if kind == "obstacle"]
    first = {level: next(t for t, lv in obstacle if lv == level) for level in ("warning", "danger")}
    # With the defaults (2.5 s / 1.2 s) both come as soon as the wall is in range
    # (WARNING ~12.8 s, DANGER ~12.97 s); with the saved ones DANGER waits for TTC 0.5 s.
    assert first["danger"] == pytest.approx(CONTACT_S - DANGER_TTC_S, abs=0.15)
    # WARNING is due at TTC 0.9 s; it may come earlier (but never later), because the
    # first closing speed after the wall comes into range is taken from two samples.
    assert first["warning"] <= CONTACT_S - WARNING_TTC_S + 0.15
    assert first["warning"] < first["danger"]
