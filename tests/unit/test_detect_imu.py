"""IMU tracker: pitch through bounce, bounce amplitude and step frequency."""

import math

import pytest

from pi_app.detect.imu import G_MPS2, ImuTracker
from pi_app.sim.devices.mpu6050 import motion_from_pitch


def motion(t, pitch0_deg=5.0, swing_deg=3.0, bounce_m=0.06, f_hz=2.8):
    w = 2 * math.pi * f_hz
    pitch = math.radians(pitch0_deg + swing_deg * math.sin(w * t))
    rate_dps = swing_deg * w * math.cos(w * t)
    a_up_g = -(bounce_m / 2) * w * w * math.sin(w * t) / G_MPS2
    return motion_from_pitch(math.degrees(pitch), rate_dps, a_up_g)


def test_tracks_pitch_and_bounce_while_running():
    imu = ImuTracker()
    errs_pitch, errs_z = [], []
    for k in range(1000):
        t = k * 0.005
        acc, gyro = motion(t)
        imu.update(t, acc, gyro)
        if t > 2.0:
            true_pitch = 5.0 + 3.0 * math.sin(2 * math.pi * 2.8 * t)
            true_z = 0.03 * math.sin(2 * math.pi * 2.8 * t)
            errs_pitch.append(abs(imu.pitch_deg - true_pitch))
            errs_z.append(abs(imu.bounce_m - true_z))
    assert max(errs_pitch) < 1.0
    assert max(errs_z) < 0.012
    assert imu.step_hz == pytest.approx(2.8, abs=0.1)


def test_standing_still_level():
    imu = ImuTracker()
    for k in range(200):
        imu.update(k * 0.01, (0.0, 0.0, 1.0), (0.0, 0.0, 0.0))
    assert abs(imu.pitch_deg) < 1e-6 and abs(imu.bounce_m) < 1e-6
