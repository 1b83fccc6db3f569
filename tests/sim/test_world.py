"""World model geometry against hand-computed answers (noise-free, deterministic)."""

import math

import pytest

from pi_app.sim.gait import Gait
from pi_app.sim.geometry import GroundProfile, beam_rays
from pi_app.sim.scenario import parse_scenario
from pi_app.sim.world import CAST_LIMIT_M, ROOM_BEHIND_DECK_M, World

STILL = {"bounce_m": 0.0, "pitch_deg": 0.0, "pitch_swing_deg": 0.0}
HALF_VL_RAD = math.radians(13.5)    # VL53L1X: 27 deg full cone
HALF_LUNA_RAD = math.radians(1.0)   # TF-Luna: 2 deg


def belt(obstacles=(), ground=(), sensors=None, runner=None, **top):
    data = {"duration_s": 20.0, "seed": 5,
            "runner": {**STILL, **(runner or {})},
            "sensors": sensors or [
                {"id": "rear", "kind": "vl53l1x", "role": "obstacle"},
                {"id": "ground", "kind": "tfluna", "role": "surface", "pitch_deg": -25.0}],
            "obstacles": list(obstacles), "ground": list(ground)}
    if "speed_profile" not in data["runner"]:
        data["runner"].setdefault("speed_mps", 2.0)
    data.update(top)
    return World(parse_scenario(data, "test.toml"))


def test_level_sensor_ranges_a_wall_face():
    w = belt([{"id": "wall", "x_m": 20.0, "width_m": 6.0, "height_m": 2.5}])
    view = w.view("rear")
    assert view.hit(6.0)[1] == "ground"      # 8 m away: the beam's lower edge meets
    for t_s in (8.5, 9.0, 9.5):              # the ground at 4.3 m first
        d, target = view.hit(t_s)
        assert target == "wall"
        assert d == pytest.approx(20.0 - 2.0 * t_s, abs=1e-9)   # axis ray, square to the face
        assert view(t_s) == d


def test_lower_beam_edge_meets_level_ground_where_trigonometry_says():
    for height_m in (1.0, 1.5):
        w = belt(sensors=[{"id": "rear", "kind": "vl53l1x", "role": "obstacle",
                           "mount_height_m": height_m}])
        d, target = w.view("rear").hit(0.0)
        assert target == "ground"
        assert d == pytest.approx(height_m / math.sin(HALF_VL_RAD), rel=1e-9)
        assert d * math.cos(HALF_VL_RAD) == pytest.approx(height_m / math.tan(HALF_VL_RAD))
    assert 1.0 / math.tan(HALF_VL_RAD) == pytest.approx(4.165, abs=0.001)   # "~4.2 m"


def test_a_forward_lean_tilts_the_rear_beam_up():
    w = belt(runner={"pitch_deg": 8.0})
    d, _ = w.view("rear").hit(0.0)
    assert d == pytest.approx(1.0 / math.sin(HALF_VL_RAD - math.radians(8.0)), rel=1e-9)
    assert w.trunk_pitch_deg(0.0) == 8.0


def test_bounce_and_pitch_swing_follow_the_step_frequency():
    w = belt(runner={"bounce_m": 0.06, "pitch_deg": 5.0, "pitch_swing_deg": 3.0,
                     "cadence_spm": 180.0})
    g = w.gait
    lo, hi = 0.0, 0.25 / 3.0 * 1.1                  # a quarter step, give or take the wander
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if g.phase(mid) < math.pi / 2 else (lo, mid)
    top_s = (lo + hi) / 2
    assert top_s == pytest.approx(0.25 / 3.0, rel=Gait.CADENCE_WANDER)
    size = g.size(top_s)
    assert abs(size - 1.0) <= Gait.SIZE_WANDER
    assert w.bounce_m(top_s) == pytest.approx(0.03 * size)
    assert w.trunk_pitch_deg(top_s) == pytest.approx(5.0 + 3.0 * size)
    d, _ = w.view("ground").hit(top_s)   # up by the bounce, beam at -25 + pitch - 1 deg
    below = math.radians(25.0 - 3.0 * size - 5.0 + 1.0)
    assert d == pytest.approx((1.0 + 0.03 * size) / math.sin(below), rel=1e-9)


