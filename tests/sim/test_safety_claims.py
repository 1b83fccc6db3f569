"""The product's safety claims, checked on every shipped scenario against the naive
fixed-distance policy in the same run (the ``sim --json`` object of docs/design.md, as
``backsight sim --all``).

- No false alarm, anywhere: a device that cries wolf gets switched off.
- Every hazard the sensors can see is warned as early as physics allows:
  lead_s >= min(0.9 * limit_lead_s, 2.0 s) - except the cases listed in KNOWN_LATE,
  each with the reason, and each held to its current lead so it cannot get worse.
- The naive policy, same runs, raises far more false alarms.
"""

from dataclasses import replace

import pytest

from pi_app.sim.rig import run_scenario
from pi_app.sim.scenario import load_scenario, shipped_scenarios

#: every test here reads all shipped scenarios run under both policies
pytestmark = pytest.mark.slow

#: (scenario, hazard) -> (lead the device must still reach, why it is short of the goal)
KNOWN_LATE = {  # (cyclist-from-behind and blind-sun-glare left it with first-sight warnings)
    ("treadmill-step-off", "rear-edge"): (
        1.33, "a 0.3 m/s drift from standing still starts 1.67 s before contact; the "
              "stride's +-3 cm sway (+-0.5 m/s) is taken out by a mean over one step "
              "(0.34 s), which shows a new drift only as that step fills: the 0.2 m/s a "
              "2.5 s warning needs shows ~0.3 s in"),
    ("treadmill-step-off", "off-deck"): (
        1.81, "the same drift starts 2.15 s before the runner leaves the deck"),
    ("kerb-down-vl53l1x-ground", "kerb"): (
        0.15, "a 100 ms VL53L1X at -45 deg near its 1.36 m range limit: the first sample "
              "after the kerb is visible (0.26 s ahead) comes up to 100 ms later and finds "
              "nothing within range where the ground was (a drop, surface.py)"),
    # the bearing kit (docs/bearing.md, not the default): what its corridor costs
    ("post-right-of-centre", "post"): (
        0.79, "with the belt's +-6 deg sway the 0.15 m post falls between the left chip's "
              "simulated rays at first, and that chip's silence proves it beside for a few "
              "readings (docs/bearing.md, limits); without the sway: 1.03 s, hit"),
    ("person-crossing-behind", "crosser"): (
        0.42, "a crosser is judged where it is proven to be: beside the path until it steps "
              "into the overlap (docs/bearing.md, the yaw's table); without the sway: 0.72 s"),
}
#: hazards the kit physically cannot warn of at all (none left: the single-sample rule
#: for slow ground sensors turned the last one, kerb-down-vl53l1x-ground, into "late")
KNOWN_MISSED: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def results(shipped_runs):
    out: dict[str, dict] = {}
    for run in shipped_runs:
        out.setdefault(run["scenario"], {})[run["policy"]] = run
    return out


#: shipped scenarios that show a known false alarm, with how many and why; a fix must
#: bring the count to 0 and remove the entry (the test fails on any other count)
KNOWN_FALSE_ALARMS = {
    "downhill-8pct": (1, "the ground sensor takes the foot of an 8 % descent, 3 m back at the "
                         "sweep's far end, for a rise (its start is followed as a bend of the "
                         "ground now, docs/safety.md)"),
}


def test_no_false_alarm_in_any_shipped_scenario(results):
    alarms = {n: r["backsight"]["false_alarms"] for n, r in results.items()}
    unexpected = {n: a for n, a in alarms.items() if a and n not in KNOWN_FALSE_ALARMS}
    assert unexpected == {}
    for name, (count, _why) in KNOWN_FALSE_ALARMS.items():
        assert alarms[name] == count, (name, alarms[name])


def test_naive_policy_cries_wolf_where_backsight_does_not(results):
    naive = sum(r["naive"]["false_alarms"] for r in results.values())
    assert naive > 100        # the fixed-distance rule beeps at the ground and passers-by
    for name, r in results.items():
        assert r["backsight"]["false_alarms"] <= r["naive"]["false_alarms"], name


