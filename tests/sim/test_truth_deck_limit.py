"""Physical limit of the treadmill deck hazards (the final approach) and the warning
tolerance before t_detectable, on hand-made scenarios and timelines."""

import pytest

from pi_app.sim.evaluate import TOLERANCE_S, Hazard, evaluate, hazards
from pi_app.sim.gait import PiecewiseLinear
from pi_app.sim.scenario import parse_scenario
from pi_app.sim.truth import GRID_S, approach_start_s
from pi_app.sim.world import World

STILL = {"bounce_m": 0.0, "pitch_deg": 0.0, "pitch_swing_deg": 0.0}
DECK_M = 1.5            # rear contact at 1.3 m, console contact at 0.2 m, off the deck > 1.5 m


def treadmill(profile, duration_s=14.0, **top):
    data = {"name": "tm", "duration_s": duration_s, "seed": 1, "mode": "treadmill",
            "runner": STILL, "treadmill": {"belt_speed_mps": 2.5, "deck_length_m": DECK_M,
                                           "position_profile": profile}, **top}
    return parse_scenario(data, "tm.toml")


def deck_truth(sc) -> dict:
    return {h.id: h for h in hazards(sc, World(sc))}


def alert(t_s, level, kind=None, source=None):
    return {"t_s": t_s, "level": level, "kind": kind, "source": source}


# --- the final approach -----------------------------------------------------------------
def test_steady_then_drift_to_the_rear_starts_at_the_drift():
    found = deck_truth(treadmill([[0.0, 0.8], [6.0, 0.8], [8.0, 1.4], [8.6, 1.8]], 12.0))
    rear, off = found["rear-edge"], found["off-deck"]
    # 0.3 m/s from 0.8 m: 1.3 m at 6 + 0.5/0.3 s; then 1.4 -> 1.8 m in 0.6 s: 1.5 m at 8.15 s
    assert rear.t_contact_s == pytest.approx(6.0 + 0.5 / 0.3, abs=1e-3)
    assert off.t_contact_s == pytest.approx(8.15, abs=1e-3)
    # standing still mid-deck tells nothing: both edges become foreseeable at 6 s,
    # through two contiguous segments of different speed toward the rear
    assert rear.t_detectable_s == off.t_detectable_s == 6.0
    assert rear.sensor == off.sensor == "deck"
    # never reached: no approach, just the first sighting
    assert found["console"].t_contact_s is None and found["console"].t_detectable_s == 0.0


def test_drift_from_the_start_is_foreseeable_from_the_start():
    found = deck_truth(treadmill([[0.0, 0.6], [7.0, 1.3]]))
    assert found["rear-edge"].t_contact_s == pytest.approx(7.0, abs=1e-3)
    assert found["rear-edge"].t_detectable_s == 0.0


def test_drift_from_the_start_too_near_the_sensor_waits_for_the_valid_range():
    # the back starts 1 cm from the handrail sensor (VL53L1X minimum 4 cm): the drift
    # starts at once but the runner is only in the valid range from 0.04 m on
    found = deck_truth(treadmill([[0.0, 0.01], [4.0, 1.61]]))
    rear = found["rear-edge"]
    assert rear.t_detectable_s == pytest.approx(0.03 / 0.4, abs=1e-3)
    assert rear.t_contact_s == pytest.approx(1.29 / 0.4, abs=1e-3)


def test_only_the_last_approach_counts():
    # toward the rear (not reaching it), back, steady, then toward the rear again at
    # two speeds: 0.1 m/s to 0.9 m, then 0.6 m/s: 1.3 m at 7 + 0.4 / 0.6 s
    profile = [[0.0, 0.8], [2.0, 1.2], [4.0, 0.8], [6.0, 0.8], [7.0, 0.9], [8.0, 1.5]]
    found = deck_truth(treadmill(profile))
    rear = found["rear-edge"]
    assert rear.t_contact_s == pytest.approx(7.0 + 0.4 / 0.6, abs=1e-3)
    assert rear.t_detectable_s == 6.0
    # with no steady spell the turn-around at 4 s is where the last approach starts
    turned = deck_truth(treadmill([[0.0, 0.8], [2.0, 1.2], [4.0, 0.8], [6.0, 1.4]]))
    assert turned["rear-edge"].t_detectable_s == 4.0