def test_the_gait_is_not_a_metronome():
    """Cadence wanders within +-CADENCE_WANDER, step size within +-SIZE_WANDER, from
    the seed: steps keep their average rate, no two seeds step alike."""
    a = belt(runner={"cadence_spm": 170.0}).gait
    rates = [a.rate(k * 0.05) / a.omega for k in range(2000)]
    assert max(abs(r - 1.0) for r in rates) <= Gait.CADENCE_WANDER + 1e-12
    assert max(rates) - min(rates) > Gait.CADENCE_WANDER          # it does wander
    assert a.steps(100.0) == pytest.approx(170.0 / 60.0 * 100.0, rel=0.002)
    h = 1e-5                                                      # phase' is rate
    assert (a.phase(3.0 + h) - a.phase(3.0 - h)) / (2 * h) == pytest.approx(a.rate(3.0))
    sizes = [a.size(k * 0.05) for k in range(2000)]
    assert 0.9 - 1e-12 <= min(sizes) < 0.95 and 1.05 < max(sizes) <= 1.1 + 1e-12
    other = belt(runner={"cadence_spm": 170.0}, seed=99).gait
    assert other.phase(10.0) != pytest.approx(a.phase(10.0), abs=0.01)


def test_a_5cm_hole_lengthens_the_down_angled_range_by_depth_over_sine():
    flat = belt()
    holed = belt(ground=[{"id": "pit", "kind": "hole", "x_m": 10.0, "length_m": 1.0,
                          "depth_m": 0.05}])
    below = math.radians(25.0) + HALF_LUNA_RAD
    t_s = (10.5 - 1.0 / math.tan(below)) / 2.0      # lower edge lands mid-hole
    d_flat, _ = flat.view("ground").hit(t_s)
    d_hole, target = holed.view("ground").hit(t_s)
    assert target == "pit"
    assert d_flat == pytest.approx(1.0 / math.sin(below), rel=1e-9)
    assert d_hole - d_flat == pytest.approx(0.05 / math.sin(below), rel=1e-6)


def test_a_5cm_step_is_seen_at_1_to_2_m():
    up = belt(ground=[{"id": "step", "kind": "rise", "x_m": 10.0, "depth_m": -0.05}],
              runner={"speed_mps": 1.0})
    view = up.view("ground")
    below = math.radians(25.0) + HALF_LUNA_RAD
    reach_m = 1.0 / math.tan(below)
    before, _ = view.hit(10.0 - reach_m - 0.1)
    after, target = view.hit(10.0 - reach_m + 0.5)
    assert target == "step"
    assert before == pytest.approx(1.0 / math.sin(below))
    assert after == pytest.approx(0.95 / math.sin(below), rel=1e-6)
    # standing on the raised ground, the sensor is raised with the runner
    assert up.ground_height_m(12.0) == pytest.approx(0.05)
    assert view.hit(12.0)[0] == pytest.approx(1.0 / math.sin(below))


def test_kerb_up_face_and_hole_far_wall_belong_to_their_feature():
    profile = GroundProfile([("kerb", "kerb_up", 5.0, None, -0.15),
                             ("pit", "hole", 2.0, 0.5, 0.3)])
    s, label = profile.cast(0.0, 0.1, 1.0, 0.0, 20.0)     # a level ray 10 cm up
    assert (s, label) == (pytest.approx(5.0), "kerb")
    s, label = profile.cast(2.1, -0.1, 1.0, 0.0, 20.0)    # inside the hole, level
    assert (s, label) == (pytest.approx(0.4), "pit")
    assert profile.height_m(2.2) == -0.3 and profile.height_m(6.0) == 0.15
    assert profile.label_at(1.0) == "ground" and profile.label_at(7.0) == "kerb"


def test_slope_ramps_linearly_and_keeps_its_level():
    profile = GroundProfile([("grade", "slope", 10.0, 20.0, -0.6)])
    assert profile.height_m(5.0) == 0.0
    assert profile.height_m(20.0) == pytest.approx(0.3)
    assert profile.height_m(40.0) == pytest.approx(0.6)
    assert profile.label_at(15.0) == "grade" and profile.label_at(35.0) == "ground"
    # a ray going down at 45 deg from (0, 1) meets a 3 % climb before x = 1
    k = 1 / math.sqrt(2)
    s, _ = GroundProfile([("g", "slope", 0.0, 20.0, -0.6)]).cast(0.0, 1.0, k, -k, 10.0)
    assert s * k == pytest.approx(1.0 / 1.03)


