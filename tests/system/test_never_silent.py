"""Fail loud: a config the loop cannot apply, a missing I2C bus, no working output and a
stalled loop each end in a fault signal or a clear refusal, never in a silent device.

The device is the real one (drivers on SimBus emulators, outputs on gpiozero mock pins);
pins are read at simulated time.
"""

from __future__ import annotations

import errno
import threading

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from pi_app.clock import PacedClock
from pi_app.config import FIELDS, Config, ConfigHolder
from pi_app.detect import Level
from pi_app.device import build_device
from pi_app.exc import ConfigError, OutputError
from pi_app.loop import STALL_PERIODS
from pi_app.selftest import NoOutputs
from pi_app.sensors.bus import BusKeeper, ReopeningBus
from pi_app.serial_protocol import ConsoleProtocol
from pi_app.sim.rig import SimRig
from pi_app.sim.scenario import load_scenario

FAULT_WITHIN_S = 0.25      # health.fault_signal_s: the fault pattern starts within this
RECOVER_WITHIN_S = 1.0     # ... and stops within 1 s of the cause going


def run_until(loop, clock, until_s, pin=None):
    """Step the loop to ``until_s``; the simulated times at which ``pin`` was on."""
    on_s = []
    next_t_s = clock.now_s()
    while clock.now_s() < until_s:
        loop.step()
        if pin is not None and pin.state:
            on_s.append(clock.now_s())
        next_t_s = max(next_t_s + loop.period_s, clock.now_s())
        clock.sleep_until(next_t_s)
    return on_s


# --- the loop never dies of a config ---------------------------------------------------
class RefusingOutputs:
    """Outputs whose reconfigure fails once (a pin taken by another process)."""

    def __init__(self, outputs) -> None:
        self.inner = outputs
        self.fail_next = True
        self.buzzer, self.haptic = outputs.buzzer, outputs.haptic

    def command(self, state, t_s):
        self.inner.command(state, t_s)

    def reconfigure(self, cfg):
        if self.fail_next:
            self.fail_next = False
            raise OutputError("GPIO18 is busy")
        self.inner.reconfigure(cfg)

    def close(self):
        self.inner.close()


def test_a_config_the_loop_cannot_apply_is_refused_and_the_old_one_kept():
    rig = SimRig(load_scenario("wall-approach"))
    try:
        loop = rig.loop
        loop.outputs = RefusingOutputs(loop.outputs)
        old = loop.cfg
        handover = loop.apply_config(old.with_value("alert.volume", "0.5"))
        loop.step()
        assert handover.done.is_set() and "GPIO18 is busy" in handover.error
        assert loop.cfg is old and loop.config_refusals == 1
        rig.run()                     # the loop runs on and still warns of the wall
        assert any(s.level >= Level.WARNING for _, s in loop.alerts)
    finally:
        rig.close()


def test_a_config_that_breaks_a_part_is_refused_even_past_the_schema():
    """A Config built around the schema's check (no output at all) must not end the loop."""
    rig = SimRig(load_scenario("wall-approach"))
    try:
        loop = rig.loop
        values = dict(loop.cfg.values, **{"alert.output": "haptic", "alert.haptic": "none"})
        handover = loop.apply_config(Config(values, loop.cfg.sensors))
        loop.step()
        assert handover.error and "alert.haptic" in handover.error
        assert loop.cfg.alert.output == "both"
        loop.step()
    finally:
        rig.close()


@pytest.fixture
def live_rig():
    """wall-approach paced at real time, its loop running in a thread (as `run --sim`)."""
    rig = SimRig(load_scenario("wall-approach"), clock=PacedClock(speed=1.0))
    thread = threading.Thread(target=rig.loop.run, daemon=True)
    thread.start()
    while rig.loop.thread_ident is None:
        threading.Event().wait(0.001)
    yield rig
    rig.loop.stop()
    thread.join(5.0)
    rig.close()


def test_console_answers_err_when_the_loop_refuses_and_ok_when_it_applies(live_rig):
    loop = live_rig.loop
    loop.outputs = RefusingOutputs(loop.outputs)
    holder = ConfigHolder(loop.cfg)
    holder.loop = loop
    console = ConsoleProtocol(holder.get, holder.apply)
    [reply] = console.handle_line("set alert.volume 0.5")
    assert reply.startswith("ERR 3 ") and "GPIO18 is busy" in reply
    assert holder.get().alert.volume == 1.0 and loop.cfg.alert.volume == 1.0
    [reply] = console.handle_line("set alert.volume 0.5")
    assert reply == "OK alert.volume=0.5"
    assert loop.cfg.alert.volume == 0.5 == holder.get().alert.volume