def test_every_visible_hazard_is_warned_early_enough(results):
    problems = []
    for name, r in results.items():
        for h in r["backsight"]["hazards"]:
            key = (name, h["id"])
            if h["outcome"] == "no_contact":
                continue
            if h["outcome"] == "missed":
                if key not in KNOWN_MISSED:
                    problems.append(f"{key}: missed")
                continue
            goal_s = min(0.9 * h["limit_lead_s"], 2.0)
            floor_s = KNOWN_LATE.get(key, (goal_s, ""))[0]
            if h["lead_s"] < floor_s - 1e-9:
                problems.append(f"{key}: lead {h['lead_s']} s < {floor_s} s "
                                f"(limit {h['limit_lead_s']} s)")
    assert not problems, problems


def test_known_exceptions_are_still_exceptions(results):
    """Remove an entry from KNOWN_LATE/KNOWN_MISSED once the device does better."""
    for (name, hid) in list(KNOWN_LATE) + list(KNOWN_MISSED):
        h = next(h for h in results[name]["backsight"]["hazards"] if h["id"] == hid)
        assert h["outcome"] in ("late", "missed"), (name, hid, h)


def test_headline_wall_approach(results):
    """Issue 3's claim: WARNING >= 1.2 s before contact at 2.5 m/s with a VL53L1X,
    within 90 % of what its range allows; the naive 1 m rule warns at 0.4 s."""
    wall = results["wall-approach"]["backsight"]["hazards"][0]
    assert wall["lead_s"] >= 1.2 and wall["lead_s"] >= 0.9 * wall["limit_lead_s"]
    first_obstacle_warning = [a for a in results["wall-approach"]["naive"]["alerts"]
                              if a["kind"] == "obstacle" and a["level"] == "warning"]
    assert first_obstacle_warning
    assert 14.0 - first_obstacle_warning[0]["t_s"] < 0.5


#: hazards where the naive rule's outcome is better than ours, with why
NAIVE_AHEAD: dict[tuple[str, str], str] = {
    # the bearing kit: the naive 1 m rule has no corridor, it warns of whatever either
    # level chip sees
    ("post-right-of-centre", "post"): "with the belt's sway the 0.15 m post falls between the "
                                      "left chip's simulated rays at first: its silence proves "
                                      "the post beside for a few readings (docs/bearing.md)",
    ("person-crossing-behind", "crosser"): "a crosser is judged where it is proven to be: "
                                           "beside the path until it steps in",
}
RANK = {"missed": 0, "late": 1, "hit": 2}


def test_outcome_never_worse_than_the_naive_policy(results):
    worse = []
    for name, r in results.items():
        naive = {h["id"]: h for h in r["naive"]["hazards"]}
        for h in r["backsight"]["hazards"]:
            if h["outcome"] == "no_contact" or (name, h["id"]) in NAIVE_AHEAD:
                continue
            if RANK[h["outcome"]] < RANK[naive[h["id"]]["outcome"]]:
                worse.append((name, h["id"], h["outcome"], naive[h["id"]]["outcome"]))
    assert not worse, worse
    for name, hid in NAIVE_AHEAD:  # drop an entry once we catch up
        n = next(h for h in results[name]["naive"]["hazards"] if h["id"] == hid)
        b = next(h for h in results[name]["backsight"]["hazards"] if h["id"] == hid)
        assert RANK[b["outcome"]] < RANK[n["outcome"]], (name, hid)


def test_a_30_hz_vl53l1x_ground_sensor_warns_of_every_root_and_hole(results):
    """It sees a 10 cm root in one 33 ms sample: one clear sample must be enough."""
    rows = results["trail-vl53l1x-ground"]["backsight"]["hazards"]
    assert len(rows) == 4 and all(h["outcome"] == "hit" for h in rows), rows
    naive = results["trail-vl53l1x-ground"]["naive"]
    assert naive["false_alarms"] > 0


