"""Obstacle detector: TTC levels, distance floors, spurious readings, hands, hold."""

import math
import random

import pytest

from conftest import ScriptedImu, feed_and_judge

from pi_app.config import Config
from pi_app.detect import Level
from pi_app.detect.contract import Pose
from pi_app.detect.obstacle import ObstacleDetector
from pi_app.sensors.base import RangeStatus, Reading

CFG = Config.defaults()
PERIOD_S = 0.033


def run(det, distances, t0=0.0, period_s=PERIOD_S, pitch_deg=0.0):
    """Feed distances (None = no target) at the sensor period; return states."""
    out = []
    for k, d in enumerate(distances):
        t = t0 + k * period_s
        status = RangeStatus.VALID if d is not None else RangeStatus.SIGNAL_FAIL
        out.append(feed_and_judge(det, Reading(t, d, status), pitch_deg))
    return out


def approach(start_m, speed_mps, n, noise_m=0.0, seed=1):
    rng = random.Random(seed)
    return [start_m - speed_mps * k * PERIOD_S + rng.gauss(0, noise_m) for k in range(n)]


def test_static_obstacle_at_running_speed_warns_within_two_samples():
    det = ObstacleDetector("rear", CFG)
    states = run(det, approach(3.2, 2.5, 4))
    assert states[0].level == Level.CLEAR          # one sample is never enough
    assert states[1].level >= Level.WARNING         # TTC 1.3 s at 2.5 m/s
    assert states[1].kind == "obstacle" and states[1].source == "rear"


def test_danger_when_ttc_below_danger_threshold():
    det = ObstacleDetector("rear", CFG)
    states = run(det, approach(3.2, 2.0, 40))
    first_danger = next(k for k, s in enumerate(states) if s.level == Level.DANGER)
    d_at_danger = 3.2 - 2.0 * first_danger * PERIOD_S
    assert d_at_danger == pytest.approx(2.0 * CFG.obstacle.danger_ttc_s, abs=0.1)


def test_no_danger_from_a_two_sample_speed():
    det = ObstacleDetector("rear", CFG)
    states = run(det, [3.201, 3.060])     # reads as 4 m/s: TTC 0.77 s
    assert states[-1].level == Level.WARNING


def test_slowly_closing_far_target_is_only_caution():
    det = ObstacleDetector("rear", CFG)
    states = run(det, approach(3.0, 0.6, 40, noise_m=0.005))  # TTC 5 s .. 3.7 s
    assert max(s.level for s in states[-5:]) == Level.CAUTION


def test_single_spurious_near_reading_does_not_alarm():
    det = ObstacleDetector("rear", CFG)
    seq = [None] * 10 + [0.3] + [None] * 10
    assert all(s.level == Level.CLEAR for s in run(det, seq))


def test_spurious_reading_inside_a_track_is_ignored():
    det = ObstacleDetector("rear", CFG)
    seq = [3.0] * 10 + [0.4] + [3.0] * 10        # static object, runner standing
    states = run(det, seq)
    assert all(s.level < Level.WARNING for s in states)


def test_hand_flicking_through_the_beam_does_not_alarm():
    det = ObstacleDetector("rear", CFG)
    seq = ([None] * 8 + [0.35, 0.36] + [None] * 2) * 5   # ~60 ms hand, twice per stride
    assert all(s.level == Level.CLEAR for s in run(det, seq))


def test_something_that_stays_near_does_alarm():
    det = ObstacleDetector("rear", CFG)
    states = run(det, [None] * 3 + [0.4] * 10)
    assert states[-1].level == Level.DANGER


def test_steady_obstacle_reports_steady_detail():
    det = ObstacleDetector("rear", CFG)
    states = run(det, [0.8] * 30)
    assert states[-1].level == Level.WARNING and states[-1].detail == "steady"


def test_level_held_before_dropping():
    det = ObstacleDetector("rear", CFG)
    states = run(det, approach(3.2, 2.5, 5) + [None] * 40)
    levels = [s.level for s in states]
    assert levels[5] >= Level.WARNING                # held just after the target vanished
    hold_samples = int(CFG.obstacle.hold_s / PERIOD_S)
    assert levels[5 + hold_samples + int(CFG.obstacle.track_timeout_s / PERIOD_S) + 2] == Level.CLEAR


