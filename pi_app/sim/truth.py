"""Noise-free ground truth of a scenario: its hazards, when each is contacted and when
it first becomes physically detectable (definitions in docs/scenarios.md, "Scoring").

A hazard is made of pieces: one obstacle or ground feature, or every piece sharing a
``group`` (an angled fence of several boxes, a wall along a bend). A group is one
hazard: contacted when its first piece is, detectable when any piece first is. A
staircase is one ground feature, so one hazard, contacted at its first step."""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass

from pi_app.sensors.chips import chip_optics
from pi_app.sim.geometry import band_x_interval
from pi_app.sim.optics import max_range_m
from pi_app.sim.world import RUNNER_HALF_WIDTH_M

#: a warning this long before t_detectable still counts: one sample period of the slowest
#: rear sensor in common use (MB1242 at 10 Hz), so a reading taken just before the
#: hazard entered the valid range and beam is not held against the device. No more:
#: at 8.5 m/s closing 0.1 s is already 0.85 m of range, and a wider window credits an
#: alarm that is always on with more lead than the physics allows.
TOLERANCE_S = 0.1
CONTACT_HORIZON_S = 3.0   # contacts just after the run still justify warnings
GRID_S = 0.005
REFINE_STEPS = 8          # bisections of a grid step: 5 ms / 256 ~ 0.02 ms
CONTACT_M = 0.20          # treadmill: this near the console or the rear edge is contact
#: sensors that can detect a hazard of each kind: anything on the path is seen by the
#: level rear sensor or the down-angled one; a ground feature only by the ground sensor
#: (a wide rear beam "sees" lowered ground far away, which no detector can use)
DETECTING_ROLES = {"obstacle": ("obstacle", "surface"), "surface": ("surface",),
                   "deck": ("deck",)}
#: direction of travel (sign of d position / dt) toward each deck hazard's edge
DECK_DIRECTION = {"console": -1.0, "rear-edge": 1.0, "off-deck": 1.0}
#: how far a refined time may lie past the true crossing
_RESOLUTION_S = GRID_S / 2 ** REFINE_STEPS


@dataclass(frozen=True)
class Hazard:
    id: str
    kind: str                           # "obstacle" | "surface" | "deck"
    t_detectable_s: float | None
    t_contact_s: float | None           # within the run
    t_contact_ext_s: float | None = None  # within the run + CONTACT_HORIZON_S
    sensor: str | None = None           # the sensor that can first see it

    def window(self, grace_s: float = 0.0):
        """``(start_s, end_s)`` in which a warning is about this hazard, or None."""
        if self.t_detectable_s is None or self.t_contact_ext_s is None:
            return None
        return self.t_detectable_s - TOLERANCE_S, self.t_contact_ext_s + grace_s


