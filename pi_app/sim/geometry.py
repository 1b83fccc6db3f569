"""Noise-free geometry for the world model: beam ray patterns, the ground heightfield
and ray casts against it and against boxes.

Frame: x along the path in the direction of travel (behind the runner), y across it
(+y = the runner's left), z up; a yaw turns +x toward +y (counter-clockwise seen from
above). A ray is ``o + s * d`` with ``d`` a unit vector, so ``s`` is the slant range in
metres. A box is axis-aligned (``cast_box``) or turned about the vertical axis
(``cast_turned_box``: the same slab test in the box's own frame); its footprint on the
ground is a convex polygon (``turned_corners``, ``band_x_interval``).
"""

from __future__ import annotations

import math
from bisect import bisect_right

INF = math.inf
EPS = 1e-12
#: a box stands this far into the ground so that no ray slips under it on a slope
BOX_FOOTING_M = 1.0


def beam_rays(fov_deg: float, pitch_deg: float, yaw_deg: float) -> tuple:
    """Unit ray directions of a beam of full angle ``fov_deg`` whose axis is pitched
    ``pitch_deg`` (+ = up) and yawed ``yaw_deg`` (+ = toward +y), axis along +x at 0/0.

    Pattern: the axis, a ring of 6 at half the half-angle and a ring of 12 at the
    half-angle (19 rays); a narrow beam (< 5 deg) uses the axis and one ring of 6 at the
    half-angle (7 rays). Every ring has a ray straight "down" and "up" in the sensor's
    frame, so the beam's lower edge - which hits level ground first - is exact."""
    half = math.radians(fov_deg) / 2.0
    rings = ((half, 6),) if fov_deg < 5.0 else ((half / 2.0, 6), (half, 12))
    local = [(1.0, 0.0, 0.0)]
    for alpha, n in rings:
        for k in range(n):
            phi = math.pi / 2.0 + 2.0 * math.pi * k / n     # starts straight up
            local.append((math.cos(alpha), math.sin(alpha) * math.cos(phi),
                          math.sin(alpha) * math.sin(phi)))
    cp, sp = math.cos(math.radians(pitch_deg)), math.sin(math.radians(pitch_deg))
    cy, sy = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    rays = []
    for x, y, z in local:
        x, z = x * cp - z * sp, x * sp + z * cp           # pitch about y (+ tilts +x up)
        x, y = x * cy - y * sy, x * sy + y * cy           # yaw about z
        rays.append((x, y, z))
    return tuple(rays)


class GroundProfile:
    """Ground height along x, piecewise linear: plain ground at z = 0 plus features.

    ``features`` is a sequence of ``(id, kind, x_m, length_m | None, depth_m)``; each
    lowers the ground by ``depth_m`` over ``[x_m, x_m + length_m)`` (None = to the end);
    kind "slope" ramps linearly over its length and keeps the new level after it.
    Overlapping features add up. Each interval is labelled with the feature it belongs
    to (the latest-starting one covering it; a slope only along its ramp) or "ground";
    a vertical face at a breakpoint belongs to the feature with an edge there."""

    def __init__(self, features=()) -> None:
        edges: dict[float, str] = {}
        for fid, kind, x, length, _ in features:
            edges[x] = fid
            if length is not None:
                edges[x + length] = fid
        self.breaks = tuple(sorted(edges))
        self.edge_labels = tuple(edges[b] for b in self.breaks)
        lefts = (-INF,) + self.breaks
        rights = self.breaks + (INF,)
        segments = []
        for xl, xr in zip(lefts, rights):
            probe = xl if xl > -INF else (xr - 1.0 if xr < INF else 0.0)
            h0, slope, label, label_x = 0.0, 0.0, "ground", -INF
            for fid, kind, x, length, depth in features:
                end = INF if length is None else x + length
                if kind == "slope":
                    if probe >= end:
                        h0 -= depth
                    elif probe >= x:
                        slope_here = -depth / length
                        h0 += slope_here * (probe - x)
                        slope += slope_here
                        if x >= label_x:
                            label, label_x = fid, x
                elif x <= probe < end:
                    h0 -= depth
                    if x >= label_x:
                        label, label_x = fid, x
            segments.append((h0, slope, probe, label))   # h(x) = h0 + slope * (x - probe)
        self.segments = tuple(segments)
        self.flat = not self.breaks

    def height_m(self, x_m: float) -> float:
        h0, slope, xl, _ = self.segments[bisect_right(self.breaks, x_m)]
        return h0 + slope * (x_m - xl)

    def label_at(self, x_m: float) -> str:
        return self.segments[bisect_right(self.breaks, x_m)][3]

    def cast(self, ox: float, oz: float, dx: float, dz: float, s_max: float):
        """First ground hit of the ray ``(ox, oz) + s * (dx, dz)`` (the x-z part of a
        unit 3-D ray; features span the whole width): ``(s, label)`` or None."""
        if self.flat:
            if dz < -EPS and -oz / dz <= s_max:
                return -oz / dz, "ground"
            return None
        breaks, segments = self.breaks, self.segments
        n = len(breaks)
        k = bisect_right(breaks, ox)
        step = 1 if dx > EPS else (-1 if dx < -EPS else 0)
        s0 = 0.0
        prev = None
        while True:
            h0, slope, xl, label = segments[k]
            c0 = oz - h0 - slope * (ox - xl)        # ray height above this segment's line
            c1 = dz - slope * dx
            if c0 + c1 * s0 <= 0.0:                 # entered below the surface: a face
                return s0, (self.edge_labels[k - 1 if step > 0 else k] if prev is not None
                            else label)
            if step > 0:
                s1 = (breaks[k] - ox) / dx if k < n else INF
            elif step < 0:
                s1 = (breaks[k - 1] - ox) / dx if k > 0 else INF
            else:
                s1 = INF
            if c1 < -EPS:
                s = -c0 / c1
                if s <= min(s1, s_max):
                    return s, label
            if s1 >= s_max:
                return None
            s0, prev, k = s1, k, k + step


