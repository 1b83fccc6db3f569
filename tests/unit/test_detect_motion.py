"""The runner's speed change from the belt IMU, and how it reaches the detectors."""

import math

import pytest

from pi_app.config import Config
from pi_app.detect.contract import Pose
from pi_app.detect.imu import ImuTracker
from pi_app.detect.motion import RunnerMotion

G_MPS2 = 9.80665
PERIOD_S = 0.005  # the IMU's 200 Hz


def chip_accel_g(pitch_deg, travel_mps2, vertical_mps2=0.0):
    """What the chip reads (x forward, z up when upright) for a trunk at ``pitch_deg``
    accelerating ``travel_mps2`` along the direction of travel (backward) and
    ``vertical_mps2`` up."""
    th = math.radians(pitch_deg)
    f_travel, f_up = travel_mps2 / G_MPS2, 1.0 + vertical_mps2 / G_MPS2
    return (-f_travel * math.cos(th) - f_up * math.sin(th), 0.0,
            -f_travel * math.sin(th) + f_up * math.cos(th))


def feed(motion, seconds, travel_mps2, t0=0.0, pitch_deg=5.0):
    """A stride's bounce (+-1 g at 2.8 Hz) while the speed changes at ``travel_mps2``,
    the trunk held still (as the gyro says) at ``pitch_deg``."""
    n = round(seconds / PERIOD_S)
    for k in range(n):
        t = t0 + k * PERIOD_S
        vertical = 0.97 * G_MPS2 * math.sin(2 * math.pi * 2.8 * t)
        motion.note(t, chip_accel_g(pitch_deg, travel_mps2, vertical), pitch_deg, 0.0)
    return t0 + n * PERIOD_S


def test_a_steady_stride_is_no_change_of_speed():
    motion = RunnerMotion(1.5)
    feed(motion, 10.0, 0.0)
    assert abs(motion.speed_change_mps) < 0.02


def test_braking_sums_to_the_speed_lost_with_forgetting():
    motion = RunnerMotion(1.5)
    t = feed(motion, 5.0, 0.0)
    t = feed(motion, 3.0, -0.625, t0=t)                  # 2.5 m/s to a stop over 4 s
    expected = -0.625 * 1.5 * (1 - math.exp(-3.0 / 1.5))
    assert motion.speed_change_mps == pytest.approx(expected, rel=0.03)
    feed(motion, 6.0, 0.0, t0=t)                         # holding a speed: it fades
    assert abs(motion.speed_change_mps) < 0.02


def test_a_jolt_cannot_fake_a_stop():
    motion = RunnerMotion(1.5)
    motion.note(0.0, chip_accel_g(5.0, 0.0), 5.0)
    motion.note(PERIOD_S, chip_accel_g(5.0, -80.0), 5.0)  # one 8 g sample (a landing)
    assert motion.speed_change_mps == pytest.approx(-5.0 * PERIOD_S)


def test_every_imu_sample_reaches_the_runners_motion_and_the_pose_carries_it():
    """Upright at a steady speed for a second, then braking at 1 m/s^2 for a second: the
    tracker's own samples feed the runner's motion. Its gravity correction takes part of the braking for a lean back, so less than the
    ideal leaky sum shows - but a clear loss of speed."""
    imu = ImuTracker(period_s=PERIOD_S)
    pose = Pose(imu, Config.defaults())
    for k in range(400):
        imu.update(k * PERIOD_S, chip_accel_g(0.0, -1.0 if k >= 200 else 0.0), (0.0, 0.0, 0.0))
    pose.update(400 * PERIOD_S)
    ideal = -1.5 * (1 - math.exp(-1.0 / 1.5))
    assert ideal < pose.speed_change_mps < 0.25 * ideal
    assert Pose(None, Config.defaults()).speed_change_mps == 0.0


def test_the_time_constant_is_a_setting():
    imu = ImuTracker(cfg=Config.defaults().with_value("obstacle.slowing_tau_s", "3"))
    assert imu.motion.tau_s == 3.0


def test_braking_is_credited_only_while_sustained_and_held():
    """The braking credited reads low, never high: a fraction of the deceleration once
    held for a while, all but gone within a second of the runner holding a speed
    (while the speed lost still shows)."""
    motion = RunnerMotion(1.5)
    t = feed(motion, 5.0, 0.0)
    assert motion.braking_mps2 < 0.02                    # a steady stride: no braking
    t = feed(motion, 0.3, -0.8, t0=t)
    assert motion.braking_mps2 < 0.15                    # a blink of braking earns little
    t = feed(motion, 2.7, -0.8, t0=t)
    assert 0.5 * 0.8 < motion.braking_mps2 <= 0.8        # held 3 s: most of it
    t = feed(motion, 1.4, 0.0, t0=t)
    assert motion.braking_mps2 < 0.1                     # ceased: forgotten
    assert motion.speed_change_mps < -0.3                # though the loss still shows


