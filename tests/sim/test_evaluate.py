"""Evaluator: ground truth from the world and scoring arithmetic on hand-made timelines."""

import math

import pytest

from helpers.expect import check_expect
from pi_app.sim.evaluate import CONTACT_HORIZON_S, GRACE_S, TOLERANCE_S, Hazard, evaluate, hazards
from pi_app.sim.optics import max_range_m
from pi_app.sim.scenario import load_scenario, parse_scenario, shipped_scenarios
from pi_app.sim.world import World

STILL = {"bounce_m": 0.0, "pitch_deg": 0.0, "pitch_swing_deg": 0.0}
KIT = [{"id": "rear", "kind": "vl53l1x", "role": "obstacle"},
       {"id": "ground", "kind": "tfluna", "role": "surface", "pitch_deg": -25.0}]


def scenario(obstacles=(), ground=(), runner=None, **top):
    data = {"name": "t", "duration_s": 20.0, "seed": 1,
            "runner": {"speed_mps": 2.0, **STILL, **(runner or {})}, "sensors": KIT,
            "obstacles": list(obstacles), "ground": list(ground)}
    data.update(top)
    return parse_scenario(data, "t.toml")


def truth(sc):
    return hazards(sc, World(sc))


def alert(t_s, level, kind=None, source=None):
    return {"t_s": t_s, "level": level, "kind": kind, "source": source}


# --- ground truth --------------------------------------------------------------------
def test_wall_contact_and_detectable_at_the_chip_range():
    sc = scenario([{"id": "wall", "x_m": 30.0, "width_m": 6.0, "height_m": 2.5}])
    (wall,) = truth(sc)
    assert (wall.id, wall.kind, wall.sensor) == ("wall", "obstacle", "rear")
    assert wall.t_contact_s == pytest.approx(15.0, abs=1e-3)
    limit_m = max_range_m("vl53l1x", distance_mode="long", timing_budget_ms=33)
    assert 30.0 - 2.0 * wall.t_detectable_s == pytest.approx(limit_m, abs=0.005)


def test_sunlight_shortens_the_physical_limit():
    dark = truth(scenario([{"id": "wall", "x_m": 30.0, "width_m": 6.0, "height_m": 2.5}]))[0]
    sunny_sc = scenario([{"id": "wall", "x_m": 30.0, "width_m": 6.0, "height_m": 2.5}],
                        sensors=[KIT[0]], ambient={"sunlight": 1.0})
    sunny = truth(sunny_sc)[0]
    limit_m = max_range_m("vl53l1x", sunlight=1.0, distance_mode="long", timing_budget_ms=33)
    assert 30.0 - 2.0 * sunny.t_detectable_s == pytest.approx(limit_m, abs=0.005)
    assert sunny.t_detectable_s > dark.t_detectable_s


def test_moving_obstacle_contact_uses_the_closing_speed():
    sc = scenario([{"id": "ped", "x_m": 35.0, "width_m": 0.5, "height_m": 1.75,
                    "speed_mps": 1.5}])
    (ped,) = truth(sc)
    assert ped.t_contact_s == pytest.approx(35.0 / (2.0 + 1.5), abs=1e-3)
    receding = scenario([{"id": "slow", "x_m": 10.0, "width_m": 0.5, "height_m": 1.75,
                          "speed_mps": -1.0}])
    assert truth(receding)[0].t_contact_s == pytest.approx(10.0 / (2.0 - 1.0), abs=1e-3)


def test_only_obstacles_on_the_path_are_hazards():
    sc = scenario([
        {"id": "beside", "x_m": 10.0, "y_m": 1.2, "width_m": 0.2, "height_m": 2.0},
        {"id": "clear-crossing", "x_m": 10.0, "y_m": -3.0, "width_m": 0.5, "height_m": 1.7,
         "vy_mps": 1.5},           # across and gone before the runner arrives at 5 s
        {"id": "hit-crossing", "x_m": 20.0, "y_m": -5.0, "width_m": 0.5, "height_m": 1.7,
         "vy_mps": 0.5},           # at y = 0 when the runner arrives at 10 s
        {"id": "far", "x_m": 100.0, "width_m": 1.0, "height_m": 1.0},
    ])
    found = {h.id: h for h in truth(sc)}
    assert set(found) == {"hit-crossing", "far"}
    assert found["hit-crossing"].t_contact_s == pytest.approx(10.0, abs=1e-3)
    assert found["far"].t_contact_s is None and found["far"].t_contact_ext_s is None


