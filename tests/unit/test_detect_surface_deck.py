"""Surface and deck detectors on synthetic readings with known geometry."""

import math
import random

import pytest

from conftest import feed_and_judge

from pi_app.config import Config
from pi_app.detect import Level
from pi_app.detect.deck import DeckDetector
from pi_app.detect.surface import SurfaceDetector
from pi_app.sensors.base import RangeStatus, Reading

CFG = Config.defaults()
H_M = 1.0
PITCH_DEG = -25.0
HALF_FOV_DEG = 1.0
BELOW_RAD = math.radians(-PITCH_DEG + HALF_FOV_DEG)


def ground_range(ground_z_m, bounce_m=0.0):
    """Slant range to ground at height ground_z_m (sensor at H_M + bounce)."""
    return (H_M + bounce_m - ground_z_m) / math.sin(BELOW_RAD)


def feed(det, profile, period_s=0.004, noise_m=0.0, seed=3, bounce_m=0.0, step_hz=2.8):
    rng = random.Random(seed)
    states = []
    for k, z in enumerate(profile):
        t = k * period_s
        b = bounce_m / 2 * math.sin(2 * math.pi * step_hz * t)
        d = ground_range(z, b) + rng.gauss(0, noise_m)
        states.append(feed_and_judge(det, Reading(t, d), 0.0, b))
    return states


def make():
    return SurfaceDetector("ground", CFG, mount_height_m=H_M, mount_pitch_deg=PITCH_DEG,
                           half_fov_deg=HALF_FOV_DEG)


def test_flat_ground_with_noise_and_compensated_bounce_is_quiet():
    states = feed(make(), [0.0] * 2500, noise_m=0.01, bounce_m=0.08)
    assert all(s.level == Level.CLEAR for s in states)


def test_hole_warns_as_drop_within_confirm_samples():
    profile = [0.0] * 500 + [-0.08] * 40 + [0.0] * 200
    states = feed(make(), profile, noise_m=0.005)
    first = next(k for k, s in enumerate(states) if s.level == Level.WARNING)
    assert 500 <= first <= 500 + CFG.surface.confirm_samples + 1
    assert states[first].detail == "drop" and states[first].kind == "surface"


def test_root_warns_as_rise():
    profile = [0.0] * 500 + [0.06] * 30 + [0.0] * 200
    states = feed(make(), profile, noise_m=0.005)
    assert any(s.level == Level.WARNING and s.detail == "rise" for s in states)


def test_step_smaller_than_threshold_is_quiet():
    profile = [0.0] * 500 + [-0.03] * 60 + [0.0] * 200
    assert all(s.level == Level.CLEAR for s in feed(make(), profile, noise_m=0.003))


def test_gentle_slope_is_followed_not_alarmed():
    # 5 % grade at 2.5 m/s: the ground under the spot rises 12.5 cm/s
    profile = [0.0] * 500 + [0.125 * k * 0.004 for k in range(1500)]
    assert all(s.level == Level.CLEAR for s in feed(make(), profile, noise_m=0.005))


def test_invalid_readings_give_no_surface_alarm():
    det = make()
    feed(det, [0.0] * 100)
    assert feed_and_judge(det, Reading(1.0, None), 0.0, 0.0).level == Level.CLEAR


def deck_feed(det, positions, period_s=0.02, sway_m=0.03, step_hz=2.8):
    states = []
    for k, p in enumerate(positions):
        t = k * period_s
        d = None if p is None else p + sway_m * math.sin(2 * math.pi * step_hz * t)
        states.append(feed_and_judge(det, Reading(t, d)))
    return states


def test_deck_centred_runner_is_quiet():
    assert all(s.level == Level.CLEAR for s in deck_feed(DeckDetector("deck", CFG), [0.75] * 1000))


def test_deck_drift_to_console_warns_two_seconds_ahead():
    drift_mps = 0.15
    pos = [0.75 - drift_mps * k * 0.02 for k in range(250)]   # reaches 0.2 m at 3.67 s
    states = deck_feed(DeckDetector("deck", CFG), pos)
    first = next(k for k, s in enumerate(states) if s.level >= Level.WARNING)
    t_contact = (0.75 - 0.2) / drift_mps
    assert t_contact - first * 0.02 >= 2.0
    assert states[first].detail == "console"


def test_deck_drift_to_rear_edge_warns_rear():
    pos = [0.75 + 0.2 * k * 0.02 for k in range(150)]
    states = deck_feed(DeckDetector("deck", CFG), pos)
    assert any(s.level >= Level.WARNING and s.detail == "rear" for s in states)


