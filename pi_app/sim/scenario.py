"""Scenario files: the runner, sensors, world and faults of one simulated run (TOML).

``load_scenario("wall-approach")`` reads a shipped scenario (``pi_app/scenarios/``),
``load_scenario("my.toml")`` any file (read by ``pi_app.sim.scenario_file``);
``parse_scenario(dict, source)`` checks an already-read table into a ``Scenario``.
Every key is checked against a table of allowed keys (type, default, limits): an
unknown key, a wrong type, an impossible value or a file beyond the limits raises
``ScenarioError`` naming the file and the key, e.g.
``wall.toml: obstacles[0].width_m: must be > 0, got -1``. Every key with its unit,
range and meaning, the fault kinds and the limits: docs/scenarios.md. ``[expect]`` is
for tests (``tests/helpers/expect.py``); the device never reads it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from pi_app.exc import ScenarioError
from pi_app.sensors.chips import RANGE_KINDS, XSHUT, chip
from pi_app.sim.gait import YAW_SWAY_DEG
from pi_app.sim.scenario_file import read_scenario, shipped_scenarios  # noqa: F401
from pi_app.sim.scenario_file import shipped_dir as _shipped_dir  # noqa: F401
from pi_app.sim.scenario_types import (STAIRS_KINDS, ButtonPress, Expect, Fault,  # noqa: F401
                                       GroundFeature, Obstacle, Runner, Scenario,
                                       ScenarioSensor, Treadmill)
from pi_app.sim.schema import (REQUIRED, Key, all_of, at_least, at_most, at_most_items,
                               between, greater, nonzero, one_of, read_array, read_table, show)

MODES = ("belt", "treadmill")
SENSOR_KINDS = RANGE_KINDS
#: kinds that take distance_mode and timing_budget_ms, and the modes they may be set to
TUNABLE_KINDS = tuple(k for k in SENSOR_KINDS if chip(k).distance_modes)
DISTANCE_MODES = tuple(dict.fromkeys(m for k in TUNABLE_KINDS for m in chip(k).distance_modes))
DEFAULT_DISTANCE_MODE = "long"  # no distance_mode given: the mode that reaches farthest
SENSOR_ROLES = ("obstacle", "surface", "deck")
#: ground kinds and the sign of depth_m they need (+1 = down, -1 = up, 0 = either)
GROUND_SIGN = {"hole": 1, "drop": 1, "kerb_down": 1, "root": -1, "rise": -1, "kerb_up": -1,
               "slope": 0, "stairs_down": 1, "stairs_up": -1}
#: kinds that must say how long they are (steps may run to the end of the path)
GROUND_NEEDS_LENGTH = ("hole", "root", "slope")
FAULT_KINDS = ("unplug", "replug", "i2c_errors", "stuck", "blind", "garbage", "bus_stuck",
               "jitter", "restart")
BUS_FAULT_KINDS = ("bus_stuck", "jitter", "restart")   # the whole bus / loop: no sensor
I2C_ERRNOS = (5, 110, 121)                  # EIO, ETIMEDOUT, EREMOTEIO (no ACK)
MAX_JITTER_S = 0.5
#: a fault on this id, in a scenario whose kit has no sensor by that name, hits every
#: level obstacle chip (they share one cable to the belt's bracket; the scenario
#: contract's examples name it; on a kit with two level chips, such as
#: docs/bearing.md's pair, it is both of them)
REAR_ALIAS = "rear"
IMU_ID = "imu"          # the belt IMU the sim rig adds; faults may name it
IMU_FAULT_KINDS = ("unplug", "replug", "i2c_errors")
VL53L1X_DEFAULT_BUDGET_MS = 33
MAX_SPEED_MPS = 12.0    # beyond the backward 100 m record (7.35 m/s) with margin
MAX_DURATION_S = 86400.0  # a whole day: longer runs are soak tests, not scenarios
#: as far as the fastest runner gets in the longest run: farther is never reached
MAX_PATH_M = MAX_SPEED_MPS * MAX_DURATION_S
MAX_LATERAL_M = 100.0   # across the path: far beyond any sensor's field of view
MAX_OBSTACLE_SIZE_M = 100.0  # a building's front; larger is a typo
#: a turned box: within a quarter turn either way, which covers every orientation of a
#: box (a box turned by 120 deg is one turned by -60 deg with width and depth swapped)
MAX_OBSTACLE_YAW_DEG = 90.0
#: steps of one staircase: a long flight; each step is a level change of the ground
MAX_STAIR_STEPS = 50
#: tread length of a staircase: from a steep indoor stair (0.15 m) to stepped terraces
STAIR_RUN_M = (0.15, 10.0)
#: TOML integers are 64-bit signed; a bigger seed is not portable TOML
MAX_SEED = 2**63 - 1
#: the simulation's cost grows with each of these per loop cycle (1,000 obstacles run
#: at about real time on a laptop); far beyond any hand-written or generated scenario
MAX_OBSTACLES = 1000
MAX_GROUND = 1000
#: a fault every 10 s of a 24 h soak run (8,640); each is one event in a sorted queue
MAX_FAULTS = 10_000
MAX_BUTTON_PRESSES = 1000
#: a belt carries a few sensors; 8 keeps a second..eighth TF-Luna (0x10..0x17) and
#: MB1242 (0x70..0x77) on valid addresses clear of the others
MAX_SENSORS = 8
#: each VL53L1X (each chip of XSHUT sharing) needs its own XSHUT pin
#: (``pi_app.sim.rig.XSHUT_PINS``)
MAX_VL53L1X = 6
XSHUT_KINDS = tuple(k for k in SENSOR_KINDS if chip(k).sharing == XSHUT)


def _named(v: str) -> str | None:
    """A group's name: anything but blank."""
    return None if v.strip() else "must not be empty"