def test_ray_pattern_has_exact_edges():
    rays = beam_rays(27.0, 0.0, 0.0)
    assert len(rays) == 19 and len(beam_rays(2.0, 0.0, 0.0)) == 7
    assert min(z for _, _, z in rays) == pytest.approx(-math.sin(HALF_VL_RAD))
    assert all(abs(math.hypot(*r) - 1.0) < 1e-12 for r in rays)
    yawed = beam_rays(27.0, 0.0, 90.0)
    assert yawed[0] == pytest.approx((0.0, 1.0, 0.0), abs=1e-12)


def test_moving_obstacle_closes_at_runner_plus_object_speed():
    w = belt([{"id": "ped", "x_m": 30.0, "width_m": 0.5, "height_m": 1.75, "speed_mps": 1.5}])
    view = w.view("rear")
    d1, _ = view.hit(7.6)
    d2, target = view.hit(7.8)
    assert target == "ped"
    assert (d1 - d2) / 0.2 == pytest.approx(2.0 + 1.5)


def test_crossing_obstacle_moves_across_the_path():
    w = belt([{"id": "ped", "x_m": 10.0, "y_m": -5.0, "width_m": 0.5, "height_m": 1.75,
               "vy_mps": 1.0}])
    assert w.footprint(0, 3.0) == pytest.approx((10.0, 10.3, -2.25, -1.75))
    view = w.view("rear")
    assert view.hit(3.0)[1] != "ped"            # 5 m behind, 2 m to the side: outside 13.5 deg
    assert view.hit(4.9) == (pytest.approx(10.0 - 9.8), "ped")


def test_obstacle_beside_the_path_stays_out_of_the_cone():
    w = belt([{"id": "post", "x_m": 10.0, "y_m": 1.2, "width_m": 0.15, "height_m": 3.0}])
    view = w.view("rear")
    assert all(view.hit(i * 0.05)[1] != "post" for i in range(200))


def test_yawed_sensor_with_lateral_offset_sees_a_side_object():
    w = belt([{"id": "post", "x_m": 0.6, "y_m": 1.0, "width_m": 0.2, "height_m": 2.0}],
             sensors=[{"id": "side", "kind": "tfluna", "role": "obstacle", "yaw_deg": 45.0,
                       "y_m": 0.2}])
    d, target = w.view("side").hit(0.0)
    assert target == "post"
    assert d == pytest.approx(0.7 * math.sqrt(2), abs=0.02)   # left face y = 0.9: 0.7 m across


def test_hands_appear_only_with_arm_occlusion_and_only_for_hip_rear_sensors():
    sensors = [{"id": "rear", "kind": "vl53l1x", "role": "obstacle"},
               {"id": "side", "kind": "vl53l1x", "role": "obstacle", "yaw_deg": 60.0},
               {"id": "low", "kind": "tfluna", "role": "surface", "mount_height_m": 0.4,
                "pitch_deg": -20.0}]
    grid = [i * 0.002 for i in range(5000)]
    quiet = belt(sensors=sensors)
    assert all(quiet.view("rear").hit(t)[1] != "hand" for t in grid)
    busy = belt(sensors=sensors, runner={"arm_occlusion": True, "cadence_spm": 170.0})
    hits = [busy.view("rear").hit(t) for t in grid]
    hand = [d for d, target in hits if target == "hand"]
    assert hand and all(0.30 <= d <= 0.40 for d in hand)
    share = len(hand) / len(grid)
    step_hz = 170.0 / 60.0
    assert 0.04 * step_hz < share < 0.09 * step_hz    # ~60 ms once per step
    crossings = sum(1 for a, b in zip(hits, hits[1:]) if a[1] != "hand" and b[1] == "hand")
    assert abs(crossings - 10.0 * step_hz) <= 1
    for other in ("side", "low"):
        assert all(busy.view(other).hit(t)[1] != "hand" for t in grid)
    # the phase is fixed by the seed: the same scenario gives the same crossings
    again = belt(sensors=sensors, runner={"arm_occlusion": True, "cadence_spm": 170.0})
    assert [again.view("rear").hit(t) for t in grid[:500]] == hits[:500]


def treadmill_world(profile, **runner):
    data = {"duration_s": 20.0, "mode": "treadmill", "runner": {**STILL, **runner},
            "treadmill": {"belt_speed_mps": 2.0, "deck_length_m": 1.5,
                          "position_profile": profile}}
    return World(parse_scenario(data, "tm.toml"))


