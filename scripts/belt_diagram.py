#!/usr/bin/env python3
"""Draw hardware/belt-layout.svg: a side view of a backward runner wearing the belt.

    python scripts/belt_diagram.py [--out hardware/belt-layout.svg]

The runner faces left and moves right (backwards); the sensor bracket sits on the
belt at the small of the back, so both beams look right, the way they move. Heights,
the ground sensor's pitch and the cones come from the default configuration and the
chip catalogue, so the drawing says what the device expects. Standard library only;
tests/system/test_hardware_docs.py redraws it and compares.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pi_app.config import DEFAULT_SENSORS  # noqa: E402
from pi_app.sensors.chips import chip_optics  # noqa: E402

PX_PER_M = 160.0
WIDTH_PX, HEIGHT_PX = 960, 440
GROUND_Y_PX = 390.0
BODY_X_M = 1.3              # where the runner's back is, from the left edge
BEAM_END_M = 5.0            # how far right the drawing goes
FONT = 'font-family="sans-serif" font-size="13"'


def sensor(role: str):
    return next(s for s in DEFAULT_SENSORS if s.role == role)


def xy(x_m: float, z_m: float) -> tuple[float, float]:
    """Metres (x right of the left edge, z above the ground) -> SVG pixels."""
    return round(20 + x_m * PX_PER_M, 1), round(GROUND_Y_PX - z_m * PX_PER_M, 1)


def line(a, b, style: str) -> str:
    return f'<line x1="{a[0]}" y1="{a[1]}" x2="{b[0]}" y2="{b[1]}" {style}/>'


def text(at, words: str, anchor: str = "start", extra: str = "") -> str:
    words = words.replace("&", "&amp;").replace("<", "&lt;")
    return f'<text x="{at[0]}" y="{at[1]}" text-anchor="{anchor}" {FONT} {extra}>{words}</text>'


def runner(hip_m: float) -> list[str]:
    """A stick figure facing left (nose and toes point left), back at BODY_X_M."""
    stroke = 'stroke="#333" stroke-width="4" stroke-linecap="round" fill="none"'
    x = BODY_X_M - 0.12
    neck, hip = xy(x, hip_m + 0.52), xy(x, hip_m)
    head = xy(x - 0.02, hip_m + 0.66)
    parts = [f'<circle cx="{head[0]}" cy="{head[1]}" r="15" {stroke}/>',
             line(xy(x - 0.12, hip_m + 0.68), xy(x - 0.16, hip_m + 0.65), stroke),      # nose
             line(neck, hip, stroke),
             line(xy(x, hip_m + 0.45), xy(x - 0.22, hip_m + 0.25), stroke),             # arms
             line(xy(x, hip_m + 0.45), xy(x + 0.14, hip_m + 0.22), stroke),
             line(hip, xy(x - 0.20, 0.50), stroke), line(xy(x - 0.20, 0.50), xy(x - 0.10, 0.04), stroke),
             line(hip, xy(x + 0.18, 0.48), stroke), line(xy(x + 0.18, 0.48), xy(x + 0.22, 0.04), stroke),
             line(xy(x - 0.10, 0.04), xy(x - 0.24, 0.02), stroke),                      # toes left
             line(xy(x + 0.22, 0.04), xy(x + 0.08, 0.02), stroke)]
    return parts


def draw() -> str:
    rear, ground = sensor("obstacle"), sensor("surface")
    h_m, pitch_deg = ground.mount_height_m, -ground.pitch_deg
    half_cone = math.radians(chip_optics(rear.kind, rear.distance_mode).fov_deg / 2)
    spot_m = h_m / math.tan(math.radians(pitch_deg))
    box = xy(BODY_X_M, rear.mount_height_m)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH_PX}" height="{HEIGHT_PX}" '
           f'viewBox="0 0 {WIDTH_PX} {HEIGHT_PX}">',
           '<rect width="100%" height="100%" fill="white"/>',
           line(xy(0, 0), xy(BEAM_END_M + 0.8, 0), 'stroke="#7a5c3a" stroke-width="3"')]
    # the level sensor's cone, out to the edge of the drawing
    reach_m = BEAM_END_M - BODY_X_M
    top = xy(BEAM_END_M, rear.mount_height_m + reach_m * math.tan(half_cone))
    low_z = max(0.0, rear.mount_height_m - reach_m * math.tan(half_cone))
    low = xy(BEAM_END_M, low_z)
    out.append(f'<polygon points="{box[0]},{box[1]} {top[0]},{top[1]} {low[0]},{low[1]}" '
               'fill="#4a90d9" fill-opacity="0.18" stroke="none"/>')
    out.append(line(box, xy(BEAM_END_M, rear.mount_height_m),
                    'stroke="#1f5fa8" stroke-width="2" stroke-dasharray="8,5"'))
    beam_end = xy(BEAM_END_M, rear.mount_height_m)
    out.append(text((beam_end[0] - 4, beam_end[1] + 22),
                    f"'{rear.id}' {rear.kind.upper()}: level ({rear.pitch_deg:g}°), "
                    f"{math.degrees(2 * half_cone):g}° cone: obstacles", "end",
                    'fill="#1f5fa8"'))
    # the ground sensor's beam to its spot on the ground
    spot = xy(BODY_X_M + spot_m, 0)
    out.append(line(box, spot, 'stroke="#c0392b" stroke-width="2.5"'))
    out.append(f'<circle cx="{spot[0]}" cy="{spot[1]}" r="5" fill="#c0392b"/>')
    out.append(text((spot[0] + 10, spot[1] - 34),
                    f"'{ground.id}' {ground.kind}: {pitch_deg:g}° down", "start", 'fill="#c0392b"'))
    out.append(text((spot[0] + 10, spot[1] - 16),
                    f"meets the ground {spot_m:.1f} m behind the sensor", "start", 'fill="#c0392b"'))
    # the bracket on the belt, at the small of the back
    out.append(f'<rect x="{box[0] - 6}" y="{box[1] - 14}" width="16" height="28" fill="#333"/>')
    out.append(text((box[0] + 16, box[1] - 22), "sensor bracket on the belt, BACK of the runner",
                    "start", 'font-weight="bold"'))
    out.append(text((box[0] + 16, box[1] - 6), f"{h_m:g} m above the ground (mount_height_m)"))
    out.append(line(xy(BODY_X_M + 0.06, 0), xy(BODY_X_M + 0.06, h_m - 0.1),
                    'stroke="#888" stroke-width="1" stroke-dasharray="3,3"'))
    out += runner(rear.mount_height_m)
    # which way is which
    head_z = rear.mount_height_m + 0.66
    out.append(text(xy(BODY_X_M - 0.34, head_z + 0.05), "face, chest, toes", "end"))
    out.append(text(xy(BODY_X_M - 0.34, head_z - 0.07), "(the runner looks this way)", "end",
                    'fill="#666"'))
    arrow_a, arrow_b = xy(BODY_X_M + 0.5, head_z + 0.52), xy(BODY_X_M + 1.5, head_z + 0.52)
    out.append('<defs><marker id="head" markerWidth="10" markerHeight="8" refX="9" refY="4" '
               'orient="auto"><polygon points="0,0 10,4 0,8" fill="#333"/></marker></defs>')
    out.append(line(arrow_a, arrow_b, 'stroke="#333" stroke-width="3" marker-end="url(#head)"'))
    out.append(text((arrow_a[0], arrow_a[1] - 12), "direction of travel (running backwards)"))
    out.append(text((arrow_b[0] + 14, arrow_b[1] + 5), "both sensors look this way: behind the runner",
                    "start", 'font-weight="bold"'))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "hardware" / "belt-layout.svg")
    args = parser.parse_args(argv)
    args.out.write_text(draw(), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
