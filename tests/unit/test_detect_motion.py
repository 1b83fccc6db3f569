"""The runner's speed change from the belt IMU, and how it reaches the detectors."""

import math

import pytest

from pi_app.config import Config
from pi_app.detect.contract import Pose
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


class FakeTracker:
    """What ``Pose`` uses of an ``ImuTracker``: its pitch and the sample observer."""

    def __init__(self) -> None:
        self.pitch_deg, self.bounce_m = 5.0, 0.0
        self.on_sample = None

    def fresh(self, t_s):
        return True

    def pitch_at(self, t_s):
        return self.pitch_deg

    def bounce_at(self, t_s):
        return self.bounce_m


def test_every_imu_sample_reaches_the_pose_and_still_reaches_the_recorder():
    imu = FakeTracker()
    recorded = []
    imu.on_sample = lambda t, a, g: recorded.append(t)
    pose = Pose(imu, Config.defaults())
    pose.update(0.0)
    for k in range(200):                                  # 1 s braking at 1 m/s^2
        imu.on_sample(k * PERIOD_S, chip_accel_g(5.0, -1.0), (0.0, 0.0, 0.0))
    assert len(recorded) == 200
    assert pose.speed_change_mps == pytest.approx(-1.5 * (1 - math.exp(-0.995 / 1.5)), rel=0.02)
    # a recorder attached later is chained behind at the next cycle
    later = []
    imu.on_sample = lambda t, a, g: later.append(t)
    pose.update(1.0)
    imu.on_sample(1.0, chip_accel_g(5.0, 0.0), (0.0, 0.0, 0.0))
    assert later == [1.0] and len(recorded) == 200
    assert pose.speed_change_mps < -0.7


def test_the_time_constant_is_a_setting():
    pose = Pose(FakeTracker(), Config.defaults().with_value("obstacle.slowing_tau_s", "3"))
    assert pose.motion.tau_s == 3.0