def test_ground_features_contact_at_their_start_and_slopes_are_not_hazards():
    sc = scenario(ground=[{"id": "pit", "kind": "hole", "x_m": 12.0, "length_m": 0.3,
                           "depth_m": 0.1},
                          {"id": "grade", "kind": "slope", "x_m": 20.0, "length_m": 10.0,
                           "depth_m": -0.3}])
    (pit,) = truth(sc)
    assert (pit.kind, pit.sensor) == ("surface", "ground")
    assert pit.t_contact_s == pytest.approx(6.0, abs=1e-3)
    below = math.radians(26.0)                   # lower edge of the TF-Luna at -25 deg
    assert 12.0 - 2.0 * pit.t_detectable_s == pytest.approx(1.0 / math.tan(below), abs=0.01)


def test_fault_windows_delay_detectability():
    wall = [{"id": "wall", "x_m": 30.0, "width_m": 6.0, "height_m": 2.5}]
    base = truth(scenario(wall, sensors=[KIT[0]]))[0].t_detectable_s
    blind = truth(scenario(wall, sensors=[KIT[0]], faults=[
        {"t_s": 13.2, "sensor": "rear", "kind": "blind", "duration_s": 0.8}]))[0]
    assert blind.t_detectable_s == pytest.approx(14.0, abs=1e-3) and 13.2 < base < 14.0
    unplugged = truth(scenario(wall, sensors=[KIT[0]], faults=[
        {"t_s": 5.0, "sensor": "rear", "kind": "unplug"},
        {"t_s": 14.5, "sensor": "rear", "kind": "replug"}]))[0]
    assert unplugged.t_detectable_s == pytest.approx(14.5, abs=1e-3)
    errors = truth(scenario(wall, sensors=[KIT[0]], faults=[
        {"t_s": 0.0, "sensor": "rear", "kind": "i2c_errors", "rate": 0.05}]))[0]
    assert errors.t_detectable_s == pytest.approx(base)


def test_treadmill_hazards_follow_the_profile():
    data = {"name": "tm", "duration_s": 14.0, "mode": "treadmill", "runner": STILL,
            "treadmill": {"belt_speed_mps": 2.0, "deck_length_m": 1.5,
                          "position_profile": [[0.0, 0.8], [4.0, 0.8], [10.0, 1.7]]}}
    sc = parse_scenario(data, "tm.toml")
    found = {h.id: h for h in truth(sc)}
    assert set(found) == {"console", "rear-edge", "off-deck"}
    assert found["console"].t_contact_s is None
    # 0.15 m/s from 0.8 m: 1.3 m at 4 + 0.5/0.15 s, 1.5 m at 4 + 0.7/0.15 s
    assert found["rear-edge"].t_contact_s == pytest.approx(4.0 + 0.5 / 0.15, abs=1e-3)
    assert found["off-deck"].t_contact_s == pytest.approx(4.0 + 0.7 / 0.15, abs=1e-3)
    assert all(h.kind == "deck" for h in found.values())
    # in view from the start, but the edges can only be foreseen once the drift starts
    assert found["console"].t_detectable_s == 0.0
    assert found["rear-edge"].t_detectable_s == found["off-deck"].t_detectable_s == 4.0


# --- composite hazards: a group of pieces is one hazard ----------------------------------
#: a block on the path and a nearer one beside it, 0.5-1.1 m left of the line: the level
#: sensor's 27 deg cone takes in the side block first
ON_PATH = {"id": "post", "x_m": 20.0, "width_m": 0.6, "height_m": 1.5}
BESIDE = {"id": "wing", "x_m": 19.0, "y_m": 0.8, "width_m": 0.6, "height_m": 1.5}


