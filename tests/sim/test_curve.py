"""The detection-curve tool: runs drawn like sim --random with one ground feature."""

from pi_app.sim.curve import Point, feature_run, markdown, measure
from pi_app.sim.curve import HOLE_DEPTHS_M, ROOT_HEIGHTS_M, SPEEDS_MPS
from pi_app.sim.scenario import parse_scenario


def test_a_curve_run_has_the_one_feature_at_the_asked_speed():
    data = feature_run("root", 0.07, 3.0, seed=5)
    scenario = parse_scenario(data, "test")
    assert scenario.runner.speed_profile[0][1] == 3.0
    assert [(g.kind, g.depth_m) for g in scenario.ground] == [("root", -0.07)]
    assert not scenario.obstacles
    assert not parse_scenario(feature_run("clean", 0.0, 3.0, seed=5), "test").ground


def test_a_tall_root_is_warned_and_a_clean_run_raises_nothing():
    root = measure("root", 0.12, 3.0, runs=1)
    assert root.runs == 1 and root.warned == 1
    clean = measure("clean", 0.0, 3.0, runs=1)
    assert clean.false_alarms == 0 and clean.duration_s > 0


def test_the_table_has_a_row_per_size_and_a_column_per_speed():
    points = [Point(k, s, v, 4, 2, 3, 0, 100.0) for v in SPEEDS_MPS
              for k, sizes in (("root", ROOT_HEIGHTS_M), ("hole", HOLE_DEPTHS_M)) for s in sizes]
    points += [Point("clean", 0.0, v, 4, 0, 0, 1, 3600.0) for v in SPEEDS_MPS]
    text = markdown(points)
    assert text.count("50% in time, 75% warned") == len(SPEEDS_MPS) * (len(ROOT_HEIGHTS_M) + len(HOLE_DEPTHS_M))
    assert "1.0 (1 in 60 min)" in text
