"""Which side: an obstacle's side on two motors (left hip, right hip), in the buzzer's
rhythm, and on a single motor; read from gpiozero's mock pins (their states and the
simulated times of their edges) and from the DRV2605L emulator's output level."""

import pytest

from test_outputs import Rig

from pi_app.alert import patterns as pt
from pi_app.config import Config
from pi_app.detect import CLEAR, AlertState, Level

C, W, D = Level.CAUTION, Level.WARNING, Level.DANGER


def obstacle(level, side):
    return AlertState(level, "obstacle", "rear", None, side)


def two_motor_rig(**settings):
    rig = Rig(**settings)
    rig.log["right"] = []
    pins = rig.pins

    def with_right():
        return {**pins(), "right": getattr(rig.out.haptic_right, "pin", None)}

    rig.pins = with_right
    return rig


def test_the_default_build_has_a_motor_on_each_hip():
    rig = two_motor_rig()
    assert rig.out.haptic.pin_number == 13 and rig.out.haptic_right.pin_number == 12


@pytest.mark.parametrize("level, long_s, short_s, period_s, duty", [
    (C, 0.20, 0.06, 0.80, 0.55), (W, 0.15, 0.06, 0.45, 0.8)])
def test_an_obstacle_on_the_left_is_daa_dit_on_the_buzzer_and_the_left_motor_only(
        level, long_s, short_s, period_s, duty):
    rig = two_motor_rig()
    rig.run(obstacle(level, "left"), 2.0)
    gap_s = 0.08 if level == C else 0.06
    expected = []
    for t in (0.0, period_s, 2 * period_s):
        expected += [(round(t, 3), long_s), (round(t + long_s + gap_s, 3), short_s)]
    assert rig.on_intervals("buzzer")[:6] == expected
    assert rig.on_intervals("motor")[:6] == expected
    assert {state for _, state in rig.log["motor"]} == {duty, 0.0}
    assert rig.log["right"] == []                                  # the right hip is still


def test_an_obstacle_on_the_right_is_dit_daa_on_the_right_motor_only():
    rig = two_motor_rig()
    rig.run(obstacle(C, "right"), 0.9)
    assert rig.on_intervals("buzzer") == [(0.0, 0.06), (0.14, 0.2), (0.8, 0.06)]
    assert rig.on_intervals("right") == [(0.0, 0.06), (0.14, 0.2), (0.8, 0.06)]
    assert rig.log["motor"] == []


@pytest.mark.parametrize("side", ["centre", None])
def test_centre_and_no_bearing_play_todays_pattern_on_both_motors(side):
    rig = two_motor_rig()
    rig.run(obstacle(W, side), 1.0)
    expected = [(round(0.2 * k, 3), 0.08) for k in range(5)]
    for name in ("buzzer", "motor", "right"):
        assert rig.on_intervals(name) == expected, name


def test_the_first_pulse_already_tells_the_side():
    first = {}
    for side in ("left", "right", "centre"):
        rig = two_motor_rig(alert__motor_right_pin=-1)   # one motor: rhythm only
        rig.run(obstacle(W, side), 0.3)
        first[side] = rig.on_intervals("buzzer")[0]
        assert rig.on_intervals("motor")[0] == first[side]
    assert first == {"left": (0.0, 0.15), "right": (0.0, 0.06), "centre": (0.0, 0.08)}


def test_danger_is_continuous_whatever_the_side_and_two_motors_still_say_where():
    for side, left, right in (("left", [(0.0, 1.0)], []), ("right", [], [(0.0, 1.0)]),
                              ("centre", [(0.0, 1.0)], [(0.0, 1.0)])):
        rig = two_motor_rig()
        rig.run(obstacle(D, side), 1.5)
        assert rig.log["buzzer"] == [(0.0, 1.0)], side       # on once, never off
        assert rig.log["motor"] == left and rig.log["right"] == right, side


def test_a_single_motor_plays_the_sides_rhythm():
    rig = two_motor_rig(alert__motor_right_pin=-1)
    assert rig.out.haptic_right is None
    rig.run(obstacle(C, "right"), 0.9)
    assert rig.on_intervals("motor") == [(0.0, 0.06), (0.14, 0.2), (0.8, 0.06)]
    assert rig.on_intervals("motor") == rig.on_intervals("buzzer")


def test_with_no_buzzer_both_motors_play_a_side_in_its_rhythm():
    # a haptic-only build whose second motor is configured (the default) but not fitted,
    # or has failed silently (a PWM motor cannot report it): no side may rest on it alone
    rig = two_motor_rig(alert__output="haptic")
    assert rig.out.buzzer is None and rig.out.haptic_right is not None
    rig.run(obstacle(C, "right"), 0.9)
    assert rig.on_intervals("motor") == [(0.0, 0.06), (0.14, 0.2), (0.8, 0.06)]
    assert rig.on_intervals("right") == rig.on_intervals("motor")