def test_a_long_braking_the_tracker_takes_for_a_lean_still_shows():
    """The IMU tracker's gravity correction turns a steady braking into a lean back
    within ~imu.tau_s; the gyro saw no turn, so the runner's motion keeps measuring
    along the pitch the gyro holds."""
    lean_deg = math.degrees(math.atan(0.6 / G_MPS2))   # 0.6 m/s^2 of braking as a lean
    def brake(rate_dps):
        motion = RunnerMotion(1.5)
        tracker_deg = 5.0
        for k in range(round(3.0 / PERIOD_S)):
            t = k * PERIOD_S
            # the tracker's pitch follows the false lean with imu.tau_s = 0.5 s
            tracker_deg += (PERIOD_S / 0.5) * (5.0 - lean_deg - tracker_deg) if t > 0.5 else 0.0
            travel = -0.6 if t > 0.5 else 0.0
            motion.note(t, chip_accel_g(5.0, travel), tracker_deg, rate_dps)
        return motion
    ideal = -0.6 * 1.5 * (1 - math.exp(-2.5 / 1.5))
    held = brake(0.0)                                   # the gyro held the trunk still
    assert held.speed_change_mps > 0.4 * ideal          # along the tracker's pitch: lost
    assert 0.6 * 0.6 < held.braking_mps2 <= 0.6         # along the held one: most of it
    assert brake(None).braking_mps2 == 0.0              # no held pitch: no credit


def test_the_braking_filters_are_settings():
    cfg = (Config.defaults().with_value("obstacle.braking_tau_s", "0.5")
           .with_value("obstacle.braking_pitch_tau_s", "12"))
    imu = ImuTracker(cfg=cfg)
    assert imu.motion.accel_tau_s == 0.5 and imu.motion.pitch_tau_s == 12.0


# --- how the braking reaches the obstacle detector's time to contact -----------------------

def test_time_to_contact_under_braking_is_finite_only_when_the_stop_falls_beyond():
    from pi_app.detect.obstacle import braking_ttc_s
    assert braking_ttc_s(3.0, 1.5, 1.5, 0.0) == pytest.approx(2.0)       # no braking: d / v
    assert braking_ttc_s(2.0, 1.2, 1.5, 0.5) == math.inf                 # stops in 1.44 m
    # 2 m/s braking at 0.5 covers 2 m in (2 - sqrt(2)) / 0.5 s
    assert braking_ttc_s(2.0, 2.0, 2.0, 0.5) == pytest.approx((2.0 - math.sqrt(2.0)) / 0.5)
    # only the runner's own share slows: a walker's 1.2 m/s keeps closing after the stop
    ttc = braking_ttc_s(3.0, 2.0, 0.8, 1.0)
    assert ttc == pytest.approx(0.8 + (3.0 - (2.0 * 0.8 - 0.5 * 0.64)) / 1.2)
    assert braking_ttc_s(3.0, 0.0, 1.5, 0.5) == math.inf


def _braking_detector_run(distances, lost_mps, braking_mps2):
    """An obstacle detector fed ``distances`` (33 ms apart) by a running runner the IMU
    says has lost ``lost_mps`` and brakes at ``braking_mps2`` (before the margin)."""
    from conftest import ScriptedImu, feed_and_judge

    from pi_app.detect.obstacle import ObstacleDetector
    from pi_app.sensors.base import RangeStatus, Reading

    cfg = Config.defaults()
    pose = Pose(ScriptedImu(), cfg)
    motion = pose.imu.motion
    motion.speed_change_mps = -lost_mps
    motion._held_change_mps = -lost_mps        # what the IMU's sums and low-passes
    motion._lp2_mps2 = -braking_mps2           # settled on, along a gyro-held pitch
    motion._referenced = True
    det = ObstacleDetector("rear", cfg)
    out = []
    for k, d in enumerate(distances):
        t = k * 0.033
        b = 0.03 * math.sin(2 * math.pi * 2.8 * t)
        status = RangeStatus.VALID if d is not None else RangeStatus.SIGNAL_FAIL
        out.append(feed_and_judge(det, Reading(t, d, status), 0.0, b, pose=pose).level)
    return out


def _closing(start_m, speed_mps, decel_mps2, n):
    """Ranges 33 ms apart of a static thing a runner closes on, braking."""
    out, d, v = [], start_m, speed_mps
    for _ in range(n):
        out.append(round(d, 3))
        d -= v * 0.033
        v = max(v - decel_mps2 * 0.033, 0.0)
    return out


def test_a_runner_braking_short_of_a_wall_is_not_warned_but_one_who_reaches_it_is():
    from pi_app.detect import Level

    # 1.2 m/s and braking at 0.5 m/s^2 from 3.0 m: stops 1.56 m short (constant-speed
    # TTC 2.5 s and falling)
    wall = [None] * 60 + _closing(3.0, 1.2, 0.5, 60)
    assert Level.WARNING in _braking_detector_run(wall, 0.6, 0.0)    # not braking now
    assert max(_braking_detector_run(wall, 0.6, 0.5)) <= Level.CAUTION
    # 2.5 m/s braking as hard from 3.2 m reaches the wall: warned on the same reading
    # as when the IMU felt no braking
    def first_warning(levels):
        return next(k for k, lv in enumerate(levels) if lv >= Level.WARNING)
    hit = [None] * 60 + _closing(3.2, 2.5, 0.5, 30)
    assert first_warning(_braking_detector_run(hit, 0.6, 0.5)) \
        == first_warning(_braking_detector_run(hit, 0.6, 0.0)) <= 63
    # a walker coming on at 1.4 m/s while the runner (lost 1.3 m/s of a jog) brakes from
    # 1.2: all but the runner's sure 0.2 m/s keeps closing, so it is warned at most one
    # reading (33 ms) later than if the runner did not brake
    walker = [None] * 60 + [round(d - 1.4 * k * 0.033, 3)
                            for k, d in enumerate(_closing(3.2, 1.2, 0.5, 30))]
    unbraked = first_warning(_braking_detector_run(walker, 1.3, 0.0))
    assert unbraked <= first_warning(_braking_detector_run(walker, 1.3, 0.5)) <= unbraked + 1