def test_console_drift_starts_at_the_drift_toward_the_console():
    found = deck_truth(treadmill([[0.0, 0.75], [5.0, 0.75], [10.0, 0.15], [12.0, 0.15]]))
    console = found["console"]
    assert console.t_contact_s == pytest.approx(5.0 + 0.55 / 0.12, abs=1e-3)
    assert console.t_detectable_s == 5.0
    # drifting backward first is no approach to the console
    back_then_forward = [[0.0, 0.75], [3.0, 1.0], [5.0, 1.0], [9.0, 0.1]]
    assert deck_truth(treadmill(back_then_forward))["console"].t_detectable_s == 5.0


def test_a_blind_sensor_at_the_approach_start_sees_it_when_back_in_action():
    sc = treadmill([[0.0, 0.8], [6.0, 0.8], [8.0, 1.4]],
                   faults=[{"t_s": 5.5, "sensor": "deck", "kind": "blind", "duration_s": 1.0}])
    assert deck_truth(sc)["rear-edge"].t_detectable_s == pytest.approx(6.5, abs=1e-3)


def test_approach_start_on_the_profile_itself():
    profile = PiecewiseLinear([(0.0, 0.8), (3.0021, 0.8), (5.0021, 1.3), (9.0, 1.3)])
    # contact at the end of the last rising segment, refined a hair past the point
    assert approach_start_s(profile, 5.0021, +1.0) == 3.0021
    assert approach_start_s(profile, 5.0021 + GRID_S / 1000, +1.0) == 3.0021
    assert approach_start_s(profile, 4.0, +1.0) == 3.0021
    # in contact from the start (no approach) and a profile with a single point
    assert approach_start_s(profile, 0.0, +1.0) == 0.0
    assert approach_start_s(PiecewiseLinear([(0.0, 0.1)]), 0.0, -1.0) == 0.0


def test_a_deck_warning_while_the_runner_stands_still_is_a_false_alarm():
    sc = treadmill([[0.0, 0.8], [6.0, 0.8], [8.0, 1.4], [8.6, 1.8]], 12.0)
    w = World(sc)
    early = [alert(3.0, "warning", "deck", "deck"), alert(3.5, "clear")]
    result = evaluate(sc, w, early, "backsight", 1)
    rows = {r["id"]: r for r in result["hazards"]}
    assert result["false_alarms"] == 1
    assert rows["rear-edge"]["outcome"] == "missed"
    assert rows["rear-edge"]["limit_lead_s"] == pytest.approx(0.5 / 0.3, abs=1e-3)
    # warned 1.6 s before the rear contact: the whole physical limit is 1.667 s
    timely = evaluate(sc, w, [alert(6.067, "warning", "deck", "deck")], "backsight", 1)
    rows = {r["id"]: r for r in timely["hazards"]}
    assert rows["rear-edge"]["outcome"] == "hit" and timely["false_alarms"] == 0
    assert rows["off-deck"]["outcome"] == "hit"


# --- the tolerance before t_detectable --------------------------------------------------
WALL = Hazard("wall", "obstacle", t_detectable_s=10.0, t_contact_s=13.0, t_contact_ext_s=13.0)


def score(alerts):
    sc = parse_scenario({"name": "t", "duration_s": 20.0, "seed": 1,
                         "runner": {"speed_mps": 2.0, **STILL}}, "t.toml")
    return evaluate(sc, None, alerts, "naive", 1, hazard_list=[WALL])


def test_a_warning_a_quarter_second_early_is_not_credited():
    assert TOLERANCE_S == pytest.approx(0.1)   # one 10 Hz sample
    early = score([alert(9.75, "warning", "obstacle"), alert(9.9, "clear")])
    assert early["hazards"][0]["outcome"] == "missed" and early["false_alarms"] == 1
    # an alarm on since before the window does not count either: nothing new at 9.9
    held = score([alert(9.75, "warning", "obstacle")])
    assert held["hazards"][0]["outcome"] == "missed" and held["false_alarms"] == 1
    # within one sample of t_detectable it counts, and the lead is at most limit + 0.1 s
    sampled = score([alert(9.95, "warning", "obstacle")])
    row = sampled["hazards"][0]
    assert row["outcome"] == "hit" and sampled["false_alarms"] == 0
    assert row["lead_s"] == pytest.approx(3.05) and row["lead_s"] <= row["limit_lead_s"] + 0.1
