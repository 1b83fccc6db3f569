"""AlertOutputs commanded like the loop does: every 10 ms of simulated time.

Pin history is recorded against the SimClock by reading each pin's state right after
every ``command`` (outputs write pins only inside ``command``), so a change is seen at
the exact simulated time it was made; gpiozero's own ``pin.states`` timestamps are wall
clock and are not used. Counting pins prove that pins change only at pattern edges.
"""

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from conftest import CountingPWMPin, unchecked_config

from pi_app.alert.haptic import PwmMotorOutput
from pi_app.alert.outputs import AlertOutputs
from pi_app.clock import SimClock
from pi_app.config import Config
from pi_app.detect import CLEAR, AlertState, Level
from pi_app.exc import ConfigError, DeviceClosed
from pi_app.sim.devices import DRV2605Device
from pi_app.sim.simbus import SimBus

C, W, D = Level.CAUTION, Level.WARNING, Level.DANGER
CYCLE_S = 0.01


class Rig:
    """Outputs + SimClock + a recorder of pin changes in simulated time."""

    def __init__(self, **settings):
        cfg = Config.defaults()
        for key, value in settings.items():
            cfg = cfg.with_value(key.replace("__", "."), value)
        self.clock = SimClock()
        self.factory = MockFactory(pin_class=CountingPWMPin)
        self.bus = SimBus(self.clock)
        self.drv = self.bus.attach(DRV2605Device())
        self.out = AlertOutputs(cfg, clock=self.clock, pin_factory=self.factory, bus=self.bus)
        self.log = {"buzzer": [], "motor": []}
        self._last = {}

    def pins(self):
        o = self.out
        return {"buzzer": o.buzzer.pin if o.buzzer else None,
                "motor": getattr(o.haptic, "pin", None)}

    def run(self, state_at, until_s):
        """Command ``state_at(t)`` every cycle until ``until_s``."""
        clock = self.clock
        while clock.now_s() < until_s - 1e-9:
            t = clock.now_s()
            self.out.command(state_at(t) if callable(state_at) else state_at, t)
            for name, pin in self.pins().items():
                if pin is not None and pin.state != self._last.get(name, 0.0):
                    self._last[name] = pin.state
                    self.log[name].append((round(t, 3), pin.state))
            clock.advance(CYCLE_S)

    def on_intervals(self, name="buzzer"):
        """(start, duration) of each on-period in the log."""
        out, start = [], None
        for t, s in self.log[name]:
            if s and start is None:
                start = t
            elif not s and start is not None:
                out.append((start, round(t - start, 3)))
                start = None
        if start is not None:
            out.append((start, None))  # still on
        return out


def test_caution_warning_danger_cadence_on_the_buzzer():
    for level, on_s, period_s in ((C, 0.10, 0.70), (W, 0.08, 0.20)):
        rig = Rig()
        rig.run(AlertState(level, "obstacle", "rear"), 2.0)
        intervals = rig.on_intervals()
        assert [d for _, d in intervals] == [on_s] * len(intervals)
        starts = [s for s, _ in intervals]
        assert starts == pytest.approx([k * period_s for k in range(len(starts))])
        assert len(starts) == int(2.0 / period_s - 1e-9) + 1
    rig = Rig()
    rig.run(AlertState(D, "obstacle", "rear"), 2.0)
    assert rig.log["buzzer"] == [(0.0, 1.0)]                # continuous: on once, never off
    assert rig.log["motor"] == [(0.0, 1.0)]


def test_danger_switches_in_within_the_same_cycle():
    rig = Rig()

    def state(t):
        return AlertState(C if t < 0.35 else D, "obstacle", "rear")

    rig.run(state, 1.0)
    # CAUTION pulse 0..0.1, its gap would last to 0.7; DANGER at 0.35 sounds at 0.35
    assert rig.log["buzzer"] == [(0.0, 1.0), (0.1, 0.0), (0.35, 1.0)]
    assert rig.log["motor"] == [(0.0, 0.55), (0.1, 0.0), (0.35, 1.0)]