def test_ground_at_the_lower_beam_edge_is_not_an_obstacle():
    det = ObstacleDetector("rear", CFG, mount_height_m=1.0, mount_pitch_deg=-6.0, half_fov_deg=13.5)
    ground_m = det.expected_ground_m(-6.0)
    assert ground_m == pytest.approx(1.0 / math.sin(math.radians(19.5)), rel=1e-6)
    states = run(det, [ground_m + 0.01 * (k % 3) for k in range(30)])
    assert all(s.level == Level.CLEAR for s in states)


def test_min_range_status_counts_as_very_near():
    det = ObstacleDetector("rear", CFG, min_range_m=0.04)
    run(det, approach(1.0, 2.5, 8))
    s = feed_and_judge(det, Reading(8 * PERIOD_S, None, RangeStatus.MIN_RANGE))
    assert s.level == Level.DANGER


def test_configure_keeps_track_and_applies_new_threshold():
    det = ObstacleDetector("rear", CFG)
    run(det, approach(3.0, 0.6, 40))           # TTC ~3.7 s: caution
    assert det.state.level == Level.CAUTION
    det.configure(CFG.with_value("obstacle.caution_ttc_s", "8").with_value("obstacle.warning_ttc_s", "6"))
    assert det.judge(40 * PERIOD_S).level == Level.WARNING


def test_sigma_fail_distance_corroborates_a_new_target_near_the_range_limit():
    det = ObstacleDetector("rear", CFG)
    feed_and_judge(det, Reading(0.0, None, RangeStatus.SIGMA_FAIL, 3.14))
    feed_and_judge(det, Reading(PERIOD_S, 3.06, RangeStatus.VALID))
    assert det.track.active and det.track.distance_m == 3.06
    # ... but its distance (ten times noisier) measures no speed: two valid ones do
    assert det.track.closing_mps == 0.0
    s = feed_and_judge(det, Reading(2 * PERIOD_S, 2.98, RangeStatus.VALID))
    assert det.track.closing_mps == pytest.approx(0.08 / PERIOD_S)
    assert s.level >= Level.WARNING


def test_a_single_sigma_fail_reading_never_alarms():
    det = ObstacleDetector("rear", CFG)
    assert feed_and_judge(det, Reading(0.0, None, RangeStatus.SIGMA_FAIL, 0.3)).level == Level.CLEAR
    assert feed_and_judge(det, Reading(PERIOD_S, None, RangeStatus.SIGNAL_FAIL)).level == Level.CLEAR


def test_fresh_track_is_judged_on_the_pessimistic_speed():
    # 3.20 -> 3.128 m in 32 ms reads as 2.2 m/s with +-1.3 m/s of noise: at 2.5 m/s true,
    # TTC ~1.3 s; the estimate alone would say 1.4 s (warning) - a noisier pair saying
    # 0.8 m/s (TTC 3.9 s, only caution) still warns on the upper bound.
    det = ObstacleDetector("rear", CFG)
    feed_and_judge(det, Reading(0.0, 3.150))
    s = feed_and_judge(det, Reading(0.032, 3.123))
    assert det.track.closing_mps < 1.0 and s.level == Level.WARNING


def test_two_samples_implying_an_impossible_speed_wait_for_a_third():
    det = ObstacleDetector("rear", CFG)
    feed_and_judge(det, Reading(0.0, 3.0))
    assert feed_and_judge(det, Reading(0.033, 2.4)).level == Level.CLEAR   # 18 m/s: two things
    assert not det.track.active


def test_ground_gate_follows_the_bounce():
    det = ObstacleDetector("rear", CFG, mount_height_m=1.0, half_fov_deg=15.0, sample_period_s=0.1)
    ground_up = det.expected_ground_m(3.0, bounce_m=0.03)
    ground_down = det.expected_ground_m(3.0, bounce_m=-0.03)
    assert ground_up - ground_down == pytest.approx(0.06 / math.sin(math.radians(12.0)), rel=1e-6)


def run_running(det, distances, bounce_m=0.03, step_hz=2.8, t0=0.0, speed_change_mps=0.0):
    """As ``run``, with the IMU's bounce of a runner (``bounce_m`` amplitude) who has
    just gained (+) or lost (-) ``speed_change_mps``."""
    out = []
    pose = Pose(ScriptedImu(), CFG)
    pose.imu.motion.speed_change_mps = speed_change_mps
    for k, d in enumerate(distances):
        t = t0 + k * PERIOD_S
        b = bounce_m * math.sin(2 * math.pi * step_hz * t)
        status = RangeStatus.VALID if d is not None else RangeStatus.SIGNAL_FAIL
        out.append(feed_and_judge(det, Reading(t, d, status), 0.0, b, pose=pose))
    return out