def grouped(group="gate"):
    return scenario([{**ON_PATH, "group": group}, {**BESIDE, "group": group}],
                    sensors=[KIT[0]], duration_s=14.0)


def test_a_group_is_one_hazard_contacted_at_its_first_piece_seen_with_any():
    (gate,) = truth(grouped())
    alone = {h.id: h for h in truth(scenario([ON_PATH, BESIDE], sensors=[KIT[0]],
                                             duration_s=14.0))}
    assert set(alone) == {"post"}                 # beside the path: scenery on its own
    assert (gate.id, gate.kind, gate.sensor) == ("gate", "obstacle", "rear")
    assert gate.t_contact_s == pytest.approx(alone["post"].t_contact_s) == \
        pytest.approx(10.0, abs=1e-3)
    assert gate.t_detectable_s < alone["post"].t_detectable_s - 0.2   # the wing is seen first


def test_one_early_alarm_over_two_pieces_is_one_hit_and_no_false_alarm():
    sc = grouped()
    w = World(sc)
    (gate,) = hazards(sc, w)
    early = [alert(gate.t_detectable_s + 0.02, "warning", "obstacle", "rear"),
             alert(11.0, "clear")]
    result = evaluate(sc, w, early, "backsight", 1)
    assert [r["outcome"] for r in result["hazards"]] == ["hit"]
    assert result["false_alarms"] == 0
    # scored piece by piece, the same correct warning is a false alarm and a miss
    piecewise = scenario([ON_PATH, BESIDE], sensors=[KIT[0]], duration_s=14.0)
    result = evaluate(piecewise, World(piecewise), early, "backsight", 1)
    assert [r["outcome"] for r in result["hazards"]] == ["missed"]
    assert result["false_alarms"] == 1


def test_an_alarm_outside_every_window_is_still_a_false_alarm_with_groups():
    sc = grouped()
    w = World(sc)
    (gate,) = hazards(sc, w)
    alerts = [alert(2.0, "warning", "obstacle", "rear"), alert(2.4, "clear"),
              alert(gate.t_detectable_s + 0.02, "warning", "obstacle", "rear"),
              alert(11.0, "clear"),
              alert(10.0 + GRACE_S + 0.5, "warning", "obstacle", "rear"), alert(12.0, "clear")]
    result = evaluate(sc, w, alerts, "backsight", 1)
    assert [r["outcome"] for r in result["hazards"]] == ["hit"]
    assert result["false_alarms"] == 2


def test_a_group_beside_the_path_is_no_hazard():
    sc = scenario([{**BESIDE, "group": "g"}, {**BESIDE, "id": "wing2", "x_m": 21.0,
                                               "group": "g"}], sensors=[KIT[0]])
    assert truth(sc) == []


# --- scoring on hand-made timelines -----------------------------------------------------
WALL = Hazard("wall", "obstacle", t_detectable_s=10.0, t_contact_s=13.0, t_contact_ext_s=13.0)
NEAR = Hazard("ped", "obstacle", t_detectable_s=12.0, t_contact_s=13.0, t_contact_ext_s=13.0)


def score(alerts, hazard_list, duration_s=20.0):
    sc = scenario()
    sc = type(sc)(**{**sc.__dict__, "duration_s": duration_s})
    return evaluate(sc, None, alerts, "backsight", 7, hazard_list=hazard_list)


def test_hit_late_and_missed():
    # limit 3 s -> a hit needs min(0.9 * 3, 2.0) = 2.0 s of lead
    row = score([alert(10.5, "warning", "obstacle", "rear")], [WALL])["hazards"][0]
    assert row == {"id": "wall", "kind": "obstacle", "t_detectable_s": 10.0, "t_contact_s": 13.0,
                   "t_first_warning_s": 10.5, "lead_s": 2.5, "limit_lead_s": 3.0, "outcome": "hit"}
    row = score([alert(11.5, "danger", "obstacle", "rear")], [WALL])["hazards"][0]
    assert (row["lead_s"], row["outcome"]) == (1.5, "late")
    assert score([], [WALL])["hazards"][0]["outcome"] == "missed"
    # after contact is too late to count at all
    assert score([alert(13.2, "danger", "obstacle")], [WALL])["hazards"][0]["outcome"] == "missed"
    # a short limit: 1 s of visibility -> 0.9 s of lead is enough
    assert score([alert(12.1, "warning", "obstacle")], [NEAR])["hazards"][0]["outcome"] == "hit"
    assert score([alert(12.2, "warning", "obstacle")], [NEAR])["hazards"][0]["outcome"] == "late"


