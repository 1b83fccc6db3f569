"""Detection curves: how often a root of a given height or a hole of a given depth is
warned, at a given running speed, on runs drawn like ``sim --random``'s.

Each point is ``runs`` random belt runs (runner, kit pitch and sunlight drawn by
``pi_app.sim.randomize`` from the seed) with that one ground feature across the path,
scored by the evaluator: the share warned in time, and warned at all before contact.
Clean runs (nothing along the path) at each speed give the false alarms per hour.
``python -m pi_app.sim.curve`` prints the tables (Markdown) and can draw the plot.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

from pi_app.sim.randomize import random_scenario_data
from pi_app.sim.rig import run_scenario
from pi_app.sim.scenario import parse_scenario

SPEEDS_MPS = (2.0, 3.0, 4.5)
ROOT_HEIGHTS_M = (0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.10)
HOLE_DEPTHS_M = (0.03, 0.04, 0.05, 0.06, 0.08, 0.10)
ROOT_LENGTH_M = 0.12       # a root across the path, as in the random generator's 8-15 cm
HOLE_LENGTH_M = 0.35       # a pothole, as in its 0.2-0.5 m
FEATURE_X_M = 16.0         # far enough behind for the ground to be learned first
RUN_PAST_M = 4.0           # the run ends this far past the feature
CLEAN_DURATION_S = 60.0    # each clean run, for false alarms per hour
SEED_BASE = 50_000         # seeds apart from sim --random's usual 0.. range


@dataclass(frozen=True)
class Point:
    kind: str                 # "root", "hole" or "clean"
    size_m: float             # height of a root, depth of a hole (0 for clean runs)
    speed_mps: float
    runs: int
    in_time: int
    warned: int               # warned before contact (in time or late)
    false_alarms: int
    duration_s: float

    @property
    def in_time_share(self) -> float:
        return self.in_time / self.runs if self.runs else 0.0

    @property
    def warned_share(self) -> float:
        return self.warned / self.runs if self.runs else 0.0

    @property
    def false_alarms_per_hour(self) -> float:
        return 3600.0 * self.false_alarms / self.duration_s if self.duration_s else 0.0


def feature_run(kind: str, size_m: float, speed_mps: float, seed: int) -> dict:
    """A random run's runner, kit and light, with one ``kind`` feature (or none)."""
    data = random_scenario_data(seed)
    data["name"] = f"curve-{kind}-{seed}"
    data["runner"]["speed_mps"] = speed_mps
    data["runner"].pop("speed_profile", None)   # a steady pace: the curve is per speed
    data["obstacles"] = []
    data["faults"] = []                         # the feature alone, seen by healthy chips
    if kind == "clean":
        data["ground"] = []
        data["duration_s"] = CLEAN_DURATION_S
    else:
        length_m = ROOT_LENGTH_M if kind == "root" else HOLE_LENGTH_M
        depth_m = -size_m if kind == "root" else size_m
        data["ground"] = [{"id": kind, "kind": kind, "x_m": FEATURE_X_M, "length_m": length_m,
                           "depth_m": depth_m}]
        data["duration_s"] = round((FEATURE_X_M + RUN_PAST_M) / speed_mps, 2)
    return data


def measure(kind: str, size_m: float, speed_mps: float, runs: int,
            policy: str = "backsight") -> Point:
    in_time = warned = false_alarms = 0
    duration_s = 0.0
    for i in range(runs):
        seed = SEED_BASE + i
        result = run_scenario(parse_scenario(feature_run(kind, size_m, speed_mps, seed),
                                             f"curve-{kind}"), policy)
        false_alarms += result["false_alarms"]
        duration_s += result["duration_s"]
        for hazard in result["hazards"]:
            in_time += hazard["outcome"] == "hit"
            warned += hazard["outcome"] in ("hit", "late")
    return Point(kind, size_m, speed_mps, runs, in_time, warned, false_alarms, duration_s)


def curves(runs: int, policy: str = "backsight") -> list[Point]:
    points = []
    for speed_mps in SPEEDS_MPS:
        points += [measure("root", h, speed_mps, runs, policy) for h in ROOT_HEIGHTS_M]
        points += [measure("hole", d, speed_mps, runs, policy) for d in HOLE_DEPTHS_M]
        points.append(measure("clean", 0.0, speed_mps, runs, policy))
    return points


def markdown(points: list[Point]) -> str:
    out = []
    for kind, sizes, what in (("root", ROOT_HEIGHTS_M, "root height"),
                              ("hole", HOLE_DEPTHS_M, "hole depth")):
        out.append(f"| {what} | " + " | ".join(f"{s:g} m/s" for s in SPEEDS_MPS) + " |")
        out.append("| --- |" + " --- |" * len(SPEEDS_MPS))
        for size in sizes:
            cells = []
            for speed in SPEEDS_MPS:
                p = next(q for q in points if q.kind == kind and q.size_m == size
                         and q.speed_mps == speed)
                cells.append(f"{p.in_time_share:.0%} in time, {p.warned_share:.0%} warned")
            out.append(f"| {size * 100:.0f} cm | " + " | ".join(cells) + " |")
        out.append("")
    clean = [p for p in points if p.kind == "clean"]
    out.append("| clean runs | " + " | ".join(f"{p.speed_mps:g} m/s" for p in clean) + " |")
    out.append("| --- |" + " --- |" * len(clean))
    out.append("| false alarms per hour | " + " | ".join(
        f"{p.false_alarms_per_hour:.1f} ({p.false_alarms} in {p.duration_s / 60:.0f} min)"
        for p in clean) + " |")
    return "\n".join(out) + "\n"


def plot(points: list[Point], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, kind, what in ((axes[0], "root", "root height (cm)"),
                           (axes[1], "hole", "hole depth (cm)")):
        for speed in SPEEDS_MPS:
            mine = sorted((p for p in points if p.kind == kind and p.speed_mps == speed),
                          key=lambda p: p.size_m)
            ax.plot([p.size_m * 100 for p in mine], [100 * p.in_time_share for p in mine],
                    marker="o", label=f"{speed:g} m/s")
        ax.set_xlabel(what)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("warned in time (% of runs)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pi_app.sim.curve", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="random runs per point (default 20)")
    parser.add_argument("--policy", choices=("backsight", "naive"), default="backsight")
    parser.add_argument("--plot", metavar="PNG", help="also draw the curves to this file")
    parser.add_argument("--json", action="store_true", help="the points as JSON")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    points = curves(args.runs, args.policy)
    if args.json:
        json.dump([p.__dict__ for p in points], sys.stdout)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(markdown(points))
    if args.plot:
        plot(points, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
