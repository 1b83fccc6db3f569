"""The surface detector where a grade starts or ends: the ground bends there, its residual
grows smoothly with the spot's reach, and that is followed, never warned; a step at the
same place jumps by its height at its edge and is warned."""

from helpers.stride_runner import warnings as stride_warnings

from pi_app.config import Config

#: the bend rule at a steeper setting than the default (surface.bend_grade: 0.12)
CFG = Config.defaults().with_value("surface.bend_grade", 0.25)
STEP_HZ = 2.8            # 170 steps/min
SPEED_MPS = 3.15
BEND_X_M = 10.0          # where the grade starts (the sweep's far end reaches it ~2.2 s in)


def downhill(grade: float):
    """Ground height at x: flat, then down ``grade`` from BEND_X_M on."""
    return lambda x_m: -grade * max(x_m - BEND_X_M, 0.0)


def kerb_down(depth_m: float):
    return lambda x_m: -depth_m if x_m >= BEND_X_M else 0.0


def warnings(ground, cfg=CFG, duration_s: float = 5.0, seed: int = 3) -> list[float]:
    """Times the detector turns to WARNING while a runner at SPEED_MPS runs over ``ground``."""
    return stride_warnings(ground, SPEED_MPS, cfg, step_hz=STEP_HZ, duration_s=duration_s,
                           seed=seed)


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