# --- a missing I2C bus -----------------------------------------------------------------
class LateBus:
    """Opens the rig's SimBus only once ``present`` is set, like /dev/i2c-1 appearing
    when i2c-dev is loaded late."""

    def __init__(self, simbus) -> None:
        self.simbus = simbus
        self.present = False

    def __call__(self):
        if not self.present:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/dev/i2c-1")
        return self.simbus


def hint(bus_number: int) -> str:
    return f"/dev/i2c-{bus_number} is missing: sudo modprobe i2c-dev"


def test_no_bus_at_start_sounds_the_fault_says_why_and_recovers_when_it_appears():
    rig = SimRig(load_scenario("clean-run"))
    rig.device.close()                       # the same chips, brought up anew below
    clock = rig.clock
    late = LateBus(rig.bus)
    bus = ReopeningBus(late, "/dev/i2c-1")
    device = build_device(rig.cfg, bus, clock, pin_factory=rig.pin_factory)
    loop = device.loop
    loop.hooks.append(BusKeeper(bus, 1, loop.notices, clock.now_s(), hint=hint))
    try:
        assert not bus.is_open and set(device.errors) >= {"rear", "ground", "imu"}
        assert loop.status()["i2c"] == hint(1)
        t0 = clock.now_s()
        buzzer = rig.pin_factory.pin(rig.cfg.alert.buzzer_pin)
        on_s = run_until(loop, clock, t0 + 2.5, pin=buzzer)
        faults = [t for t, s in loop.alerts if s.level == Level.FAULT]
        assert faults and faults[0] - t0 <= FAULT_WITHIN_S
        assert [t for t in on_s if t > t0 + 1.0]        # the fault rhythm is heard
        late.present = True
        t_back = clock.now_s()
        run_until(loop, clock, t_back + 3.0)
        assert bus.is_open and "i2c" not in loop.status()
        cleared = [t for t, s in loop.alerts if t > t_back and s.level != Level.FAULT]
        assert cleared and cleared[0] - t_back <= BusKeeper.RETRY_S + RECOVER_WITHIN_S
        assert loop.state.level != Level.FAULT
        assert all(loop.status()[f"{s}.health"] == "ok" for s in ("rear", "ground"))
    finally:
        device.close()
        rig.close()


def test_reopening_bus_fails_like_an_unplugged_chip_until_it_opens():
    late = LateBus(type("Bus", (), {"close": lambda self: None})())
    bus = ReopeningBus(late, "/dev/i2c-7")
    with pytest.raises(OSError) as info:
        bus.read_byte_data(0x29, 0)
    assert info.value.errno == errno.ENODEV and "/dev/i2c-7" in str(info.value)
    assert "missing" in repr(bus) and "No such file" in bus.last_error
    late.present = True
    assert bus.try_open() and bus.is_open
    bus.close()
    bus.close()
    assert "closed" in repr(bus)


# --- no output can tell the runner -------------------------------------------------------
def test_no_output_is_said_retried_and_ready_only_once_one_works():
    rig = SimRig(load_scenario("wall-approach"))
    rig.device.close()
    factory = MockFactory(pin_class=MockPWMPin)
    cfg = rig.cfg
    taken = [factory.pin(cfg.alert.buzzer_pin), factory.pin(cfg.alert.motor_pin),
             factory.pin(cfg.alert.motor_right_pin)]
    from gpiozero import OutputDevice
    holders = [OutputDevice(p.info.name, pin_factory=factory) for p in taken]
    device = build_device(cfg, rig.bus, rig.clock, pin_factory=factory)
    loop, clock = device.loop, rig.clock
    ready = []
    device.output_keeper.on_restored = lambda: ready.append(clock.now_s())
    try:
        assert not device.can_alert and isinstance(loop.outputs, NoOutputs)
        assert "retrying" in loop.status()["outputs"]
        run_until(loop, clock, clock.now_s() + 3.0)
        assert not device.can_alert and ready == []          # still nothing: not ready
        for h in holders:                                    # the pins are freed
            h.close()
        t_free = clock.now_s()
        run_until(loop, clock, t_free + 3.0)
        assert device.can_alert and len(ready) == 1
        assert ready[0] - t_free <= device.output_keeper.RETRY_S + loop.period_s
        assert "outputs" not in loop.status()
    finally:
        device.close()
        rig.close()


