"""Alerting end to end on the simulated device (SimRig): what the runner would feel.

Every test steps the real loop on its SimClock, as ``DeviceLoop.run`` does, and reads
the buzzer and motor mock pins right after each cycle (outputs write pins only inside
the loop's ``command``, so a pin change is seen at the simulated time it was made;
gpiozero's own ``pin.states`` timestamps are wall clock and are not used here).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from conftest import unchecked_config

from pi_app.alert import patterns
from pi_app.detect import AlertState, Level
from pi_app.detect.deck import DeckDetector
from pi_app.detect.obstacle import ObstacleDetector
from pi_app.sim.rig import SimRig
from pi_app.sim.scenario import load_scenario, parse_scenario
from pi_app.sim.scenario_types import ButtonPress

REAR = {"id": "rear", "kind": "vl53l1x", "role": "obstacle"}
GROUND = {"id": "ground", "kind": "tfluna", "role": "surface", "pitch_deg": -25.0}
VL53L1X_HALF_FOV_DEG = 13.5


@dataclass(frozen=True)
class Sample:
    t_s: float          # the cycle's clock time (what the outputs were commanded at)
    buzzer: bool        # buzzer pin high
    motor: bool         # motor pin duty > 0
    state: AlertState   # the commanded state
    pattern: patterns.Pattern
    muted: bool         # the button's mute was running in this cycle
    probe: object       # what the test's probe(rig) returned after the cycle


def _on(pin) -> bool:
    return bool(pin.state) and pin.state > 0


def drive(rig: SimRig, until_s: float, samples: list | None = None, probe=None) -> list[Sample]:
    """Step ``rig``'s loop until clock time ``until_s``, sampling the pins per cycle
    (and ``probe(rig)`` when given)."""
    loop, clock = rig.loop, rig.clock
    buzzer = rig.pin_factory.pin(rig.cfg.alert.buzzer_pin)
    motor = rig.pin_factory.pin(rig.cfg.alert.motor_pin)
    samples = [] if samples is None else samples
    next_t_s = clock.now_s()
    while clock.now_s() < until_s:
        t_s = clock.now_s()
        state = loop.step()
        muted = loop.button is not None and loop.button.muted(t_s)
        samples.append(Sample(t_s, _on(buzzer), _on(motor), state, loop.outputs.pattern, muted,
                              None if probe is None else probe(rig)))
        next_t_s = max(next_t_s + loop.period_s, clock.now_s())
        clock.sleep_until(next_t_s)
    return samples


def between(samples, t0_s, t1_s):
    return [s for s in samples if t0_s <= s.t_s < t1_s]


def first(samples, predicate, after_s=-math.inf):
    return next((s for s in samples if s.t_s >= after_s and predicate(s)), None)


@pytest.fixture
def rigs():
    made = []

    def make(scenario, **kwargs):
        rig = SimRig(scenario, **kwargs)
        made.append(rig)
        return rig
    yield make
    for rig in made:
        rig.close()


def scenario(duration_s=10.0, *, sensors=(REAR, GROUND), obstacles=(), runner=None, **top):
    data = {"name": "t", "duration_s": duration_s, "seed": 7,
            "runner": runner or {"speed_mps": 0.0, "bounce_m": 0.01, "cadence_spm": 100},
            "sensors": list(sensors), "obstacles": list(obstacles)}
    data.update(top)
    return parse_scenario(data, "test.toml")


def step_in(t_enter_s, *, x_m=0.3, runner_mps=0.0, vy_mps=1.5, width_m=0.5):
    """A person who steps across the path ``x_m`` behind the runner (keeping that gap)
    and enters the rear sensor's cone at ``t_enter_s``: nearer than danger_distance_m."""
    edge_m = width_m / 2 + x_m * math.tan(math.radians(VL53L1X_HALF_FOV_DEG))
    return {"id": "person", "x_m": x_m, "y_m": -(edge_m + vy_mps * t_enter_s),
            "width_m": width_m, "height_m": 1.75, "depth_m": 0.3, "vy_mps": vy_mps,
            "speed_mps": -runner_mps}


# --- a parked car behind a runner who stands still -----------------------------------
def rear_detector(rig):
    """Probe: the rear obstacle sensor's detector state after the cycle."""
    return next(s for s in rig.loop.channels
                if s.id in ("rear", "rear-left")).detector.state   # one chip, or the pair's left