@pytest.mark.parametrize("grade, speed_mps", [(0.03, 3.15), (0.03, 4.5), (0.05, 2.5)])
def test_a_grade_change_is_not_a_hazard(grade, speed_mps):
    """The shipped slope (a climb, level, a descent) made 3 and 5 % and run from a jog to
    record pace: where a grade starts the profile moves under the runner AND the
    stride's pitch swing sweeps the spot 1.2 m along the grade (+-3 cm at 5 %). The
    ground is learned in time and reach (filters.GroundFit); with a level + trend in
    time only, 5 % gave a false alarm at most grade changes. (Not claimed: 5 % at
    3-4.5 m/s, where the sweep reaches 3.5 m back and a 5 % bend in it is a 5 cm
    residual - one run in three to six beeps once where the descent ends.)"""
    sc = load_scenario("slope")
    ground = tuple(replace(f, depth_m=grade * f.length_m * (1 if f.depth_m > 0 else -1))
                   for f in sc.ground)
    runner = replace(sc.runner, speed_profile=((0.0, speed_mps), (sc.duration_s, speed_mps)))
    for seed in (1, 2):
        r = run_scenario(replace(sc, ground=ground, runner=runner, seed=seed), "backsight")
        assert r["false_alarms"] == 0, (grade, speed_mps, seed, r["alerts"])


def test_a_runner_stepping_onto_the_deck_is_not_read_as_drifting():
    """The first 1.4 s on the deck, before the step period is measured: a least-squares
    line over 0.6 s of a TF-Luna's readings (+-3 cm each) of a swaying back read -0.17
    m/s for a runner wandering toward the console at 0.08 m/s, 0.4 m from its contact
    line: a warning. Now the position alone is judged until the step is known."""
    from pi_app.sim.scenario import parse_scenario
    sc = parse_scenario({
        "duration_s": 4.0, "seed": 70, "mode": "treadmill",
        "runner": {"bounce_m": 0.069, "cadence_spm": 171.8, "pitch_deg": 3.75,
                   "pitch_swing_deg": 3.85},
        "treadmill": {"belt_speed_mps": 3.0, "deck_length_m": 1.4,
                      "position_profile": [[0.0, 0.665], [1.01, 0.584], [2.01, 0.589],
                                           [3.78, 0.7]]},
        "sensors": [{"id": "deck", "kind": "tfluna", "role": "deck", "mount_height_m": 1.1}],
    }, "stepping-on.toml")
    for seed in (70, 71, 72):
        run = run_scenario(replace(sc, seed=seed), "backsight")
        assert run["false_alarms"] == 0, (seed, run["alerts"])


def test_fast_closing_targets_are_warned_on_first_sight(results):
    """A cyclist closing at 8.5 m/s (0.38 s visible) and a wall that shows only after
    the sun's glare (0.5 s): one 33 ms sample decides between hit and late."""
    for name, hid in (("cyclist-from-behind", "cyclist"), ("blind-sun-glare", "wall")):
        h = next(h for h in results[name]["backsight"]["hazards"] if h["id"] == hid)
        assert h["outcome"] == "hit", (name, h)


def test_the_strides_sway_is_not_a_drift_at_any_cadence():
    """A runner's back sways +-2-4 cm with each step, at 160-190 steps/min: the deck
    detector takes the mean over one measured step period, so neither a bouncy stride
    (treadmill-bouncy-stride, a TF-Luna) nor any cadence reads as a drift. Its former
    0.6 s least-squares line beeped 2-4 times in each of these runs."""
    sc = load_scenario("treadmill-bouncy-stride")
    for cadence_spm in (160, 175, 190):
        for seed in (1, 2):
            runner = replace(sc.runner, cadence_spm=cadence_spm)
            run = run_scenario(replace(sc, runner=runner, seed=seed), "backsight")
            assert run["false_alarms"] == 0, (cadence_spm, seed, run["alerts"])