def test_run_sends_ready_only_when_the_device_can_alert():
    from pi_app.commands.run import _announce

    class Notes:
        def __init__(self):
            self.sent = []

        def ready(self, status=None):
            self.sent.append(("READY", status))

        def status(self, text):
            self.sent.append(("STATUS", text))

    class FakeDevice:
        def __init__(self, can):
            self.can_alert = can
            self.output_keeper = type("K", (), {"on_restored": None})()

        def selftest_report(self):
            return "self-test FAILED: outputs"

    ok, bad = Notes(), Notes()
    _announce(FakeDevice(True), ok)
    dev = FakeDevice(False)
    _announce(dev, bad)
    assert [k for k, _ in ok.sent] == ["READY"]
    assert [k for k, _ in bad.sent] == ["STATUS"] and "NOT READY" in bad.sent[0][1]
    dev.output_keeper.on_restored()
    assert [k for k, _ in bad.sent] == ["STATUS", "READY"]


# --- a stalled loop ------------------------------------------------------------------------
def test_status_says_stalled_when_the_loop_has_not_cycled():
    rig = SimRig(load_scenario("clean-run"))
    try:
        loop, clock = rig.loop, rig.clock
        t0 = clock.now_s()
        run_until(loop, clock, t0 + 0.5)
        status = loop.status()
        assert status["stalled"] == 0 and status["uptime_s"] >= 0.5
        clock.advance(STALL_PERIODS * loop.period_s * 2)        # no cycle meanwhile
        status = loop.status()
        assert status["stalled"] == 1 and status["last_cycle_s_ago"] > 0
        loop.step()
        assert loop.status()["stalled"] == 0
    finally:
        rig.close()


# --- from `set` to the loop running the new config (property-based) -------------------------
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                   st.integers(-100, 5000).map(str),
                   st.sampled_from(["true", "false", "none", "pwm", "drv2605", "haptic",
                                    "buzzer", "both", "belt", "treadmill", "", "1e5000",
                                    "/dev/ttyGS0", "loop://", "18", "13", "2", "14"]))
SETS = st.lists(st.tuples(st.sampled_from(sorted(FIELDS)), VALUES), min_size=1, max_size=6)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sets=SETS)
def test_any_set_sequence_leaves_the_loop_running_the_console_config(live_rig, sets):
    loop = live_rig.loop
    holder = ConfigHolder(loop.cfg)
    holder.loop = loop
    console = ConsoleProtocol(holder.get, holder.apply)
    for key, value in sets:
        replies = console.handle_line(f"set {key} {value}")
        assert len(replies) == 1 and replies[0].split()[0] in ("OK", "ERR")
        if replies[0].startswith("OK"):
            loop.apply_config(holder.get()).wait(1.0)   # the swap has happened
            assert loop.cfg == holder.get()
    cfg = loop.cfg
    cfg.check()
    assert loop.thread_ident is not None          # the loop never died
    assert isinstance(cfg.alert.output, str)
    with pytest.raises(ConfigError):
        cfg.with_value("alert.volume", "not a number")


# --- `backsight run` on a machine without the bus -------------------------------------------
@pytest.mark.slow
def test_run_without_the_i2c_device_keeps_running_and_names_the_fix(tmp_path):
    """No /dev/i2c-31 here: the device starts, names the bus and the fix once, runs for
    its duration and exits 0 - no traceback (it used to end in FileNotFoundError)."""
    import os
    import subprocess
    import sys

    config = tmp_path / "config.toml"
    config.write_text("[i2c]\nbus = 31\n")
    env = dict(os.environ, GPIOZERO_PIN_FACTORY="mock", NOTIFY_SOCKET="")
    proc = subprocess.run([sys.executable, "-m", "pi_app", "run", "--config", str(config),
                           "--duration", "1.0", "--serial-port", "loop://"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    bus_lines = [line for line in proc.stderr.splitlines() if "/dev/i2c-31" in line and "I2C:" in line]
    assert len(bus_lines) == 1 and "i2c-dev" in bus_lines[0]


def test_a_missing_or_faulty_config_file_is_said_once_and_shown_in_status(tmp_path, caplog):
    from pi_app.commands.run import load_startup_config

    missing = tmp_path / "nope.toml"
    with caplog.at_level("INFO"):
        cfg, notice, path = load_startup_config(str(missing))
    assert cfg == Config.defaults() and path == missing and str(missing) in notice
    said = [r for r in caplog.records if str(missing) in r.getMessage()]
    assert len(said) == 1 and said[0].levelname == "WARNING"
    caplog.clear()
    typo = tmp_path / "typo.toml"
    typo.write_text('[device]\nmode = "treadmill"\n[obstacle]\nwarning_tc_s = 3.0\n')
    cfg, notice, _ = load_startup_config(str(typo))
    assert cfg.device.mode == "treadmill"                # the good key is kept
    assert "obstacle.warning_tc_s" in notice and notice.startswith("1 problem")
    assert len([r for r in caplog.records if "warning_tc_s" in r.getMessage()]) == 1