def test_while_running_a_new_far_target_warns_on_its_first_reading():
    # a cyclist closing at 8.5 m/s is 0.28 m nearer by the second reading: the runner
    # alone (>= a jog, 1.5 m/s) reaches 3.0 m within warning_ttc_s, so warn now
    det = ObstacleDetector("rear", CFG)
    states = run_running(det, [None] * 60 + [3.0])
    assert all(s.level == Level.CLEAR for s in states[:60])
    assert states[60].level == Level.WARNING


def test_first_reading_alone_never_warns_a_standing_runner_or_for_a_near_flicker():
    standing = run(ObstacleDetector("rear", CFG), [None] * 60 + [3.0])
    assert standing[60].level == Level.CLEAR          # no bounce: not running
    near = run_running(ObstacleDetector("rear", CFG), [None] * 60 + [0.4])
    assert near[60].level == Level.CLEAR              # a hand: must persist
    beyond = run_running(ObstacleDetector("rear", CFG), [None] * 60 + [3.9])
    assert beyond[60].level == Level.CLEAR            # a jog reaches it in > 2.5 s
    off = ObstacleDetector("rear", CFG.with_value("obstacle.first_sight_speed_mps", 0))
    assert run_running(off, [None] * 60 + [3.0])[60].level == Level.CLEAR


def test_an_ultrasonic_sensor_always_waits_for_a_second_echo():
    from pi_app.config import SensorConfig
    from pi_app.device import make_detector
    det = make_detector(SensorConfig("rear", "mb1242", "obstacle"), CFG, "backsight")
    assert det.first_sight is False
    assert run_running(det, [None] * 60 + [3.0])[60].level == Level.CLEAR
    tof = make_detector(SensorConfig("rear", "vl53l1x", "obstacle"), CFG, "backsight")
    assert run_running(tof, [None] * 60 + [3.0])[60].level == Level.WARNING


# What a runner easing to a stop 2.8 m short of a wall saw (``slowing-stop-short-of-wall``,
# ~0.7 m/s left): the wall at 3.19 m, then readings whose two-sample speed reads 0.9-1.7
# m/s through the chip's 2.5 cm of noise at that range.
EASING_TO_A_STOP = [None] * 60 + [3.190, 3.162, 3.157, 3.128, 3.140, 3.083, 3.125, 3.025, 3.050,
                                  3.030, 2.976, 2.987, 2.955, 2.904, 2.912, 2.912, 2.942]


def test_a_runner_braking_to_a_stop_is_not_warned_of_a_wall_they_will_not_reach():
    # the same readings from a runner at a steady jog warn at once: the runner alone
    # closes at >= 1.5 m/s, TTC <= 2.1 s
    steady = run_running(ObstacleDetector("rear", CFG), EASING_TO_A_STOP)
    assert steady[60].level == Level.WARNING
    # ... but the IMU saw this runner lose 0.6 m/s: the jog is no longer a given, and
    # the track's own speed (0.5-0.9 m/s measured, TTC > 3 s) never proves a warning
    braking = run_running(ObstacleDetector("rear", CFG), EASING_TO_A_STOP, speed_change_mps=-0.6)
    assert all(s.level <= Level.CAUTION for s in braking)
    assert braking[-1].level == Level.CAUTION          # still watched: TTC under 4 s


def test_a_braking_runner_is_still_warned_of_what_closes_fast():
    # a cyclist closing at 8 m/s while the runner slows: its samples prove the speed
    det = ObstacleDetector("rear", CFG)
    states = run_running(det, [None] * 60 + approach(3.2, 8.0, 4, noise_m=0.02), speed_change_mps=-1.0)
    assert states[60].level == Level.CLEAR             # no first sight while braking hard
    assert states[61].level == Level.WARNING           # the second reading proves > 4 m/s


def test_a_walking_runner_needs_evidence_not_a_two_sample_speed():
    # walking (no running bounce) at 1.4 m/s behind a person walking at 1.0 m/s: the
    # first two readings read 2.8 m/s (noise); the judged speed stays at what the
    # samples prove (2.8 - 2 x 1.3 m/s) until the speed is measured: 0.4 m/s
    seq = [None] * 60 + [3.227, 3.137, 3.201, 3.12, 3.146, 3.093, 3.10, 3.08, 3.095, 3.07]
    walking = run_running(ObstacleDetector("rear", CFG), seq, bounce_m=0.005)
    assert all(s.level < Level.WARNING for s in walking)
    # without an IMU nothing is known about the runner: the pessimistic speed stands
    blind = run(ObstacleDetector("rear", CFG), seq)
    assert blind[61].level == Level.WARNING


