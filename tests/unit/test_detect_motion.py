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
    """A stride's bounce (+-1 g at 2.8 Hz) while the speed changes at ``travel_mps2``."""
    n = round(seconds / PERIOD_S)
    for k in range(n):
        t = t0 + k * PERIOD_S
        vertical = 0.97 * G_MPS2 * math.sin(2 * math.pi * 2.8 * t)
        motion.note(t, chip_accel_g(pitch_deg, travel_mps2, vertical), pitch_deg)
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