def test_the_vibration_moves_with_the_obstacle_at_once():
    rig = two_motor_rig()
    rig.run(lambda t: obstacle(W, "left" if t < 0.5 else "right"), 1.0)
    assert rig.log["motor"][-1] == (0.5, 0.0)                  # left stops at the switch
    assert rig.log["right"][0] == (0.5, 0.8)                   # right starts in the same cycle
    assert rig.on_intervals("right") == [(0.5, 0.06), (0.62, 0.15), (0.95, None)]
    # the buzzer restarts too: the left's long pulse (from 0.45) runs on into the dit
    assert rig.on_intervals("buzzer")[-3:] == [(0.45, 0.11), (0.62, 0.15), (0.95, None)]


def test_other_kinds_play_on_both_motors():
    rig = two_motor_rig()
    rig.run(AlertState(C, "posture", "imu"), 1.0)
    taps = [(0.0, 0.45), (0.15, 0.0), (0.4, 0.45), (0.55, 0.0)]
    assert rig.log["motor"] == taps and rig.log["right"] == taps
    rig = two_motor_rig()
    rig.run(AlertState(W, "surface", "ground", "drop"), 0.5)
    assert rig.on_intervals("motor") == rig.on_intervals("right") == rig.on_intervals("buzzer")


def test_the_ready_chirp_taps_left_then_right_and_again_at_the_next_chirp():
    rig = two_motor_rig()
    ready = AlertState(Level.CLEAR, None, None, "ready")
    rig.run(lambda t: ready if t < 0.005 or 2.0 <= t < 2.005 else CLEAR, 3.0)
    assert rig.on_intervals("buzzer") == [(0.0, 0.12), (2.0, 0.12)]
    assert rig.on_intervals("motor") == [(0.0, 0.12), (2.0, 0.12)]
    assert rig.on_intervals("right") == [(0.3, 0.12), (2.3, 0.12)]   # after the left, alone


def test_an_alert_cuts_the_motor_check_short():
    rig = two_motor_rig()
    ready = AlertState(Level.CLEAR, None, None, "ready")
    rig.run(lambda t: ready if t < 0.005 else CLEAR if t < 0.2 else obstacle(W, "left"), 0.6)
    assert rig.log["right"] == []                  # the check's right tap never came
    assert rig.on_intervals("motor")[0] == (0.0, 0.12)
    assert rig.on_intervals("motor")[1] == (0.2, 0.15)


def test_pins_change_only_at_pattern_edges_on_both_motors():
    rig = two_motor_rig()
    pins = rig.pins()
    before = {n: p.writes for n, p in pins.items()}
    rig.run(obstacle(W, "centre"), 3.0)
    for name, pin in pins.items():
        assert pin.writes - before[name] == len(rig.log[name]) == 30, name


def test_drv2605_on_the_left_and_a_pwm_motor_on_the_right():
    rig = two_motor_rig(alert__haptic="drv2605")
    assert rig.out.haptic.driver.part == "DRV2605L" and rig.out.haptic_right.pin_number == 12
    rig.run(lambda t: obstacle(C, "left" if t < 1.0 else "right"), 1.9)
    drv = rig.drv
    on_ms = [ms for ms in range(0, 1900, 5) if drv.playing(ms / 1000 + 1e-4)]
    assert on_ms == [*range(0, 200, 5), *range(280, 340, 5), *range(800, 1000, 5)]
    assert drv.level_at(0.1) == pytest.approx(pt.OBSTACLE[C].intensity, abs=0.01)
    assert rig.log["right"][0] == (1.0, 0.55)                   # the right hip from 1 s
    assert rig.on_intervals("right") == [(1.0, 0.06), (1.14, 0.2), (1.8, 0.06)]
    assert rig.out.errors == 0


def test_drv2605_and_pwm_motor_both_play_centre():
    rig = two_motor_rig(alert__haptic="drv2605")
    rig.run(obstacle(C, "centre"), 1.0)
    drv = rig.drv
    on_ms = [ms for ms in range(0, 1000, 5) if drv.playing(ms / 1000 + 1e-4)]
    assert on_ms == [*range(0, 100, 5), *range(700, 800, 5)]
    assert rig.on_intervals("right") == [(0.0, 0.1), (0.7, 0.1)]


def test_the_motors_can_swap_pins_live():
    rig = two_motor_rig()
    swapped = Config.defaults().with_value("alert.motor_right_pin", 19) \
        .with_value("alert.motor_pin", 12).with_value("alert.motor_right_pin", 13)
    rig.out.reconfigure(swapped)
    assert rig.out.haptic.pin_number == 12 and rig.out.haptic_right.pin_number == 13
    rig.log = {name: [] for name in rig.log}
    rig._last = {}
    rig.run(obstacle(C, "left"), 0.5)
    assert rig.factory.pin(12).state == 0.0 and rig.log["motor"][0] == (0.0, 0.55)
    assert rig.log["right"] == []