def sigma_fails_while_running(raws_m, speed_change_mps):
    """A running stride's bounce for 2 s with nothing in view, then sigma-fail readings
    carrying ``raws_m``; returns the detector and the state after each of them."""
    det = ObstacleDetector("rear", CFG)
    pose = Pose(ScriptedImu(), CFG)
    pose.imu.motion.speed_change_mps = speed_change_mps
    for k in range(60):
        bounce_m = 0.03 * math.sin(2 * math.pi * 2.8 * k * PERIOD_S)
        feed_and_judge(det, Reading(k * PERIOD_S, None, RangeStatus.SIGNAL_FAIL), 0.0, bounce_m, pose=pose)
    states = [feed_and_judge(det, Reading((60 + k) * PERIOD_S, None, RangeStatus.SIGMA_FAIL, raw_m),
                             0.0, 0.03, pose=pose) for k, raw_m in enumerate(raws_m)]
    return det, states


def test_a_track_born_of_sigma_fails_is_judged_at_the_runners_own_speed():
    # two sigma fails 3.22 -> 3.16 m in 33 ms "read" 1.8 m/s: ten times noisier than
    # valid readings, they corroborate a target but measure no speed
    det, states = sigma_fails_while_running([3.22, 3.16], 0.0)
    assert det.track.active and det.track.samples.count == 0 and det.track.closing_mps == 0.0
    # a static object 3.16 m away closes at >= 1.5 m/s (a jog): TTC 2.1 s, as on first sight
    assert states[-1].level == Level.WARNING
    # a runner who has just lost 1 m/s closes at >= 0.5 m/s: TTC 6 s
    det, states = sigma_fails_while_running([3.22, 3.16], -1.0)
    assert det.track.active and states[-1].level == Level.CLEAR


# --- a slow, wide-beam sensor (MB1242: 10 Hz, 30 deg cone) -------------------------------
ECHO_S = 0.1  # MB1242 range cycle


def mb1242_detector():
    from pi_app.config import SensorConfig
    from pi_app.device import make_detector
    return make_detector(SensorConfig("rear", "mb1242", "obstacle"), CFG, "backsight")


def grazing_ground_m(det, pitch_deg, below_margin_deg):
    """The range of a ground echo that lies ``below_margin_deg`` nearer (in beam angle)
    than the expected ground range at ``pitch_deg``."""
    below = det.half_fov_deg - pitch_deg + CFG.obstacle.ground_margin_deg + below_margin_deg
    return det.mount_height_m / math.sin(math.radians(below))


def test_a_slow_sensors_speed_window_spans_its_own_sample_periods():
    det = mb1242_detector()
    assert det.track.window_s == pytest.approx(CFG.obstacle.speed_window_periods * ECHO_S)
    fast = ObstacleDetector("rear", CFG, sample_period_s=PERIOD_S)
    assert fast.track.window_s == pytest.approx(CFG.obstacle.speed_window_s)
    # two hedge echoes 0.3 s apart, the ground's echo between them at the stride's low
    # pitch: the speed is measured from the two (a 0.3 s window would hold only one)
    for t_s, d, pitch in [(0.0, 6.11, 8.0), (0.1, 4.45, 2.2), (0.3, 5.44, 7.5)]:
        feed_and_judge(det, Reading(t_s, d), pitch)
    assert det.track.active
    assert det.track.closing_mps == pytest.approx((6.11 - 5.44) / 0.3, abs=0.05)


def test_grazing_ground_echoes_never_found_a_target():
    # The ground's echo through a wide cone just short of where the pitch says the ground
    # is (the pitch estimate's error), at each pitch of the stride: never a target.
    det = mb1242_detector()
    pose = Pose(ScriptedImu())
    levels = []
    for k in range(60):
        pitch = 5.0 + 3.0 * math.sin(2 * math.pi * 1.4 * k * ECHO_S)
        d = grazing_ground_m(det, pitch, 0.8 * CFG.obstacle.ground_band_deg)
        levels.append(feed_and_judge(det, Reading(k * ECHO_S, d), pitch, pose=pose).level)
        assert not det.track.active
    assert max(levels) == Level.CLEAR
    # the same ranges a little nearer than the band are a thing approaching: found
    det = mb1242_detector()
    for k in range(3):
        d = grazing_ground_m(det, 5.0, CFG.obstacle.ground_band_deg + 0.5) - 0.25 * k
        feed_and_judge(det, Reading(k * ECHO_S, d), 5.0)
    assert det.track.active


