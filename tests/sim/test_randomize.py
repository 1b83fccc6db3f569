"""Random belt runs (``backsight sim --random``): valid scenarios on every kit, the same
world on every kit, reproducible from the seed, every kind of thing drawn, and the
device's claims hold on runs nobody wrote down - with the weaknesses the wider world
finds named, not hidden."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pi_app.sim.randomize import (KIT_SENSORS, KITS, OPTICAL_KINDS, THING_DRAWERS, THINGS,
                                  RunnerPath, random_name,
                                  random_scenario, random_scenario_data, thing_kind)
from pi_app.sim.rig import run_scenario
from pi_app.sim.world import RUNNER_HALF_WIDTH_M

#: the kinds of thing a random run's ids name (``thing_kind``), per drawer of THINGS,
#: plus the wall a stop falls short of and the building beside a jog in place
EXPECTED_KINDS = {"obstacle", "beside", "person-beside", "oncoming", "caught-up", "crossing",
                  "dog-crossing", "dog-approaching", "hole", "root", "kerb-up", "kerb-down",
                  "grade", "wall", "building", "fence", "wall-bend", "stairs-up",
                  "stairs-down"}
#: the world of a run: everything but its name, its sensors and the glare they meet
WORLD_KEYS = ("duration_s", "seed", "mode", "runner", "obstacles", "ground", "ambient")


def _world(data: dict) -> dict:
    world = {k: data[k] for k in WORLD_KEYS}
    world["faults"] = [f for f in data["faults"] if f["kind"] != "blind"]
    return world


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**63 - 1))
def test_every_seed_parses_on_every_kit_and_the_world_is_the_kits_same(seed):
    worlds = []
    for kit in KITS:
        data = random_scenario_data(seed, kit)
        assert data == random_scenario_data(seed, kit)        # reproducible
        sc = random_scenario(seed, kit)                       # valid (parse_scenario)
        assert sc.name == random_name(seed, kit) and sc.mode == "belt"
        ids = {"rear-left", "rear-right", "ground"} if kit == "bearing-pair" else {"rear", "ground"}
        assert {s.id for s in sc.sensors} == ids             # faults on "rear": both level chips
        worlds.append(_world(data))
    assert all(w == worlds[0] for w in worlds[1:])


def test_draws_cover_every_thing_plan_terrain_and_fault():
    kinds, plans, faults = set(), set(), set()
    for seed in range(300):
        data = random_scenario_data(seed)
        kinds |= {thing_kind(x["id"]) for x in data["obstacles"] + data["ground"]}
        faults |= {f["kind"] for f in data["faults"]}
        profile = data["runner"].get("speed_profile")
        if profile is None:
            plans.add("in place")
        elif profile[0][1] == 0.0:
            plans.add("from standstill")
        elif len(profile) > 1 and profile[-1][1] == 0.0:
            plans.add("stop")
        elif len(profile) > 1:
            plans.add("pace change")
        else:
            plans.add("steady")
    assert kinds == EXPECTED_KINDS
    assert plans == {"in place", "from standstill", "stop", "pace change", "steady"}
    assert faults == {"blind", "i2c_errors", "bus_stuck", "unplug", "replug"}
    assert set(THINGS) == set(THING_DRAWERS)


def test_people_beside_the_path_come_within_the_issue_17_band():
    near_edges = [abs(o["y_m"]) - o["width_m"] / 2
                  for seed in range(300) for o in random_scenario_data(seed)["obstacles"]
                  if thing_kind(o["id"]) == "person-beside"]
    assert min(near_edges) < 0.5 and max(near_edges) > 1.4
    assert all(0.4 <= e <= 1.5 for e in near_edges)


def test_the_runner_path_integrates_its_speed_profile():
    steady = RunnerPath([[0.0, 2.0]])
    assert steady.time_at(10.0) == pytest.approx(5.0)
    start = RunnerPath([[0.0, 0.0], [1.0, 0.0], [3.0, 2.0]])       # 1 m/s2 after 1 s still
    assert start.time_at(2.0) == pytest.approx(3.0)                 # 0.5 * 1 * 2^2
    assert start.time_at(4.0) == pytest.approx(4.0)                 # then 2 m/s
    stop = RunnerPath([[0.0, 2.0], [1.0, 2.0], [3.0, 0.0]])         # 2 m, then 2 m braking
    assert stop.time_at(3.0) == pytest.approx(1.0 + 2.0 - math.sqrt(2.0))
    assert stop.time_at(4.0) == pytest.approx(3.0)
    assert stop.time_at(4.01) is None
    assert stop.min_speed_after_mps(0.5) == 0.0 and steady.min_speed_after_mps(9.0) == 2.0


def test_a_caught_up_person_never_outpaces_the_runner_afterwards():
    """A box passes through the runner: one faster than them later would come back
    through them from the front, a ghost no real person makes."""
    seen = 0
    for seed in range(300):
        data = random_scenario_data(seed)
        final_mps = (data["runner"].get("speed_profile") or [[0.0, 0.0]])[-1][1]
        for o in data["obstacles"]:
            if thing_kind(o["id"]) == "caught-up":
                seen += 1       # at most 70 % of the slowest the runner goes after meeting
                assert 0.0 <= -o["speed_mps"] <= 0.7 * final_mps + 1e-9
    assert seen > 10


@pytest.mark.parametrize("height_m", [0.8, 1.0, 1.2])
def test_mount_kits_aim_the_ground_beam_1_to_2_5_m_behind_the_heels(height_m):
    for seed in range(40):
        rear, ground = random_scenario_data(seed, f"mount-{height_m}")["sensors"]
        assert rear["mount_height_m"] == ground["mount_height_m"] == height_m
        assert rear["pitch_deg"] == 0.0
        behind_sensor_m = height_m / math.tan(math.radians(-ground["pitch_deg"]))
        assert 1.0 + 0.2 - 0.01 <= behind_sensor_m <= 2.5 + 0.2 + 0.01


def test_kits_fit_the_documented_chips_and_roles():
    chips = {kit: [(s["kind"], s["role"]) for s in KIT_SENSORS[kit](random.Random(0))]
             for kit in KITS}
    assert chips["default"] == [("vl53l1x", "obstacle"), ("tfluna", "surface")]
    assert chips["tfluna-rear"] == [("tfluna", "obstacle"), ("tfluna", "surface")]
    assert chips["mb1242-rear"] == [("mb1242", "obstacle"), ("tfluna", "surface")]
    assert chips["two-vl53l1x"] == [("vl53l1x", "obstacle"), ("vl53l1x", "surface")]
    two = KIT_SENSORS["two-vl53l1x"](random.Random(0))[1]
    assert (two["distance_mode"], two["timing_budget_ms"], two["pitch_deg"]) == \
        ("short", 100, -45.0)


def test_low_sun_blinds_optical_sensors_only():
    glared = [s for s in range(300)
              if any(f["kind"] == "blind" for f in random_scenario_data(s)["faults"])]
    assert glared
    for seed in glared:
        blinded = {f["sensor"] for f in random_scenario_data(seed, "mb1242-rear")["faults"]
                   if f["kind"] == "blind"}
        assert "rear" not in blinded
        kinds = {s["id"]: s["kind"] for s in random_scenario_data(seed)["sensors"]}
        assert all(kinds[f["sensor"]] in OPTICAL_KINDS
                   for f in random_scenario_data(seed)["faults"] if f["kind"] == "blind")


def test_unknown_kit_is_refused_by_name():
    with pytest.raises(ValueError, match="two-vl53l1x"):
        random_scenario_data(1, "vl53l5cx")


# --- the device on random runs ------------------------------------------------------------
#: a single-zone sensor has no bearing: anything whose near edge is within the level
#: VL53L1X's cone (13.5 deg half-angle) at its 3.6 m reach stands in the beam like a
#: thing on the line (issue 17)
NO_BEARING_BAND_M = 3.6 * math.tan(math.radians(13.5))
#: the steepest grade a shipped scenario shows followed without a warning
#: (hill-5pct-marathon-pace)
SHIPPED_GRADE = 0.05
#: a start from standstill harder than the gentle ones (m/s2)
HARD_START_MPS2 = 1.5


def known_weaknesses(data: dict) -> set[str]:
    """What in a drawn run the device is known to warn about falsely today (each has an
    xfail below with a run that shows it)."""
    found = set()
    for o in data["obstacles"]:
        near_edge_m = abs(o["y_m"]) - o["width_m"] / 2
        if RUNNER_HALF_WIDTH_M < near_edge_m < NO_BEARING_BAND_M:
            found.add("a person beside the path within the level cone")
        if thing_kind(o["id"]) == "wall":
            found.add("a stop 1-4 m short of a wall")
    if any(g["kind"] == "slope" and abs(g["depth_m"]) / g["length_m"] > SHIPPED_GRADE
           for g in data["ground"]):
        found.add("a grade steeper than 5 %")
    profile = data["runner"].get("speed_profile")
    if profile is None:
        found.add("jogging in place")
    elif profile[0][1] == 0.0 and profile[-1][1] / (profile[-1][0] - profile[-2][0]) \
            > HARD_START_MPS2:
        found.add("a hard start from standstill")
    if data["ambient"]["sunlight"] >= 1.0 or any(f["kind"] == "blind" for f in data["faults"]):
        found.add("strong or low sun on the ground sensor")
    return found


#: runs 0-47 with none of the known weaknesses, default kit
CLAIMED_SEEDS = [s for s in range(48) if not known_weaknesses(random_scenario_data(s))]


@pytest.mark.slow
def test_random_runs_raise_no_false_alarm_and_miss_little():
    """The runs without a known weakness (15 of 0-47): no false alarm; of the hazards a
    sensor could see (at least 20), at most 2 missed (today one: a post in run 21, met
    while the runner changes pace)."""
    assert len(CLAIMED_SEEDS) >= 10
    missed = detectable = 0
    for seed in CLAIMED_SEEDS:
        r = run_scenario(random_scenario(seed), "backsight")
        assert r["false_alarms"] == 0, (seed, r["alerts"])
        seen = [h for h in r["hazards"] if h["limit_lead_s"] is not None]
        detectable += len(seen)
        missed += sum(h["outcome"] == "missed" for h in seen)
    assert detectable >= 20 and missed <= 2


#: one run (default kit) that has each known weakness alone and warns at nothing today
#: (the first such of runs 11-399). Run 46's stop is judged by the braking the IMU
#: measures, but the ground sensor takes the wall's face for a rise. An IMU dropout
#: alone no longer warns falsely in runs 0-399, so it is no longer listed; nor a hard
#: start from standstill, alone in none of runs 11-1010 that warn at nothing (its runs
#: are in the claims below).
WEAKNESS_RUNS = {
    "a person beside the path within the level cone": 16,
    "a stop 1-4 m short of a wall": 46,
    "a grade steeper than 5 %": 75,
    "jogging in place": 68,
    "strong or low sun on the ground sensor": 276,
}


@pytest.mark.slow
@pytest.mark.parametrize("weakness", sorted(WEAKNESS_RUNS))
@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="a known weakness the random runs find: warned at nothing (see the "
                   "parameter); when fixed, move its runs to the claims")
def test_known_weakness_runs_raise_no_false_alarm(weakness):
    seed = WEAKNESS_RUNS[weakness]
    r = run_scenario(random_scenario(seed), "backsight")
    assert r["false_alarms"] == 0, (seed, r["alerts"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [29, 176])
def test_a_hard_start_from_standstill_raises_no_false_alarm(seed):
    """Runs 29 and 176: a start from standstill at more than 1.5 m/s2: the IMU's settling
    no longer takes the push for a lean (``imu.settle_agree_deg``), and in 176 a crossed
    step of a deep staircase no longer relearns the level below as the runner's."""
    data = random_scenario_data(seed)
    assert known_weaknesses(data) == {"a hard start from standstill"}
    r = run_scenario(random_scenario(seed), "backsight")
    assert r["false_alarms"] == 0, r["alerts"]


def test_each_weakness_run_has_its_weakness():
    for weakness, seed in WEAKNESS_RUNS.items():
        found = known_weaknesses(random_scenario_data(seed))
        assert found == {weakness}, (weakness, found)


def test_a_wall_along_a_bend_starts_off_the_path_and_crosses_it():
    """The straight piece ends beside the corridor, the bend piece reaches across the
    line: one hazard made of two turned boxes (docs/scenarios.md, composite hazards)."""
    bends = 0
    for seed in range(400):
        pieces = [o for o in random_scenario_data(seed)["obstacles"]
                  if thing_kind(o["id"]).startswith("wall-bend")]
        for a, b in zip(pieces[::2], pieces[1::2]):
            bends += 1
            assert a["group"] == b["group"] and a["id"].endswith("a") and b["id"].endswith("b")
            assert abs(b["y_m"]) >= 0.8 - 1e-9 and abs(a["y_m"]) >= abs(b["y_m"])
            across_m = b["depth_m"] * math.sin(math.radians(abs(b["yaw_deg"])))
            assert across_m > abs(b["y_m"])                     # reaches past the line
            assert math.copysign(1, a["yaw_deg"]) == -math.copysign(1, a["y_m"])  # toward it
    assert bends > 5
