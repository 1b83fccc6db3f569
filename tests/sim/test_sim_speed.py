"""Simulator speed: a benchmark of a whole belt run, and the shortcuts that make it fast
shown to give exactly the numbers of the straightforward code (the golden outputs in
test_golden.py depend on every bit of them)."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from pi_app.sim.gait import Gait
from pi_app.sim.geometry import EPS, cast_box
from pi_app.sim.rig import SimRig, run_scenario
from pi_app.sim.scenario import load_scenario, parse_scenario
from pi_app.sim.world import CAST_LIMIT_M, SensorView, World

finite = st.floats(-30.0, 30.0, allow_nan=False)
unit = st.floats(-1.0, 1.0, allow_nan=False)


def test_benchmark_default_kit_belt_run(benchmark):
    """`backsight bench`'s sim_speedup scenario: a level VL53L1X, a TF-Luna angled down and
    the belt IMU, all through SimBus register by register. Runs once unless benchmarks are on."""
    result = benchmark(run_scenario, load_scenario("wall-approach"))
    (wall,) = result["hazards"]
    assert wall["id"] == "wall" and wall["outcome"] == "hit"


def test_each_view_casts_once_per_chip_sample_not_per_register_read(monkeypatch):
    casts = []
    real = SensorView._cast_belt
    monkeypatch.setattr(SensorView, "_cast_belt",
                        lambda self, t_s: casts.append((self.id, t_s)) or real(self, t_s))
    sc = load_scenario("wall-approach")
    rig = SimRig(sc)
    try:
        rig.run()
        per_view = {v: [t for i, t in casts if i == v] for v in ("rear", "ground")}
        reads = rig.bus.transactions
    finally:
        rig.close()
    # TF-Luna frames at the 250 Hz the driver sets; VL53L1X results every 33 ms budget
    assert len(per_view["ground"]) <= sc.duration_s * 250 + 2
    assert len(per_view["rear"]) <= sc.duration_s / 0.033 + 2
    assert len(casts) < reads / 4          # far fewer measurements than bus transactions
    assert all(len(set(ts)) == len(ts) for ts in per_view.values())   # never twice per instant


def reference_cast_box(ox, oy, oz, dx, dy, dz, x0, x1, y0, y1, z0, z1, s_max):
    """The slab test as a loop over the three axes."""
    t_near, t_far = 0.0, s_max
    for o, d, lo, hi in ((ox, dx, x0, x1), (oy, dy, y0, y1), (oz, dz, z0, z1)):
        if -EPS < d < EPS:
            if o < lo or o > hi:
                return None
            continue
        a, b = (lo - o) / d, (hi - o) / d
        if a > b:
            a, b = b, a
        if a > t_near:
            t_near = a
        if b < t_far:
            t_far = b
        if t_near > t_far:
            return None
    return t_near


@settings(max_examples=400, deadline=None)
@given(origin=st.tuples(finite, finite, finite), ray=st.tuples(unit, unit, unit),
       corner=st.tuples(finite, finite, finite),
       size=st.tuples(st.floats(0.0, 10.0), st.floats(0.0, 10.0), st.floats(0.0, 10.0)),
       s_max=st.floats(0.0, CAST_LIMIT_M))
def test_cast_box_gives_the_loop_slab_tests_answer_bit_for_bit(origin, ray, corner, size, s_max):
    box = (corner[0], corner[0] + size[0], corner[1], corner[1] + size[1],
           corner[2], corner[2] + size[2])
    assert cast_box(*origin, *ray, *box, s_max) == reference_cast_box(*origin, *ray, *box, s_max)


@settings(max_examples=200, deadline=None)
@given(t_s=st.floats(0.0, 600.0), seed=st.integers(0, 10_000))
def test_gait_shortcuts_give_the_same_numbers(t_s, seed):
    runner = parse_scenario({"duration_s": 10.0, "seed": seed, "runner": {"speed_mps": 2.0},
                             "sensors": [{"id": "rear", "kind": "vl53l1x",
                                          "role": "obstacle"}]}, "t.toml").runner
    cached, fresh = Gait(runner, seed), Gait(runner, seed)
    cached.phase(t_s / 2)                     # something else in the one-entry caches
    assert cached.bounce_and_pitch(t_s) == (fresh.bounce_m(t_s), Gait(runner, seed)
                                            .trunk_pitch_deg(t_s))
    wander = fresh._wander
    assert fresh.rate(t_s) == fresh.omega * (1.0 + fresh._share * sum(
        math.sin(w * t_s + p) for w, p, _ in wander))
    assert fresh.rate_change(t_s) == fresh.omega * fresh._share * sum(
        w * math.cos(w * t_s + p) for w, p, _ in wander)
    assert cached.phase(t_s) == Gait(runner, seed).phase(t_s)


def test_boxes_out_of_reach_are_left_out_without_changing_a_hit():
    obstacles = [{"id": f"box{k}", "x_m": 3.0 + 6.0 * k, "y_m": 0.4 * (k % 3 - 1),
                  "width_m": 1.0, "height_m": 1.2, "depth_m": 0.5} for k in range(8)]
    data = {"duration_s": 20.0, "seed": 3, "runner": {"speed_mps": 2.0},
            "sensors": [{"id": "rear", "kind": "vl53l1x", "role": "obstacle"}],
            "obstacles": obstacles}
    world = World(parse_scenario(data, "t.toml"))
    view = world.view("rear")
    left_out = 0
    for k in range(400):
        t_s = k * 0.05
        pose = world.belt_pose(t_s)
        got = view.hit(t_s)
        # the same cast against every box
        world._pose = pose[:5] + (tuple(world.boxes_at(t_s)),)
        view._last_t = None
        assert view.hit(t_s) == got, t_s
        left_out += len(world.boxes_at(t_s)) - len(pose[5])
    assert left_out > 0
