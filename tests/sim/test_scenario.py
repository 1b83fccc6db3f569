"""Scenario files: every key checked, errors name the file and the key, shipped library."""

import tomllib
from importlib import resources

import pytest
from hypothesis import given, settings, strategies as st

from pi_app.config import DEFAULT_SENSORS
from pi_app.exc import ConfigError, ScenarioError
from pi_app.sim import scenario
from pi_app.sim.randomize import random_scenario_data
from pi_app.sim.rig import XSHUT_PINS
from pi_app.sensors.chips import RANGE_KINDS, chip
from pi_app.sim.scenario import load_scenario, parse_scenario, shipped_scenarios
from pi_app.sim.scenario_file import read_scenario


def base(**top):
    data = {
        "name": "wall", "duration_s": 15.0, "seed": 3, "mode": "belt",
        "runner": {"speed_mps": 2.5},
        "sensors": [{"id": "rear", "kind": "vl53l1x", "role": "obstacle"},
                    {"id": "ground", "kind": "tfluna", "role": "surface", "pitch_deg": -25.0}],
        "obstacles": [{"x_m": 30.0, "width_m": 2.0, "height_m": 2.0}],
        "ground": [{"kind": "hole", "x_m": 10.0, "length_m": 0.3, "depth_m": 0.1}],
    }
    data.update(top)
    return data


def treadmill(**top):
    data = {"duration_s": 12.0, "mode": "treadmill",
            "treadmill": {"belt_speed_mps": 2.0, "deck_length_m": 1.5,
                          "position_profile": [[0.0, 0.8], [10.0, 0.3]]}}
    data.update(top)
    return data


def error(data, source="wall.toml") -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, source)
    return str(info.value)


def test_parses_a_full_belt_scenario_with_defaults():
    sc = parse_scenario(base(), "/some/dir/wall.toml")
    assert sc.name == "wall" and sc.duration_s == 15.0 and sc.seed == 3 and sc.mode == "belt"
    assert sc.runner.speed_profile == ((0.0, 2.5),)
    r = sc.runner
    assert (r.bounce_m, r.cadence_spm, r.arm_occlusion) == (0.06, 170.0, False)
    rear, ground = sc.sensors
    assert (rear.distance_mode, rear.timing_budget_ms, rear.mount_height_m) == ("long", 33, 1.0)
    assert (ground.distance_mode, ground.timing_budget_ms, ground.pitch_deg) == (None, None, -25.0)
    assert sc.obstacles[0].id == "obstacle-0" and sc.obstacles[0].depth_m == 0.3
    assert sc.ground[0].id == "hole-0" and sc.treadmill is None and sc.sunlight == 0.0
    assert sc.source == "/some/dir/wall.toml"


def test_name_defaults_to_the_file_stem_and_sensors_to_the_product_kit():
    data = base()
    del data["name"], data["sensors"]
    sc = parse_scenario(data, "trail.toml")
    assert sc.name == "trail"
    kit = [s for s in DEFAULT_SENSORS if s.role in ("obstacle", "surface")]
    assert [(s.id, s.kind, s.role, s.pitch_deg) for s in sc.sensors] == \
        [(s.id, s.kind, s.role, s.pitch_deg) for s in kit]
    tm = parse_scenario(treadmill(), "tm.toml")
    assert [(s.kind, s.role) for s in tm.sensors] == [("vl53l1x", "deck")]