def test_each_kind_has_its_own_rhythm_on_the_pin():
    seen = {}
    for state in (AlertState(W, "obstacle", "rear"), AlertState(W, "surface", "ground", "drop"),
                  AlertState(W, "deck", "rear", "console"), AlertState(W, "deck", "rear", "rear"),
                  AlertState(Level.FAULT, "fault", "rear"), AlertState(C, "rest")):
        rig = Rig()
        rig.run(state, 2.0)
        seen[state.kind + str(state.detail)] = tuple(rig.on_intervals())
    assert len(set(seen.values())) == len(seen)
    assert seen["surfacedrop"][:2] == ((0.0, 0.07), (0.16, 0.07))      # double pulse
    assert seen["deckconsole"][:3] == ((0.0, 0.06), (0.13, 0.06), (0.26, 0.06))
    assert seen["deckrear"][:2] == ((0.0, 0.35), (0.7, 0.35))
    assert seen["faultNone"] == ((0.0, 0.45), (0.6, 0.12))


def test_pins_change_only_at_pattern_edges():
    rig = Rig()
    pins = rig.pins()
    before = {n: p.writes for n, p in pins.items()}
    rig.run(AlertState(W, "obstacle", "rear"), 3.0)            # 300 cycles
    for name, pin in pins.items():
        assert pin.writes - before[name] == len(rig.log[name]) == 30


def test_posture_goes_to_the_motor_only_even_when_alerts_use_the_buzzer():
    rig = Rig(alert__output="buzzer")
    rig.run(AlertState(C, "posture", "imu"), 1.0)
    assert rig.log["buzzer"] == []
    assert rig.log["motor"] == [(0.0, 0.45), (0.15, 0.0), (0.4, 0.45), (0.55, 0.0)]
    rig.run(AlertState(W, "obstacle", "rear"), 1.5)              # alerts: buzzer only
    assert rig.log["buzzer"][0] == (1.0, 1.0)
    assert rig.log["motor"][-1] == (0.55, 0.0)


def test_haptic_only_builds_no_buzzer_and_impossible_routing_is_refused():
    rig = Rig(alert__output="haptic")
    assert rig.out.buzzer is None
    rig.run(AlertState(C, "obstacle", "rear"), 0.5)
    assert rig.log["motor"] == [(0.0, 0.55), (0.1, 0.0)]
    with pytest.raises(ConfigError, match="nothing would tell the runner"):
        Config.defaults().with_value("alert.output", "haptic").with_value("alert.haptic", "none")
    cfg = unchecked_config(alert__output="haptic", alert__haptic="none")   # past the schema
    with pytest.raises(ConfigError, match="nothing would tell the runner"):
        AlertOutputs(cfg, clock=SimClock(), pin_factory=MockFactory(pin_class=MockPWMPin))
    cfg = Config.defaults().with_value("alert.haptic", "drv2605")
    with pytest.raises(ConfigError, match="I2C bus"):
        AlertOutputs(cfg, clock=SimClock(), pin_factory=MockFactory(pin_class=MockPWMPin))


def test_drv2605_haptic_follows_the_pattern_at_simulated_times():
    rig = Rig(alert__haptic="drv2605")
    rig.run(AlertState(C, "obstacle", "rear"), 1.5)
    drv = rig.drv
    on_ms = [ms for ms in range(0, 1500, 5) if drv.playing(ms / 1000 + 1e-4)]
    assert on_ms == [*range(0, 100, 5), *range(700, 800, 5), *range(1400, 1500, 5)]
    assert rig.out.errors == 0


def test_same_pattern_for_a_new_source_keeps_the_rhythm():
    rig = Rig()

    def state(t):
        return AlertState(W, "obstacle", "rear" if t < 0.25 else "left")

    rig.run(state, 0.5)
    assert [s for s, _ in rig.on_intervals()] == [0.0, 0.2, 0.4]


