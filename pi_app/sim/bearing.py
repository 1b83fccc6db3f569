"""Bearing for the rear obstacle sensor, measured: VL53L1X region-of-interest zones on one
chip against two whole-array chips yawed apart (docs/bearing.md has the table and the
choice).

Everything is measured on the simulator, not computed beside it: ranges and update rates
through our driver on the register-level emulator (``VL53L1X.set_roi`` cycling the
zones), lateral coverage by casting each zone's cone in the world. So the numbers hold
exactly as far as the emulator's ROI model does (``RoiOptics``, ``roi_max_range_m``).

    python -m pi_app.sim.bearing            # prints the Markdown tables
    python -m pi_app.sim.bearing --yaw 2,4,6,8,10   # the default pair's yaw, measured
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

from pi_app.clock import SimClock
from pi_app.sensors.base import RangeStatus
from pi_app.sensors.vl53l1x import DEFAULT_ROI, VL53L1X
from pi_app.sim.devices.vl53l1x import (DEFAULT_ROI_CENTRE_SPAD, RoiOptics, VL53L1XDevice,
                                        encode_row_col, roi_max_range_m, roi_optics)
from pi_app.sim.scenario import parse_scenario
from pi_app.sim.simbus import SimBus
from pi_app.sim.world import World

BUDGET_MS = 33                  # the default kit's rear budget: 30 results/s per chip
MOUNT_HEIGHT_M = 1.0            # the default belt mount
#: the runner stands upright and still, so each cone is where its optics put it (a
#: running lean tilts every layout's beams up alike and would blur the comparison)
STILL_RUNNER = {"speed_mps": 0.0, "bounce_m": 0.0, "pitch_deg": 0.0, "pitch_swing_deg": 0.0}
SECOND_CHIP_USD = 15.0          # a second VL53L1X breakout (Pololu/SparkFun/Adafruit class)
#: the targets: a post (as a sign or bollard) and a person, both as boxes on the ground
POST = {"width_m": 0.3, "depth_m": 0.1, "height_m": 1.2}
PERSON = {"width_m": 0.5, "depth_m": 0.3, "height_m": 1.7}
RANGE_READINGS = 12             # readings per distance when searching the range
RANGE_VALID_SHARE = 0.9         # "in range": at least this share of readings valid
RANGE_STEP_M = 0.02             # the range search stops when the bracket is this narrow
LATERAL_STEP_M = 0.05           # lateral sweep resolution
LATERAL_SPAN_M = 1.5            # swept from -span to +span (+ = left, +y)
LATERAL_AT_M = (1.5, 2.0, 3.0)  # distances behind the runner for the lateral sweep
SIDE_PEOPLE_M = (0.5, 0.8)      # people walking 0.5-0.8 m beside the path


@dataclass(frozen=True)
class Zone:
    """One direction the layout can tell apart: a chip yawed ``yaw_deg`` (+ = left)
    ranging with ``roi`` = (width, height, centre SPAD)."""

    name: str
    yaw_deg: float
    roi: tuple[int, int, int]

    @property
    def optics(self) -> RoiOptics:
        width, height, centre = self.roi
        return roi_optics(((height - 1) << 4) | (width - 1), centre)

    @property
    def axis_deg(self) -> float:
        return self.yaw_deg + self.optics.yaw_offset_deg


@dataclass(frozen=True)
class Layout:
    """A way to get bearing: its zones, whether one chip cycles them (ROI scanning) or
    each zone has its own chip, and the extra parts it needs."""

    name: str
    zones: tuple[Zone, ...]
    one_chip: bool
    extra_usd: float


def roi_zones(width: int) -> tuple[Zone, ...]:
    """Left, centre and right ROI zones ``width`` x 16 SPADs on one level chip: the side
    zones at the array's edges (column numbers through the lens: high columns look left)."""
    row = 8
    left = encode_row_col(row, 16 - width + width // 2)
    right = encode_row_col(row, width // 2)
    return (Zone("left", 0.0, (width, 16, left)),
            Zone("centre", 0.0, (width, 16, DEFAULT_ROI_CENTRE_SPAD)),
            Zone("right", 0.0, (width, 16, right)))


def layouts() -> tuple[Layout, ...]:
    full = DEFAULT_ROI
    out = [Layout("1 VL53L1X, whole array (today)", (Zone("all", 0.0, full),), True, 0.0)]
    for width in (8, 6):
        out.append(Layout(f"1 VL53L1X, ROI {width}x16 L/C/R", roi_zones(width), True, 0.0))
    for yaw in (10.0, 15.0):
        out.append(Layout(f"2 VL53L1X yawed +-{yaw:g} deg",
                          (Zone("left", yaw, full), Zone("right", -yaw, full)), False,
                          SECOND_CHIP_USD))
    return tuple(out)


# --- the simulated world -------------------------------------------------------------
def _view(zone: Zone, target: dict | None, x_m: float, y_m: float, sunlight: float):
    obstacles = [] if target is None else [dict(target, id="target", x_m=x_m, y_m=y_m)]
    sc = parse_scenario({
        "name": "bearing", "duration_s": 60.0, "mode": "belt", "runner": STILL_RUNNER,
        "sensors": [{"id": "rear", "kind": "vl53l1x", "role": "obstacle",
                     "mount_height_m": MOUNT_HEIGHT_M, "pitch_deg": 0.0,
                     "yaw_deg": zone.yaw_deg, "distance_mode": "long",
                     "timing_budget_ms": BUDGET_MS}],
        "obstacles": obstacles, "ambient": {"sunlight": sunlight}})
    return World(sc).view("rear")


def _rig(view, seed: int = 0):
    clock = SimClock()
    bus = SimBus(clock)
    bus.attach(VL53L1XDevice(view, seed=seed))
    sensor = VL53L1X(bus, clock=clock, distance_mode="long", timing_budget_ms=BUDGET_MS)
    sensor.start()
    return clock, sensor


def _next_reading(clock, sensor, poll_s: float = 0.001):
    while True:
        reading = sensor.read()
        if reading is not None:
            return reading
        clock.advance(poll_s)


def _valid_share(zone: Zone, target: dict, distance_m: float, sunlight: float) -> float:
    """Share of readings of ``target`` ``distance_m`` along the zone's axis that are valid
    and within 0.15 m of it (our driver on the emulator)."""
    axis = math.radians(zone.axis_deg)
    y_m = distance_m * math.sin(axis)
    view = _view(zone, target, distance_m * math.cos(axis), y_m, sunlight)
    clock, sensor = _rig(view, seed=round(distance_m * 1000))
    sensor.set_roi(*zone.roi)
    good = 0
    for _ in range(RANGE_READINGS):
        r = _next_reading(clock, sensor)
        if r.status is RangeStatus.VALID and abs(r.distance_m - distance_m) < 0.15:
            good += 1
    return good / RANGE_READINGS


def max_range_m(zone: Zone, target: dict, sunlight: float) -> float:
    """Longest distance along the zone's axis at which ``target`` reads valid in at
    least ``RANGE_VALID_SHARE`` of the readings (bisection)."""
    lo, hi = 0.1, 4.5
    if _valid_share(zone, target, lo, sunlight) < RANGE_VALID_SHARE:
        return 0.0
    while hi - lo > RANGE_STEP_M:
        mid = (lo + hi) / 2.0
        if _valid_share(zone, target, mid, sunlight) >= RANGE_VALID_SHARE:
            lo = mid
        else:
            hi = mid
    return lo


def zone_rate_hz(layout: Layout, duration_s: float = 3.0) -> float:
    """Results per second per zone: one chip cycling the zones with ``set_roi`` (our
    driver on the emulator), or each zone's own chip ranging continuously."""
    zones = layout.zones if layout.one_chip else layout.zones[:1]
    clock, sensor = _rig(_view(zones[0], None, 0.0, 0.0, 0.0))
    start_s, count = clock.now_s(), 0
    while clock.now_s() - start_s < duration_s:
        for zone in zones:
            if len(zones) > 1 or sensor.roi != zone.roi:
                sensor.set_roi(*zone.roi)
            _next_reading(clock, sensor)
            count += 1
    return count / len(zones) / (clock.now_s() - start_s)


def sees(zone: Zone, target: dict, x_m: float, y_m: float, sunlight: float = 0.0) -> bool:
    """Whether the zone's cone meets ``target`` centred ``y_m`` beside the path at
    ``x_m``, within the zone's range limit (geometry, no noise)."""
    view = _view(zone, target, x_m, y_m, sunlight)
    optics = zone.optics
    view.aim_roi(None if optics.is_full_array else optics.aim)
    distance_m, label = view.hit(0.0)
    limit_m = roi_max_range_m(optics.spad_share, sunlight=sunlight, timing_budget_ms=BUDGET_MS)
    return label == "target" and distance_m <= limit_m


def lateral_cover(layout: Layout, target: dict, x_m: float) -> dict[str, list[float]]:
    """For each zone, the lateral offsets (m, + left) at which it sees ``target`` at
    ``x_m`` ahead (swept every ``LATERAL_STEP_M``)."""
    n = round(LATERAL_SPAN_M / LATERAL_STEP_M)
    offsets = [k * LATERAL_STEP_M for k in range(-n, n + 1)]
    return {z.name: [y for y in offsets if sees(z, target, x_m, y)] for z in layout.zones}


# --- the report ----------------------------------------------------------------------
def _span(ys: list[float]) -> str:
    return f"{min(ys):+.2f}..{max(ys):+.2f}" if ys else "not seen"


def _bearing_line(cover: dict[str, list[float]]) -> str:
    """Where a target reads as "left" only (seen by a left zone and no centre/right one)."""
    left = set(cover.get("left", ()))
    others = set()
    for name, ys in cover.items():
        if name != "left":
            others |= set(ys)
    only = sorted(y for y in left - others if y > 0)
    if not only:
        return "never"
    return f"{only[0]:+.2f}..{only[-1]:+.2f}"


def _people_line(cover: dict[str, list[float]]) -> str:
    lo, hi = SIDE_PEOPLE_M
    names = sorted({name for name, ys in cover.items() for y in ys if lo - 1e-9 <= y <= hi + 1e-9})
    return ", ".join(names) if names else "none"


def report() -> str:
    lines = [f"Belt mount {MOUNT_HEIGHT_M:g} m, level, runner upright and still, long mode, "
             f"{BUDGET_MS} ms budget; "
             f"range = longest distance with >= {RANGE_VALID_SHARE:.0%} valid readings "
             f"(our driver on the emulator); dark = sunlight 0, sun = 1.", "",
             "| layout | zone | cone w x h (deg) | axis (deg, + left) | results/s per zone "
             "| post range dark / sun (m) | person range dark / sun (m) | extra BOM |",
             "|---|---|---|---|---|---|---|---|"]
    for layout in layouts():
        rate = zone_rate_hz(layout)
        for i, zone in enumerate(layout.zones):
            o = zone.optics
            post = [max_range_m(zone, POST, s) for s in (0.0, 1.0)]
            person = [max_range_m(zone, PERSON, s) for s in (0.0, 1.0)]
            w, h, c = zone.roi
            lines.append(
                f"| {layout.name if i == 0 else ''} | {zone.name} ({w}x{h} @ {c}) "
                f"| {o.width_deg:g} x {o.height_deg:g} | {zone.axis_deg:+g} | {rate:.1f} "
                f"| {post[0]:.2f} / {post[1]:.2f} | {person[0]:.2f} / {person[1]:.2f} "
                f"| {'$%.0f' % layout.extra_usd if i == 0 else ''} |")
    lines += ["", f"Lateral cover, dark: offsets (m, + left) of the {POST['width_m']:g} m "
              f"post's centre at which each zone sees it, swept every {LATERAL_STEP_M:g} m; "
              "left-only: seen by the left zone and no other; last column: the zones that "
              f"see a {PERSON['width_m']:g} m person {SIDE_PEOPLE_M[0]:g}-"
              f"{SIDE_PEOPLE_M[1]:g} m left of the path.", "",
              "| layout | at (m) | zones seeing the post (offsets) | post reads left-only "
              "| person 0.5-0.8 m left seen by |",
              "|---|---|---|---|---|"]
    for layout in layouts():
        for x_m in LATERAL_AT_M:
            cover = lateral_cover(layout, POST, x_m)
            people = lateral_cover(layout, PERSON, x_m)
            zones = "; ".join(f"{name} {_span(ys)}" for name, ys in cover.items())
            lines.append(f"| {layout.name} | {x_m:g} | {zones} | {_bearing_line(cover)} "
                         f"| {_people_line(people)} |")
    return "\n".join(lines)


#: the shipped scenarios the yaw of the bearing kit's pair is judged on (docs/bearing.md)
YAW_SCENARIOS = ("post-left-of-centre", "post-right-of-centre", "people-passing-beside",
                 "crowd-beside-path", "person-crossing-behind", "pedestrian-crossing",
                 "passing-objects", "walker-overtaken-beside-path", "wall-approach",
                 "park-bench")
#: random runs judged too: those of these seeds with people beside the path or crossing
YAW_SEEDS = range(60)
PAIR_IDS = ("rear-left", "rear-right")


def _with_yaw(data: dict, yaw_deg: float) -> dict:
    """A scenario table with the bearing kit's two level chips turned +-``yaw_deg``, the
    belt swaying as in running (``RUNNING_YAW_SWAY_DEG``)."""
    import copy

    from pi_app.config.sensors import BEARING_SENSORS
    from pi_app.sim.scenario import sensor_tables

    out = copy.deepcopy(data)
    if out.get("sensors") is None:
        out["sensors"] = sensor_tables(BEARING_SENSORS)
    from pi_app.sim.gait import RUNNING_YAW_SWAY_DEG

    out["runner"] = {**out.get("runner", {}), "yaw_sway_deg": RUNNING_YAW_SWAY_DEG}
    for s in out["sensors"]:
        if s["id"] in PAIR_IDS:
            s["yaw_deg"] = yaw_deg if s["id"] == PAIR_IDS[0] else -yaw_deg
    return out


def yaw_row(yaw_deg: float) -> str:
    """One row of the yaw table: false alarms and outcomes on ``YAW_SCENARIOS`` and on
    the random runs of ``YAW_SEEDS`` with people beside or crossing, the pair at
    +-``yaw_deg``."""
    from pi_app.sim.randomize import random_scenario_data
    from pi_app.sim.rig import run_scenario
    from pi_app.sim.scenario import parse_scenario, read_scenario

    shipped_fa, notes = 0, []
    for name in YAW_SCENARIOS:
        data, source = read_scenario(name)
        r = run_scenario(parse_scenario(_with_yaw(data, yaw_deg), source), sides=True)
        shipped_fa += r["false_alarms"]
        for h in r["hazards"]:
            wrong = " WRONG SIDE" if h.get("wrong_side") else ""
            lead = "-" if h["lead_s"] is None else f"{h['lead_s']:.2f}"
            notes.append(f"{name}: {h['outcome']} {lead}{wrong}")
    runs = fa = wrong = 0
    outcomes = {"hit": 0, "late": 0, "missed": 0}
    for seed in YAW_SEEDS:
        data = random_scenario_data(seed)
        if not any(thing in o["id"] for o in data["obstacles"]
                   for thing in ("person-beside", "crossing")):
            continue
        runs += 1
        r = run_scenario(parse_scenario(_with_yaw(data, yaw_deg), data["name"]), sides=True)
        fa += r["false_alarms"]
        for h in r["hazards"]:
            wrong += bool(h.get("wrong_side"))
            if h["outcome"] in outcomes:
                outcomes[h["outcome"]] += 1
    return (f"| {yaw_deg:g} | +-{13.5 - yaw_deg:g} | {shipped_fa} | {fa} ({runs} runs) | "
            f"{outcomes['hit']} / {outcomes['late']} / {outcomes['missed']} | {wrong} | "
            f"{'; '.join(notes)} |")


def yaw_report(yaws: list[float]) -> str:
    lines = ["| yaw (deg) | overlap wedge (deg) | false alarms, shipped | false alarms, random "
             "| random hit / late / missed | random wrong side | shipped hazards |",
             "|---|---|---|---|---|---|---|"]
    lines += [yaw_row(y) for y in yaws]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pi_app.sim.bearing",
        description="Measure ROI zones vs two yawed VL53L1X for bearing; print Markdown.")
    parser.add_argument("--yaw", metavar="DEG,DEG,...",
                        help="instead: the bearing kit's pair at each yaw, on the bearing "
                        "scenarios and random runs (a few minutes per yaw)")
    args = parser.parse_args(argv)
    if args.yaw:
        print(yaw_report([float(y) for y in args.yaw.split(",")]))
    else:
        print(report())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
