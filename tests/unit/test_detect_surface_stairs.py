"""Crossing a step of a staircase down: the level the runner then sees is the next one
below, not their own. The learned ground is relearned on a crossed step only when it is
itself further from the mounted height than the level in view (a grade learned before
the step), not whenever the level in view is nearer the mounted height than to it."""

import math
import random

from conftest import ScriptedImu, feed_and_judge
from test_detect_surface_levels import (BOUNCE_M, CFG, H_M, HALF_FOV_DEG, LEAN_DEG,
                                        MOUNT_PITCH_DEG, NOISE_M, PERIOD_S, STEP_HZ,
                                        SWING_DEG, run, slant_range_m, stairs_down,
                                        warning_spans)

from pi_app.detect import Level
from pi_app.detect.contract import Pose
from pi_app.detect.surface import SurfaceDetector
from pi_app.sensors.base import Reading


def run_on_belt(ground, speed_mps: float, duration_s: float, belt_m: float, seed: int = 4):
    """As ``test_detect_surface_levels.run``, the sensor ``belt_m`` above the level stood
    on while the detector is configured with ``H_M``."""
    det = SurfaceDetector("ground", CFG, mount_height_m=H_M, mount_pitch_deg=MOUNT_PITCH_DEG,
                          half_fov_deg=HALF_FOV_DEG, sample_period_s=PERIOD_S)
    pose = Pose(ScriptedImu())
    rng = random.Random(seed)
    out = []
    for k in range(int(duration_s / PERIOD_S)):
        t_s = k * PERIOD_S
        phase = 2.0 * math.pi * STEP_HZ * t_s
        pitch_deg = LEAN_DEG + SWING_DEG * math.sin(phase)
        bounce = BOUNCE_M / 2.0 * math.sin(phase)
        runner_x_m = speed_mps * t_s
        under_m = [z for x, z in ground if x <= runner_x_m][-1]
        below_deg = -(MOUNT_PITCH_DEG + pitch_deg) + HALF_FOV_DEG
        d_m = slant_range_m(ground, runner_x_m, below_deg, under_m + belt_m + bounce)
        state = feed_and_judge(det, Reading(t_s, d_m + rng.gauss(0.0, NOISE_M)),
                               pitch_deg, bounce, pose=pose)
        out.append((t_s, state.level))
    return out, det


def test_a_crossed_step_down_does_not_relearn_the_levels_below_on_a_low_belt():
    """Five 12.6 cm steps down with 88 cm treads at 2.5 m/s, the belt worn 3 cm lower than
    configured: the runner's own level reads 0.97 m. Crossing a step, the level in view
    (the next below) reads 1.10 m: 10 cm off the mounted height, 13 cm off the learned
    ground - nearer the first, yet not the runner's level, which the learned ground (3 cm
    off) is. Relearned there, the bottom read as a rise on the flat after the staircase."""
    x0_m = 3.0 + 2.5 * 2.0
    ground = stairs_down(x0_m, 5, 0.126, 0.88)
    states, det = run_on_belt(ground, 2.5, 10.0, belt_m=H_M - 0.03)
    bottom_s = (x0_m + 4 * 0.88) / 2.5
    spans = warning_spans(states)
    assert spans and spans[0][0] < x0_m / 2.5, spans
    assert all(start_s < bottom_s for start_s, _ in spans), (spans, bottom_s)
    assert states[-1][1] is Level.CLEAR and abs(det.baseline_m - (H_M - 0.03)) < 0.03


def test_a_grade_learned_before_a_step_is_relearned_once_the_runner_is_on_it():
    """What relearning on a crossed step is for: a 6 % descent learned before a 12 cm kerb
    up at its foot; past the kerb the level in view is the runner's own, nearer the
    mounted height than the learned grade is - one warning, ended by its hold."""
    ground = [(-100.0, 0.0)] + [(4.0 + 0.2 * k, -0.012 * k) for k in range(1, 61)]
    ground.append((16.0, -0.72 + 0.12))
    states, _ = run(ground, speed_mps=2.5, duration_s=9.0)
    spans = warning_spans(states)
    assert len(spans) == 1, spans
    assert spans[0][1] <= 6.4 + CFG.surface.hold_s + 0.15, spans