@pytest.mark.parametrize("kit", ["shipped", "rear-only"])
def test_parked_car_goes_quiet_after_the_hold_time_and_resumes_when_closing(rigs, kit):
    shipped = load_scenario("parked-car-mute")
    if kit == "shipped":
        sc = shipped
    else:  # without the ground sensor: only the arbiter's steady mute can bring it back
        sc = scenario(shipped.duration_s, sensors=[REAR],
                      runner={"speed_profile": [list(p) for p in shipped.runner.speed_profile],
                              "bounce_m": 0.01, "cadence_spm": 110, "pitch_deg": 3.0},
                      obstacles=[{"x_m": 0.85, "width_m": 1.8, "height_m": 1.45,
                                  "depth_m": 4.5}])
    rig = rigs(sc)
    mute_s = rig.cfg.alert.steady_mute_s
    samples = drive(rig, sc.duration_s, probe=rear_detector)
    det = [s.probe for s in samples]
    steady = [i for i, d in enumerate(det) if d.detail == "steady"]
    t_steady = samples[steady[0]].t_s
    # standing 1.0 m from the car: beeping (CAUTION, parking-sensor cadence) ...
    beeping = between(samples, t_steady, t_steady + mute_s)
    assert any(s.buzzer for s in beeping) and any(s.motor for s in beeping)
    assert {s.state.level for s in beeping} <= {Level.CAUTION, Level.WARNING}
    # ... then silence after steady_mute_s while the detector still sees it, steady
    t_quiet = t_steady + mute_s + rig.loop.period_s
    t_moves = sc.runner.speed_profile[1][0]  # the runner starts walking back
    quiet = between(samples, t_quiet, t_moves)
    assert len(quiet) > 100
    assert not any(s.buzzer or s.motor for s in quiet)
    assert all(d.detail == "steady" for s, d in zip(samples, det) if t_quiet <= s.t_s < t_moves)
    # when the gap starts closing, the alert comes back at once, on the pins
    back = first(samples, lambda s: s.state.level > Level.CLEAR, after_s=t_quiet)
    assert back is not None and back.t_s >= t_moves
    assert back.buzzer and back.motor
    closing = next(i for i, (s, d) in enumerate(zip(samples, det))
                   if s.t_s >= t_moves and d.level > Level.CLEAR and d.detail != "steady")
    assert samples[closing].state.level > Level.CLEAR
    if kit == "rear-only":  # the obstacle itself ends the mute, in the same cycle
        assert back is samples[closing]
        assert samples[closing].state.kind == "obstacle"
    danger = first(samples, lambda s: s.state.level == Level.DANGER)
    contact = rig.result()["hazards"][0]["t_contact_s"]
    assert danger is not None and danger.t_s < contact - 0.5  # before the bumper


# --- DANGER is never muted --------------------------------------------------------------
def test_a_mute_silences_a_warning_but_danger_sounds_at_once(rigs):
    rig = rigs(load_scenario("button-mute-danger"))
    press = rig.scenario.button[0]
    samples = drive(rig, rig.scenario.duration_s, probe=rear_detector)
    before = between(samples, press.t_s - 0.3, press.t_s)
    assert before and all(s.state.level == Level.WARNING for s in before)  # warned
    assert any(s.buzzer for s in before)
    assert rig.loop.button.short_presses == 1
    t_mute = first(samples, lambda s: s.muted).t_s
    assert t_mute == pytest.approx(press.t_s + press.press_s, abs=2 * rig.loop.period_s)
    danger = first(samples, lambda s: s.state.level == Level.DANGER)
    assert danger is not None and danger.muted                 # a mute was running
    muted = between(samples, t_mute, danger.t_s)
    assert len(muted) > 50 and not any(s.buzzer or s.motor for s in muted)
    # the mute silenced a real warning: the detector kept saying WARNING
    assert all(s.probe.level == Level.WARNING for s in muted[5:])
    # DANGER: on in the same cycle and continuous while it lasts
    assert danger.buzzer and danger.motor
    after = [s for s in samples if s.t_s >= danger.t_s]
    run = after[:next((i for i, s in enumerate(after) if s.state.level != Level.DANGER),
                      len(after))]
    assert len(run) > 50 and all(s.buzzer and s.motor for s in run)


def test_a_second_short_press_unmutes(rigs):
    sc = load_scenario("button-mute-danger")
    t_s = sc.button[0].t_s
    rig = rigs(replace(sc, button=(ButtonPress(t_s, 0.2), ButtonPress(t_s + 0.5, 0.2))))
    samples = drive(rig, t_s + 0.8)
    assert not rig.loop.button.muted(t_s + 0.8)
    assert samples[-1].state.level >= Level.WARNING and rig.loop.button.short_presses == 2


