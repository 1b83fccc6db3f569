"""Mount geometry over the serial console: a builder calibrates the ground sensor's pitch
and height on the belt with ``set sensors.<id>.pitch_deg``, ``save``s, and the device
built at the next start from that file uses them; bad input is one ERR line and
changes nothing; values set by hand in the file survive the save."""

from __future__ import annotations

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from helpers.pty_port import PtyPort
from pi_app.clock import SimClock
from pi_app.config import SCHEMA, Config, ConfigHolder, load_config
from pi_app.config.mount import MOUNT_KEYS, mount_keys, parse_mount_key
from pi_app.config_store import load_config_or_defaults
from pi_app.device import build_device
from pi_app.host import ConsoleClient, ConsoleReplyError
from pi_app.serial_console import SerialConsole
from pi_app.sim import devices as sim_devices
from pi_app.sim.simbus import SimBus

PITCH = "sensors.ground.pitch_deg"
HEIGHT = "sensors.ground.mount_height_m"


@pytest.fixture
def console(tmp_path):
    """(holder, client, config path): a real console on a pty, saving to a file the
    builder had already edited by hand."""
    path = tmp_path / "config.toml"
    path.write_text("[obstacle]\nwarning_ttc_s = 3.0\n", encoding="utf-8")
    cfg, notice = load_config_or_defaults(path)
    assert notice is None
    holder = ConfigHolder(cfg)
    with PtyPort() as pty:
        con = SerialConsole(pty.slave_path, get_config=holder.get, apply_config=holder.apply,
                            config_path=path)
        with con:
            assert con.connected.wait(5.0)
            yield holder, ConsoleClient(pty, timeout_s=5.0), path


def started_device(cfg: Config):
    """The device as it starts from ``cfg`` on the default kit's simulated chips."""
    clock = SimClock()
    bus = SimBus(clock)
    pins = MockFactory(pin_class=MockPWMPin)
    bus.attach(sim_devices.VL53L1XDevice(xshut_pin=pins.pin(17)))
    bus.attach(sim_devices.TFLunaDevice())
    bus.attach(sim_devices.MPU6050Device())
    return build_device(cfg, bus, clock, pin_factory=pins), pins


def test_pitch_and_height_set_over_serial_apply_at_the_next_start(console):
    holder, client, path = console
    assert client.get(PITCH) == "-25.0"
    assert client.command(f"set {PITCH} -30") == \
        [f"OK {PITCH}=-30.0 (applies at the next start, after save)"]
    assert client.command(f"set {HEIGHT} 0.95")[-1].startswith(f"OK {HEIGHT}=0.95 ")
    assert client.get(PITCH) == "-30.0"
    assert client.command("save") == [f"OK saved {path}"]

    saved = load_config(path)
    ground = next(s for s in saved.sensors if s.id == "ground")
    assert (ground.pitch_deg, ground.mount_height_m) == (-30.0, 0.95)
    assert saved.obstacle.warning_ttc_s == 3.0          # what the builder wrote is kept

    device, pins = started_device(saved)
    try:
        assert device.errors == {}, device.selftest_report()
        [channel] = [c for c in device.loop.channels if c.id == "ground"]
        assert channel.detector.mount_pitch_deg == -30.0
        assert channel.detector.mount_height_m == 0.95
    finally:
        device.close()
        pins.close()


@pytest.mark.parametrize("line, code", [
    (f"set {PITCH} -95", 3), (f"set {PITCH} abc", 3), (f"set {PITCH} nan", 3),
    (f"set {HEIGHT} 0", 3), (f"set {HEIGHT} 3.5", 3), ("set sensors.imu.pitch_deg 5", 2),
    ("set sensors.nosuch.pitch_deg 5", 2), ("set sensors.ground.roll_deg 5", 2),
    ("get sensors.nosuch.pitch_deg", 2), (f"set {PITCH}", 7),
])
def test_bad_mount_input_is_one_err_line_and_changes_nothing(console, line, code):
    holder, client, _ = console
    before = holder.get()
    with pytest.raises(ConsoleReplyError) as info:
        client.command(line)
    assert info.value.code == code
    assert "\n" not in str(info.value)
    assert holder.get() == before


def test_get_lists_every_mount_key_and_each_value_typed_back_is_accepted(console):
    holder, client, _ = console
    lines = client.command("get")
    pairs = dict(line.split("=", 1) for line in lines[:-1])
    cfg = holder.get()
    assert lines[-1] == f"OK {len(SCHEMA) + len(mount_keys(cfg))} keys"
    mounts = [k for k in pairs if parse_mount_key(k)]
    assert mounts == [mk.key for mk in mount_keys(cfg)]
    assert {parse_mount_key(k).sensor_id for k in mounts} == {"rear", "ground"}   # not the IMU
    assert len(mounts) == 2 * len(MOUNT_KEYS)
    for key in mounts:
        assert client.command(f"set {key} {pairs[key]}")[-1].startswith(f"OK {key}={pairs[key]} ")
    assert holder.get() == cfg


def test_help_names_the_range_and_when_it_applies(console):
    _, client, _ = console
    [line] = client.command(f"help {PITCH}")
    assert "-90..90 deg" in line and "now -25.0" in line and line.endswith("applies at the next start)")