def test_one_shots_replay_only_when_commanded_afresh():
    rig = Rig()
    ready = AlertState(Level.CLEAR, None, None, "ready")
    rig.run(lambda t: ready if t < 1.0 or t >= 2.0 else CLEAR, 3.0)
    assert rig.on_intervals() == [(0.0, 0.12), (2.0, 0.12)]


def test_startup_chirps_play_to_their_end_unless_a_warning_comes():
    ready = AlertState(Level.CLEAR, None, None, "ready")
    rig = Rig()
    rig.run(lambda t: ready if t < 0.005 else CLEAR, 0.5)     # the loop goes CLEAR at once
    assert rig.on_intervals() == [(0.0, 0.12)]
    fail = AlertState(Level.FAULT, "fault", None, "selftest_fail")
    rig = Rig(alert__tonal=True)
    rig.run(lambda t: fail if t < 0.005 else AlertState(Level.FAULT, "fault", "rear"), 2.0)
    assert rig.log["buzzer"][:3] == [(0.0, 0.5), (1.0, 0.0), (1.4, 0.5)]
    assert rig.on_intervals()[1] == (1.4, 0.45)   # 1 s low tone, a pause, the fault rhythm
    rig = Rig(alert__tonal=True)
    rig.run(lambda t: ready if t < 0.05 else AlertState(W, "obstacle", "rear"), 0.06)
    assert rig.out.current.level == W and rig.out.buzzer.pin.frequency == 2300.0


def test_reconfigure_rebuilds_only_what_changed():
    rig = Rig(alert__tonal=True)
    rig.run(AlertState(D, "obstacle", "rear"), 0.1)
    buzzer, motor = rig.out.buzzer, rig.out.haptic
    assert buzzer.pin.state == pytest.approx(0.5)
    rig.out.reconfigure(Config.defaults().with_value("alert.tonal", True).with_value("alert.volume", 0.4))
    rig.run(AlertState(D, "obstacle", "rear"), 0.2)
    assert rig.out.buzzer is buzzer and rig.out.haptic is motor
    assert buzzer.pin.state == pytest.approx(0.2)
    old_pin = motor.pin
    rig.out.reconfigure(Config.defaults().with_value("alert.tonal", True).with_value("alert.motor_pin", 19))
    assert rig.out.haptic is not motor and motor.closed and old_pin.state == 0.0
    rig._last.pop("motor", None)
    rig.run(AlertState(D, "obstacle", "rear"), 0.3)
    assert rig.out.haptic.pin.state == 1.0                     # new pin joins at once


def test_reconfigure_keeps_the_old_output_when_the_new_pin_is_taken():
    rig = Rig()
    blocker = PwmMotorOutput(19, pin_factory=rig.factory)   # another device holds GPIO19
    rig.out.reconfigure(Config.defaults().with_value("alert.motor_pin", 19))
    assert rig.out.haptic is not None and rig.out.haptic.pin_number == 13
    rig.run(AlertState(D, "obstacle", "rear"), 0.1)
    assert rig.out.haptic.pin.state == 1.0
    blocker.close()


def test_close_turns_everything_off_and_is_idempotent():
    rig = Rig()
    rig.run(AlertState(D, "obstacle", "rear"), 0.1)
    pins = rig.pins()
    with rig.out as out:
        assert all(p.state for p in pins.values())
    out.close()
    assert all(p.state == 0.0 for p in pins.values())
    assert "closed" in repr(out)
    with pytest.raises(DeviceClosed):
        out.command(AlertState(D, "obstacle", "rear"), 1.0)


def test_off_silences_and_the_next_command_starts_afresh():
    rig = Rig()
    rig.run(AlertState(C, "obstacle", "rear"), 0.05)
    assert rig.out.buzzer.pin.state == 1.0
    rig.out.off()
    assert rig.out.buzzer.pin.state == 0.0 and rig.out.current == CLEAR
    rig.out.command(AlertState(C, "obstacle", "rear"), 0.3)    # the old phase would be off
    assert rig.out.buzzer.pin.state == 1.0
