"""The surface detector where a grade starts or ends: the ground bends there, its residual
grows smoothly with the spot's reach, and that is followed, never warned; a step at the
same place jumps by its height at its edge and is warned."""

import math
import random

from conftest import ScriptedImu, feed_and_judge

from pi_app.config import Config
from pi_app.detect import Level
from pi_app.detect.contract import Pose
from pi_app.detect.surface import SurfaceDetector
from pi_app.sensors.base import Reading

#: the bend rule switched on (it is off by default: see surface.bend_grade's doc)
CFG = Config.defaults().with_value("surface.bend_grade", 0.25)
H_M = 1.0                # mount height
MOUNT_PITCH_DEG = -25.0
HALF_FOV_DEG = 1.0
LEAN_DEG = 5.0
SWING_DEG = 3.0          # the spot sweeps ~2.25-3.1 m back
STEP_HZ = 2.8            # 170 steps/min
BOUNCE_M = 0.06          # the stride's bounce (without it the IMU says: not moving)
PERIOD_S = 0.004         # a 250 Hz sensor
NOISE_M = 0.015          # a TF-Luna's range noise (3 cm) seen 20 deg down, about 1 cm
SPEED_MPS = 3.15
BEND_X_M = 10.0          # where the grade starts (the sweep's far end reaches it ~2.2 s in)


def downhill(grade: float):
    """Ground height at x: flat, then down ``grade`` from BEND_X_M on."""
    return lambda x_m: -grade * max(x_m - BEND_X_M, 0.0)


def kerb_down(depth_m: float):
    return lambda x_m: -depth_m if x_m >= BEND_X_M else 0.0


def slant_range_m(ground, runner_x_m: float, below_deg: float, sensor_z_m: float) -> float:
    """Range along the beam's lower edge to where it first meets ``ground`` (marched in
    5 mm steps of reach: finer than the 4 ms sweep step)."""
    tan_b = math.tan(math.radians(below_deg))
    reach_m = 0.0
    while sensor_z_m - reach_m * tan_b > ground(runner_x_m + reach_m):
        reach_m += 0.005
    return reach_m / math.cos(math.radians(below_deg))


def warnings(ground, cfg=CFG, duration_s: float = 5.0, seed: int = 3) -> list[float]:
    """Times the detector turns to WARNING while a runner at SPEED_MPS runs over ``ground``."""
    det = SurfaceDetector("ground", cfg, mount_height_m=H_M, mount_pitch_deg=MOUNT_PITCH_DEG,
                          half_fov_deg=HALF_FOV_DEG, sample_period_s=PERIOD_S)
    pose = Pose(ScriptedImu())
    rng = random.Random(seed)
    out, last = [], Level.CLEAR
    for k in range(int(duration_s / PERIOD_S)):
        t_s = k * PERIOD_S
        phase = 2.0 * math.pi * STEP_HZ * t_s
        pitch_deg = LEAN_DEG + SWING_DEG * math.sin(phase)
        bounce_m = BOUNCE_M / 2.0 * math.sin(phase)
        runner_x_m = SPEED_MPS * t_s
        below_deg = -(MOUNT_PITCH_DEG + pitch_deg) + HALF_FOV_DEG
        d_m = slant_range_m(ground, runner_x_m, below_deg, ground(runner_x_m) + H_M + bounce_m)
        level = feed_and_judge(det, Reading(t_s, d_m + rng.gauss(0.0, NOISE_M)),
                               pitch_deg, bounce_m, pose=pose).level
        if level is Level.WARNING and last is not Level.WARNING:
            out.append(round(t_s, 3))
        last = level
    return out


def test_the_start_of_an_8_percent_downhill_is_a_bend_not_a_drop():
    assert warnings(downhill(0.08)) == []


def test_without_following_bends_the_same_downhill_reads_as_a_drop():
    """The mechanism is what keeps it quiet: with bend_grade 0 the grade's start, seen
    2.5-3 m back before the ground fit catches up, passes the drop threshold."""
    assert warnings(downhill(0.08), cfg=CFG.with_value("surface.bend_grade", 0.0)) != []


def test_a_kerb_down_where_the_downhill_would_start_is_still_warned():
    """A 6 cm kerb jumps by its height at its edge: no bend, warned as it comes into
    view (about 2.2 s in)."""
    first = warnings(kerb_down(0.06))
    assert first and 2.0 <= first[0] <= 2.5, first