def test_window_opens_a_tolerance_before_detectability():
    early = 10.0 - TOLERANCE_S + 0.05
    row = score([alert(early, "warning", "obstacle")], [WALL])["hazards"][0]
    assert row["t_first_warning_s"] == pytest.approx(early) and row["outcome"] == "hit"
    assert row["lead_s"] > row["limit_lead_s"]
    too_early = score([alert(9.0, "warning", "obstacle"), alert(9.4, "clear")], [WALL])
    assert too_early["hazards"][0]["outcome"] == "missed" and too_early["false_alarms"] == 1


def test_a_warning_that_was_already_on_counts_only_when_it_escalates():
    stuck_on = [alert(1.0, "warning", "surface", "ground")]
    result = score(stuck_on, [WALL])
    assert result["hazards"][0]["outcome"] == "missed" and result["false_alarms"] == 1
    escalated = score(stuck_on + [alert(11.8, "danger", "obstacle", "rear")], [WALL])
    assert escalated["hazards"][0]["t_first_warning_s"] == 11.8
    assert escalated["hazards"][0]["outcome"] == "late"
    # a change of source alone is not a new cue
    moved = score([alert(1.0, "warning", "obstacle", "a"), alert(11.0, "warning", "obstacle", "b")],
                  [WALL])
    assert moved["hazards"][0]["outcome"] == "missed"


def test_a_warning_about_one_hazard_that_stays_on_counts_for_the_next_from_its_sighting():
    kerb_up = Hazard("kerb-up", "surface", t_detectable_s=9.0, t_contact_s=10.0,
                     t_contact_ext_s=10.0)
    kerb_down = Hazard("kerb-down", "surface", t_detectable_s=10.5, t_contact_s=11.2,
                       t_contact_ext_s=11.2)
    one_warning = [alert(9.05, "warning", "surface", "ground"), alert(11.5, "clear")]
    result = score(one_warning, [kerb_up, kerb_down])
    second = result["hazards"][1]
    assert second["t_first_warning_s"] == 10.5 and second["outcome"] == "hit"
    assert result["false_alarms"] == 0
    # a break in it, or an alarm of a kind that does not count, is no warning held
    broken = score(one_warning[:1] + [alert(10.7, "clear"), alert(11.15, "warning", "surface")],
                   [kerb_up, kerb_down])
    assert broken["hazards"][1]["outcome"] == "late"
    deck = [alert(9.05, "warning", "surface"), alert(10.2, "warning", "deck"), alert(11.5, "clear")]
    assert score(deck, [kerb_up, kerb_down])["hazards"][1]["outcome"] == "missed"


def test_kinds_must_match():
    deck = Hazard("console", "deck", 0.0, 13.0, 13.0)
    assert score([alert(10.5, "warning", "deck")], [WALL])["hazards"][0]["outcome"] == "missed"
    assert score([alert(10.5, "warning", "surface")], [WALL])["hazards"][0]["outcome"] == "hit"
    assert score([alert(10.5, "warning", "obstacle")], [deck])["hazards"][0]["outcome"] == "missed"
    assert score([alert(10.5, "caution", "obstacle")], [WALL])["hazards"][0]["outcome"] == "missed"


def test_no_contact_and_never_detectable():
    ahead = Hazard("far", "obstacle", t_detectable_s=18.0, t_contact_s=None, t_contact_ext_s=21.0)
    result = score([alert(18.5, "warning", "obstacle")], [ahead])
    row = result["hazards"][0]
    assert row["outcome"] == "no_contact" and row["t_first_warning_s"] == 18.5
    assert row["lead_s"] is None and row["limit_lead_s"] is None
    assert result["false_alarms"] == 0      # contact just after the run justifies it
    unseen = Hazard("low", "obstacle", t_detectable_s=None, t_contact_s=8.0, t_contact_ext_s=8.0)
    result = score([alert(7.0, "warning", "obstacle")], [unseen])
    assert result["hazards"][0]["outcome"] == "missed" and result["false_alarms"] == 1