# --- the allowed keys ---------------------------------------------------------------
_TOP = {
    "name": Key(str, None), "description": Key(str, ""),
    "duration_s": Key(float, REQUIRED, between(0.0, MAX_DURATION_S, lo_open=True)),
    "seed": Key(int, 0, all_of(at_least(0), at_most(MAX_SEED))), "mode": Key(str, "belt", one_of(MODES)),
    "runner": Key(dict, {}), "sensors": Key(list, None, at_most_items(MAX_SENSORS)),
    "obstacles": Key(list, [], at_most_items(MAX_OBSTACLES)),
    "ground": Key(list, [], at_most_items(MAX_GROUND)), "treadmill": Key(dict, None),
    "ambient": Key(dict, {}), "faults": Key(list, [], at_most_items(MAX_FAULTS)),
    "expect": Key(dict, {}), "button": Key(list, [], at_most_items(MAX_BUTTON_PRESSES)),
}
_RUNNER = {
    "speed_mps": Key(float, None, between(0.0, MAX_SPEED_MPS)),
    "speed_profile": Key("profile", None, between(0.0, MAX_SPEED_MPS)),
    "bounce_m": Key(float, 0.06, between(0.0, 0.3)),
    "cadence_spm": Key(float, 170.0, between(60.0, 260.0)),
    "pitch_deg": Key(float, 5.0, between(-30.0, 70.0)),
    "pitch_swing_deg": Key(float, 3.0, between(0.0, 20.0)),
    "arm_occlusion": Key(bool, False),
    "yaw_sway_deg": Key(float, YAW_SWAY_DEG, between(0.0, 20.0)),
}
_SENSOR = {
    "id": Key(str, REQUIRED), "kind": Key(str, REQUIRED, one_of(SENSOR_KINDS)),
    "role": Key(str, REQUIRED, one_of(SENSOR_ROLES)),
    "mount_height_m": Key(float, 1.0, between(0.0, 3.0, lo_open=True)),
    "pitch_deg": Key(float, 0.0, between(-90.0, 90.0)),
    "yaw_deg": Key(float, 0.0, between(-180.0, 180.0)),
    "y_m": Key(float, 0.0, between(-1.0, 1.0)),
    "distance_mode": Key(str, None, one_of(DISTANCE_MODES)),
    "timing_budget_ms": Key(int, None, between(15, 500)),
}
_ALONG = between(-MAX_PATH_M, MAX_PATH_M)
_ACROSS = between(-MAX_LATERAL_M, MAX_LATERAL_M)
_SIZE = all_of(greater(0.0), at_most(MAX_OBSTACLE_SIZE_M))

