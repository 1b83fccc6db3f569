"""Posture coach and rest reminder on simulated time."""

import math

import pytest

from pi_app.alert import patterns as pt
from pi_app.detect import CLEAR, Level
from pi_app.detect.posture import NUDGE_S, PostureCoach
from pi_app.detect.rest import REMINDER_S, RestReminder
from pi_app.config import Config

STEP_S = 0.01


def nudge_times(coach, pitch_at, until_s, **kw):
    """Times at which the coach's state turns into a nudge."""
    starts, prev, t = [], CLEAR, 0.0
    for k in range(round(until_s / STEP_S)):
        t = k * STEP_S
        state = coach.update(pitch_at(t), t, **kw)
        if state != prev and state.level == Level.CAUTION:
            starts.append(round(t, 2))
        prev = state
    return starts


def gait(mean_deg, swing_deg=3.0, cadence_spm=170):
    step_hz = cadence_spm / 60.0
    return lambda t: mean_deg + swing_deg * math.sin(2 * math.pi * step_hz * t)


def test_a_held_lean_gives_one_nudge_after_hold_s_then_every_repeat_s():
    coach = PostureCoach(Config.defaults())                  # 20 deg, hold 5 s, repeat 20 s
    starts = nudge_times(coach, lambda t: 5.0 if t < 10.0 else 30.0, 60.0)
    # the 1 s average crosses 20 deg ln(25/10) = 0.92 s after the lean starts
    assert starts[0] == pytest.approx(10.0 + 0.92 + 5.0, abs=0.03)
    assert starts[1] - starts[0] == pytest.approx(20.0, abs=0.011)
    assert starts[2] - starts[1] == pytest.approx(20.0, abs=0.011)
    assert len(starts) == 3
    assert coach.nudges == 3
    assert coach.nudge.kind == "posture" and coach.nudge.source == "imu"


def test_the_nudge_lasts_long_enough_for_its_pattern():
    assert NUDGE_S >= pt.POSTURE.period_s
    coach = PostureCoach(Config.defaults())
    t = 0.0
    while coach.update(40.0, t) == CLEAR:
        t += STEP_S
    start = t
    while coach.update(40.0, t) != CLEAR:
        t += STEP_S
    assert t - start == pytest.approx(NUDGE_S, abs=0.011)


def test_gait_swing_around_a_good_posture_is_not_a_lean():
    coach = PostureCoach(Config.defaults())
    assert nudge_times(coach, gait(17.0, swing_deg=5.0), 60.0) == []   # peaks at 22 deg
    coach = PostureCoach(Config.defaults())
    assert len(nudge_times(coach, gait(24.0, swing_deg=5.0), 30.0)) == 2  # dips to 19 deg


def test_straightening_up_restarts_the_hold_time():
    coach = PostureCoach(Config.defaults())

    def pitch(t):  # leans 4 s, straightens 2 s, repeatedly: never 5 s in a row
        return 35.0 if (t % 6.0) < 4.0 else 0.0

    assert nudge_times(coach, pitch, 60.0) == []


def test_no_posture_coaching_when_disabled_in_treadmill_mode_or_without_imu():
    cfg = Config.defaults()
    assert nudge_times(PostureCoach(cfg.with_value("posture.enabled", False)),
                       lambda t: 40.0, 30.0) == []
    # on the handrail the IMU measures the handrail, not the runner
    assert nudge_times(PostureCoach(cfg.with_value("device.mode", "treadmill")),
                       lambda t: 40.0, 30.0) == []
    assert nudge_times(PostureCoach(cfg), lambda t: None, 30.0) == []
    assert nudge_times(PostureCoach(cfg), lambda t: 40.0, 30.0, running=False) == []


def test_configure_applies_new_thresholds():
    coach = PostureCoach(Config.defaults())
    coach.configure(Config.defaults().with_value("posture.max_pitch_deg", 45.0))
    assert nudge_times(coach, lambda t: 40.0, 30.0) == []


# --- rest ---------------------------------------------------------------------------
def rest_cfg(**values):
    cfg = Config.defaults().with_value("rest.enabled", True)
    for key, value in values.items():
        cfg = cfg.with_value(f"rest.{key}", value)
    return cfg


def reminders(rest, running_at, until_s, step_s=1.0):
    starts, prev = [], CLEAR
    for k in range(round(until_s / step_s)):
        t = k * step_s
        state = rest.update(running_at(t), t)
        if state != prev and state.level == Level.CAUTION:
            starts.append(t)
        prev = state
    return starts


def test_one_reminder_after_interval_min_of_running():
    rest = RestReminder(rest_cfg(interval_min=10.0))
    assert reminders(rest, lambda t: True, 3600.0) == [600.0]    # once, not every 10 min
    assert rest.reminder.kind == "rest" and rest.reminder.level == Level.CAUTION


def test_the_reminder_lasts_long_enough_for_its_pattern():
    assert REMINDER_S >= pt.REST.period_s
    rest = RestReminder(rest_cfg(interval_min=5.0))
    states = [rest.update(True, t * 0.5) for t in range(0, 1300)]
    on = [i * 0.5 for i, s in enumerate(states) if s != CLEAR]
    assert on[0] == 300.0 and on[-1] == pytest.approx(300.0 + REMINDER_S - 0.5)


def test_short_stops_pause_the_count_and_a_real_rest_rearms():
    rest = RestReminder(rest_cfg(interval_min=10.0, pause_min=5.0))

    def running(t):
        if 200.0 <= t < 260.0:      # a 1 min stop: does not count, does not reset
            return False
        if 800.0 <= t < 1200.0:     # a 6.7 min rest: re-arms, count from zero
            return False
        return True

    assert reminders(rest, running, 2400.0) == [660.0, 1800.0]


def test_no_reminder_when_disabled():
    rest = RestReminder(Config.defaults())                     # rest.enabled is off by default
    assert reminders(rest, lambda t: True, 4 * 3600.0, step_s=10.0) == []
