"""A track is not carried on by the hands crossing the beam at every step, nor by one
crossing where a lost track's closing speed would have brought its target
(``RangeTrack._near_after_gap``)."""

from conftest import feed_and_judge

from pi_app.config import Config
from pi_app.detect import Level
from pi_app.detect.obstacle import ObstacleDetector
from pi_app.sensors.base import RangeStatus, Reading

CFG = Config.defaults()
PERIOD_S = 0.033
HAND_M = 0.34   # a hand crossing 0.3-0.4 m behind the hip sensor


def feed(det, t_s, d):
    status = RangeStatus.VALID if d is not None else RangeStatus.SIGNAL_FAIL
    return feed_and_judge(det, Reading(t_s, d, status))


def lost_person(gap_samples):
    """A person beside the path followed from 3.0 to 2.1 m at 5.3 m/s, then nothing for
    ``gap_samples`` readings (they left the cone); returns the detector and the time of
    the next reading."""
    det = ObstacleDetector("rear", CFG)
    t = 0.0
    for k in range(6):
        feed(det, t, 3.0 - 5.3 * t)
        t += PERIOD_S
    for _ in range(gap_samples):
        feed(det, t, None)
        t += PERIOD_S
    return det, t


def test_a_hand_after_the_target_went_unseen_does_not_extend_its_track():
    det, t = lost_person(8)   # 0.26 s unseen: the track has not yet timed out
    assert det.track.active
    expected_m = det.track.distance_m - det.track.closing_mps * (t - det.track.last_t_s)
    assert abs(HAND_M - expected_m) < CFG.obstacle.max_step_m   # where it would have been
    assert not det.track.add(t, HAND_M)        # a candidate, not the person's track
    assert det.track.distance_m > 2.0          # still the person's last range
    # the hand flicks past (two readings, then nothing): the track times out and the
    # level drops once the hold has run, instead of a DANGER that lasts as long as the
    # hands keep crossing
    feed(det, t + PERIOD_S, HAND_M)
    for k in range(2, 40):
        state = feed(det, t + k * PERIOD_S, None)
    assert not det.track.active
    assert state.level == Level.CLEAR


def test_a_near_reading_right_after_one_missed_reading_still_extends_the_track():
    # within near_confirm_s of the last agreeing reading the extrapolation is trusted:
    # a thing closing at 3 m/s followed to 0.75 m, one reading lost, is still followed
    det = ObstacleDetector("rear", CFG)
    t = 0.0
    for k in range(8):
        feed(det, t, 1.45 - 3.0 * t)
        t += PERIOD_S
    feed(det, t, None)
    t += PERIOD_S
    d_m = det.track.distance_m - det.track.closing_mps * (t - det.track.last_t_s)
    assert d_m < CFG.obstacle.near_birth_m
    assert det.track.add(t, d_m)


def test_a_target_followed_into_the_hand_zone_without_a_gap_stays_danger():
    det = ObstacleDetector("rear", CFG)
    t = 0.0
    d = 1.5
    state = None
    while d > 0.3:
        state = feed(det, t, d)
        t += PERIOD_S
        d -= 2.5 * PERIOD_S
    assert det.track.active and det.track.distance_m < CFG.obstacle.near_birth_m
    assert state.level == Level.DANGER


def test_a_slow_sensor_missing_every_other_echo_follows_its_target_into_arms_reach():
    # a 10 Hz ultrasound that hears the ground between two echoes of its target: the
    # gap between two echoes (0.2 s) is longer than near_confirm_s, yet no hand
    det = ObstacleDetector("rear", CFG, sample_period_s=0.1, first_sight=False)
    t = 0.0
    d = 2.0
    state = None
    while d > 0.3:
        state = feed(det, t, d)
        feed(det, t + 0.1, None)
        t += 0.2
        d -= 1.5 * 0.2
    assert det.track.active and det.track.distance_m < CFG.obstacle.near_birth_m
    assert state.level == Level.DANGER


def test_hands_crossing_at_every_step_do_not_keep_a_near_track_alive():
    # a dog keeps pace 0.45 m behind the runner for 0.3 s, then dashes off; then a hand
    # crosses the beam twice per step, 0.29 s apart (just inside the track's timeout)
    det = ObstacleDetector("rear", CFG)
    t = 0.0
    for _ in range(10):
        feed(det, t, 0.45)
        t += PERIOD_S
    assert det.judge(t).level == Level.DANGER
    step_s = 0.325                              # 185 steps/min
    state = None
    while t < 3.0:
        state = feed(det, t, HAND_M)
        state = feed(det, t + PERIOD_S, HAND_M + 0.002)
        k = 2
        while (k + 1) * PERIOD_S < step_s:
            state = feed(det, t + k * PERIOD_S, None)
            k += 1
        t += step_s
    assert not det.track.active
    assert state.level == Level.CLEAR