def test_false_alarm_counting():
    alerts = [
        alert(2.0, "warning", "obstacle", "rear"), alert(2.5, "clear"),           # false
        alert(4.0, "caution", "obstacle", "rear"), alert(4.5, "clear"),           # not an alarm
        alert(5.0, "warning", "posture"), alert(6.0, "clear"),                     # coaching
        alert(6.5, "fault", "fault", "rear"), alert(7.0, "clear"),                 # fault
        alert(10.5, "warning", "obstacle", "rear"), alert(12.0, "danger", "obstacle", "rear"),
        alert(13.5, "clear"),                                                      # the wall
        alert(13.0 + GRACE_S - 0.1, "warning", "surface", "ground"),               # in grace
        alert(14.5, "clear"),
        alert(16.0, "warning", "surface", "ground"), alert(16.2, "danger", "surface"),
        alert(16.6, "clear"),                                                      # false
    ]
    result = score(alerts, [WALL])
    assert result["false_alarms"] == 2
    assert result["summary"]["false_alarms"] == 2
    assert result["summary"]["alarm_time_s"] == pytest.approx(0.5 + 3.0 + 0.6 + 0.6)


def test_output_object_and_summary():
    alerts = [alert(10.2, "warning", "obstacle", "rear"), alert(11.5, "clear"),
              alert(12.5, "danger", "obstacle", "rear")]
    far = Hazard("far", "obstacle", None, None, None)
    result = score(alerts, [WALL, NEAR, far])
    assert list(result) == ["scenario", "policy", "seed", "duration_s", "alerts", "hazards",
                            "false_alarms", "summary"]
    assert (result["scenario"], result["policy"], result["seed"], result["duration_s"]) == \
        ("t", "backsight", 7, 20.0)
    assert result["alerts"] == alerts
    outcomes = [r["outcome"] for r in result["hazards"]]
    assert outcomes == ["hit", "late", "no_contact"]    # NEAR's window opens at 11.9: 12.5
    s = result["summary"]
    assert (s["hazards"], s["hit"], s["late"], s["missed"], s["no_contact"]) == (3, 1, 1, 0, 1)
    assert s["lead_ratio_min"] == pytest.approx(0.5 / 1.0)
    assert s["lead_ratio_mean"] == pytest.approx((2.8 / 3.0 + 0.5) / 2, abs=1e-3)
    assert s["lead_s_min"] == 0.5


def test_check_expect():
    sc = scenario([{"id": "wall", "x_m": 30.0, "width_m": 6.0, "height_m": 2.5}],
                  expect={"hazards": 1, "contacts": 1, "false_alarms_max": 0, "missed_max": 0})
    w = World(sc)
    good = evaluate(sc, w, [alert(13.5, "warning", "obstacle", "rear")], "backsight", 1)
    assert check_expect(sc, good) == []
    bad = evaluate(sc, w, [alert(3.0, "warning", "obstacle", "rear"), alert(3.2, "clear")],
                   "naive", 1)
    problems = check_expect(sc, bad)
    assert any("false_alarms_max" in p for p in problems)
    assert any("missed_max" in p for p in problems)


def test_shipped_scenarios_ground_truth_matches_their_expect_tables():
    for name in shipped_scenarios():
        sc = load_scenario(name)
        found = truth(sc)
        contacts = [h for h in found if h.t_contact_s is not None]
        if sc.expect.hazards is not None:
            assert len(found) == sc.expect.hazards, name
        if sc.expect.contacts is not None:
            assert len(contacts) == sc.expect.contacts, name
        for h in contacts:         # every contact in the library is physically visible first
            assert h.t_detectable_s is not None and h.t_detectable_s < h.t_contact_s, (name, h)
    assert CONTACT_HORIZON_S > 0
