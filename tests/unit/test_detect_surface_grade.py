"""The surface detector on grades of up to 8 %: the ground bends there, at the spot (the
sweep's reach) and under the runner (their own travel, which changes the residual at every
reach at once as they cross a grade's start), and that is followed, never warned; a root's
or kerb's face, which the sweep climbs by the beam's own slope, is still warned."""

import math
import random

import pytest
from conftest import ScriptedImu, feed_and_judge

from pi_app.config import Config
from pi_app.detect import Level
from pi_app.detect.contract import Pose
from pi_app.detect.surface import SurfaceDetector
from pi_app.sensors.base import Reading

CFG = Config.defaults()
H_M = 1.0                # mount height
MOUNT_PITCH_DEG = -25.0
HALF_FOV_DEG = 1.0
LEAN_DEG = 5.0
SWING_DEG = 3.0          # the spot sweeps ~2.25-3.1 m back
STEP_HZ = 3.0            # 180 steps/min
BOUNCE_M = 0.06          # the stride's bounce (without it the IMU says: not moving)
PERIOD_S = 0.004         # a 250 Hz sensor
NOISE_M = 0.015          # a TF-Luna's range noise seen 20-30 deg down, about 1 cm of height
BEND_X_M = 12.0          # where the grade starts


def downhill(grade: float):
    """Ground height at x: flat, then down ``grade`` from BEND_X_M on."""
    return lambda x_m: -grade * max(x_m - BEND_X_M, 0.0)


def root(height_m: float, x_m: float, length_m: float = 0.12):
    return lambda x: height_m if x_m <= x < x_m + length_m else 0.0


def slant_range_m(ground, runner_x_m: float, below_deg: float, sensor_z_m: float) -> float:
    """Range along the beam's lower edge to where it first meets ``ground`` (marched in
    5 mm steps of reach: finer than the 4 ms sweep step)."""
    tan_b = math.tan(math.radians(below_deg))
    reach_m = 0.0
    while sensor_z_m - reach_m * tan_b > ground(runner_x_m + reach_m):
        reach_m += 0.005
    return reach_m / math.cos(math.radians(below_deg))


def warnings(ground, speed_mps: float, cfg=CFG, duration_s: float = 5.0,
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
        phase = 2.0 * math.pi * STEP_HZ * t_s
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


@pytest.mark.parametrize("speed_mps", [3.15, 4.5])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_start_of_an_8_percent_downhill_is_no_hazard(speed_mps, seed):
    """The spot, then the runner's own ground, bends at the grade's start; the runner
    crosses it and runs on down the grade."""
    assert warnings(downhill(0.08), speed_mps, seed=seed, duration_s=6.0) == []


def test_without_following_bends_the_same_downhill_reads_as_a_drop():
    """(what the tests above would catch: the grade's start reads past the drop threshold)"""
    cfg = CFG.with_value("surface.bend_grade", 0.0)
    assert warnings(downhill(0.08), 4.5, cfg=cfg, seed=1, duration_s=6.0) != []


@pytest.mark.parametrize("seed", [3, 4])
def test_without_the_runners_travel_a_bend_at_the_sweeps_end_reads_as_a_drop(seed):
    """The mechanism: where the sweep dwells at its far end, the runner's own travel still
    carries the spot over the bend (and over a grade's start it changes the residual at
    every reach at once). Counting only the reach swept, the bend outgrows what a grade
    allows and the grade's start warns."""
    cfg = CFG.with_value("surface.bend_speed_mps", 0.0)
    assert warnings(downhill(0.08), 3.15, cfg=cfg, seed=seed, duration_s=6.0) != []


@pytest.mark.parametrize("speed_mps", [2.5, 3.5, 4.5])
def test_a_6_cm_root_is_warned_although_bends_are_followed(speed_mps):
    """Its face, climbed by the sweep, grows by the beam's slope (~0.5 per metre of reach),
    four times what the steepest grade change bends: no bend, warned as it comes into view
    (the spot reaches ~3.1 m back)."""
    x_m = 16.0
    first = warnings(root(0.06, x_m), speed_mps, duration_s=x_m / speed_mps)
    came_into_view_s = (x_m - 3.2) / speed_mps
    assert first and came_into_view_s <= first[0] <= came_into_view_s + 0.8, first


@pytest.mark.parametrize("speed_mps", [2.5, 4.5])
def test_a_6_cm_root_on_the_downhill_is_warned(speed_mps):
    """(down the grade the spot reaches farther: ~4.1 m back at the sweep's far end)"""
    x_m = BEND_X_M + 6.0
    slope, bump = downhill(0.08), root(0.06, x_m)
    first = warnings(lambda x: slope(x) + bump(x), speed_mps, duration_s=x_m / speed_mps)
    came_into_view_s = (x_m - 4.2) / speed_mps
    assert first and came_into_view_s <= first[0] <= came_into_view_s + 0.8, first