_OBSTACLE = {
    "id": Key(str, None), "x_m": Key(float, REQUIRED, _ALONG), "y_m": Key(float, 0.0, _ACROSS),
    "width_m": Key(float, REQUIRED, _SIZE), "height_m": Key(float, REQUIRED, _SIZE),
    "depth_m": Key(float, 0.3, _SIZE),
    "speed_mps": Key(float, 0.0, between(-MAX_SPEED_MPS * 3, MAX_SPEED_MPS * 3)),
    "vy_mps": Key(float, 0.0, between(-20.0, 20.0)),
    "yaw_deg": Key(float, 0.0, between(-MAX_OBSTACLE_YAW_DEG, MAX_OBSTACLE_YAW_DEG)),
    "group": Key(str, None, _named),
}
_GROUND = {
    "id": Key(str, None), "kind": Key(str, REQUIRED, one_of(tuple(GROUND_SIGN))),
    "x_m": Key(float, REQUIRED, _ALONG),
    "length_m": Key(float, None, all_of(greater(0.0), at_most(MAX_PATH_M))),
    "depth_m": Key(float, REQUIRED, nonzero(2.0)),
    "count": Key(int, None, between(2, MAX_STAIR_STEPS)),
    "run_m": Key(float, None, between(*STAIR_RUN_M)),
    "group": Key(str, None, _named),
}
_TREADMILL = {
    "belt_speed_mps": Key(float, REQUIRED, between(0.0, MAX_SPEED_MPS, lo_open=True)),
    "deck_length_m": Key(float, REQUIRED, between(0.5, 3.0)),
    "position_profile": Key("profile", REQUIRED, between(0.0, 20.0)),
}
_AMBIENT = {"sunlight": Key(float, 0.0, between(0.0, 1.0))}
_FAULT = {
    "t_s": Key(float, REQUIRED, all_of(at_least(0.0), at_most(MAX_DURATION_S))), "sensor": Key(str, None),
    "kind": Key(str, REQUIRED, one_of(FAULT_KINDS)),
    "rate": Key(float, None, between(0.0, 1.0, lo_open=True)),
    "duration_s": Key(float, None, all_of(greater(0.0), at_most(MAX_DURATION_S))),
    "errno": Key(int, None, one_of(I2C_ERRNOS)),
    "jitter_s": Key(float, None, between(0.0, MAX_JITTER_S, lo_open=True)),
}
#: a press must outlast the button's contact-bounce filter (30 ms) plus a loop cycle
_BUTTON = {"t_s": Key(float, REQUIRED, at_least(0.0)),
           "press_s": Key(float, 0.2, between(0.05, 60.0))}
_EXPECT = {k: Key(int, None, at_least(0))
           for k in ("hazards", "contacts", "false_alarms_max", "missed_max")}


# --- parsing -------------------------------------------------------------------------
def parse_scenario(data: dict, source: str = "<dict>") -> Scenario:
    """Build a ``Scenario`` from a table as read from TOML; ``source`` names it in errors."""
    file = Path(source).name if source and not source.startswith("<") else source
    top = read_table(data, _TOP, "", file)
    mode = top["mode"]
    where = _Where(file)
    runner = _runner(read_table(top["runner"], _RUNNER, "runner.", file), mode, where)
    sensors = _sensors(top["sensors"], mode, where)
    obstacles = tuple(_obstacle(t, i) for i, t in
                      enumerate(read_array(top["obstacles"], _OBSTACLE, "obstacles", file)))
    ground = tuple(_ground(t, i, where) for i, t in
                   enumerate(read_array(top["ground"], _GROUND, "ground", file)))
    treadmill = _treadmill(top["treadmill"], mode, where)
    if mode == "treadmill":
        for key, items in (("obstacles", obstacles), ("ground", ground)):
            if items:
                where.fail(key, "only in belt mode (a treadmill scenario has the deck only)")
    ids = [s.id for s in sensors]
    rear = _rear_chips(sensors)
    fault_ids = ids + [REAR_ALIAS] if rear and REAR_ALIAS not in ids else ids
    faults = tuple(one for i, t in enumerate(read_array(top["faults"], _FAULT, "faults", file))
                   for one in _aliased(_fault(t, i, fault_ids, mode, where), rear))
    _unique([o.id for o in obstacles] + [g.id for g in ground], "obstacles/ground id", where)
    _groups(obstacles, ground, where)
    ambient = read_table(top["ambient"], _AMBIENT, "ambient.", file)
    return Scenario(
        name=top["name"] or Path(file).stem, duration_s=top["duration_s"], seed=top["seed"],
        mode=mode, runner=runner, sensors=sensors, obstacles=obstacles, ground=ground,
        treadmill=treadmill, sunlight=ambient["sunlight"],
        faults=faults, description=top["description"],
        expect=Expect(**read_table(top["expect"], _EXPECT, "expect.", file)), source=source,
        button=_button(read_array(top["button"], _BUTTON, "button", file), top["duration_s"],
                       where))