def test_treadmill_distance_follows_the_position_profile():
    w = treadmill_world([[0.0, 0.8], [10.0, 0.3], [12.0, 1.4], [13.0, 2.0]])
    view = w.view("deck")
    assert view.kind == "vl53l1x" and w.speed_mps(3.0) == 2.0
    for t_s, expected_m in ((0.0, 0.8), (5.0, 0.55), (10.0, 0.3), (11.0, 0.85)):
        assert view.hit(t_s) == (pytest.approx(expected_m, abs=1e-9), "runner")
        assert w.runner_x_m(t_s) == pytest.approx(expected_m)
    # beyond the deck the runner is gone: the room behind the deck
    assert view.hit(14.0) == (pytest.approx(1.5 + ROOM_BEHIND_DECK_M), "room")


def test_treadmill_back_sways_fore_aft_with_the_stride():
    # braked at each landing, pushed on at each take-off: +-3 cm for a 6 cm bounce,
    # which the deck detector's smoothing window must average out
    w = treadmill_world([[0.0, 0.8]], bounce_m=0.06, pitch_deg=5.0, pitch_swing_deg=4.0)
    ds = [w.view("deck")(i * 0.01) for i in range(200)]
    assert 0.05 < max(ds) - min(ds) < 0.08
    assert abs(sum(ds) / len(ds) - 0.8) < 0.01


def test_speed_profile_integrates_to_position():
    w = belt(runner={"speed_profile": [[0.0, 0.0], [10.0, 2.0], [20.0, 2.0]]})
    assert w.runner_x_m(10.0) == pytest.approx(10.0)
    assert w.runner_x_m(15.0) == pytest.approx(20.0)
    assert w.speed_mps(5.0) == pytest.approx(1.0)
    assert w.runner_x_m(25.0) == pytest.approx(40.0)    # 2 m/s held after the last point


def test_imu_motion_frame():
    still = belt(runner={"pitch_deg": 10.0})
    accel, gyro = still.imu_motion(1.0)
    th = math.radians(10.0)
    assert accel == pytest.approx((-math.sin(th), 0.0, math.cos(th)))
    assert gyro == pytest.approx((0.0, 0.0, 0.0))
    moving = belt(runner={"bounce_m": 0.06, "pitch_deg": 5.0, "pitch_swing_deg": 3.0})
    n, step_s = 600, 1.0 / (170.0 / 60.0)
    mean_up = sum(moving.imu_motion(i * step_s / n)[0][2] for i in range(n)) / n
    assert mean_up == pytest.approx(math.cos(math.radians(5.0)), abs=0.01)
    h = 1e-5
    rate = (moving.trunk_pitch_deg(0.3 + h) - moving.trunk_pitch_deg(0.3 - h)) / (2 * h)
    assert moving.imu_motion(0.3)[1][1] == pytest.approx(rate, rel=1e-6)
    # the vertical acceleration is the bounce's second derivative (wander included)
    h = 1e-4
    flat = belt(runner={"bounce_m": 0.06, "pitch_deg": 0.0, "pitch_swing_deg": 0.0})
    b = flat.bounce_m
    up_mps2 = (b(0.3 + h) - 2 * b(0.3) + b(0.3 - h)) / (h * h)
    assert (flat.imu_motion(0.3)[0][2] - 1.0) * 9.80665 == pytest.approx(up_mps2, rel=1e-3)
    speeding = belt(runner={"speed_profile": [[0.0, 1.0], [2.0, 3.0]]})
    assert speeding.imu_motion(1.0)[0][0] == pytest.approx(-1.0 / 9.80665)


def test_view_attributes_blind_windows_and_nothing_in_range():
    data = {"duration_s": 20.0, "runner": {"speed_mps": 2.0, **STILL},
            "sensors": [{"id": "up", "kind": "vl53l1x", "role": "obstacle", "pitch_deg": 30.0}],
            "ambient": {"sunlight": 0.7},
            "faults": [{"t_s": 2.0, "sensor": "up", "kind": "blind", "duration_s": 1.0},
                       {"t_s": 9.0, "sensor": "up", "kind": "blind"}]}
    w = World(parse_scenario(data, "b.toml"))
    view = w.view("up")
    assert view.sunlight == 0.7 and view.kind == "vl53l1x"
    assert [view.blinded(t) for t in (1.9, 2.0, 2.9, 3.0, 8.9, 9.0, 19.0)] == \
        [False, True, True, False, False, True, True]
    assert view.hit(1.0) == (None, None) and view(1.0) is None   # looking at the sky
    assert CAST_LIMIT_M >= 8.0
    with pytest.raises(KeyError):
        w.view("nope")