@pytest.mark.parametrize("mutate, key, words", [
    (lambda d: d.update(colour="red"), "colour", "unknown key"),
    (lambda d: d["runner"].update(speeed_mps=2.0), "runner.speeed_mps", "unknown key"),
    (lambda d: d["obstacles"][0].update(colour=1), "obstacles[0].colour", "unknown key"),
    (lambda d: d.update(duration_s="ten"), "duration_s", "expected a number"),
    (lambda d: d.update(seed=1.5), "seed", "expected an integer"),
    (lambda d: d["runner"].update(arm_occlusion="yes"), "runner.arm_occlusion", "true or false"),
    (lambda d: d.update(obstacles={"x_m": 1.0}), "obstacles", "array of tables"),
    (lambda d: d.pop("duration_s"), "duration_s", "missing"),
    (lambda d: d["obstacles"][0].update(width_m=-1), "obstacles[0].width_m", "must be > 0, got -1"),
    (lambda d: d["ground"][0].update(length_m=-0.3), "ground[0].length_m", "must be > 0"),
    (lambda d: d.update(duration_s=-5.0), "duration_s", "must be within"),
    (lambda d: d["ground"][0].update(depth_m=-0.1), "ground[0].depth_m",
     "a hole needs depth_m > 0"),
    (lambda d: d["ground"].append({"kind": "kerb_up", "x_m": 5.0, "depth_m": 0.1}),
     "ground[1].depth_m", "needs depth_m < 0"),
    (lambda d: d["ground"][0].pop("length_m"), "ground[0].length_m", "needs a length"),
    (lambda d: d["ground"][0].update(kind="crater"), "ground[0].kind", "not one of"),
    (lambda d: d["runner"].update(speed_profile=[[0, 2.0], [5, 3.0]]), "runner.speed_profile",
     "not both"),
    (lambda d: d.update(runner={"speed_profile": [[0, 2.0], [5, 3.0], [5, 1.0]]}),
     "runner.speed_profile[2]", "times must increase"),
    (lambda d: d.update(runner={"speed_profile": [[0, 2.0], [5]]}),
     "runner.speed_profile[1]", "pair"),
    (lambda d: d.update(runner={"speed_profile": [[0, -1.0]]}),
     "runner.speed_profile[0]", "must be within"),
    (lambda d: d.update(runner={}), "runner.speed_mps", "missing"),
    (lambda d: d["sensors"][0].update(kind="lidar9000"), "sensors[0].kind", "not one of"),
    (lambda d: d["sensors"][1].update(distance_mode="short"), "sensors[1].distance_mode",
     "only for kind"),
    (lambda d: d["sensors"][0].update(role="deck"), "sensors[0].role", "treadmill"),
    (lambda d: d["sensors"][1].update(id="rear"), "sensors id", "used twice"),
    (lambda d: d["sensors"][1].update(id="imu"), "sensors[1].id", "reserved"),
    (lambda d: d.update(faults=[{"t_s": 1.0, "sensor": "side", "kind": "unplug"}]),
     "faults[0].sensor", "not a sensor"),
    (lambda d: d.update(faults=[{"t_s": 1.0, "sensor": "rear", "kind": "i2c_errors"}]),
     "faults[0].rate", "needed"),
    (lambda d: d.update(faults=[{"t_s": 1.0, "sensor": "rear", "kind": "stuck", "rate": 0.1}]),
     "faults[0].rate", "only for"),
    (lambda d: d.update(faults=[{"t_s": 1.0, "sensor": "imu", "kind": "blind"}]),
     "faults[0].sensor", "not a sensor"),
    (lambda d: d.update(treadmill={"belt_speed_mps": 2.0, "deck_length_m": 1.5,
                                   "position_profile": [[0, 1.0]]}),
     "treadmill", "needs mode = \"treadmill\""),
    (lambda d: d.update(ambient={"sunlight": 1.5}), "ambient.sunlight", "must be within"),
    (lambda d: d.update(expect={"false_alarms_max": -1}), "expect.false_alarms_max", ">= 0"),
])
def test_errors_name_the_file_and_the_key(mutate, key, words):
    data = base()
    mutate(data)
    message = error(data)
    assert message.startswith(f"wall.toml: {key}: "), message
    assert words in message


def test_exact_message_for_a_negative_width():
    data = base()
    data["obstacles"][0]["width_m"] = -1
    assert error(data) == "wall.toml: obstacles[0].width_m: must be > 0, got -1"


@pytest.mark.parametrize("mutate, key", [
    (lambda d: d.pop("treadmill"), "treadmill"),
    (lambda d: d.update(runner={"speed_mps": 2.0}), "runner.speed_mps"),
    (lambda d: d.update(obstacles=[{"x_m": 1.0, "width_m": 1.0, "height_m": 1.0}]), "obstacles"),
    (lambda d: d["treadmill"].update(position_profile=[[2.0, 1.0], [1.0, 1.0]]),
     "treadmill.position_profile[1]"),
    (lambda d: d["treadmill"].update(deck_length_m=0.0), "treadmill.deck_length_m"),
    (lambda d: d["treadmill"].pop("position_profile"), "treadmill.position_profile"),
])
def test_treadmill_errors(mutate, key):
    data = treadmill()
    mutate(data)
    assert error(data, "tm.toml").startswith(f"tm.toml: {key}: ")