def cast_box(ox, oy, oz, dx, dy, dz, x0, x1, y0, y1, z0, z1, s_max):
    """Slab test: distance along the ray to the axis-aligned box, or None. A ray that
    starts inside the box hits it at 0. (The three slabs are written out: this runs for
    every ray of every beam sample against every box.)"""
    if -EPS < dx < EPS:
        if ox < x0 or ox > x1:
            return None
        t_near, t_far = 0.0, s_max
    else:
        a, b = (x0 - ox) / dx, (x1 - ox) / dx
        if a > b:
            a, b = b, a
        t_near = a if a > 0.0 else 0.0
        t_far = b if b < s_max else s_max
        if t_near > t_far:
            return None
    if -EPS < dy < EPS:
        if oy < y0 or oy > y1:
            return None
    else:
        a, b = (y0 - oy) / dy, (y1 - oy) / dy
        if a > b:
            a, b = b, a
        if a > t_near:
            t_near = a
        if b < t_far:
            t_far = b
        if t_near > t_far:
            return None
    if -EPS < dz < EPS:
        if oz < z0 or oz > z1:
            return None
    else:
        a, b = (z0 - oz) / dz, (z1 - oz) / dz
        if a > b:
            a, b = b, a
        if a > t_near:
            t_near = a
        if b < t_far:
            t_far = b
        if t_near > t_far:
            return None
    return t_near


def cast_turned_box(ox, oy, oz, dx, dy, dz, px, py, c, s, depth, hw, z0, z1, s_max):
    """Distance along the ray to a box turned by a yaw of cosine ``c`` and sine ``s``
    about the vertical through ``(px, py)``, or None. In its own frame (u along its
    depth, v along its width) the box is ``u in [0, depth], v in [-hw, hw]``,
    ``z in [z0, z1]``: the ray is turned by the opposite yaw and slab-tested there, so
    the range is exact."""
    rx, ry = ox - px, oy - py
    return cast_box(c * rx + s * ry, c * ry - s * rx, oz, c * dx + s * dy, c * dy - s * dx,
                    dz, 0.0, depth, -hw, hw, z0, z1, s_max)


def turned_corners(px: float, py: float, c: float, s: float, depth_m: float,
                   half_width_m: float) -> tuple:
    """The footprint of a turned box (as ``cast_turned_box``): its four ``(x, y)``
    corners in order around it."""
    out = []
    for u, v in ((0.0, -half_width_m), (depth_m, -half_width_m), (depth_m, half_width_m),
                 (0.0, half_width_m)):
        out.append((px + c * u - s * v, py + s * u + c * v))
    return tuple(out)


def band_x_interval(corners, y_lo: float, y_hi: float):
    """``(x_min, x_max)`` of the convex polygon ``corners`` cut to the band
    ``y_lo <= y <= y_hi`` (edges included), or None when they do not meet. A segment
    across the band at ``x`` meets the polygon exactly when ``x_min <= x <= x_max``."""
    x_min, x_max = INF, -INF
    n = len(corners)
    for i in range(n):
        (xa, ya), (xb, yb) = corners[i], corners[(i + 1) % n]
        if y_lo <= ya <= y_hi:                     # a corner inside the band
            x_min, x_max = min(x_min, xa), max(x_max, xa)
        if ya != yb:                               # where the edge crosses the band's lines
            for y in (y_lo, y_hi):
                if min(ya, yb) <= y <= max(ya, yb):
                    x = xa + (xb - xa) * (y - ya) / (yb - ya)
                    x_min, x_max = min(x_min, x), max(x_max, x)
    return None if x_min > x_max else (x_min, x_max)
