"""Health monitor, arbiter rules and the level hold."""

from pi_app.config import Config
from pi_app.detect import AlertState, CLEAR, Level
from pi_app.detect.arbiter import Arbiter
from pi_app.detect.health import SensorHealth
from pi_app.detect.hold import LevelHold
from pi_app.sensors.base import RangeStatus, Reading

CFG = Config.defaults()


def test_bus_errors_become_a_fault_after_stale_time_and_clear_on_recovery():
    h = SensorHealth("rear", CFG)
    h.note(Reading(0.0, 1.0))
    t = 0.0
    while t < 0.19:
        t += 0.01
        h.note(Reading(t, None, RangeStatus.BUS_ERROR))
        assert h.evaluate(t).level == Level.CLEAR
    t = 0.0 + CFG.health.stale_after_s + 0.01
    state = h.evaluate(t)
    assert state.level == Level.FAULT and state.source == "rear" and state.kind == "fault"
    h.note(Reading(t + 0.01, 1.0))
    assert h.evaluate(t + 0.01).level == Level.CLEAR


def test_no_target_on_an_obstacle_sensor_is_healthy():
    h = SensorHealth("rear", CFG, role="obstacle")
    for k in range(200):
        h.note(Reading(k * 0.03, None, RangeStatus.SIGNAL_FAIL))
    assert h.evaluate(6.0).level == Level.CLEAR


def test_surface_sensor_without_valid_ground_is_blind():
    h = SensorHealth("ground", CFG, role="surface")
    for k in range(100):
        h.note(Reading(k * 0.01, None, RangeStatus.LOW_AMPLITUDE))
    assert h.evaluate(1.0).detail == "blind" and h.reason == "blind"


def test_identical_readings_in_a_row_are_stuck():
    h = SensorHealth("rear", CFG)
    n = CFG.health.stuck_samples
    for k in range(n - 1):
        h.note(Reading(k * 0.004, 1.23))
    assert h.evaluate((n - 1) * 0.004) == CLEAR
    h.note(Reading(n * 0.004, 1.23))
    assert h.evaluate(n * 0.004).detail == "stuck"
    h.note(Reading((n + 1) * 0.004, 1.24))
    assert h.evaluate((n + 1) * 0.004) == CLEAR


def _attempts(h, until_s, outcome):
    """Times ``retry_due`` says yes from 1 s to ``until_s`` (10 ms steps), each attempt
    reported through ``outcome(h, t)``."""
    times = []
    t = 1.0
    while t < until_s:
        if h.retry_due(t):
            times.append(t)
            outcome(h, t)
        t += 0.01
    return [b - a for a, b in zip(times, times[1:])]


def test_a_sensor_that_does_not_answer_is_probed_every_probe_period():
    h = SensorHealth("rear", CFG)
    h.evaluate(1.0)
    assert h.reason == "no answer"
    gaps = _attempts(h, 6.0, SensorHealth.probe_failed)
    assert len(gaps) > 50           # the wait does not grow with failed probes
    assert all(abs(g - CFG.health.probe_period_s) < 0.011 for g in gaps)


def test_failed_starts_back_off_to_the_cap_and_a_working_bus_resets_it():
    h = SensorHealth("rear", CFG)
    h.evaluate(1.0)
    gaps = _attempts(h, 6.0, SensorHealth.start_failed)
    assert abs(gaps[0] - CFG.health.retry_backoff_s) < 0.02
    assert gaps[1] > gaps[0] and max(gaps) <= CFG.health.retry_backoff_max_s + 0.02
    assert h.backing_off
    h.bus_answered(6.0)             # another chip answered: the bus works
    assert not h.backing_off
    assert not h.retry_due(6.0 + CFG.health.probe_period_s / 2)
    assert h.retry_due(6.0 + CFG.health.probe_period_s)


def warn(kind="obstacle", level=Level.WARNING, source="rear", detail=None):
    return AlertState(level, kind, source, detail)


def test_arbiter_highest_level_wins_and_fault_never_masks_warning():
    a = Arbiter(CFG)
    fault = warn("fault", Level.FAULT, "ground", "no answer")
    assert a.decide([fault, warn()], 0.0).kind == "obstacle"
    assert a.decide([fault, warn(level=Level.CAUTION)], 0.0).kind == "fault"
    assert a.decide([warn("surface", source="ground"), warn("obstacle")], 0.0).kind == "obstacle"


def test_arbiter_mutes_steady_obstacle_and_restores_when_closing():
    a = Arbiter(CFG)
    steady = warn(detail="steady")
    t = 0.0
    while t < CFG.alert.steady_mute_s - 0.01:
        assert a.decide([steady], t) == steady
        t += 0.01
    assert a.decide([steady], CFG.alert.steady_mute_s + 0.01) == CLEAR
    closing = warn()
    assert a.decide([closing], CFG.alert.steady_mute_s + 0.02) == closing


def test_arbiter_button_mute_never_mutes_danger():
    a = Arbiter(CFG)
    assert a.decide([warn()], 0.0, muted=True) == CLEAR
    danger = warn(level=Level.DANGER)
    assert a.decide([danger], 0.0, muted=True) == danger


def test_level_hold_rises_at_once_and_falls_after_hold():
    h = LevelHold(0.5)
    w = warn()
    assert h.update(w, 0.0) == w
    assert h.update(CLEAR, 0.3) == w
    assert h.update(CLEAR, 0.51) == CLEAR
    d = warn(level=Level.DANGER)
    assert h.update(d, 0.6) == d
    assert h.update(w, 0.7) == d
    assert h.update(w, 1.2) == w
