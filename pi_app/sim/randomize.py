"""Random belt scenarios (docs/scenarios.md), from a seed (``backsight sim --random``).

The shipped scenarios are each built to show one thing; a device is also judged on
runs nobody wrote down. These are drawn from a backward runner's world (a jog to
record pace, hands in the beam now and then, daylight from none to strong) with 1-4
things along the path: obstacles on and beside it, people walking toward or across
it, holes and roots (the ranges: ``random_scenario_data``). The kit is the default one
(level VL53L1X, TF-Luna 25-35 degrees down). The evaluator decides what each run's
hazards are; nothing here is tuned to the detectors.
"""

from __future__ import annotations

import random

from pi_app.sim.scenario import parse_scenario

SPEEDS_MPS = (1.5, 2.2, 2.5, 3.15, 3.5, 4.5)
THINGS = ("on_path", "beside", "beside", "hole", "root", "walker", "crossing")
SUNLIGHT = (0.0, 0.0, 0.0, 0.3, 0.7)
FIRST_X_M = 12.0
WALKER_SPEED_MPS = 1.4
CROSSING_SPEED_MPS = 1.2
CROSSING_BEHIND_M = 12.0


def random_scenario_data(seed: int) -> dict:
    """The scenario table (as read from TOML) drawn from ``seed``.

    The runner: 1.5-4.5 m/s, 160-190 steps/min, 4-8 cm of bounce, a few degrees of lean
    and swing, hands in the beam in 30 % of runs. Along the path 1-4 things, 12-20 m
    apart, each one of:

    - an obstacle on the path (a post to a van's width, 0.6-1.8 m tall): a hazard;
    - an obstacle beside the path, its near edge 0.9-2.5 m off the line: not a hazard;
    - a person walking toward the runner on the path (1.4 m/s): a hazard;
    - a person crossing the path 12+ m behind the runner (gone long before): not a
      hazard;
    - a hole (0.2-0.5 m long, 6-15 cm deep) or a root (8-15 cm long, 5-10 cm high)
      across the path: a hazard.
    """
    r = random.Random(seed)
    speed = r.choice(SPEEDS_MPS)
    runner = {"speed_mps": speed, "bounce_m": round(r.uniform(0.04, 0.08), 3),
              "cadence_spm": round(r.uniform(160, 190), 1), "pitch_deg": round(r.uniform(3, 8), 1),
              "pitch_swing_deg": round(r.uniform(2, 4), 1), "arm_occlusion": r.random() < 0.3}
    sensors = [{"id": "rear", "kind": "vl53l1x", "role": "obstacle", "mount_height_m": 1.0,
                "pitch_deg": 0.0, "distance_mode": "long", "timing_budget_ms": 33},
               {"id": "ground", "kind": "tfluna", "role": "surface", "mount_height_m": 1.0,
                "pitch_deg": -r.choice((25.0, 30.0, 35.0))}]
    obstacles, ground = [], []
    x = FIRST_X_M
    for i in range(r.randint(1, 4)):
        thing = r.choice(THINGS)
        if thing == "on_path":
            obstacles.append({"id": f"obstacle-{i}", "x_m": x, "y_m": r.uniform(-0.2, 0.2),
                              "width_m": r.uniform(0.3, 1.2), "height_m": r.uniform(0.6, 1.8),
                              "depth_m": r.uniform(0.1, 0.6)})
        elif thing == "beside":
            width = r.uniform(0.1, 1.0)
            y = (r.uniform(0.9, 2.5) + width / 2) * r.choice((-1, 1))
            obstacles.append({"id": f"beside-{i}", "x_m": x, "y_m": y, "width_m": width,
                              "height_m": r.uniform(0.5, 1.8), "depth_m": r.uniform(0.1, 2.0)})
        elif thing == "walker":
            obstacles.append({"id": f"walker-{i}", "x_m": x + 8.0, "y_m": r.uniform(-0.1, 0.1),
                              "width_m": 0.5, "height_m": 1.7, "depth_m": 0.3,
                              "speed_mps": WALKER_SPEED_MPS})
        elif thing == "crossing":
            t_cross_s = max(0.5, (x - CROSSING_BEHIND_M) / speed)   # on the line then
            obstacles.append({"id": f"crossing-{i}", "x_m": x,
                              "y_m": CROSSING_SPEED_MPS * t_cross_s, "width_m": 0.5,
                              "height_m": 1.7, "depth_m": 0.3, "vy_mps": -CROSSING_SPEED_MPS})
        elif thing == "hole":
            ground.append({"id": f"hole-{i}", "kind": "hole", "x_m": x,
                           "length_m": r.uniform(0.2, 0.5), "depth_m": r.uniform(0.06, 0.15)})
        else:
            ground.append({"id": f"root-{i}", "kind": "root", "x_m": x,
                           "length_m": r.uniform(0.08, 0.15), "depth_m": -r.uniform(0.05, 0.1)})
        x += r.uniform(12.0, 20.0)
    return {"name": f"random-{seed}", "description": f"random belt run, seed {seed}",
            "duration_s": round((x - 4.0) / speed, 1), "seed": seed, "mode": "belt",
            "runner": runner, "sensors": sensors, "obstacles": obstacles, "ground": ground,
            "ambient": {"sunlight": r.choice(SUNLIGHT)}}


def random_scenario(seed: int):
    """A validated ``Scenario`` drawn from ``seed``."""
    return parse_scenario(random_scenario_data(seed), f"random-{seed}")
