"""Turned obstacles and staircases in the world model, their ground truth, and the
scenario keys that build them (yaw_deg, group, stairs_up / stairs_down)."""

import math

import pytest

from pi_app.exc import ScenarioError
from pi_app.sim import world as world_module
from pi_app.sim.evaluate import hazards
from pi_app.sim.scenario import parse_scenario
from pi_app.sim.world import RUNNER_HALF_WIDTH_M, World

STILL = {"bounce_m": 0.0, "pitch_deg": 0.0, "pitch_swing_deg": 0.0}
REAR = {"id": "rear", "kind": "vl53l1x", "role": "obstacle"}
GROUND = {"id": "ground", "kind": "tfluna", "role": "surface", "pitch_deg": -25.0}
HALF_VL_RAD = math.radians(27.0) / 2


def scenario(obstacles=(), ground=(), sensors=(REAR, GROUND), **top):
    data = {"name": "t", "duration_s": 14.0, "seed": 1,
            "runner": {"speed_mps": 2.5, **STILL}, "sensors": list(sensors),
            "obstacles": list(obstacles), "ground": list(ground), **top}
    return parse_scenario(data, "t.toml")


FENCE = {"id": "fence", "x_m": 25.0, "width_m": 6.0, "height_m": 1.2, "depth_m": 0.1,
         "yaw_deg": 45.0}


# --- the world ------------------------------------------------------------------------
def test_a_level_beam_meets_a_45_deg_fence_at_its_nearest_ray():
    w = World(scenario([FENCE], sensors=[REAR]))
    t_s = 9.2                                  # the fence's middle 2 m behind the sensor
    d0 = 25.0 - 2.5 * t_s
    d, target = w.view("rear").hit(t_s)
    # the beam's level edge ray toward the fence's near (left) side, 13.5 deg off the axis
    assert target == "fence"
    assert d == pytest.approx(d0 / (math.cos(HALF_VL_RAD) + math.sin(HALF_VL_RAD)), rel=1e-9)


def test_unturned_boxes_never_take_the_turned_cast(monkeypatch):
    calls = []
    real = world_module.cast_turned_box
    monkeypatch.setattr(world_module, "cast_turned_box",
                        lambda *a: calls.append(a) or real(*a))
    plain = World(scenario([{**FENCE, "yaw_deg": 0.0}]))
    for k in range(200):
        plain.view("rear").hit(k * 0.05)
    assert calls == [] and plain.turned_boxes(5.0) == ()
    turned = World(scenario([FENCE]))
    turned.view("rear").hit(9.0)
    assert calls and turned.boxes_at(9.0) == []


def test_a_turned_box_out_of_reach_is_left_out():
    w = World(scenario([{**FENCE, "x_m": 60.0}]))
    assert w.turned_boxes(0.0) == ()           # its nearest corner 57.9 m away
    assert [b[0] for b in w.turned_boxes(20.0)] == ["fence"]    # 7.9 m from its corner


def test_stairs_are_their_steps_under_one_id():
    w = World(scenario(ground=[{"id": "up", "kind": "stairs_up", "x_m": 20.0,
                                "depth_m": -0.15, "count": 4, "run_m": 0.3}]))
    for k in range(4):
        assert w.ground_height_m(20.0 + 0.3 * k + 0.1) == pytest.approx(0.15 * (k + 1))
        assert w.ground.label_at(20.0 + 0.3 * k + 0.1) == "up"
    assert w.ground_height_m(19.9) == 0.0 and w.ground_height_m(40.0) == pytest.approx(0.6)


# --- ground truth ---------------------------------------------------------------------
def test_a_turned_box_is_contacted_where_its_footprint_enters_the_corridor():
    (fence,) = hazards(*_sw(scenario([FENCE])))
    # the near face crosses y = +0.25 (left side) at x = 25 - 0.25; its corner
    # bounds would put contact at 25 - 3 sin 45 = 22.9 m
    assert fence.t_contact_s == pytest.approx((25.0 - RUNNER_HALF_WIDTH_M) / 2.5, abs=1e-3)
    assert fence.t_detectable_s < fence.t_contact_s


