"""The belt IMU is watched like the range sensors: a fault within 250 ms of an unplug,
re-initialised after a replug, and surface detection waits for a fresh pitch."""

import tomllib

from pi_app.detect import Level
from pi_app.sim.rig import SimRig
from pi_app.sim.scenario import _shipped_dir, parse_scenario


def run_clean_run_with(faults):
    data = tomllib.loads(_shipped_dir().joinpath("clean-run.toml").read_text())
    data["faults"] = faults
    rig = SimRig(parse_scenario(data))
    rig.run()
    return rig


def test_imu_unplug_is_signalled_and_recovers_after_replug():
    rig = run_clean_run_with([{"t_s": 3.0, "sensor": "imu", "kind": "unplug"},
                              {"t_s": 5.0, "sensor": "imu", "kind": "replug"}])
    try:
        imu_faults = [(t, s) for t, s in rig.loop.alerts if s.source == "imu"]
        assert imu_faults and imu_faults[0][1].level == Level.FAULT
        assert 3.0 < imu_faults[0][0] <= 3.25
        cleared = [t for t, s in rig.loop.alerts if t > imu_faults[0][0] and s.level == Level.CLEAR]
        assert cleared and 5.0 < cleared[0] <= 6.0
        assert rig.loop.imu.fresh(rig.loop.clock.now_s())   # pitch is live again
        assert not any(s.level >= Level.WARNING for _, s in rig.loop.alerts)
    finally:
        rig.close()


def test_an_imu_that_rebooted_asleep_is_woken_again():
    rig = run_clean_run_with([{"t_s": 3.0, "sensor": "imu", "kind": "unplug", "duration_s": 0.05}])
    try:
        dev = rig.emulators["imu"]
        assert rig.loop.imu.fresh(rig.loop.clock.now_s())      # reading real samples again
        assert dev.bus.read_byte_data(0x68, 0x6B) & 0x40 == 0  # PWR_MGMT_1: not asleep
        assert not any(s.level >= Level.WARNING for _, s in rig.loop.alerts)
    finally:
        rig.close()
