"""Random belt scenarios (docs/scenarios.md), from a seed and a kit (``backsight sim --random``).

The shipped scenarios are each built to show one thing; the device is also judged on
runs nobody wrote down. These are drawn from a backward runner's world: people and
dogs on and beside the path, holes, roots, kerbs and grades, starts, stops and pace
changes, sun and loose wires at the worst moment (the ranges: ``random_scenario_data``).
The world is drawn from the seed first and the kit (which sensors, how mounted) after
it, so every kit meets the same runs. The evaluator decides what each run's hazards
are; nothing here is tuned to the detectors.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

SPEEDS_MPS = (1.5, 2.2, 2.5, 3.15, 3.5, 4.5)
#: how the runner moves; repeated entries are drawn more often
RUN_PLANS = ("steady", "steady", "steady", "steady", "standstill_gentle", "standstill_hard",
             "speed_change", "speed_change", "stop_short_of_wall", "jog_in_place")
#: what stands or moves along the path; repeated entries are drawn more often
THINGS = ("on_path", "on_path", "beside", "person_beside", "person_beside", "oncoming",
          "caught_up", "crossing", "dog_crossing", "dog_approaching", "hole", "root",
          "kerbs", "angled_fence", "wall_along_bend", "stairs")
#: what may come toward a runner jogging in place (nothing else ever meets them)
MOVING_THINGS = ("person_beside", "oncoming", "dog_approaching")
SUNLIGHT = (0.0, 0.0, 0.0, 0.3, 0.7, 1.0)
#: the sensor kits a random run can wear (``--kit``); every kit has a "rear" (level:
#: on bearing-pair the alias of both level chips, docs/scenarios.md) and a "ground"
#: (pitched down) sensor, so faults name them whatever the kit
KITS = ("default", "tfluna-rear", "mb1242-rear", "two-vl53l1x", "mount-0.8", "mount-1.0",
        "mount-1.2", "bearing-pair")
#: chips whose receiver low sun saturates (ultrasound does not care: docs/scenarios.md)
OPTICAL_KINDS = ("vl53l1x", "tfluna")
FIRST_X_M = 12.0
#: the runner passes the last thing by this much less than the next slot's spacing
END_SHORT_M = 4.0
CROSSING_SPEED_MPS = 1.2
CROSSING_BEHIND_M = 12.0
#: half the crossings happen nearer: on the line when the runner is 4-8 m from it (a
#: walker clears the corridor long before the runner arrives: no contact)
NEAR_CROSSING_SHARE = 0.5
NEAR_CROSSING_M = (4.0, 8.0)
#: a person beside the path is one of a crowd of 2-4 this often
CROWD_SHARE = 0.4
CROWD_MAX = 4
#: crowds and near crossings draw from their own stream: ``Random(seed * this + 1)``
EXTRA_SEED_MULTIPLIER = 1_000_003
#: the heels are about this far in front of a belt sensor (hardware/mounting.md: a spot
#: 1.4-1.7 m behind the sensor is 1.2-1.6 m behind the heels)
HEELS_FROM_SENSOR_M = 0.2
#: a person's or dog's start this far behind the runner at least (clear of the body)
MIN_START_M = 3.0
#: the 1-3 kerbs of one slot are told apart by a letter ("kerb-up-2b")
KERB_LETTERS = "abc"
#: a grade's whole rise or fall stays within the format's 2 m (docs/scenarios.md)
MAX_GRADE_RISE_M = 1.9
#: the format's limit across the path (docs/scenarios.md, [[obstacles]] y_m)
MAX_ABS_Y_M = 100.0


class RunnerPath:
    """Where a runner on a piecewise-linear ``speed_profile`` is, and when."""

    def __init__(self, profile: list[list[float]]) -> None:
        self.profile = [(float(t), float(v)) for t, v in profile]

    def _segments(self):
        """``(t0, v0, accel, t1)`` pieces, the last one open-ended at constant speed."""
        pts = self.profile
        t_prev, v_prev = 0.0, pts[0][1]
        for t, v in pts:
            if t > t_prev:
                yield t_prev, v_prev, (v - v_prev) / (t - t_prev), t
            t_prev, v_prev = t, v
        yield t_prev, v_prev, 0.0, math.inf

    def speed_mps(self, t_s: float) -> float:
        for t0, v0, a, t1 in self._segments():
            if t_s < t1:
                return v0 + a * (max(t_s, t0) - t0)
        return self.profile[-1][1]

    def min_speed_after_mps(self, t_s: float) -> float:
        """The slowest the runner goes from ``t_s`` on (piecewise linear: at a point)."""
        return min([self.speed_mps(t_s)] + [v for t, v in self.profile if t > t_s])

    def time_at(self, x_m: float) -> float | None:
        """When the runner first reaches ``x_m`` > 0 (None: never)."""
        x = 0.0
        for t0, v0, a, t1 in self._segments():
            if t1 == math.inf:
                return t0 + (x_m - x) / v0 if v0 > 0.0 else None
            dt = t1 - t0
            step = v0 * dt + 0.5 * a * dt * dt
            if step > 0.0 and x + step >= x_m:
                need = x_m - x
                if abs(a) < 1e-12:
                    return t0 + need / v0
                return t0 + (-v0 + math.sqrt(max(0.0, v0 * v0 + 2.0 * a * need))) / a
            x += step
        return None


def random_scenario_data(seed: int, kit: str = "default") -> dict:
    """The scenario table (as read from TOML) drawn from ``seed``, worn with ``kit``.

    The runner: 160-190 steps/min, 4-8 cm of bounce, a few degrees of lean and swing,
    hands in the beam in 30 % of runs, and one plan: a steady 1.5-4.5 m/s (40 %); from
    standstill (0.2-2 s still) to that pace at a gentle 0.5-1 or a hard 2-2.5 m/s2 (10 %
    each); a change of pace 2-8 s in, at 0.5-2 m/s2 (20 %); slowing at 0.5-1.5 m/s2 to a
    stop 1-4 m short of a wall (never reached: not a contact) (10 %); or jogging in place
    (10 %), 1.5-4 m in front of a building or in the open with 1-2 people or dogs
    coming. Along the path 1-4 things, 12-20 m apart, each one of (``THINGS``: an
    obstacle on the path and a person beside it come twice as often as the others):

    - an obstacle on the path (a post to a van's width, 0.6-1.8 m tall);
    - an obstacle beside the path, its near edge 0.9-2.5 m off the line;
    - a person beside the path, near edge 0.4-1.5 m off the line: standing, walking
      (1-1.6 m/s) or jogging (2-3.5 m/s) toward the runner, or walking the same way
      (0.8-1.5 m/s), level with the runner when the runner reaches the slot;
    - a person on the path coming toward the runner (walking 1-1.6, jogging 2-3.5 m/s);
    - a person on the path going the same way at 30-70 % of the runner's mean pace
      (or of the slowest they go afterwards: 0 before a stop), caught up at the slot;
    - a person crossing the path 12+ m behind the runner (gone long before);
    - a dog (0.3-0.6 m tall, 0.2-0.8 m long, 0.15-0.3 m wide) crossing the path at
      1.5-5 m/s, on the line within 0.3 s of the runner reaching it, or running toward
      the runner along the path at 1-4 m/s;
    - a hole (0.2-0.5 m long, 6-15 cm deep) or a root (8-15 cm long, 5-10 cm high);
    - 1-3 kerbs, each up or down (8-18 cm) in any order, 2-10 m apart;
    - a fence 3-8 m long across the path at 30-60 deg to it, either way (one turned box);
    - a wall along a bend: 8-12 m beside the path, starting 1.5-3 m off the line and
      closing on it at 5-15 deg, then turning across it at 25-45 deg (two turned boxes,
      one hazard: ``group``);
    - a staircase of 3-5 steps up or down, 10-18 cm each, treads 0.3-1.0 m (one hazard).

    In 35 % of runs 1-2 grades of 1-8 %, up or down, 10-40 m long (at most 1.9 m of
    rise or fall), lie anywhere along the path, the second 0-20 m after the first (a
    crest or a dip where they meet; things stand on them). Daylight from none to
    strong sun (``SUNLIGHT``; the format's sunlight is constant over a run).
    In 15 % of runs low sun blinds the level sensor (and in half of those the ground
    one) for 0.3-1.5 s, 0.5-3 s before the runner meets a thing (ultrasound is not
    blinded); in 20 % the wiring fails 0.5-4 s before such a moment: I2C errors
    (5-50 % of one chip's transactions for 0.5-3 s), 2-6 bursts of 0.2-0.6 s of a stuck
    bus, or a chip unplugged for 0.3-2 s (or until a replug 0.5-3 s later).

    The kits (``KITS``), drawn after all that: ``default`` (level VL53L1X, TF-Luna
    25, 30 or 35 deg down, both 1.0 m up); ``tfluna-rear`` and ``mb1242-rear`` (that
    chip as the level sensor, the same ground sensor); ``two-vl53l1x`` (the second
    VL53L1X 45 deg down in short mode, 100 ms: docs/config.md); ``mount-0.8/1.0/1.2``
    (the default chips at that height, the TF-Luna aimed 1-2.5 m behind the heels);
    ``bearing-pair`` (two level VL53L1X yawed apart, which tell an obstacle's side:
    docs/bearing.md).

    Whether each thing is a hazard is the evaluator's call (docs/scenarios.md,
    *Scoring*), not this generator's.
    """
    if kit not in KITS:
        raise ValueError(f"unknown kit {kit!r}: one of {', '.join(KITS)}")
    r = random.Random(seed)
    world = _WorldDraw(r, random.Random(seed * EXTRA_SEED_MULTIPLIER + 1)).draw()
    sensors = KIT_SENSORS[kit](r)         # drawn after the world: the same world per kit
    faults = world.pop("faults") + _glare_faults(world.pop("glare"), sensors)
    faults.sort(key=lambda f: f["t_s"])
    return {"name": random_name(seed, kit),
            "description": f"random belt run, seed {seed}, kit {kit}",
            **world, "seed": seed, "mode": "belt", "sensors": sensors, "faults": faults}


class _WorldDraw:
    """The world of one random run: runner, things, terrain, light, faults."""

    def __init__(self, r: random.Random, extra: random.Random | None = None) -> None:
        self.r = r
        # crowds and near crossings are drawn from their own stream, so that the rest
        # of every run's world is what the seed gave before they existed
        self.extra = extra if extra is not None else random.Random(0)
        self.obstacles: list[dict] = []
        self.ground: list[dict] = []
        self.meetings_s: list[float] = []    # when the runner meets each thing
        self.reach_m = FIRST_X_M             # how far along the path the run goes
        self.path = RunnerPath([[0.0, 0.0]])  # the runner's, once drawn

    def draw(self) -> dict:
        r = self.r
        runner = {"bounce_m": round(r.uniform(0.04, 0.08), 3),
                  "cadence_spm": round(r.uniform(160, 190), 1),
                  "pitch_deg": round(r.uniform(3, 8), 1),
                  "pitch_swing_deg": round(r.uniform(2, 4), 1),
                  "arm_occlusion": r.random() < 0.3}
        plan = r.choice(RUN_PLANS)
        speed = r.choice(SPEEDS_MPS)
        if plan == "jog_in_place":
            runner["speed_mps"] = 0.0
            duration_s = self._jog_in_place()
        else:
            duration_s, profile = self._moving(plan, speed)
            runner["speed_profile"] = profile
        self._terrain()
        sunlight = r.choice(SUNLIGHT)
        glare = self._glare()
        faults = self._wiring_faults()
        return {"duration_s": round(duration_s, 1), "runner": runner,
                "obstacles": self.obstacles, "ground": self.ground,
                "ambient": {"sunlight": sunlight}, "glare": glare, "faults": faults}

    # --- the runner's plan -------------------------------------------------------------
    def _moving(self, plan: str, speed: float) -> tuple[float, list[list[float]]]:
        r = self.r
        slots = []
        x = FIRST_X_M
        for _ in range(r.randint(1, 4)):
            slots.append(x)
            x += r.uniform(12.0, 20.0)
        kinds = [r.choice(THINGS) for _ in slots]
        if plan == "standstill_gentle" or plan == "standstill_hard":
            accel = r.uniform(0.5, 1.0) if plan == "standstill_gentle" else r.uniform(2.0, 2.5)
            still_s = round(r.uniform(0.2, 2.0), 2)
            profile = [[0.0, 0.0], [still_s, 0.0], [round(still_s + speed / accel, 3), speed]]
        elif plan == "speed_change":
            other = r.choice([v for v in SPEEDS_MPS if v != speed])
            at_s = round(r.uniform(2.0, 8.0), 2)
            accel = r.uniform(0.5, 2.0)
            profile = [[0.0, speed], [at_s, speed],
                       [round(at_s + abs(other - speed) / accel, 3), other]]
        elif plan == "stop_short_of_wall":
            accel = r.uniform(0.5, 1.5)
            gap_m = r.uniform(1.0, 4.0)
            brake_m = speed * speed / (2.0 * accel)
            stop_m = max(x - END_SHORT_M, brake_m + 1.0)
            brake_at_s = round((stop_m - brake_m) / speed, 3)
            stop_s = round(brake_at_s + speed / accel, 3)
            profile = [[0.0, speed], [brake_at_s, speed], [stop_s, 0.0]]
            self.obstacles.append({"id": "wall-stop", "x_m": stop_m + gap_m, "y_m": 0.0,
                                   "width_m": 8.0, "height_m": 2.5, "depth_m": 0.3})
        else:
            profile = [[0.0, speed]]
        path = RunnerPath(profile)
        self.path = path
        self.reach_m = x
        for i, (slot, kind) in enumerate(zip(slots, kinds)):
            t = path.time_at(slot)
            if t is None:            # the runner stopped short of it: no meeting
                continue
            self._thing(kind, i, slot, t, slot / t if t > 0 else speed)
        if plan == "stop_short_of_wall":
            duration_s = stop_s + r.uniform(3.0, 6.0)
        else:
            duration_s = path.time_at(x - END_SHORT_M)
        if self.meetings_s:
            duration_s = max(duration_s, max(self.meetings_s) + 1.0)
        return duration_s, profile

    def _jog_in_place(self) -> float:
        r = self.r
        if r.random() < 0.5:
            self.obstacles.append({"id": "building-0", "x_m": r.uniform(1.5, 4.0), "y_m": 0.0,
                                   "width_m": 30.0, "height_m": 8.0, "depth_m": 10.0})
            return r.uniform(10.0, 20.0)
        t = 1.0
        for i in range(r.randint(1, 2)):
            t += r.uniform(5.0, 9.0)
            self._thing(r.choice(MOVING_THINGS), i, 0.0, t, 0.0)
        return t + 3.0

    # --- things along the path ------------------------------------------------------------
    def _thing(self, kind: str, i: int, x: float, t: float, pace_mps: float) -> None:
        """Thing ``kind`` that the runner (mean pace ``pace_mps`` so far) meets at ``x`` at
        ``t``."""
        self.meetings_s.append(t)
        THING_DRAWERS[kind](self, i, x, t, pace_mps)

    def _on_path(self, i: int, x: float, t: float, pace: float) -> None:
        r = self.r
        self.obstacles.append({"id": f"obstacle-{i}", "x_m": x, "y_m": r.uniform(-0.2, 0.2),
                               "width_m": r.uniform(0.3, 1.2), "height_m": r.uniform(0.6, 1.8),
                               "depth_m": r.uniform(0.1, 0.6)})

    def _beside(self, i: int, x: float, t: float, pace: float) -> None:
        r = self.r
        width = r.uniform(0.1, 1.0)
        y = (r.uniform(0.9, 2.5) + width / 2) * r.choice((-1, 1))
        self.obstacles.append({"id": f"beside-{i}", "x_m": x, "y_m": y, "width_m": width,
                               "height_m": r.uniform(0.5, 1.8), "depth_m": r.uniform(0.1, 2.0)})

    def _walking_or_jogging_mps(self) -> float:
        r = self.r
        return r.uniform(1.0, 1.6) if r.random() < 0.6 else r.uniform(2.0, 3.5)

    def _person_beside(self, i: int, x: float, t: float, pace: float) -> None:
        r = self.r
        width = r.uniform(0.45, 0.6)
        y = (r.uniform(0.4, 1.5) + width / 2) * r.choice((-1, 1))
        motion = r.choice(("toward", "toward", "same_way", "standing"))
        if motion == "toward":
            speed = self._walking_or_jogging_mps()
        elif motion == "same_way":
            speed = -r.uniform(0.8, 1.5)
        else:
            speed = 0.0
        x0 = max(x + speed * t, MIN_START_M)
        self.obstacles.append({"id": f"person-beside-{i}", "x_m": x0, "y_m": y,
                               "width_m": width, "height_m": r.uniform(1.5, 1.9),
                               "depth_m": 0.3, "speed_mps": speed})
        e = self.extra
        if e.random() < CROWD_SHARE:
            # a crowd: 1-3 more people beside the path (either side), the same pace
            for k in range(e.randint(1, CROWD_MAX - 1)):
                w = e.uniform(0.45, 0.6)
                yk = (e.uniform(0.4, 1.5) + w / 2) * e.choice((-1, 1))
                self.obstacles.append({"id": f"person-beside-{i}{KERB_LETTERS[k]}",
                                       "x_m": max(x0 + e.uniform(-1.5, 1.5), MIN_START_M),
                                       "y_m": yk, "width_m": w,
                                       "height_m": e.uniform(1.5, 1.9), "depth_m": 0.3,
                                       "speed_mps": speed})

    def _oncoming(self, i: int, x: float, t: float, pace: float) -> None:
        r = self.r
        speed = self._walking_or_jogging_mps()
        self.obstacles.append({"id": f"oncoming-{i}", "x_m": x + speed * t,
                               "y_m": r.uniform(-0.15, 0.15), "width_m": r.uniform(0.45, 0.6),
                               "height_m": r.uniform(1.5, 1.9), "depth_m": 0.3,
                               "speed_mps": speed})

    def _caught_up(self, i: int, x: float, t: float, pace: float) -> None:
        # never faster than the runner after the meeting: a box passes through the runner,
        # and one that came back through them from the front would be a ghost no one meets
        r = self.r
        speed = min(pace, self.path.min_speed_after_mps(t)) * r.uniform(0.3, 0.7)
        self.obstacles.append({"id": f"caught-up-{i}", "x_m": max(x - speed * t, MIN_START_M),
                               "y_m": r.uniform(-0.15, 0.15), "width_m": r.uniform(0.45, 0.6),
                               "height_m": r.uniform(1.5, 1.9), "depth_m": 0.3,
                               "speed_mps": -speed})

    def _crossing(self, i: int, x: float, t: float, pace: float) -> None:
        behind_m = CROSSING_BEHIND_M
        if self.extra.random() < NEAR_CROSSING_SHARE:
            behind_m = self.extra.uniform(*NEAR_CROSSING_M)   # crossing just out of reach
        t_cross_s = max(0.5, (x - behind_m) / max(pace, 0.1))   # on the line then
        self.obstacles.append({"id": f"crossing-{i}", "x_m": x,
                               "y_m": CROSSING_SPEED_MPS * t_cross_s, "width_m": 0.5,
                               "height_m": 1.7, "depth_m": 0.3, "vy_mps": -CROSSING_SPEED_MPS})

    def _dog_crossing(self, i: int, x: float, t: float, pace: float) -> None:
        r = self.r
        on_line_s = max(0.2, t + r.uniform(-0.3, 0.3))
        speed = min(r.uniform(1.5, 5.0), 0.9 * MAX_ABS_Y_M / on_line_s)
        side = r.choice((-1, 1))
        self.obstacles.append({"id": f"dog-crossing-{i}", "x_m": x, "y_m": side * speed * on_line_s,
                               "width_m": r.uniform(0.2, 0.8), "height_m": r.uniform(0.3, 0.6),
                               "depth_m": r.uniform(0.15, 0.3), "vy_mps": -side * speed})

    def _dog_approaching(self, i: int, x: float, t: float, pace: float) -> None:
        r = self.r
        speed = r.uniform(1.0, 4.0)
        self.obstacles.append({"id": f"dog-approaching-{i}", "x_m": x + speed * t,
                               "y_m": r.uniform(-0.2, 0.2), "width_m": r.uniform(0.15, 0.3),
                               "height_m": r.uniform(0.3, 0.6), "depth_m": r.uniform(0.2, 0.8),
                               "speed_mps": speed})

    def _hole(self, i: int, x: float, t: float, pace: float) -> None:
        r = self.r
        self.ground.append({"id": f"hole-{i}", "kind": "hole", "x_m": x,
                            "length_m": r.uniform(0.2, 0.5), "depth_m": r.uniform(0.06, 0.15)})

    def _root(self, i: int, x: float, t: float, pace: float) -> None:
        r = self.r
        self.ground.append({"id": f"root-{i}", "kind": "root", "x_m": x,
                            "length_m": r.uniform(0.08, 0.15), "depth_m": -r.uniform(0.05, 0.1)})

    def _kerbs(self, i: int, x: float, t: float, pace: float) -> None:
        r = self.r
        for k in range(r.randint(1, 3)):
            if k:
                x += r.uniform(2.0, 10.0)
            height = r.uniform(0.08, 0.18)
            up = r.random() < 0.5
            self.ground.append({"id": f"kerb-{'up' if up else 'down'}-{i}{KERB_LETTERS[k]}",
                                "kind": "kerb_up" if up else "kerb_down", "x_m": x,
                                "depth_m": -height if up else height})

    def _angled_fence(self, i: int, x: float, t: float, pace: float) -> None:
        r = self.r
        self.obstacles.append({"id": f"fence-{i}", "x_m": x, "y_m": r.uniform(-0.5, 0.5),
                               "width_m": r.uniform(3.0, 8.0), "height_m": r.uniform(0.8, 1.5),
                               "depth_m": 0.1, "yaw_deg": r.uniform(30.0, 60.0) * r.choice((-1, 1))})

    def _wall_along_bend(self, i: int, x: float, t: float, pace: float) -> None:
        # a wall's thickness is its width and its length its depth, turned toward the line
        r = self.r
        side = r.choice((-1, 1))
        off_m = r.uniform(1.5, 3.0)
        straight_m = r.uniform(8.0, 12.0)
        closing = math.radians(r.uniform(5.0, 15.0))
        straight_m = min(straight_m, (off_m - 0.8) / math.sin(closing))  # ends off the path
        end_x = x + straight_m * math.cos(closing)
        end_off_m = off_m - straight_m * math.sin(closing)
        across = math.radians(r.uniform(25.0, 45.0))
        height_m = r.uniform(1.0, 2.5)
        group = f"wall-bend-{i}"
        self.obstacles.append({"id": f"{group}a", "group": group, "x_m": x, "y_m": side * off_m,
                               "width_m": 0.3, "height_m": height_m, "depth_m": straight_m,
                               "yaw_deg": -side * math.degrees(closing)})
        self.obstacles.append({"id": f"{group}b", "group": group, "x_m": end_x,
                               "y_m": side * end_off_m, "width_m": 0.3, "height_m": height_m,
                               "depth_m": end_off_m / math.sin(across) + 2.0,
                               "yaw_deg": -side * math.degrees(across)})

    def _stairs(self, i: int, x: float, t: float, pace: float) -> None:
        r = self.r
        up = r.random() < 0.5
        rise_m = r.uniform(0.10, 0.18)
        self.ground.append({"id": f"stairs-{'up' if up else 'down'}-{i}",
                            "kind": "stairs_up" if up else "stairs_down", "x_m": x,
                            "depth_m": -rise_m if up else rise_m, "count": r.randint(3, 5),
                            "run_m": r.uniform(0.3, 1.0)})

    # --- terrain, light, wiring -------------------------------------------------------------
    def _terrain(self) -> None:
        r = self.r
        if r.random() >= 0.35:
            return
        x = r.uniform(2.0, max(self.reach_m, 20.0))
        for k in range(r.randint(1, 2)):
            grade = r.uniform(0.01, 0.08) * r.choice((-1, 1))
            length = min(r.uniform(10.0, 40.0), MAX_GRADE_RISE_M / abs(grade))
            self.ground.append({"id": f"grade-{k}", "kind": "slope", "x_m": x,
                                "length_m": length, "depth_m": -grade * length})
            x += length + r.uniform(0.0, 20.0)

    def _moment(self, before_lo_s: float, before_hi_s: float) -> float:
        """A moment 0.5-4 s before the runner meets a thing (or any time, with none)."""
        r = self.r
        if not self.meetings_s:
            return round(r.uniform(1.0, 5.0), 2)
        return round(max(0.2, r.choice(self.meetings_s) - r.uniform(before_lo_s, before_hi_s)), 2)

    def _glare(self) -> list[dict]:
        r = self.r
        if r.random() >= 0.15:
            return []
        return [{"t_s": self._moment(0.5, 3.0), "duration_s": round(r.uniform(0.3, 1.5), 2),
                 "ground_too": r.random() < 0.5}]

    def _wiring_faults(self) -> list[dict]:
        r = self.r
        if r.random() >= 0.2:
            return []
        t = self._moment(0.5, 4.0)
        kind = r.choice(("i2c_errors", "bus_stuck", "unplug", "unplug_replug"))
        if kind == "i2c_errors":
            return [{"t_s": t, "sensor": r.choice(("rear", "ground", "imu")),
                     "kind": "i2c_errors", "rate": round(r.uniform(0.05, 0.5), 3),
                     "duration_s": round(r.uniform(0.5, 3.0), 2)}]
        if kind == "bus_stuck":
            faults = []
            for _ in range(r.randint(2, 6)):
                burst_s = round(r.uniform(0.2, 0.6), 2)
                faults.append({"t_s": round(t, 2), "kind": "bus_stuck", "duration_s": burst_s})
                t += burst_s + r.uniform(0.1, 0.3)
            return faults
        sensor = r.choice(("rear", "ground", "imu"))
        if kind == "unplug":
            return [{"t_s": t, "sensor": sensor, "kind": "unplug",
                     "duration_s": round(r.uniform(0.3, 2.0), 2)}]
        return [{"t_s": t, "sensor": sensor, "kind": "unplug"},
                {"t_s": round(t + r.uniform(0.5, 3.0), 2), "sensor": sensor, "kind": "replug"}]


#: how each thing of ``THINGS`` is drawn
THING_DRAWERS: dict[str, Callable[..., None]] = {
    "on_path": _WorldDraw._on_path, "beside": _WorldDraw._beside,
    "person_beside": _WorldDraw._person_beside, "oncoming": _WorldDraw._oncoming,
    "caught_up": _WorldDraw._caught_up, "crossing": _WorldDraw._crossing,
    "dog_crossing": _WorldDraw._dog_crossing, "dog_approaching": _WorldDraw._dog_approaching,
    "hole": _WorldDraw._hole, "root": _WorldDraw._root, "kerbs": _WorldDraw._kerbs,
    "angled_fence": _WorldDraw._angled_fence, "wall_along_bend": _WorldDraw._wall_along_bend,
    "stairs": _WorldDraw._stairs}


def _glare_faults(glare: list[dict], sensors: list[dict]) -> list[dict]:
    """Low sun as ``blind`` faults on the optical sensors it reaches."""
    faults = []
    for g in glare:
        for s in sensors:
            if s["kind"] in OPTICAL_KINDS and (s["role"] == "obstacle" or g["ground_too"]):
                faults.append({"t_s": g["t_s"], "sensor": s["id"], "kind": "blind",
                               "duration_s": g["duration_s"]})
    return faults


# --- kits --------------------------------------------------------------------------------
def _level(kind: str, height_m: float = 1.0, sensor_id: str = "rear",
           yaw_deg: float = 0.0) -> dict:
    sensor = {"id": sensor_id, "kind": kind, "role": "obstacle", "mount_height_m": height_m,
              "pitch_deg": 0.0}
    if yaw_deg:
        sensor["yaw_deg"] = yaw_deg
    if kind == "vl53l1x":
        sensor.update(distance_mode="long", timing_budget_ms=33)
    return sensor


def _level_pair(height_m: float = 1.0) -> list[dict]:
    """The bearing kit's two level VL53L1X, yawed apart (pi_app/config/sensors.py)."""
    from pi_app.config.sensors import BEARING_SENSORS

    return [_level("vl53l1x", height_m, s.id, s.yaw_deg) for s in BEARING_SENSORS
            if s.role == "obstacle"]


def _tfluna_ground(r: random.Random) -> dict:
    """A TF-Luna at 1.0 m on a 25, 30 or 35 degree wedge (hardware/mounting.md)."""
    return {"id": "ground", "kind": "tfluna", "role": "surface", "mount_height_m": 1.0,
            "pitch_deg": -r.choice((25.0, 30.0, 35.0))}


def _two_vl53l1x(r: random.Random) -> list[dict]:
    """docs/config.md's second-VL53L1X kit: short mode, 100 ms, 45 degrees down."""
    return [_level("vl53l1x"),
            {"id": "ground", "kind": "vl53l1x", "role": "surface", "mount_height_m": 1.0,
             "pitch_deg": -45.0, "distance_mode": "short", "timing_budget_ms": 100}]


def _mounted_at(height_m: float) -> Callable[[random.Random], list[dict]]:
    """The default kit on a belt ``height_m`` up, the ground sensor pitched so its beam
    meets flat ground 1-2.5 m behind the heels (hardware/mounting.md: d = h / tan)."""
    def kit(r: random.Random) -> list[dict]:
        behind_heels_m = r.uniform(1.0, 2.5)
        pitch = math.degrees(math.atan2(height_m, HEELS_FROM_SENSOR_M + behind_heels_m))
        return [_level("vl53l1x", height_m),
                {"id": "ground", "kind": "tfluna", "role": "surface",
                 "mount_height_m": height_m, "pitch_deg": -round(pitch, 1)}]
    return kit


#: each kit's sensors, drawn (if at all) after the world
KIT_SENSORS: dict[str, Callable[[random.Random], list[dict]]] = {
    "default": lambda r: [_level("vl53l1x"), _tfluna_ground(r)],
    "tfluna-rear": lambda r: [_level("tfluna"), _tfluna_ground(r)],
    "mb1242-rear": lambda r: [_level("mb1242"), _tfluna_ground(r)],
    "two-vl53l1x": _two_vl53l1x,
    "mount-0.8": _mounted_at(0.8),
    "mount-1.0": _mounted_at(1.0),
    "mount-1.2": _mounted_at(1.2),
    "bearing-pair": lambda r: [*_level_pair(), _tfluna_ground(r)],
}


def random_name(seed: int, kit: str = "default") -> str:
    """The run's name in reports: ``random-<seed>``, then ``-<kit>`` unless the default."""
    return f"random-{seed}" if kit == "default" else f"random-{seed}-{kit}"


def random_scenario(seed: int, kit: str = "default"):
    """A validated ``Scenario`` drawn from ``seed`` and worn with ``kit``."""
    from pi_app.sim.scenario import parse_scenario     # the simulator, only when drawn

    data = random_scenario_data(seed, kit)
    return parse_scenario(data, data["name"])


def thing_kind(hazard_id: str) -> str:
    """The kind of thing a random run's obstacle or ground id names (``"dog-crossing-2"``
    -> ``"dog-crossing"``, ``"kerb-up-1b"`` -> ``"kerb-up"``)."""
    return hazard_id.rsplit("-", 1)[0]
