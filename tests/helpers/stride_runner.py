"""A runner's stride over a ground profile, fed to a SurfaceDetector reading by reading:
the down-angled sensor's range along its beam's lower edge, marched over ``ground(x)``
(a height function), with the stride's pitch swing, bounce and a sensor's noise. Shared
by the surface detector's grade and bend tests."""

import math
import random

from conftest import ScriptedImu, feed_and_judge

from pi_app.detect import Level
from pi_app.detect.contract import Pose
from pi_app.detect.surface import SurfaceDetector
from pi_app.sensors.base import Reading

H_M = 1.0                # mount height
MOUNT_PITCH_DEG = -25.0
HALF_FOV_DEG = 1.0
LEAN_DEG = 5.0
SWING_DEG = 3.0          # the spot sweeps ~2.25-3.1 m back
BOUNCE_M = 0.06          # the stride's bounce (without it the IMU says: not moving)
PERIOD_S = 0.004         # a 250 Hz sensor
NOISE_M = 0.015          # a TF-Luna's range noise seen 20-30 deg down, about 1 cm of height


def slant_range_m(ground, runner_x_m: float, below_deg: float, sensor_z_m: float) -> float:
    """Range along the beam's lower edge to where it first meets ``ground`` (marched in
    5 mm steps of reach: finer than the 4 ms sweep step)."""
    tan_b = math.tan(math.radians(below_deg))
    reach_m = 0.0
    while sensor_z_m - reach_m * tan_b > ground(runner_x_m + reach_m):
        reach_m += 0.005
    return reach_m / math.cos(math.radians(below_deg))


def warnings(ground, speed_mps: float, cfg, *, step_hz: float, duration_s: float = 5.0,
             seed: int = 3) -> list[float]:
    """Times the detector turns to WARNING while a runner at ``speed_mps`` runs over
    ``ground`` (the sensor rides on the ground under the runner)."""
    det = SurfaceDetector("ground", cfg, mount_height_m=H_M, mount_pitch_deg=MOUNT_PITCH_DEG,
                          half_fov_deg=HALF_FOV_DEG, sample_period_s=PERIOD_S)
    pose = Pose(ScriptedImu())
    rng = random.Random(seed)
    out, last = [], Level.CLEAR
    for k in range(int(duration_s / PERIOD_S)):
        t_s = k * PERIOD_S
        phase = 2.0 * math.pi * step_hz * t_s
        pitch_deg = LEAN_DEG + SWING_DEG * math.sin(phase)
        bounce_m = BOUNCE_M / 2.0 * math.sin(phase)
        runner_x_m = speed_mps * t_s
        below_deg = -(MOUNT_PITCH_DEG + pitch_deg) + HALF_FOV_DEG
        d_m = slant_range_m(ground, runner_x_m, below_deg, ground(runner_x_m) + H_M + bounce_m)
        level = feed_and_judge(det, Reading(t_s, d_m + rng.gauss(0.0, NOISE_M)),
                               pitch_deg, bounce_m, pose=pose).level
        if level is Level.WARNING and last is not Level.WARNING:
            out.append(round(t_s, 3))
        last = level
    return out