def test_a_turned_box_whose_footprint_misses_the_corridor_is_not_a_hazard():
    beside = {"id": "rail", "x_m": 20.0, "y_m": 1.5, "width_m": 2.0, "height_m": 1.0,
              "depth_m": 0.1, "yaw_deg": 45.0}      # nearest corner 0.79 m left of the line
    assert hazards(*_sw(scenario([beside]))) == []
    reaching = {**beside, "width_m": 4.0}           # now it crosses to y = -0.09
    (rail,) = hazards(*_sw(scenario([reaching])))
    assert rail.id == "rail" and rail.t_contact_s is not None


def test_a_staircase_is_one_hazard_contacted_at_its_first_step():
    stairs = {"id": "stairs", "kind": "stairs_up", "x_m": 25.0, "depth_m": -0.15,
              "count": 4, "run_m": 0.3}
    (h,) = hazards(*_sw(scenario(ground=[stairs])))
    kerb = {"id": "kerb", "kind": "kerb_up", "x_m": 25.0, "depth_m": -0.15}
    (first,) = hazards(*_sw(scenario(ground=[kerb])))
    assert (h.id, h.kind, h.sensor) == ("stairs", "surface", "ground")
    assert h.t_contact_s == pytest.approx(10.0, abs=1e-3)
    # seen when its first step is: the face of the first step
    assert h.t_detectable_s == pytest.approx(first.t_detectable_s, abs=1e-3)
    down = {**stairs, "kind": "stairs_down", "depth_m": 0.15}
    (h,) = hazards(*_sw(scenario(ground=[down])))
    assert h.t_contact_s == pytest.approx(10.0, abs=1e-3) and h.t_detectable_s < 10.0 - 0.8


def _sw(sc):
    return sc, World(sc)


# --- the scenario keys ----------------------------------------------------------------
@pytest.mark.parametrize("obstacle, ground, message", [
    ({**FENCE, "yaw_deg": 95.0}, None, "obstacles[0].yaw_deg: must be within -90..90, got 95"),
    ({**FENCE, "yaw_deg": math.nan}, None, "obstacles[0].yaw_deg: must be a finite number"),
    ({**FENCE, "yaw_deg": "45"}, None, "obstacles[0].yaw_deg: expected a number"),
    ({**FENCE, "group": "fence"}, None, "obstacles[0].group: 'fence' is the id of"),
    ({**FENCE, "group": " "}, None, "obstacles[0].group: must not be empty"),
    (None, {"kind": "stairs_up", "x_m": 5.0, "depth_m": -0.1, "run_m": 0.3},
     "ground[0].count: missing"),
    (None, {"kind": "stairs_up", "x_m": 5.0, "depth_m": -0.1, "count": 3},
     "ground[0].run_m: missing"),
    (None, {"kind": "stairs_up", "x_m": 5.0, "depth_m": 0.1, "count": 3, "run_m": 0.3},
     "ground[0].depth_m: a stairs_up needs depth_m < 0 (up)"),
    (None, {"kind": "stairs_down", "x_m": 5.0, "depth_m": 0.1, "count": 3, "run_m": 0.3,
            "length_m": 2.0}, "ground[0].length_m: not for a stairs_down"),
    (None, {"kind": "stairs_down", "x_m": 5.0, "depth_m": 0.1, "count": 1, "run_m": 0.3},
     "ground[0].count: must be within 2..50"),
    (None, {"kind": "stairs_down", "x_m": 5.0, "depth_m": 0.1, "count": 3, "run_m": 0.05},
     "ground[0].run_m: must be within 0.15..10"),
    (None, {"kind": "kerb_up", "x_m": 5.0, "depth_m": -0.1, "count": 3},
     "ground[0].count: only for kind = \"stairs_up\" or \"stairs_down\""),
    (None, {"kind": "slope", "x_m": 5.0, "depth_m": -0.1, "length_m": 9.0, "group": "g"},
     "ground[0].group: a slope is not a hazard"),
])
def test_bad_composite_keys_are_refused_in_one_line(obstacle, ground, message):
    with pytest.raises(ScenarioError) as err:
        scenario([obstacle] if obstacle else [], [ground] if ground else [])
    text = str(err.value)
    assert text.startswith("t.toml: ") and message in text and "\n" not in text


def test_staircase_steps_count_against_the_ground_limit():
    many = [{"id": f"s{i}", "kind": "stairs_up", "x_m": 5.0 + 20 * i, "depth_m": -0.1,
             "count": 50, "run_m": 0.3} for i in range(21)]
    with pytest.raises(ScenarioError, match="ground: at most 1000 level changes"):
        scenario(ground=many)