def test_deck_runner_gone_is_off_deck_danger():
    states = deck_feed(DeckDetector("deck", CFG), [0.75] * 100 + [None] * 50)
    assert states[-1].level == Level.DANGER and states[-1].detail == "off_deck"


def test_a_stuck_sensor_repeating_one_number_never_confirms():
    det = make()
    feed(det, [0.0] * 300, noise_m=0.005)
    stuck_d = ground_range(-0.2)                       # one value, far off the ground
    states = [feed_and_judge(det, Reading(2.0 + k * 0.004, stuck_d), 0.0, 0.0) for k in range(20)]
    assert all(s.level == Level.CLEAR for s in states)


def test_at_its_range_limit_the_sensor_learns_slowly_and_warns_only_on_big_steps():
    det = make()
    t = 0.0
    for k in range(300):                               # 70 % of readings fail (sun)
        t = k * 0.004
        d = ground_range(0.0) if k % 10 < 3 else None
        feed_and_judge(det, Reading(t, d), 0.0, 0.0)
        if t < CFG.surface.sparse_learn_s:             # from readings spanning this long
            assert det.baseline_m is None
    assert det.validity < CFG.surface.strict_validity
    assert det.baseline_m == pytest.approx(H_M, abs=1e-6)
    small = [feed_and_judge(det, Reading(t + k * 0.004, ground_range(-0.06)), 0.0, 0.0) for k in range(1, 4)]
    assert all(s.level == Level.CLEAR for s in small)  # 6 cm: not judged at this validity
    big = [feed_and_judge(det, Reading(t + k * 0.004, ground_range(-0.15) + 0.001 * k), 0.0, 0.0)
           for k in range(4, 8)]
    assert big[-1].level == Level.WARNING and big[-1].detail == "drop"


def make_slow(period_s=0.033):
    """A VL53L1X-like ground sensor: one sample every ``period_s``."""
    return SurfaceDetector("ground", CFG, mount_height_m=H_M, mount_pitch_deg=PITCH_DEG,
                           half_fov_deg=HALF_FOV_DEG, sample_period_s=period_s)


def test_a_slow_sensor_warns_on_the_one_sample_that_sees_a_short_root():
    # 30 Hz: a 10 cm root under the spot at 2.5 m/s is seen by one sample only
    profile = [0.0] * 90 + [0.07] + [0.0] * 30
    det = make_slow()
    states = feed(det, profile, period_s=0.033, noise_m=0.003)
    assert states[90].level == Level.WARNING and states[90].detail == "rise"
    assert all(s.level == Level.CLEAR for s in states[:90])
    # the same single sample from a fast sensor (250 Hz, which sees a root many
    # times) is one outlier, not a root
    fast = feed(make(), [0.0] * 500 + [0.07] + [0.0] * 30, period_s=0.004, noise_m=0.003)
    assert all(s.level == Level.CLEAR for s in fast)


def test_one_sample_must_stand_out_of_the_grounds_own_scatter():
    # rough going / poor pitch compensation: 2 cm RMS residuals; a 7 cm single sample
    # is then 3.5 sigma - not enough on its own - while 15 cm (7.5 sigma) is
    rough = feed(make_slow(), [0.0] * 90 + [0.07] + [0.0] * 30, period_s=0.033,
                 noise_m=0.02 / math.sin(BELOW_RAD), seed=5)
    assert rough[90].level == Level.CLEAR
    det = make_slow()
    deep = feed(det, [0.0] * 90 + [-0.2] + [0.0] * 30, period_s=0.033,
                noise_m=0.02 / math.sin(BELOW_RAD), seed=5)
    assert det.noise_m > 0.01
    assert deep[90].level == Level.WARNING and deep[90].detail == "drop"


def test_single_sample_confirmation_can_be_switched_off():
    cfg = CFG.with_value("surface.single_sample_sigmas", 0)
    det = SurfaceDetector("ground", cfg, mount_height_m=H_M, mount_pitch_deg=PITCH_DEG,
                          half_fov_deg=HALF_FOV_DEG, sample_period_s=0.033)
    states = feed(det, [0.0] * 90 + [0.07] + [0.0] * 30, period_s=0.033, noise_m=0.003)
    assert all(s.level == Level.CLEAR for s in states)