# --- DANGER interrupts a lower alert ----------------------------------------------------
def _lower_alert_setups():
    bent = {"speed_mps": 0.0, "pitch_deg": 28.0, "pitch_swing_deg": 1.0, "bounce_m": 0.01,
            "cadence_spm": 100}
    walk = {"speed_mps": 1.5, "bounce_m": 0.03, "cadence_spm": 140}
    return {
        # a posture nudge (two soft taps on the motor) while standing bent over
        "posture": (dict(sensors=[REAR], runner=bent), 0.0, "posture"),
        # a surface warning for a hole behind the heels
        "surface": (dict(runner=walk, ground=[{"kind": "hole", "x_m": 7.0, "length_m": 0.5,
                                                "depth_m": 0.15}]), 1.5, "surface"),
        # the fault rhythm: the ground sensor's cable came loose
        "fault": (dict(faults=[{"t_s": 2.0, "sensor": "ground", "kind": "unplug"}]), 0.0,
                  "fault"),
    }


@pytest.mark.parametrize("lower", sorted(_lower_alert_setups()))
def test_danger_interrupts_a_lower_alert_at_once(rigs, lower):
    setup, runner_mps, kind = _lower_alert_setups()[lower]
    probe = rigs(scenario(12.0, **setup))
    samples = drive(probe, 12.0)
    onset = first(samples, lambda s: s.state.kind == kind)
    assert onset is not None, f"no {kind} alert to interrupt"
    # someone steps in 0.3 m behind the runner (inside danger_distance_m) just after
    t_enter = onset.t_s + 0.15
    rig = rigs(scenario(12.0, obstacles=[step_in(t_enter, runner_mps=runner_mps)], **setup))
    samples = drive(rig, t_enter + 1.0)
    i = next(i for i, s in enumerate(samples) if s.state.level == Level.DANGER)
    before, danger = samples[i - 1], samples[i]
    assert before.state.kind == kind and before.state.level < Level.DANGER
    assert danger.buzzer and danger.motor                      # at once: the same cycle
    assert danger.pattern is patterns.OBSTACLE[Level.DANGER]
    assert all(s.buzzer and s.motor for s in samples[i:] if s.state.level == Level.DANGER)


# --- unplugging a sensor mid-run ----------------------------------------------------------
@pytest.mark.parametrize("sensor", ["rear", "ground"])
def test_unplug_gives_the_fault_pattern_within_250_ms_on_the_pins(rigs, sensor):
    t_unplug = 3.0
    rig = rigs(scenario(6.0, runner={"speed_mps": 2.0},
                        faults=[{"t_s": t_unplug, "sensor": sensor, "kind": "unplug"}]))
    samples = drive(rig, 6.0)
    assert not any(s.buzzer or s.motor for s in between(samples, 1.5, t_unplug))
    on = first(samples, lambda s: s.buzzer, after_s=t_unplug)
    assert on is not None
    assert on.t_s - t_unplug <= rig.cfg.health.fault_signal_s
    assert on.pattern is patterns.pattern_for(AlertState(Level.FAULT, "fault", sensor))
    assert on.state.source == sensor and on.motor
    # the pins play the fault rhythm "daaa-dit": on 0.45 s, off 0.15 s, on 0.12 s, off
    (on1_s, off1_s), (on2_s, _) = patterns.FAULT.segments
    margin_s = 2 * rig.loop.period_s

    def window(t0_s, t1_s):
        return between(samples, on.t_s + t0_s + margin_s, on.t_s + t1_s - margin_s)
    assert all(s.buzzer and s.motor for s in window(0.0, on1_s))
    assert not any(s.buzzer or s.motor for s in window(on1_s, on1_s + off1_s))
    assert all(s.buzzer for s in window(on1_s + off1_s, on1_s + off1_s + on2_s))
    assert not any(s.buzzer for s in window(on1_s + off1_s + on2_s, patterns.FAULT.period_s))


# --- long press: profile switch -----------------------------------------------------------
def _buzzer_bursts(samples):
    """Start times of the buzzer's on-runs."""
    return [s.t_s for prev, s in zip(samples, samples[1:]) if s.buzzer and not prev.buzzer]


