"""Health monitor: a sensor that keeps answering with results no healthy chip gives
(OUT_OF_RANGE) is a fault ("implausible"), announced like a silent one and cleared by
its first believable answer; a stray impossible value among good ones is not."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pi_app.config import Config
from pi_app.detect import CLEAR, Level
from pi_app.detect import health
from pi_app.detect.health import SensorHealth
from pi_app.sensors.base import RangeStatus, Reading

CFG = Config.defaults()
STALE_S = CFG.health.stale_after_s
GARBAGE = RangeStatus.OUT_OF_RANGE
#: answers a healthy chip gives without a usable distance: believable, never implausible
BELIEVABLE_EMPTY = (RangeStatus.SIGNAL_FAIL, RangeStatus.NO_TARGET, RangeStatus.SIGMA_FAIL,
                    RangeStatus.LOW_AMPLITUDE, RangeStatus.UNRELIABLE, RangeStatus.OTHER)

periods_s = st.sampled_from([0.004, 0.01, 0.02, 0.033, 0.05, 0.1])


def feed(h: SensorHealth, t0_s: float, period_s: float, statuses) -> float:
    """Note one reading per period from ``t0_s`` (a status, or a distance in metres),
    evaluating after each; returns the time of the last one."""
    t_s = t0_s
    for item in statuses:
        if isinstance(item, RangeStatus):
            h.note(Reading(t_s, None, item))
        else:
            h.note(Reading(t_s, item))
        h.evaluate(t_s)
        t_s += period_s
    return t_s - period_s


def test_reasons_read_as_the_words_status_and_the_journal_show():
    reasons = list(health.HealthReason)
    assert [r.value for r in reasons] == ["no answer", "implausible", "stuck", "blind"]
    for r in reasons:   # status lines, log lines and JSON say the word, not the enum name
        assert r == r.value and str(r) == f"{r}" == r.value
        assert json.dumps({"h": r}) == json.dumps({"h": r.value})
    assert health.HealthReason("stuck") is health.HealthReason.STUCK


@settings(max_examples=60, deadline=None, derandomize=True)
@given(period_s=periods_s, role=st.sampled_from(["obstacle", "surface"]))
def test_only_impossible_answers_fault_within_stale_time_plus_a_period(period_s, role):
    h = SensorHealth("rear", CFG, role=role)
    t_s = feed(h, 0.0, period_s, [1.0 + 0.01 * k for k in range(10)])
    last_good_s = t_s
    t_s += period_s
    onset_s = None
    while t_s < last_good_s + 1.0:
        h.note(Reading(t_s, None, GARBAGE))
        state = h.evaluate(t_s)
        if state.level == Level.FAULT and onset_s is None:
            onset_s = t_s
            assert state.source == "rear" and state.detail == "implausible"
        if onset_s is not None:
            assert h.reason == "implausible"   # stays while the garbage lasts
        t_s += period_s
    assert onset_s is not None
    assert STALE_S < onset_s - last_good_s <= STALE_S + period_s + 1e-9
    assert h.implausible == round((t_s - last_good_s) / period_s) - 1
    h.note(Reading(t_s, 2.0))                  # one believable answer clears it
    assert h.evaluate(t_s) is CLEAR and h.ok


@settings(max_examples=80, deadline=None, derandomize=True)
@given(period_s=periods_s,
       pattern=st.lists(st.booleans(), min_size=20, max_size=200).map(
           lambda bits: [b and not (i and bits[i - 1]) for i, b in enumerate(bits)]))
def test_isolated_strays_among_good_answers_never_fault(period_s, pattern):
    """Impossible values never two in a row (a chip's or the bus's rare glitch), at
    any rate down to a 10 Hz ultrasonic sensor: the sensor stays healthy."""
    h = SensorHealth("rear", CFG)
    t_s = 0.0
    for k, stray in enumerate(pattern):
        h.note(Reading(t_s, None, GARBAGE) if stray else Reading(t_s, 1.0 + 0.001 * k))
        assert h.evaluate(t_s) is CLEAR
        # the loop also evaluates between readings, and the next one may come late
        assert h.evaluate(t_s + 1.5 * period_s) is CLEAR
        t_s += period_s


@pytest.mark.parametrize("status", BELIEVABLE_EMPTY)
def test_believable_answers_without_a_distance_keep_an_obstacle_sensor_healthy(status):
    """Garbage mixed with answers a healthy chip gives (no target, signal fail, the
    TF-Luna's own "unreliable") is not a fault: the chip is judging real light."""
    h = SensorHealth("rear", CFG, role="obstacle")
    feed(h, 0.0, 0.033, [GARBAGE, status] * 40)
    assert h.evaluate(80 * 0.033) is CLEAR


def test_a_silent_sensor_is_no_answer_not_implausible():
    h = SensorHealth("rear", CFG)
    t_s = feed(h, 0.0, 0.033, [GARBAGE] * 10)
    assert h.reason == "implausible"
    # then bus errors only: no answer at all outranks a wrong one
    t_s = feed(h, t_s + 0.033, 0.033, [RangeStatus.BUS_ERROR] * 10)
    assert h.reason == "no answer"


def test_a_ground_sensor_putting_out_garbage_is_implausible_before_it_is_blind():
    h = SensorHealth("ground", CFG, role="surface")
    feed(h, 0.0, 0.01, [2.4] * 10)
    reasons = []
    for k in range(100):                       # 1 s: twice health.blind_after_s
        t_s = 0.1 + 0.01 * k
        h.note(Reading(t_s, None, GARBAGE))
        h.evaluate(t_s)
        reasons.append(h.reason)
    assert set(reasons) == {None, "implausible"} and reasons[-1] == "implausible"
    h.note(Reading(t_s + 0.01, 2.4))
    assert h.evaluate(t_s + 0.01) is CLEAR


def test_revived_starts_the_believability_clock_afresh():
    h = SensorHealth("rear", CFG)
    t_s = feed(h, 0.0, 0.033, [GARBAGE] * 10)
    assert h.reason == "implausible"
    h.revived(t_s)
    assert h.evaluate(t_s + 0.01) is CLEAR