def test_ground_fit_learns_a_plane_in_time_and_reach():
    from pi_app.detect.filters import GroundFit
    s = CFG.surface
    tuning = dict(min_weight=s.fit_min_weight, ridge_t_s=s.fit_ridge_s, ridge_reach_m=s.fit_ridge_reach_m)
    fit = GroundFit(0.2, **tuning)
    assert fit.predict(0.0, 2.0) is None
    # height falls 0.1 m/s with time and 0.05 m per m of reach (a grade passing)
    for k in range(500):
        t = 1000.0 + k * 0.004
        reach = 2.3 + 0.5 * math.sin(2 * math.pi * 2.8 * t)
        fit.add(t, reach, 1.0 - 0.1 * (t - 1000.0) - 0.05 * (reach - 2.3))
    t = 1000.0 + 500 * 0.004
    for reach in (1.9, 2.3, 2.8):
        want = 1.0 - 0.1 * (t - 1000.0) - 0.05 * (reach - 2.3)
        assert abs(fit.predict(t, reach) - want) < 0.004
    # the time origin moves (hours of running) without losing the fit
    fit2 = GroundFit(0.2, **tuning)
    for k in range(20000):
        t = k * 0.004
        fit2.add(t, 2.3 + 0.4 * math.sin(17.6 * t), 0.98)
    assert abs(fit2.predict(80.0, 2.0) - 0.98) < 1e-6


def test_something_in_the_way_warns_but_a_hand_flicking_through_does_not():
    det = make()
    feed(det, [0.0] * 500, noise_m=0.003)
    t0 = 500 * 0.004
    hand = ground_range(0.6)  # the beam hits something 0.6 m up: 0.4 m "too near"
    # a hand: 60 ms in the beam, then the ground again, three times
    states = []
    for rep in range(3):
        for k in range(15):
            states.append(feed_and_judge(det, Reading(t0 + (rep * 60 + k) * 0.004, hand), 0.0, 0.0))
        for k in range(15, 60):
            states.append(feed_and_judge(det, Reading(t0 + (rep * 60 + k) * 0.004, ground_range(0.0)),
                                     0.0, 0.0))
    assert all(s.level == Level.CLEAR for s in states)
    # a bench seat: stays in the beam
    t1 = t0 + 200 * 0.004
    bench = [feed_and_judge(det, Reading(t1 + k * 0.004, ground_range(0.45)), 0.0, 0.0)
             for k in range(60)]
    first = next(k for k, s in enumerate(bench) if s.level == Level.WARNING)
    assert first * 0.004 >= CFG.surface.blocked_confirm_s - 0.004
    assert bench[first].detail == "rise"


def test_after_a_blind_spell_the_first_thing_seen_is_not_taken_for_the_ground():
    # bright sun: the ground is out of range, the sensor faults (reset); then a kerb's
    # top, 15 cm up, comes into range - it must be judged against the mount height
    det = make()
    feed(det, [0.0] * 500, noise_m=0.003)
    det.reset()
    t0 = 10.0
    states = [feed_and_judge(det, Reading(t0 + k * 0.004, ground_range(0.15) + 0.002 * (k % 3)),
                         0.0, 0.0) for k in range(40)]
    assert any(s.level == Level.WARNING and s.detail == "rise" for s in states)


# --- a short-mode VL53L1X pitched 45 deg down: its ground near its 1.36 m limit ---------
SHORT_BELOW_RAD = math.radians(45.0 + 13.5)
SHORT_GROUND_M = H_M / math.sin(SHORT_BELOW_RAD)       # 1.17 m


def short_range_sensor(max_range_m=1.36):
    det = SurfaceDetector("ground", CFG, mount_height_m=H_M, mount_pitch_deg=-45.0,
                          half_fov_deg=13.5, sample_period_s=0.1, max_range_m=max_range_m)
    rng = random.Random(2)
    for k in range(30):                                 # 3 s of ordinary ground
        feed_and_judge(det, Reading(k * 0.1, SHORT_GROUND_M + rng.gauss(0.0, 0.003)), 0.0, 0.0)
    assert det.state.level == Level.CLEAR and det.baseline_m is not None
    return det


def test_nothing_within_range_where_the_ground_was_is_a_drop():
    """Beyond the 1.36 m limit the ground is at least 16 cm lower (1.36 sin 58.5 deg)."""
    state = feed_and_judge(short_range_sensor(), Reading(3.0, None, RangeStatus.NO_TARGET), 0.0, 0.0)
    assert state.level == Level.WARNING and state.detail == "drop"


def test_a_signal_fail_in_sun_or_glare_says_nothing():
    state = feed_and_judge(short_range_sensor(), Reading(3.0, None, RangeStatus.SIGNAL_FAIL), 0.0, 0.0)
    assert state.level == Level.CLEAR


