"""Every kit, from the first second: the shipped kit scenarios over many seeds.

A kit is the chips fitted and their roles; the same physics must hold on each. These
tests run a shipped scenario under seeds other than its own (the seed draws the chips'
noise and the gait's wander), so a result cannot rest on one lucky draw.
"""

from __future__ import annotations

from dataclasses import replace

from pi_app.config import Config
from pi_app.sensors.chips import MB1242_RANGE_CYCLE_S
from pi_app.sim.rig import run_scenario
from pi_app.sim.scenario import load_scenario

CFG = Config.defaults()


def runs(name: str, seeds):
    scenario = load_scenario(name)
    return [(seed, run_scenario(replace(scenario, seed=seed))) for seed in seeds]


def test_a_10_hz_ultrasonic_rear_sensor_warns_within_two_echoes_of_the_warning_time():
    # 2.2 m/s toward a hedge: its echoes reach 7.65 m (3.5 s), so the warning is due when
    # the time to contact falls to warning_ttc_s; two echoes of a 10 Hz sensor are the
    # least that can measure a closing speed, and the ground's echoes come between them
    goal_s = CFG.obstacle.warning_ttc_s - 2 * MB1242_RANGE_CYCLE_S
    for seed, result in runs("mb1242-hedge-2.2", range(1, 7)):
        (hedge,) = result["hazards"]
        assert hedge["lead_s"] is not None and hedge["lead_s"] >= goal_s - 1e-9, (seed, hedge)
        assert result["summary"]["false_alarms"] == 0, (seed, result["alerts"])


SEEDS = range(1, 21)


def test_speeding_up_with_an_ultrasonic_rear_sensor_raises_no_false_alarm():
    # 1.8 -> 3.0 m/s at 1 m/s2 and back to 2.2: the accelerometer reads the push as a
    # lean of up to 6 deg, which moves the wide cone's grazing ground echo by metres
    for seed, result in runs("mb1242-speeding-up", SEEDS):
        assert result["summary"]["false_alarms"] == 0, (seed, result["alerts"])
        assert all(h["outcome"] == "hit" for h in result["hazards"]), (seed, result["hazards"])
