"""Kits with two chips of one kind: each must answer at its own address."""

from dataclasses import replace

import pytest

from pi_app.sim.rig import SimRig, run_scenario, scenario_config
from pi_app.sim.scenario import load_scenario


def two_of(kind):
    sc = load_scenario("park-bench")
    sensors = tuple(replace(s, kind=kind, distance_mode=None, timing_budget_ms=None)
                    for s in sc.sensors)
    return replace(sc, sensors=sensors)


@pytest.mark.parametrize("kind, first, second", [("tfluna", 0x10, 0x11), ("mb1242", 0x70, 0x71)])
def test_a_second_chip_of_a_kind_gets_the_next_address(kind, first, second):
    cfg = scenario_config(two_of(kind))
    by_id = {s.id: s for s in cfg.sensors}
    # park-bench wears the default kit: two level chips, then the ground sensor
    ids = [s.id for s in cfg.sensors if s.role != "imu"]
    assert [by_id[i].bus_address for i in ids] == [first, second, second + 1]
    rig = SimRig(two_of(kind))
    assert rig.device.selftest_ok, rig.device.errors
    assert rig.bus.device_at(first) is rig.emulators[ids[0]]
    assert rig.bus.device_at(second) is rig.emulators[ids[1]]


def test_two_tf_lunas_both_range_and_the_bench_is_warned():
    # a 2-degree TF-Luna at belt height passes over a 0.85 m bench: the down-angled
    # one must see it, so it has to be read at its own address
    result = run_scenario(two_of("tfluna"), "backsight")
    (bench,) = result["hazards"]
    assert bench["outcome"] in ("hit", "late"), bench
    assert result["false_alarms"] == 0
