"""The ground sensor makes no false alarm of its own where the ground bends or a long
staircase is climbed: each shipped scenario run again with 8 other seeds (the sensors'
noise, the stride's phase) and at the pace range it claims."""

from __future__ import annotations

import copy

import pytest

from pi_app.config import Config
from pi_app.sim.rig import run_scenario
from pi_app.sim.scenario import parse_scenario
from pi_app.sim.scenario_file import read_scenario

SEEDS = range(1, 9)


def run_with(name: str, seed: int, speed_mps: float, bend_grade: float | None = None) -> dict:
    data, source = read_scenario(name)
    data = copy.deepcopy(data)
    data["seed"] = seed
    data["runner"]["speed_mps"] = speed_mps
    cfg = None if bend_grade is None else \
        Config.defaults().with_value("surface.bend_grade", bend_grade)
    return run_scenario(parse_scenario(data, source), "backsight", cfg=cfg)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="the grade's foot, read at the sweep's far end, still warns on "
                   "some seeds (2 false alarms over these 8 at 2.5 m/s; was 15)")
def test_an_8_percent_downhill_raises_no_false_alarm():
    """Flat, an 8 % downhill 20 m long, flat again, at 2.5 m/s: the grade's start and foot
    are bends of the ground, not a drop and a rise. (Faster, the foot 3.5-4 m back is read
    through more noise: at 3.15 and 3.5 m/s one seed of these 8 still warns there.)"""
    alarms = {seed: run_with("downhill-8pct", seed, 2.5)["false_alarms"] for seed in SEEDS}
    assert sum(alarms.values()) == 0, alarms


@pytest.mark.slow
@pytest.mark.parametrize("speed_mps", [2.5, 3.5])
def test_a_staircase_with_long_treads_is_one_hazard_warned_in_time(speed_mps):
    """Three 15 cm steps up with 90 cm treads: warned before the first step (seed 6 at
    2.5 m/s late, 0.94 s of 1.23, as before these changes: its first sighting), and no
    false alarm from the treads or the top (before: one on every seed at 3.5 m/s)."""
    for seed in SEEDS:
        r = run_with("staircase-up-long-treads", seed, speed_mps)
        assert r["false_alarms"] == 0, (seed, r["alerts"])
        (stairs,) = r["hazards"]
        assert stairs["outcome"] in ("hit", "late") and stairs["lead_s"] >= 0.7, (seed, stairs)


@pytest.mark.slow
def test_a_staircase_coming_into_range_in_bright_sun_is_not_learned_as_the_ground():
    """Bright sun: the TF-Luna's 2.5 m leave the flat ground mostly out of range, and the
    staircase is what first comes into range. Warned in time, and its top is no drop once
    the runner is on it (before: a false alarm on seeds 3, 5 and 7)."""
    for seed in SEEDS:
        r = run_with("strong-sun-staircase", seed, 3.5)
        assert r["false_alarms"] == 0, (seed, r["alerts"])
        assert [h["outcome"] for h in r["hazards"]] == ["hit"], (seed, r["hazards"])


@pytest.mark.slow
def test_with_bends_followed_an_8_percent_downhill_raises_no_false_alarm():
    """The mechanism, switched on (``surface.bend_grade`` 0.25): the grade's start and foot
    are followed as bends of the ground, not a drop and a rise."""
    alarms = {seed: run_with("downhill-8pct", seed, 2.5, bend_grade=0.25)["false_alarms"]
              for seed in SEEDS}
    assert sum(alarms.values()) == 0, alarms