def test_a_ground_echo_before_a_real_one_does_not_set_its_speed():
    # a ground echo at 4.91 m, then a person's echoes (within a slow sensor's wide chaining
    # tolerance of it): the person is founded on its own echoes, closing at the runner's
    # 3 m/s, not on a pair that reads 1.5 m/s
    det = mb1242_detector()
    for t_s, d in [(0.0, 4.91), (0.1, 5.27), (0.2, 4.96), (0.3, 4.66)]:
        feed_and_judge(det, Reading(t_s, d), 6.0)
    assert det.track.active
    assert det.track.closing_mps == pytest.approx(3.05, abs=0.1)



def test_a_chip_flagged_reading_at_the_grazing_ground_founds_nothing_either():
    # a sigma-fail distance may corroborate a target; one where the ground grazes the
    # beam's lower edge is no more a target than a valid reading there
    det = mb1242_detector()
    pose = Pose(ScriptedImu())
    for k in range(6):
        d = grazing_ground_m(det, 5.0, 0.5 * CFG.obstacle.ground_band_deg) - 0.01 * k
        reading = Reading(k * ECHO_S, None, RangeStatus.SIGMA_FAIL, raw_m=d)
        assert feed_and_judge(det, reading, 5.0, pose=pose).level == Level.CLEAR
        assert not det.track.active


def test_the_ground_climbing_at_the_measured_grade_founds_no_target():
    # a level VL53L1X 0.8 m up meets an 8 % climb ~3 m back at the stride's lowest lean;
    # that return holds its distance as the runner climbs. With the grade the ground
    # sensor measures it founds nothing; on level ground the same readings are a target.
    def feed_all(grade):
        det = ObstacleDetector("rear", CFG, mount_height_m=0.8)
        pose = Pose(ScriptedImu())
        pose.ground_grade = grade
        levels = []
        for k in range(12):
            pitch = 2.0
            d = det.expected_ground_m(pitch - CFG.obstacle.ground_margin_deg, 0.0, 0.08) + 0.01 * (k % 3)
            levels.append(feed_and_judge(det, Reading(k * PERIOD_S, d), pitch, pose=pose).level)
        return det, levels
    det, levels = feed_all(0.08)
    assert not det.track.active and max(levels) == Level.CLEAR


def _feed_climb_line(cfg, ground_grade, line_grade, offset_m=0.0, height_m=0.8):
    """A level beam ``height_m`` up at the stride's lowest lean (2 deg), fed readings where
    its lower edge meets the line climbing at ``line_grade`` from the feet, ``offset_m``
    nearer, with the ground sensor having measured ``ground_grade`` (None: nothing yet)."""
    det = ObstacleDetector("rear", cfg, mount_height_m=height_m)
    pose = Pose(ScriptedImu())
    pose.ground_grade, pose.ground_watched = ground_grade, True
    pitch = 2.0
    line_m = det.expected_ground_m(pitch - cfg.obstacle.ground_margin_deg, 0.0, line_grade)
    levels = []
    for k in range(12):
        d = line_m - offset_m + 0.01 * (k % 3)
        levels.append(feed_and_judge(det, Reading(k * PERIOD_S, d), pitch, pose=pose).level)
    return det, levels


def test_before_the_grade_is_measured_the_ground_may_climb_at_max_grade():
    # Switched on at a climb's foot: the level beam meets the climb 3-4 m back before
    # the ground sensor's spot (1-2 m back) has measured any grade. Until it has, the
    # ground may climb at up to obstacle.max_grade: a return as far as that climb would
    # meet the beam founds nothing.
    max_grade = CFG.obstacle.max_grade
    assert max_grade >= 0.08
    det, levels = _feed_climb_line(CFG, None, max_grade)
    assert not det.track.active and max(levels) == Level.CLEAR
    # a thing standing 0.4 m nearer than that line is found as before
    det, levels = _feed_climb_line(CFG, None, max_grade, offset_m=0.4)
    assert det.track.active
    # once the ground sensor measures level ground, the same return is a target
    det, levels = _feed_climb_line(CFG, 0.0, max_grade)
    assert det.track.active
    # without the bound it is a target before the measurement too: the bound does the work
    det, levels = _feed_climb_line(CFG.with_value("obstacle.max_grade", 0.0), None, max_grade)
    assert det.track.active