def test_nothing_within_range_just_past_the_ground_says_nothing():
    det = short_range_sensor(max_range_m=SHORT_GROUND_M + 0.03)   # only 2.5 cm lower
    assert feed_and_judge(det, Reading(3.0, None, RangeStatus.NO_TARGET), 0.0, 0.0).level == Level.CLEAR


def test_nothing_within_range_from_a_sensor_that_keeps_failing_says_nothing():
    det = short_range_sensor()
    for k in range(5):                                  # it has lost the ground a while
        feed_and_judge(det, Reading(3.0 + k * 0.1, None, RangeStatus.SIGNAL_FAIL), 0.0, 0.0)
    assert feed_and_judge(det, Reading(3.5, None, RangeStatus.NO_TARGET), 0.0, 0.0).level == Level.CLEAR


def test_a_sigma_fail_far_below_the_ground_is_a_drop_a_near_one_is_not_learned():
    det = short_range_sensor()
    baseline_m = det.baseline_m
    near = SHORT_GROUND_M + 0.07 / math.sin(SHORT_BELOW_RAD)      # 7 cm: under 2 x 5 cm
    state = feed_and_judge(det, Reading(3.0, None, RangeStatus.SIGMA_FAIL, near), 0.0, 0.0)
    assert state.level == Level.CLEAR and det.baseline_m == baseline_m
    far = SHORT_GROUND_M + 0.12 / math.sin(SHORT_BELOW_RAD)       # 12 cm
    state = feed_and_judge(det, Reading(3.1, None, RangeStatus.SIGMA_FAIL, far), 0.0, 0.0)
    assert state.level == Level.WARNING and state.detail == "drop"


def test_two_clear_samples_of_a_fast_sensor_confirm_a_hole_swept_past():
    """At 4.5 m/s with the spot 3.5 m back the stride sweeps it across a 28 cm hole in
    ~20 ms: two samples show the hole, the next hits its far wall at a grazing angle.
    Two in a row past the threshold and 5 RMS residuals out are enough."""
    det = make()
    feed(det, [0.0] * 500, noise_m=0.004)
    t = 500 * 0.004
    states = [feed_and_judge(det, Reading(t + k * 0.004, ground_range(z)), 0.0, 0.0)
              for k, z in enumerate([-0.084, -0.053, -0.03, 0.0, 0.0])]
    assert any(s.level == Level.WARNING and s.detail == "drop" for s in states)


def test_two_samples_inside_a_rough_grounds_scatter_do_not_confirm():
    det = make()
    feed(det, [0.0] * 1000, noise_m=0.035)     # rough going: 1.5 cm of height, 5 RMS 7.5 cm
    assert det.noise_m > 0.012
    t = 1000 * 0.004
    states = [feed_and_judge(det, Reading(t + k * 0.004, ground_range(z)), 0.0, 0.0)
              for k, z in enumerate([-0.06, -0.058, 0.0, 0.0])]
    assert all(s.level == Level.CLEAR for s in states)


def test_a_ground_learned_from_something_in_the_way_is_unlearned_though_hands_match_it():
    """Passing a box, the beam sees its face long enough to learn it as the ground;
    past it, the real ground reads as a drop of 0.9 m, and the hands crossing the
    beam (a fifth of each step, at 0.35 m) match the wrong ground now and then. The
    few matches must not keep it: the ground is learned again. (A face this near is
    too far off the mounted height to be learned by default, surface.learn_offset_max_m;
    allowed here to test the unlearning alone.)"""
    det = SurfaceDetector("ground", CFG.with_value("surface.learn_offset_max_m", 2.0),
                          mount_height_m=H_M, mount_pitch_deg=PITCH_DEG, half_fov_deg=HALF_FOV_DEG)
    feed(det, [0.0] * 300)
    det.relearn()
    t = 300 * 0.004
    for k in range(150):                                   # the box's face, 0.35 m away
        feed_and_judge(det, Reading(t + k * 0.004, 0.35), 0.0, 0.0)
    assert det.baseline_m is not None and det.baseline_m < 0.3
    t += 0.6
    states = []
    for k in range(1500):                                  # 6 s: ground, hands 1 in 5
        d = 0.35 if k % 70 < 14 else ground_range(0.0)
        states.append(feed_and_judge(det, Reading(t + k * 0.004, d), 0.0, 0.0))
    assert det.baseline_m == pytest.approx(H_M, abs=0.02)
    assert all(s.level == Level.CLEAR for s in states[-500:])