def test_scenario_error_is_a_config_error_and_a_value_error():
    with pytest.raises(ConfigError):
        parse_scenario(base(duration_s=0.0), "x.toml")
    with pytest.raises(ValueError):
        parse_scenario(base(duration_s=0.0), "x.toml")


def test_optional_keys_of_the_extended_format():
    data = base(expect={"hazards": 2, "false_alarms_max": 0},
                faults=[{"t_s": 1.0, "sensor": "imu", "kind": "i2c_errors", "rate": 0.05},
                        {"t_s": 2.0, "sensor": "rear", "kind": "blind", "duration_s": 1.5}])
    data["sensors"][0].update(y_m=0.1, distance_mode="short", timing_budget_ms=50)
    data["obstacles"][0].update(id="ped", vy_mps=1.2, depth_m=0.4, speed_mps=1.0)
    data["ground"].append({"kind": "slope", "x_m": 20.0, "length_m": 10.0, "depth_m": -0.3})
    data["ground"].append({"kind": "kerb_down", "x_m": 40.0, "depth_m": 0.15, "id": "kerb"})
    sc = parse_scenario(data, "x.toml")
    assert sc.expect.hazards == 2 and sc.expect.false_alarms_max == 0 and sc.expect.contacts is None
    assert sc.faults[0].rate == 0.05 and sc.faults[1].duration_s == 1.5
    assert (sc.sensors[0].y_m, sc.sensors[0].distance_mode, sc.sensors[0].timing_budget_ms) == \
        (0.1, "short", 50)
    ped = sc.obstacles[0]
    assert (ped.id, ped.vy_mps, ped.depth_m) == ("ped", 1.2, 0.4)
    assert sc.ground[2].length_m is None and sc.ground[2].id == "kerb"


def test_load_by_path_and_by_name(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('duration_s = 12.0\n[runner]\nspeed_mps = 2.0\n')
    sc = load_scenario(path)
    assert sc.name == "mine" and sc.source == str(path)
    bad = tmp_path / "bad.toml"
    bad.write_text("duration_s = = 1\n")
    with pytest.raises(ScenarioError, match="bad.toml: not valid TOML"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="no-such-scenario: no such scenario"):
        load_scenario("no-such-scenario")
    assert load_scenario("wall-approach").source == "wall-approach.toml"


def test_shipped_library():
    names = shipped_scenarios()
    assert len(names) >= 20 and names == sorted(names)
    for required in ("wall-approach", "person-walking-toward", "passing-obstacle", "clean-run",
                     "park-bench", "trail-roots-holes", "kerb-down", "kerb-up",
                     "cyclist-from-behind", "pedestrian-crossing", "passing-objects",
                     "bright-sun-wall", "arm-occlusion-clean", "slow-jog-1.5",
                     "record-pace-4.5", "marathon-pace-3.15", "treadmill-drift-console",
                     "treadmill-drift-rear", "treadmill-step-off", "treadmill-clean", "slope",
                     "tfluna-long-range", "mb1242-wide-beam"):
        assert required in names
    for name in names:
        sc = load_scenario(name)
        assert sc.name == name
        assert len(sc.description) > 20, name
        assert 10.0 <= sc.duration_s <= 30.0, name
        # the files are plain TOML a user can copy
        text = resources.files("pi_app").joinpath(f"scenarios/{name}.toml").read_text()
        raw = tomllib.loads(text)
        assert raw["description"] == sc.description
    kinds = {f.kind for n in names for f in load_scenario(n).faults}
    assert kinds == {"unplug", "replug", "i2c_errors", "stuck", "blind", "bus_stuck", "restart"}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32))
def test_random_scenarios_stay_within_the_file_limits(seed):
    sc = parse_scenario(random_scenario_data(seed), "random.toml")  # ScenarioError past a limit
    assert sc.seed == seed and len(sc.obstacles) + len(sc.ground) >= 1


def test_limits_are_inclusive_and_match_the_rig():
    assert scenario.MAX_VL53L1X == len(XSHUT_PINS)       # one XSHUT pin per VL53L1X
    at_limit = base(obstacles=[{"x_m": 30.0 + i, "width_m": 0.3, "height_m": 1.0}
                               for i in range(scenario.MAX_OBSTACLES)],
                    ground=[], seed=scenario.MAX_SEED)
    sc = parse_scenario(at_limit, "full.toml")
    assert len(sc.obstacles) == scenario.MAX_OBSTACLES and sc.seed == 2**63 - 1
    at_limit["obstacles"].append(at_limit["obstacles"][0])
    assert error(at_limit) == "wall.toml: obstacles: at most 1000 entries, got 1001"


