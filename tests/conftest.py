"""Fixtures shared by the chip tests: a simulated clock, a SimBus on it, and a
scriptable range target (what a world-model view gives an emulator)."""

import pytest
from gpiozero.pins.mock import MockPin, MockPWMPin

from pi_app.clock import SimClock
from pi_app.sim.simbus import SimBus


class Target:
    """A range source: a fixed distance (None = nothing), with sunlight and blinding."""

    def __init__(self, distance_m, sunlight=0.0, blind=False):
        self.distance_m, self.sunlight, self.blind = distance_m, sunlight, blind

    def __call__(self, t_s):
        return self.distance_m

    def blinded(self, t_s):
        return self.blind


@pytest.fixture
def clock():
    return SimClock()


@pytest.fixture
def bus(clock):
    return SimBus(clock)


class _CountingWrites:
    """Mixin for gpiozero mock pins: counts every state write, so tests can prove an
    output writes its pin only at pattern edges, not every cycle."""

    def __init__(self, factory, info):
        super().__init__(factory, info)
        self.writes = 0

    def _set_state(self, value):
        self.writes += 1
        super()._set_state(value)


class CountingPin(_CountingWrites, MockPin):
    pass


class CountingPWMPin(_CountingWrites, MockPWMPin):
    pass


def play(output, pattern, t0, t1, step=0.01):
    """Drive an output every ``step`` from t0 to t1 (accumulating like a SimClock);
    return the pin changes as (t_s, state)."""
    changes, last, t = [], output.pin.state, t0
    while t < t1 - 1e-9:
        output.drive(pattern, t)
        if output.pin.state != last:
            last = output.pin.state
            changes.append((round(t, 3), last))
        t += step
    return changes


def unchecked_config(base=None, sensors=None, **values):
    """A Config with ``values`` (``alert__buzzer_pin=17`` = ``alert.buzzer_pin``) that
    skips ``Config.check()``: what a part must survive even though the schema refuses it
    (a pin taken by another process looks the same to the outputs)."""
    from dataclasses import replace

    from pi_app.config import Config

    base = base or Config.defaults()
    merged = dict(base.values, **{k.replace("__", "."): v for k, v in values.items()})
    return replace(base, values=merged, sensors=base.sensors if sensors is None else tuple(sensors))


class ScriptedImu:
    """What ``Pose`` reads of an IMU, set by the test: pitch and bounce now, and the
    runner's speed change (``motion.speed_change_mps``)."""

    def __init__(self) -> None:
        from pi_app.detect.motion import RunnerMotion

        self.pitch_deg, self.bounce_m = 0.0, 0.0
        self.motion = RunnerMotion(1.5)

    def fresh(self, t_s):
        return self.pitch_deg is not None

    def pitch_at(self, t_s):
        return self.pitch_deg

    def bounce_at(self, t_s):
        return self.bounce_m


def feed_and_judge(detector, reading, pitch_deg=0.0, bounce_m=0.0, pose=None):
    """Feed ``reading`` to a detector at the given trunk pose and judge at its instant,
    as the loop does in the cycle a reading arrives; returns the held state. Pass the
    same ``pose`` (a ``Pose(ScriptedImu())``) to every call to let it judge running."""
    from pi_app.detect.contract import Pose

    if pose is None:
        pose = Pose()
        pose.t_s, pose.pitch_deg, pose.bounce_m = reading.t_s, pitch_deg, bounce_m
    else:
        pose.imu.pitch_deg, pose.imu.bounce_m = pitch_deg, bounce_m
        pose.update(reading.t_s)
    detector.feed(reading, pose)
    return detector.judge(reading.t_s)


@pytest.fixture(scope="session")
def shipped_runs():
    """Every shipped scenario under both policies, run once per test session: the list
    ``backsight sim --all --json`` prints, in its order (the safety claims, the golden
    test and the CLI contract all read it instead of running the scenarios again)."""
    from pi_app.sim.rig import run_scenario
    from pi_app.sim.scenario import load_scenario, shipped_scenarios

    return [run_scenario(load_scenario(name), policy)
            for name in shipped_scenarios() for policy in ("backsight", "naive")]