def test_a_long_press_switches_belt_and_treadmill_and_announces_it(rigs):
    rig = rigs(scenario(8.0, button=[{"t_s": 1.0, "press_s": 2.0},
                                     {"t_s": 5.0, "press_s": 2.0}]))
    slots = {s.id: s for s in rig.loop.channels}
    assert isinstance(slots["rear"].detector, ObstacleDetector)
    samples = drive(rig, 4.5)
    assert rig.loop.cfg.device.mode == "treadmill" and rig.device.profile.switches == 1
    assert isinstance(slots["rear"].detector, DeckDetector) and slots["rear"].role == "deck"
    assert slots["ground"].detector is None and not slots["ground"].used
    status = rig.loop.status()
    assert status["mode"] == "treadmill"
    assert status["profile"] == "treadmill: deck by rear; not used: ground"
    assert rig.loop.button.muted(4.5) is False                   # a long press never mutes
    t_switch = 3.0
    chirps = [t for t in _buzzer_bursts(samples) if t >= t_switch]
    # two short chirps = treadmill (then the deck detector may have its say)
    assert len(chirps) >= 2 and chirps[1] - chirps[0] == pytest.approx(0.3, abs=0.01)
    assert chirps[0] - t_switch <= 3 * rig.loop.period_s + 1e-9  # press, request, swap
    samples = drive(rig, 8.0)
    assert rig.loop.cfg.device.mode == "belt" and rig.device.profile.switches == 2
    assert isinstance(slots["rear"].detector, ObstacleDetector)
    assert slots["ground"].role == "surface" and slots["ground"].health.ok
    assert slots["ground"].used
    belt_chirps = [t for t in _buzzer_bursts(samples) if 7.0 <= t < 7.5]
    assert len(belt_chirps) == 1                                  # one chirp = belt
    assert rig.loop.coaches[0].coach.enabled                      # posture coaching again


def test_unused_sensor_is_not_polled_in_treadmill_profile(rigs):
    rig = rigs(scenario(3.0))
    rig.loop.apply_config(rig.loop.cfg.with_value("device.mode", "treadmill"))
    drive(rig, 0.5)
    ground = next(s for s in rig.loop.channels if s.id == "ground")
    ground.last_reading = None
    drive(rig, 1.5)
    assert ground.last_reading is None                            # not polled
    assert ground.fault.level == Level.CLEAR                       # and never a fault
    assert not [s for _, s in rig.loop.alerts if s.source == "ground"]
    assert rig.loop.status()["ground.health"] == "unused"
    assert not rig.loop.coaches[0].coach.enabled                  # no posture on a handrail


def test_button_follows_live_config_changes(rigs):
    rig = rigs(load_scenario("button-mute-danger"))
    drive(rig, 0.1)
    rig.loop.apply_config(rig.loop.cfg.with_value("alert.mute_s", 3.0))
    drive(rig, 0.2)
    assert rig.loop.button.mute_s == 3.0
    old = rig.loop.button
    rig.loop.apply_config(rig.loop.cfg.with_value("alert.button_pin", 24))
    drive(rig, 0.3)
    assert old.closed and rig.loop.button.pin_number == 24
    # the buzzer's pin: the schema refuses it, so as if another process held GPIO18
    rig.loop.apply_config(unchecked_config(rig.loop.cfg, alert__button_pin=18))
    drive(rig, 0.4)
    assert rig.loop.button is None and "GPIO18" in rig.loop.status()["button"]


# --- README: the table a runner learns --------------------------------------------------
README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_table() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## What the sounds and vibrations mean", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\|\s*`([^`]+)`\s*\|(.*)\|\s*$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def test_readme_table_lists_every_pattern_with_its_period_and_pitch():
    rows = _readme_table()
    names = [p.name for p in patterns.all_patterns()]
    assert sorted(rows) == sorted(names)
    for p in patterns.all_patterns():
        row = rows[p.name]
        if p.tone_hz is not None and p.buzzer:
            assert f"{p.tone_hz:g} Hz" in row, p.name
        if p.continuous:
            assert "continuous" in row, p.name
        elif p.repeat:
            assert f"every {p.period_s:.2g} s" in row, p.name
        else:
            assert "once" in row, p.name


def test_a_deck_sensor_that_cannot_reach_the_rear_edge_is_reported():
    """A short-mode VL53L1X at 20 ms ranges 1.16 m: on a 1.8 m deck a runner near the
    rear edge reads as gone. ``status`` and the log say so at start-up."""
    sc = load_scenario("treadmill-clean")
    short = tuple(replace(s, distance_mode="short", timing_budget_ms=20) for s in sc.sensors)
    long_deck = replace(sc.treadmill, deck_length_m=1.8)
    rig = SimRig(replace(sc, sensors=short, treadmill=long_deck))
    try:
        assert "1.16 m" in rig.loop.notices["deck"] and "1.80 m" in rig.loop.notices["deck"]
    finally:
        rig.close()
    rig = SimRig(sc)                                   # long mode on a 1.5 m deck: fine
    try:
        assert "deck" not in rig.loop.notices
    finally:
        rig.close()