def _refine(cond, lo: float, hi: float) -> float:
    """Bisection between ``lo`` (cond False) and ``hi`` (cond True)."""
    for _ in range(REFINE_STEPS):
        mid = (lo + hi) / 2.0
        if cond(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _first(cond, t_end_s: float, step_s: float = GRID_S):
    """First time in [0, t_end] where ``cond(t)`` holds (grid search, then bisection
    between the last False and the first True grid points), or None."""
    n = int(math.ceil(t_end_s / step_s - 1e-9))
    prev = None
    for i in range(n + 1):
        t = min(i * step_s, t_end_s)
        if cond(t):
            return t if prev is None else _refine(cond, prev, t)
        prev = t
    return None


def _crossing(gap, t_end_s: float):
    """First time ``gap(t)`` goes from < 0 to >= 0 (None if it starts >= 0)."""
    if gap(0.0) >= 0.0:
        return None
    return _first(lambda t: gap(t) >= 0.0, t_end_s)


def _corridor_x(world, index: int, t_s: float):
    """``(x_min, x_max)`` of obstacle ``index``'s footprint within the runner's corridor
    (``RUNNER_HALF_WIDTH_M`` either side of the line) at ``t_s``, or None: the body,
    a segment across the corridor, touches the box exactly while it is in between."""
    return band_x_interval(world.footprint_corners(index, t_s), -RUNNER_HALF_WIDTH_M,
                           RUNNER_HALF_WIDTH_M)


def _obstacle_contact(world, index: int, obstacle, t_end_s: float):
    """First time the runner's body meets the box's footprint (from in front of it)."""
    at_start = _corridor_x(world, index, 0.0) or world.footprint(index, 0.0)[:2]
    if at_start[0] <= world.runner_x_m(0.0):
        return None                                   # not ahead of the runner

    if obstacle.yaw_deg == 0.0:
        def touching(t):
            x0, x1, y0, y1 = world.footprint(index, t)
            return x0 <= world.runner_x_m(t) <= x1 and y0 <= RUNNER_HALF_WIDTH_M \
                and y1 >= -RUNNER_HALF_WIDTH_M
    else:
        def touching(t):
            span = _corridor_x(world, index, t)
            return span is not None and span[0] <= world.runner_x_m(t) <= span[1]

    # small enough steps that even a thin, fast box cannot be jumped over (a turned box
    # is at least its smaller side thick along the path)
    closing_mps = max(v for _, v in world.scenario.runner.speed_profile) + abs(obstacle.speed_mps)
    thin_m = obstacle.depth_m if obstacle.yaw_deg == 0.0 else \
        min(obstacle.depth_m, obstacle.width_m)
    step_s = min(GRID_S, 0.4 * thin_m / max(closing_mps, 0.1))
    return _first(touching, t_end_s, step_s)


def fault_spans(scenario) -> list[tuple[str | None, str, float, float]]:
    """``(sensor, kind, t0_s, t1_s)`` of each scripted fault but a replug: for its
    duration; an unplug without one until that sensor's next replug; else for good."""
    spans = []
    for f in scenario.faults:
        if f.kind == "replug":
            continue
        if f.duration_s is not None:
            end = f.t_s + f.duration_s
        elif f.kind == "unplug":
            end = min((g.t_s for g in scenario.faults if g.kind == "replug"
                       and g.sensor == f.sensor and g.t_s >= f.t_s), default=math.inf)
        else:
            end = math.inf
        spans.append((f.sensor, f.kind, f.t_s, end))
    return spans


def _out_of_action(scenario, sensor_id: str) -> tuple:
    """Intervals in which a sensor cannot see: blind, unplugged (until its duration or a
    replug), stuck, putting out garbage, or the whole bus stuck."""
    return tuple((t0, t1) for sensor, kind, t0, t1 in fault_spans(scenario)
                 if sensor in (sensor_id, None)
                 and kind in ("blind", "unplug", "stuck", "garbage", "bus_stuck"))


def approach_start_s(profile, t_contact_s: float, direction: float) -> float:
    """Start (s) of the final approach to a deck edge: walking back from the contact
    through the position profile's linear segments (``PiecewiseLinear``) while each
    moves strictly in ``direction`` (-1 toward the console, +1 toward the rear), the
    start of the earliest one. 0 for a drift from t = 0; ``t_contact_s`` itself if the
    runner was in contact from the start or did not move toward the edge."""
    ts, slopes = profile.ts, profile.slopes
    i = bisect_left(ts, t_contact_s) - 1          # segment (ts[i], ts[i + 1]] holds it

    def toward(j: int) -> bool:
        return 0 <= j < len(slopes) and slopes[j] * direction > 0.0

    if not toward(i) and i >= 1 and t_contact_s - ts[i] <= _RESOLUTION_S:
        i -= 1                      # the refined contact fell just past a profile point
    start_s = t_contact_s
    while toward(i):
        start_s, i = ts[i], i - 1
    return start_s


def _first_sightings(scenario, world, sensor, targets: set, t_end_s: float,
                     start_s: float = 0.0) -> dict:
    """``{target_id: first time in [start_s, t_end_s] the sensor sees it in its valid
    range and in action}`` for the targets seen by then."""
    view = world.view(sensor.id)
    mode = sensor.distance_mode or "long"
    lo_m = chip_optics(sensor.kind, mode).min_range_m
    hi_m = max_range_m(sensor.kind, sunlight=scenario.sunlight, distance_mode=mode,
                       timing_budget_ms=sensor.timing_budget_ms or 100.0)
    dead = _out_of_action(scenario, sensor.id)

    def seen(t):
        d, target = view.hit(t)
        if target is None or not lo_m <= d <= hi_m or any(a <= t < b for a, b in dead):
            return None
        return target

    found, prev = {}, None
    n = int(math.ceil((t_end_s - start_s) / GRID_S - 1e-9))
    for i in range(n + 1):
        t = min(start_s + i * GRID_S, t_end_s)
        target = seen(t)
        if target in targets and target not in found:
            found[target] = t if prev is None else \
                _refine(lambda u, x=target: seen(u) == x, prev, t)
            if len(found) == len(targets):
                break
        prev = t
    return found


def _static_across(world, index: int, o) -> bool:
    """A box standing still with part of its footprint across the runner's corridor
    (strictly inside it) ahead of the runner's start."""
    if o.speed_mps != 0.0 or o.vy_mps != 0.0:
        return False
    x_min, _, y_min, y_max = world.footprint(index, 0.0)
    if o.yaw_deg != 0.0:            # a convex footprint meets the corridor band...
        span = _corridor_x(world, index, 0.0)
        x_min = span[0] if span is not None else x_min
    return y_min < RUNNER_HALF_WIDTH_M and y_max > -RUNNER_HALF_WIDTH_M \
        and x_min > world.runner_x_m(0.0)   # ...exactly when its y bounds overlap it


def _pieces(scenario, world):
    """``(hazard id, kind, target id, t_contact within the run + horizon | None, is a
    hazard on its own)`` per obstacle and non-slope ground feature; the hazard id is
    the piece's group, else its own id."""
    horizon = scenario.duration_s + CONTACT_HORIZON_S
    for i, o in enumerate(scenario.obstacles):
        t = _obstacle_contact(world, i, o, horizon)
        yield o.group or o.id, "obstacle", o.id, t, t is not None or _static_across(world, i, o)
    for g in scenario.ground:
        if g.kind != "slope":
            t = _crossing(lambda t, x=g.x_m: world.runner_x_m(t) - x, horizon)
            yield g.group or g.id, "surface", g.id, t, True


def _contacts(scenario, world):
    """``(id, kind, ((target id, target kind), ...), t_contact within the run + horizon |
    None)`` per hazard. A group is a hazard when any piece is one; it is an obstacle when
    any piece is one, its contact the first piece's, and every piece (on the path or
    not) can make it detectable."""
    horizon = scenario.duration_s + CONTACT_HORIZON_S
    if scenario.mode == "treadmill":
        length = scenario.treadmill.deck_length_m
        p = world.runner_x_m
        runner = (("runner", "deck"),)
        yield "console", "deck", runner, _first(lambda t: p(t) <= CONTACT_M, horizon)
        yield "rear-edge", "deck", runner, _first(lambda t: p(t) >= length - CONTACT_M,
                                                  horizon)
        if max(v for _, v in scenario.treadmill.position_profile) > length:
            yield "off-deck", "deck", runner, _first(lambda t: p(t) > length, horizon)
        return
    hazards_: dict[str, list] = {}          # id -> [kind, targets, t_contact, is a hazard]
    for hid, kind, target, t, alone in _pieces(scenario, world):
        h = hazards_.setdefault(hid, [kind, [], None, False])
        if kind == "obstacle":
            h[0] = "obstacle"
        h[1].append((target, kind))
        if t is not None and (h[2] is None or t < h[2]):
            h[2] = t
        h[3] = h[3] or alone
    for hid, (kind, targets, t, is_hazard) in hazards_.items():
        if is_hazard:
            yield hid, kind, tuple(targets), t


def hazards(scenario, world) -> list[Hazard]:
    """Noise-free ground truth for every hazard of the scenario (docs/scenarios.md, "Scoring")."""
    found = list(_contacts(scenario, world))
    # the time up to which each target matters: its hazard's contact, else the end of the run
    ends: dict[str, float] = {}
    for _, _, targets, t_ext in found:
        end = t_ext if t_ext is not None else scenario.duration_s
        for target, _ in targets:
            ends[target] = max(ends.get(target, 0.0), end)
    sightings = []   # (sensor id, role, {target: t})
    for s in scenario.sensors:
        targets = {tg for _, _, pieces, _ in found for tg, kind in pieces
                   if s.role in DETECTING_ROLES[kind]}
        if targets:
            t_end = max(ends[tg] for tg in targets)
            sightings.append((s.id, s.role, _first_sightings(scenario, world, s, targets, t_end)))
    out = []
    for hid, kind, pieces, t_ext in found:
        t_contact = t_ext if t_ext is not None and t_ext <= scenario.duration_s else None
        search_end = t_ext if t_ext is not None else scenario.duration_s
        # a deck edge cannot be foreseen before the runner starts toward it
        t_from = approach_start_s(world.position, t_ext, DECK_DIRECTION[hid]) \
            if kind == "deck" and t_ext is not None else 0.0
        looks = sightings if t_from == 0.0 else [
            (s.id, s.role, _first_sightings(scenario, world, s, {tg for tg, _ in pieces},
                                            search_end, t_from))
            for s in scenario.sensors if s.role in DETECTING_ROLES[kind]]
        t_det, sensor = None, None
        for sid, role, seen in looks:
            for target, target_kind in pieces:
                t = seen.get(target)
                if role in DETECTING_ROLES[target_kind] and t is not None \
                        and t <= search_end and (t_det is None or t < t_det):
                    t_det, sensor = t, sid
        out.append(Hazard(hid, kind, t_det, t_contact, t_ext, sensor))
    return out
