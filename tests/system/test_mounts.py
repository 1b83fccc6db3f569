"""The printable mounts in hardware/cad/: each OpenSCAD model renders to a non-empty STL
whose geometry follows its parameters (the bracket's wedge faces down at the pitch asked
for, the clamp's bore is the rail's diameter), the wedge's default is the default
config's ground pitch, and the docs show the previews."""

from __future__ import annotations

import math
import re
import shutil
import struct
import sys
from pathlib import Path

import pytest

from pi_app.config import DEFAULT_SENSORS

REPO = Path(__file__).resolve().parents[2]
CAD = REPO / "hardware" / "cad"
sys.path.insert(0, str(REPO / "scripts"))
from render_mounts import Model, models, render_stl  # noqa: E402

needs_openscad = pytest.mark.skipif(
    shutil.which("openscad") is None,
    reason="openscad not installed (sudo apt-get install openscad; .ci/run installs it)")
LOW_RES = {"$fn": 12}     # coarse circles: a render takes well under a second


def read_stl(path: Path) -> list[tuple[tuple[float, ...], tuple[tuple[float, ...], ...]]]:
    """(normal, (v1, v2, v3)) of each facet of a binary STL."""
    data = path.read_bytes()
    (count,) = struct.unpack_from("<I", data, 80)
    assert len(data) == 84 + 50 * count, "truncated STL"
    facets = []
    for i in range(count):
        f = struct.unpack_from("<12f", data, 84 + 50 * i)
        facets.append((f[0:3], (f[3:6], f[6:9], f[9:12])))
    return facets


def area(tri) -> float:
    a, b, c = tri
    u = [b[i] - a[i] for i in range(3)]
    v = [c[i] - a[i] for i in range(3)]
    cross = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
    return 0.5 * math.sqrt(sum(x * x for x in cross))


def area_facing(facets, direction, tol_deg: float = 0.5) -> float:
    """Total area of the facets whose outward normal is within ``tol_deg`` of ``direction``."""
    cos_tol = math.cos(math.radians(tol_deg))
    total = 0.0
    for _normal, tri in facets:
        a = area(tri)
        if a == 0:
            continue
        a0, b, c = tri
        u = [b[i] - a0[i] for i in range(3)]
        v = [c[i] - a0[i] for i in range(3)]
        n = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
        length = math.sqrt(sum(x * x for x in n))
        if sum(n[i] / length * direction[i] for i in range(3)) >= cos_tol:
            total += a
    return total


def bounds(facets):
    points = [p for _n, tri in facets for p in tri]
    return [(min(p[i] for p in points), max(p[i] for p in points)) for i in range(3)]


def model(name: str) -> Model:
    return next(m for m in models() if m.name == name)


def scad_default(name: str, parameter: str) -> float:
    text = (CAD / f"{name}.scad").read_text(encoding="utf-8")
    return float(re.search(rf"^{parameter} = ([-\d.]+);", text, re.M).group(1))


def test_the_bracket_wedge_default_is_the_default_configs_ground_pitch():
    [ground] = [s for s in DEFAULT_SENSORS if s.role == "surface"]
    assert scad_default("belt_bracket", "ground_pitch_deg") == -ground.pitch_deg
    assert model("belt_bracket").params["ground_pitch_deg"] == -ground.pitch_deg


@needs_openscad
@pytest.mark.parametrize("pitch_deg", [25.0, 35.0])
def test_the_bracket_wedge_looks_down_at_the_pitch_asked_for(tmp_path, pitch_deg):
    facets = read_stl(render_stl(model("belt_bracket"), tmp_path / "b.stl",
                                 {**LOW_RES, "ground_pitch_deg": pitch_deg}))
    assert len(facets) > 100
    theta = math.radians(pitch_deg)
    tilted = area_facing(facets, (0.0, math.cos(theta), -math.sin(theta)))
    board_w, board_h = 35.0, 21.25                      # the TF-Luna face the wedge carries
    assert tilted > 0.5 * board_w * board_h, "no wedge face at this pitch"
    other = math.radians(60.0 - pitch_deg)              # and none at some other pitch
    assert area_facing(facets, (0.0, math.cos(other), -math.sin(other))) == 0.0
    assert area_facing(facets, (0.0, 1.0, 0.0)) > 300   # the level sensor's face: +y, level
    (x0, x1), (y0, _y1), (z0, _z1) = bounds(facets)
    assert (x0, y0) == (pytest.approx(0.0, abs=1e-3), pytest.approx(0.0, abs=1e-3))
    assert z0 > -0.01                                   # nothing hangs below the plate


@needs_openscad
def test_the_bracket_grows_with_the_belt_width(tmp_path):
    narrow = bounds(read_stl(render_stl(model("belt_bracket"), tmp_path / "n.stl",
                                        {**LOW_RES, "belt_width": 25})))
    wide = bounds(read_stl(render_stl(model("belt_bracket"), tmp_path / "w.stl",
                                      {**LOW_RES, "belt_width": 60})))
    assert wide[2][1] == pytest.approx(60 + 2 * 3 + 4, abs=0.01)   # slots + walls + margin
    assert narrow[2][1] < wide[2][1]
    assert narrow[0] == wide[0]                                    # width set by the boards


@needs_openscad
@pytest.mark.parametrize("rail_mm", [25.0, 38.0])
def test_the_clamp_bore_is_the_rail_diameter(tmp_path, rail_mm):
    facets = read_stl(render_stl(model("handrail_clamp"), tmp_path / "c.stl",
                                 {"$fn": 24, "rail_diameter": rail_mm}))
    assert len(facets) > 100
    radii = [math.hypot(x, z) for _n, tri in facets for (x, _y, z) in tri]
    bore_r = rail_mm / 2 + 0.4 / 2                                # + half the clearance
    assert bore_r * math.cos(math.pi / 24) - 0.01 <= min(radii) <= bore_r + 0.01
    assert area_facing(facets, (0.0, 1.0, 0.0)) > 300              # pocket face along the rail


@needs_openscad
def test_the_clamp_pocket_turns_by_yaw(tmp_path):
    facets = read_stl(render_stl(model("handrail_clamp"), tmp_path / "c.stl",
                                 {"$fn": 24, "yaw_deg": 14}))
    psi = math.radians(14)
    assert area_facing(facets, (math.sin(psi), math.cos(psi), 0.0)) > 150


def test_the_docs_show_every_preview_and_the_print_settings():
    text = (REPO / "hardware" / "mounting.md").read_text(encoding="utf-8")
    for m in models():
        png = CAD / f"{m.name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert f"](cad/{m.name}.png)" in text, m.name
        assert f"cad/{m.name}.scad" in text and f"cad/{m.name}.stl" in text, m.name
    assert "## Printing" in text


@needs_openscad
@pytest.mark.parametrize("name", [m.name for m in models()])
def test_the_committed_stl_is_the_models_render(tmp_path, name):
    """The STL a builder prints without OpenSCAD is the model as it stands (the same
    facets; OpenSCAD may list them in another order)."""
    def facet_set(facets):
        out = []
        for _n, tri in facets:
            points = [tuple(round(c, 3) for c in p) for p in tri]
            first = points.index(min(points))              # same facet, any starting corner
            out.append(tuple(points[first:] + points[:first]))
        return sorted(out)

    fresh = read_stl(render_stl(model(name), tmp_path / f"{name}.stl"))
    committed = read_stl(CAD / f"{name}.stl")
    assert facet_set(committed) == facet_set(fresh), \
        f"hardware/cad/{name}.stl is stale: run scripts/render_mounts.py"
