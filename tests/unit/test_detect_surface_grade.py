"""The surface detector on grades of up to 8 %: the ground bends there, at the spot (the
sweep's reach) and under the runner (their own travel, which changes the residual at every
reach at once as they cross a grade's start), and that is followed, never warned; a root's
or kerb's face, which the sweep climbs by the beam's own slope, is still warned."""

import pytest
from helpers.stride_runner import warnings as stride_warnings

from pi_app.config import Config

CFG = Config.defaults()
STEP_HZ = 3.0            # 180 steps/min
BEND_X_M = 12.0          # where the grade starts


def downhill(grade: float):
    """Ground height at x: flat, then down ``grade`` from BEND_X_M on."""
    return lambda x_m: -grade * max(x_m - BEND_X_M, 0.0)


def root(height_m: float, x_m: float, length_m: float = 0.12):
    return lambda x: height_m if x_m <= x < x_m + length_m else 0.0


def warnings(ground, speed_mps: float, cfg=CFG, duration_s: float = 5.0,
             seed: int = 3) -> list[float]:
    """Times the detector turns to WARNING while a runner at ``speed_mps`` runs over
    ``ground`` (the sensor rides on the ground under the runner)."""
    return stride_warnings(ground, speed_mps, cfg, step_hz=STEP_HZ, duration_s=duration_s,
                           seed=seed)


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