class _Where:
    """Raises errors that name the file and the key."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, message: str):
        raise ScenarioError(f"{self.file}: {key}: {message}")


def _runner(r: dict, mode: str, where: _Where) -> Runner:
    speed, profile = r["speed_mps"], r["speed_profile"]
    if mode == "treadmill":
        if speed is not None or profile is not None:
            where.fail("runner.speed_mps" if speed is not None else "runner.speed_profile",
                       "not used in treadmill mode (the speed is treadmill.belt_speed_mps)")
        profile = ((0.0, 0.0),)
    elif speed is not None and profile is not None:
        where.fail("runner.speed_profile", "give speed_mps or speed_profile, not both")
    elif speed is None and profile is None:
        where.fail("runner.speed_mps", "missing (or give runner.speed_profile)")
    elif profile is None:
        profile = ((0.0, speed),)
    return Runner(profile, r["bounce_m"], r["cadence_spm"], r["pitch_deg"],
                  r["pitch_swing_deg"], r["arm_occlusion"], r["yaw_sway_deg"])


def sensor_tables(sensors) -> list[dict]:
    """A kit's range sensors (``SensorConfig``s, e.g. ``pi_app.config.DEFAULT_SENSORS``) as
    scenario ``[[sensors]]`` tables; the IMU is left out (the rig adds its own)."""
    out = []
    for s in sensors:
        if s.role in SENSOR_ROLES:
            d = {"id": s.id, "kind": s.kind, "role": s.role, "mount_height_m": s.mount_height_m,
                 "pitch_deg": s.pitch_deg, "yaw_deg": s.yaw_deg}
            if s.kind in TUNABLE_KINDS:
                d.update(distance_mode=s.distance_mode, timing_budget_ms=s.timing_budget_ms)
            out.append(d)
    return out


def _default_sensors(mode: str) -> list[dict]:
    if mode == "treadmill":
        return [{"id": "deck", "kind": "vl53l1x", "role": "deck", "distance_mode": "long"}]
    from pi_app.config import DEFAULT_SENSORS

    return sensor_tables(DEFAULT_SENSORS)


def _sensors(raw: list | None, mode: str, where: _Where) -> tuple[ScenarioSensor, ...]:
    tables = read_array(_default_sensors(mode) if raw is None else raw, _SENSOR, "sensors",
                        where.file)
    if not tables:
        where.fail("sensors", "at least one [[sensors]] entry is needed")
    out = []
    for i, s in enumerate(tables):
        key = f"sensors[{i}]"
        if s["id"] == IMU_ID:
            where.fail(f"{key}.id", f"{IMU_ID!r} is reserved for the belt IMU")
        if (s["role"] == "deck") != (mode == "treadmill"):
            where.fail(f"{key}.role", f"{s['role']!r} does not fit mode {mode!r} "
                       "(deck sensors are for treadmill mode, obstacle/surface for belt mode)")
        if s["kind"] in TUNABLE_KINDS:
            mode_ = s["distance_mode"] or DEFAULT_DISTANCE_MODE
            budget = s["timing_budget_ms"] or VL53L1X_DEFAULT_BUDGET_MS
        else:
            for k in ("distance_mode", "timing_budget_ms"):
                if s[k] is not None:
                    where.fail(f"{key}.{k}", f"only for kind = {_kinds(TUNABLE_KINDS)}")
            mode_ = budget = None
        out.append(ScenarioSensor(s["id"], s["kind"], s["role"], s["mount_height_m"],
                                  s["pitch_deg"], s["yaw_deg"], s["y_m"], mode_, budget))
    _unique([s.id for s in out], "sensors id", where)
    n_xshut = sum(1 for s in out if s.kind in XSHUT_KINDS)
    if n_xshut > MAX_VL53L1X:
        where.fail("sensors", f"at most {MAX_VL53L1X} of kind {_kinds(XSHUT_KINDS)} (one "
                   f"XSHUT pin each), got {n_xshut}")
    return tuple(out)


def _kinds(kinds: tuple[str, ...]) -> str:
    return " or ".join(f'"{k}"' for k in kinds)


def _obstacle(o: dict, i: int) -> Obstacle:
    return Obstacle(o["id"] or f"obstacle-{i}", o["x_m"], o["y_m"], o["width_m"],
                    o["height_m"], o["depth_m"], o["speed_mps"], o["vy_mps"], o["yaw_deg"],
                    o["group"])


def _ground(g: dict, i: int, where: _Where) -> GroundFeature:
    key, kind, depth = f"ground[{i}]", g["kind"], g["depth_m"]
    sign = GROUND_SIGN[kind]
    if sign and math.copysign(1.0, depth) != sign:
        needed = "> 0 (down)" if sign > 0 else "< 0 (up)"
        where.fail(f"{key}.depth_m", f"a {kind} needs depth_m {needed}, got {depth:g}")
    if g["length_m"] is None and kind in GROUND_NEEDS_LENGTH:
        where.fail(f"{key}.length_m", f"missing (a {kind} needs a length)")
    if kind in STAIRS_KINDS:
        if g["length_m"] is not None:
            where.fail(f"{key}.length_m", f"not for a {kind} (it is count * run_m long and "
                       "the ground stays at its top or bottom)")
        for k in ("count", "run_m"):
            if g[k] is None:
                where.fail(f"{key}.{k}", f"missing (a {kind} needs count and run_m)")
        return GroundFeature(g["id"] or f"{kind}-{i}", kind, g["x_m"], None, depth,
                             g["count"], g["run_m"], g["group"])
    for k in ("count", "run_m"):
        if g[k] is not None:
            where.fail(f"{key}.{k}", f"only for kind = {_kinds(STAIRS_KINDS)}")
    return GroundFeature(g["id"] or f"{kind}-{i}", kind, g["x_m"], g["length_m"], depth,
                         group=g["group"])


def _groups(obstacles, ground, where: _Where) -> None:
    """A group names one hazard made of several pieces: it must not be another piece's
    id, a slope (not a hazard) cannot be in one, and the steps of all staircases stay
    within ``MAX_GROUND`` level changes."""
    ids = {o.id for o in obstacles} | {g.id for g in ground}
    for key, items in (("obstacles", obstacles), ("ground", ground)):
        for i, x in enumerate(items):
            if x.group is None:
                continue
            if x.group in ids:
                where.fail(f"{key}[{i}].group", f"{show(x.group)} is the id of an obstacle "
                           "or ground feature: a group needs a name of its own")
            if getattr(x, "kind", None) == "slope":
                where.fail(f"{key}[{i}].group", "a slope is not a hazard: it cannot be "
                           "part of one")
    steps = sum(g.count for g in ground)
    if steps > MAX_GROUND:
        where.fail("ground", f"at most {MAX_GROUND} level changes (a staircase counts "
                   f"each step), got {steps}")


def _treadmill(raw: dict | None, mode: str, where: _Where) -> Treadmill | None:
    if mode == "belt":
        if raw is not None:
            where.fail("treadmill", "a [treadmill] table needs mode = \"treadmill\"")
        return None
    if raw is None:
        where.fail("treadmill", "missing (mode = \"treadmill\" needs a [treadmill] table)")
    t = read_table(raw, _TREADMILL, "treadmill.", where.file)
    return Treadmill(t["belt_speed_mps"], t["deck_length_m"], t["position_profile"])


def _rear_chips(sensors) -> tuple[str, ...]:
    """The level chips a fault on ``REAR_ALIAS`` hits when no sensor has that id: every
    sensor watching obstacles (or the deck) straight back, the ones on the bracket's
    shared cable (docs/scenarios.md, "Faults")."""
    from pi_app.config.sensors import LEVEL_MAX_PITCH_DEG

    return tuple(s.id for s in sensors if s.role in ("obstacle", "deck")
                 and abs(s.pitch_deg) < LEVEL_MAX_PITCH_DEG)


def _aliased(fault: Fault, rear: tuple[str, ...]) -> tuple[Fault, ...]:
    """``fault``, or one copy per rear chip when it names ``REAR_ALIAS`` and none has it."""
    if fault.sensor != REAR_ALIAS or not rear or REAR_ALIAS in rear:
        return (fault,)
    return tuple(replace(fault, sensor=sid) for sid in rear)


def _fault(f: dict, i: int, ids: list[str], mode: str, where: _Where) -> Fault:
    key, kind = f"faults[{i}]", f["kind"]
    _fault_options(f, key, kind, where)
    if kind in BUS_FAULT_KINDS:
        if f["sensor"] is not None:
            where.fail(f"{key}.sensor", f"a {kind} fault affects the whole bus: give no sensor")
        if f["rate"] is not None:
            where.fail(f"{key}.rate", f"only for kind = \"i2c_errors\", not {kind!r}")
        if kind == "restart" and f["duration_s"] is not None:
            where.fail(f"{key}.duration_s", "a restart has no duration")
        return Fault(f["t_s"], None, kind, None, f["duration_s"], jitter_s=f["jitter_s"])
    if f["sensor"] is None:
        where.fail(f"{key}.sensor", f"missing (which sensor the {kind} fault hits)")
    imu_ok = mode == "belt" and f["sensor"] == IMU_ID and kind in IMU_FAULT_KINDS
    if f["sensor"] not in ids and not imu_ok:
        where.fail(f"{key}.sensor", f"{show(f['sensor'])} is not a sensor of this scenario "
                   f"(sensors: {', '.join(ids)}{', imu' if mode == 'belt' else ''})")
    if (f["rate"] is None) == (kind == "i2c_errors"):
        where.fail(f"{key}.rate", "needed for kind = \"i2c_errors\"" if kind == "i2c_errors"
                   else f"only for kind = \"i2c_errors\", not {kind!r}")
    if kind == "replug" and f["duration_s"] is not None:
        where.fail(f"{key}.duration_s", "a replug has no duration")
    return Fault(f["t_s"], f["sensor"], kind, f["rate"], f["duration_s"], errno=f["errno"])


def _fault_options(f: dict, key: str, kind: str, where: _Where) -> None:
    """Keys that belong to one kind only: ``errno`` (i2c_errors), ``jitter_s`` (jitter)."""
    if f["errno"] is not None and kind != "i2c_errors":
        where.fail(f"{key}.errno", f"only for kind = \"i2c_errors\", not {kind!r}")
    if (f["jitter_s"] is None) == (kind == "jitter"):
        where.fail(f"{key}.jitter_s", "needed for kind = \"jitter\"" if kind == "jitter"
                   else f"only for kind = \"jitter\", not {kind!r}")


def _button(presses: list[dict], duration_s: float, where: _Where) -> tuple[ButtonPress, ...]:
    out, free_s = [], 0.0
    for i, b in enumerate(presses):
        t_s, press_s = b["t_s"], b["press_s"]
        if t_s < free_s:
            where.fail(f"button[{i}].t_s", f"{t_s:g} s is before the previous press ends "
                       f"({free_s:g} s): presses go in time order and do not overlap")
        if t_s + press_s > duration_s:
            where.fail(f"button[{i}].press_s", f"the press ends at {t_s + press_s:g} s, "
                       f"after the run (duration_s = {duration_s:g})")
        out.append(ButtonPress(t_s, press_s))
        free_s = t_s + press_s
    return tuple(out)


def _unique(ids: list[str], what: str, where: _Where) -> None:
    seen = set()
    for x in ids:
        if x in seen:
            where.fail(what, f"{show(x)} is used twice")
        seen.add(x)


# --- files ---------------------------------------------------------------------------
def load_scenario(name_or_path) -> Scenario:
    """A shipped scenario by name (``"wall-approach"``), else a TOML file path."""
    return parse_scenario(*read_scenario(name_or_path))