@pytest.mark.parametrize("kind", RANGE_KINDS)
def test_sensor_kinds_and_distance_modes_are_the_chip_catalogue_s(kind):
    modes = chip(kind).distance_modes
    for mode in modes:
        sc = parse_scenario(base(sensors=[{"id": "s", "kind": kind, "role": "obstacle",
                                           "distance_mode": mode}]))
        assert (sc.sensors[0].kind, sc.sensors[0].distance_mode) == (kind, mode)
    plain = parse_scenario(base(sensors=[{"id": "s", "kind": kind, "role": "obstacle"}]))
    assert plain.sensors[0].distance_mode == (scenario.DEFAULT_DISTANCE_MODE if modes else None)
    if not modes:
        assert "only for kind" in error(base(sensors=[{"id": "s", "kind": kind,
                                                        "role": "obstacle",
                                                        "distance_mode": "long"}]))


def test_an_unknown_distance_mode_names_the_chip_s_modes():
    data = base()
    data["sensors"][0]["distance_mode"] = "medium"
    assert error(data) == ("wall.toml: sensors[0].distance_mode: 'medium' is not one of "
                           + ", ".join(repr(m) for m in chip("vl53l1x").distance_modes))


def test_one_xshut_pin_per_vl53l1x():
    rears = [{"id": f"r{i}", "kind": "vl53l1x", "role": "obstacle"}
             for i in range(scenario.MAX_VL53L1X + 1)]
    assert len(parse_scenario(base(sensors=rears[:-1])).sensors) == scenario.MAX_VL53L1X
    assert error(base(sensors=rears)) == ('wall.toml: sensors: at most 6 of kind "vl53l1x" '
                                          "(one XSHUT pin each), got 7")


def test_a_file_reads_as_the_table_and_the_source_its_errors_name(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('duration_s = 12.0\n[runner]\nspeed_mps = 2.0\n')
    assert read_scenario(path) == ({"duration_s": 12.0, "runner": {"speed_mps": 2.0}},
                                   str(path))
    table, source = read_scenario("wall-approach")
    assert source == "wall-approach.toml" and parse_scenario(table, source).name == \
        "wall-approach"


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["obstacles"][0].update(width_m=1e9),
     "obstacles[0].width_m: must be <= 100, got 1e+09"),
    (lambda d: d["obstacles"][0].update(y_m=-1e4),
     "obstacles[0].y_m: must be within -100..100, got -10000"),
    (lambda d: d["ground"][0].update(length_m=1e12),
     "ground[0].length_m: must be <= 1.0368e+06, got 1e+12"),
    (lambda d: d.update(seed=2**64), "seed: must be <= 9223372036854775807, got 18446744073709551616"),
    (lambda d: d.update(seed=10**400), "seed: must be <= 9223372036854775807, got 1000000000"
     "00000000...0000000000000000000"),
    (lambda d: d.update(faults=[{"t_s": 1.0, "kind": "bus_stuck", "duration_s": 1e9}]),
     "faults[0].duration_s: must be <= 86400, got 1e+09"),
    (lambda d: d["obstacles"][0].update(id="x" * 10_000), None),
])
def test_absurd_values_are_refused_with_file_and_key(mutate, message):
    data = base()
    mutate(data)
    if message is None:                            # a long id is fine, only quoted short
        data["ground"][0]["id"] = data["obstacles"][0]["id"]
        got = error(data)
        assert got.startswith("wall.toml: obstacles/ground id: 'xxx") and len(got) < 200
    else:
        assert error(data) == f"wall.toml: {message}"


def test_file_level_failures_name_the_file(tmp_path):
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"duration_s = 10.0\n\n# caf\xe9\n")
    with pytest.raises(ScenarioError, match=r"^latin\.toml: line 3: not UTF-8 text \(byte 0xe9\)"):
        load_scenario(latin)
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbfduration_s = 10.0\n[runner]\nspeed_mps = 2.0\n")
    assert load_scenario(bom).duration_s == 10.0           # a Windows editor's BOM is fine
    with pytest.raises(ScenarioError, match="not a scenario file"):
        load_scenario(tmp_path)
