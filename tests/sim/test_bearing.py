"""The bearing kit's side on the simulator (two level VL53L1X yawed +-4 deg): posts off the centre line are warned on
their own side, people beside the path outside the corridor never warn, a fault on
"rear" hits both level chips (pi_app/detect/corridor.py, docs/bearing.md)."""

import pytest

from pi_app.sim.rig import run_scenario
from pi_app.sim.scenario import parse_scenario, read_scenario


def run(name: str) -> dict:
    data, source = read_scenario(name)
    return run_scenario(parse_scenario(data, source), sides=True)


@pytest.mark.parametrize("name, side", [("post-left-of-centre", "left"),
                                        ("post-right-of-centre", "right")])
def test_a_post_off_the_centre_line_is_warned_and_never_on_the_wrong_side(name, side):
    r = run(name)
    [post] = r["hazards"]
    # one level chip warned these 0.77 s (left) and 0.87 s (right) ahead; the pair 0.99
    # and 0.79 s (the right-hand post falls between the left chip's simulated rays at
    # first, so that chip's silence "proves" it beside for a few readings: bearing.md)
    assert post["outcome"] in ("hit", "late") and post["lead_s"] >= 0.75, post
    assert not post["wrong_side"], post["sides"]
    assert set(post["sides"]) <= {side, "centre"} and post["sides"], post["sides"]
    named = {a["side"] for a in r["alerts"]
             if a["level"] in ("warning", "danger") and a["kind"] == "obstacle"}
    assert named <= {side, "centre"}, r["alerts"]
    assert r["false_alarms"] == 0


@pytest.mark.parametrize("name", ["people-passing-beside", "crowd-beside-path",
                                  "passing-objects"])
def test_people_and_things_0_7_m_outside_the_corridor_never_warn(name):
    r = run(name)
    assert r["hazards"] == []
    assert r["false_alarms"] == 0, r["alerts"]


def test_without_the_corridor_the_same_people_would_warn():
    """Not silent because unseen: with a corridor too wide to prove anyone beside it, the
    level chips' warnings about the same people come through."""
    from pi_app.sim.rig import scenario_config

    data, source = read_scenario("people-passing-beside")
    scenario = parse_scenario(data, source)
    cfg = scenario_config(scenario).with_value("obstacle.corridor_half_width_m", 2.0)
    r = run_scenario(scenario, cfg=cfg)
    assert r["false_alarms"] > 0


def test_a_person_crossing_from_the_left_is_warned_and_never_said_right():
    r = run("person-crossing-behind")
    [crosser] = r["hazards"]
    assert crosser["outcome"] in ("hit", "late"), crosser
    assert not crosser["wrong_side"] and "left" in crosser["sides"], crosser


def test_a_fault_on_rear_hits_both_level_chips_of_the_bearing_kit():
    data, source = read_scenario("rear-fault-bearing-kit")
    scenario = parse_scenario(data, source)
    assert sorted(f.sensor for f in scenario.faults) == ["rear-left", "rear-right"]
    r = run_scenario(scenario)
    faulted = {a["source"] for a in r["alerts"] if a["kind"] == "fault"}
    assert faulted & {"rear-left", "rear-right"}, r["alerts"]
    [wall] = r["hazards"]
    assert wall["outcome"] == "hit" and r["false_alarms"] == 0


def test_a_single_level_chip_kit_gives_no_side():
    data, source = read_scenario("mb1242-hedge-2.2")
    r = run_scenario(parse_scenario(data, source))
    assert {a["side"] for a in r["alerts"]} == {None}
