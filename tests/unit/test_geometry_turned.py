"""Turned boxes: the slab test in the box's own frame and the footprint in the
runner's corridor, against hand-worked geometry."""

import math
import random

import pytest

from pi_app.sim.geometry import band_x_interval, cast_box, cast_turned_box, turned_corners

C45 = S45 = math.sqrt(0.5)


def yaw(deg):
    return math.cos(math.radians(deg)), math.sin(math.radians(deg))


def test_a_45_deg_wall_is_hit_where_its_plane_is():
    # wall: near face through (5, 0), normal (c, s); a level ray at bearing a from the
    # origin meets it at 5 c / (c cos a + s sin a)
    for a_deg in (0.0, 10.0, -13.5, 30.0):
        a = math.radians(a_deg)
        d = cast_turned_box(0.0, 0.0, 1.0, math.cos(a), math.sin(a), 0.0,
                            5.0, 0.0, C45, S45, 0.2, 3.0, -1.0, 2.0, 20.0)
        assert d == pytest.approx(5.0 / (math.cos(a) + math.sin(a)), rel=1e-12), a_deg


def test_a_ray_over_the_top_or_past_the_end_misses():
    # over a 2 m wall from 3 m up, level
    assert cast_turned_box(0.0, 0.0, 3.0, 1.0, 0.0, 0.0, 5.0, 0.0, C45, S45, 0.2, 3.0,
                           -1.0, 2.0, 20.0) is None
    # past the wall's left end: its near face ends at y = 3 * sin 45 = 2.12
    assert cast_turned_box(0.0, 2.3, 1.0, 1.0, 0.0, 0.0, 5.0, 0.0, C45, S45, 0.2, 3.0,
                           -1.0, 2.0, 20.0) is None
    # too short a cast
    assert cast_turned_box(0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 5.0, 0.0, C45, S45, 0.2, 3.0,
                           -1.0, 2.0, 4.9) is None


def test_an_unturned_box_gives_the_axis_aligned_answer():
    rng = random.Random(4)
    for _ in range(2000):
        o = (rng.uniform(-2, 2), rng.uniform(-2, 2), rng.uniform(0, 2))
        d = [rng.gauss(0, 1) for _ in range(3)]
        n = math.sqrt(sum(v * v for v in d))
        d = [v / n for v in d]
        px, py, depth, hw = rng.uniform(-1, 4), rng.uniform(-2, 2), rng.uniform(0.1, 2), \
            rng.uniform(0.1, 2)
        want = cast_box(*o, *d, px, px + depth, py - hw, py + hw, -1.0, 1.5, 10.0)
        got = cast_turned_box(*o, *d, px, py, 1.0, 0.0, depth, hw, -1.0, 1.5, 10.0)
        assert (got is None) == (want is None)
        if want is not None:
            assert got == pytest.approx(want, abs=1e-9)


def test_a_ray_parallel_to_a_face():
    c, s = yaw(30.0)
    # along the box's own length (u), inside its width: meets the near face head-on
    u0, v = -2.0, 0.1           # start 2 m before the near face, 0.1 m off its middle
    ox, oy = 10.0 + c * u0 - s * v, 1.0 + s * u0 + c * v
    d = cast_turned_box(ox, oy, 0.5, c, s, 0.0, 10.0, 1.0, c, s, 0.4, 0.5, -1.0, 1.0, 20.0)
    assert d == pytest.approx(2.0, abs=1e-12)
    # the same direction just outside its width: runs beside the side face, never meets it
    v = 0.51
    ox, oy = 10.0 + c * u0 - s * v, 1.0 + s * u0 + c * v
    assert cast_turned_box(ox, oy, 0.5, c, s, 0.0, 10.0, 1.0, c, s, 0.4, 0.5, -1.0, 1.0,
                           20.0) is None
    # along the near face's own direction (v), between the faces: meets the side face
    u, v0 = 0.2, -3.0
    ox, oy = 10.0 + c * u - s * v0, 1.0 + s * u + c * v0
    d = cast_turned_box(ox, oy, 0.5, -s, c, 0.0, 10.0, 1.0, c, s, 0.4, 0.5, -1.0, 1.0, 20.0)
    assert d == pytest.approx(2.5, abs=1e-12)
    # ... and beyond the far face: misses
    u = 0.45
    ox, oy = 10.0 + c * u - s * v0, 1.0 + s * u + c * v0
    assert cast_turned_box(ox, oy, 0.5, -s, c, 0.0, 10.0, 1.0, c, s, 0.4, 0.5, -1.0, 1.0,
                           20.0) is None


def test_the_footprint_in_the_corridor_of_a_45_deg_fence():
    corners = turned_corners(25.0, 0.0, C45, S45, 0.1, 3.0)
    # near face x = 25 - y; far face 0.1 / cos 45 further along x
    lo, hi = band_x_interval(corners, -0.25, 0.25)
    assert lo == pytest.approx(24.75, abs=1e-12)
    assert hi == pytest.approx(25.25 + 0.1 * math.sqrt(2), abs=1e-12)
    # its bounds start 2 m nearer: a bounding box would put the contact 0.8 s early
    assert min(x for x, _ in corners) == pytest.approx(25.0 - 3.0 * S45)


def test_the_footprint_of_an_unturned_box_and_a_box_beside_the_corridor():
    corners = turned_corners(10.0, 0.3, 1.0, 0.0, 0.5, 0.2)     # y 0.1 .. 0.5
    assert band_x_interval(corners, -0.25, 0.25) == (10.0, 10.5)
    assert band_x_interval(turned_corners(10.0, 0.46, 1.0, 0.0, 0.5, 0.2), -0.25, 0.25) \
        is None
    # a 45 deg fence whose nearest corner stops 1 m left of the line
    beside = turned_corners(20.0, 2.0, C45, S45, 0.1, 1.0)
    assert min(y for _, y in beside) > 1.0
    assert band_x_interval(beside, -0.25, 0.25) is None
