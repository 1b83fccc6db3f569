"""Start-up self-test on the simulated device: a sensor or output that is missing is
named (id, kind, address), the outputs play the self-test fault tone first, and the
device runs on with what works. Pins are read after each loop cycle at simulated time.
"""

from __future__ import annotations

import pytest

from conftest import unchecked_config

from pi_app.alert import patterns
from pi_app.config import Config
from pi_app.detect import Level
from pi_app.sim.rig import SimRig
from pi_app.sim.scenario import load_scenario, parse_scenario
from pi_app.selftest import NoOutputs


def on(pin) -> bool:
    return bool(pin.state) and pin.state > 0


def drive(rig, until_s):
    """Step the loop to ``until_s``; ``[(t_s, buzzer_on, motor_on, pattern, state)]``."""
    loop, clock = rig.loop, rig.clock
    buzzer = rig.pin_factory.pin(rig.cfg.alert.buzzer_pin)
    motor = rig.pin_factory.pin(rig.cfg.alert.motor_pin)
    out, next_t_s = [], clock.now_s()
    while clock.now_s() < until_s:
        t_s = clock.now_s()
        state = loop.step()
        out.append((t_s, on(buzzer), on(motor), loop.outputs.pattern, state))
        next_t_s = max(next_t_s + loop.period_s, clock.now_s())
        clock.sleep_until(next_t_s)
    return out


def cfg_with(**values):
    """Defaults with ``values``, past the schema's rules: the self-test must cope with a
    pin that is taken (by another process, or here by another part) all the same."""
    return unchecked_config(**values)


@pytest.fixture
def rigs():
    made = []

    def make(scenario, **kwargs):
        rig = SimRig(load_scenario(scenario) if isinstance(scenario, str) else scenario,
                     **kwargs)
        made.append(rig)
        return rig
    yield make
    for rig in made:
        rig.close()


def two_vl53l1x():
    return parse_scenario({
        "name": "two", "duration_s": 5.0, "runner": {"speed_mps": 2.0},
        "sensors": [{"id": "rear", "kind": "vl53l1x", "role": "obstacle"},
                    {"id": "side", "kind": "vl53l1x", "role": "obstacle", "yaw_deg": 30.0}]},
        "two.toml")


# --- a missing sensor --------------------------------------------------------------------
def test_missing_sensor_is_named_and_the_selftest_tone_plays_first(rigs):
    rig = rigs("wall-approach", absent=("ground",))
    device, loop = rig.device, rig.loop
    assert set(device.errors) == {"ground"} and not device.selftest_ok
    report = device.selftest_report()
    assert report.startswith("self-test FAILED: ground (tfluna at 0x10): ")
    assert "no TF-Luna answers at 0x10" in report
    assert "running with: rear-left, rear-right, imu, buzzer, haptic" in report
    assert "cannot watch the ground" in report
    assert loop.status()["selftest"] == report
    # announced at start-up through the arbiter: on from the loop's first cycle
    t_built = rig.clock.now_s()
    loop.step()
    buzzer = rig.pin_factory.pin(rig.cfg.alert.buzzer_pin)
    assert on(buzzer) and loop.outputs.pattern is patterns.SELFTEST_FAIL
    t0 = loop.outputs.buzzer.player.start_s     # when the first cycle commanded it
    assert t0 - t_built <= loop.period_s
    samples = drive(rig, t0 + 2.5)
    on_s, off_s = patterns.SELFTEST_FAIL.segments[0]
    t_off, t_end = t0 + on_s, t0 + on_s + off_s
    assert all(b and m for t, b, m, _, _ in samples if t < t_off - 0.01)
    assert not any(b or m for t, b, m, _, _ in samples if t_off + 0.01 < t < t_end - 0.01)
    # then the fault rhythm names the sensor that cannot watch
    after = [(t, p, s) for t, _, _, p, s in samples if t >= t_end + 0.01]
    assert after
    assert all(p is patterns.FAULT and s.source == "ground" for _, p, s in after)
    assert loop.status()["ground.health"] == "no answer"


def test_selftest_tone_is_the_low_pitch_on_a_tonal_buzzer(rigs):
    rig = rigs("wall-approach", absent=("ground",), cfg=cfg_with(alert__tonal=True))
    rig.loop.step()                                  # the first cycle plays the announcement
    pin = rig.pin_factory.pin(rig.cfg.alert.buzzer_pin)
    assert pin.state > 0 and pin.frequency == pytest.approx(patterns.SELFTEST_FAIL.tone_hz)


def test_the_device_keeps_watching_with_the_sensors_that_work(rigs):
    rig = rigs("wall-approach", absent=("ground",))
    rig.run()
    warned = [(t, s) for t, s in rig.loop.alerts
              if s.kind == "obstacle" and s.level >= Level.WARNING]
    assert warned and warned[0][1].source in ("rear-left", "rear-right")   # the level pair
    (wall,) = rig.result()["hazards"]
    assert wall["outcome"] in ("hit", "late") and wall["lead_s"] > 1.0


def test_a_sensor_plugged_in_after_start_is_picked_up(rigs):
    rig = rigs("wall-approach", absent=("ground",))
    drive(rig, 2.0)
    rig.bus.attach(rig.emulators["ground"])
    samples = drive(rig, 4.0)
    assert rig.loop.status()["ground.health"] == "ok"
    assert samples[-1][4].level == Level.CLEAR


def test_missing_vl53l1x_is_named_with_its_address_and_xshut_pin(rigs):
    rig = rigs(two_vl53l1x(), absent=("side",))
    report = rig.device.selftest_report()
    assert "side (vl53l1x at 0x31, XSHUT GPIO27)" in report
    assert "cannot watch" not in report          # the other obstacle sensor still watches
    assert rig.loop.status()["side.distance_m"] is None


def test_missing_imu_is_named_and_what_it_costs_said(rigs):
    rig = rigs("wall-approach", absent=("imu",))
    report = rig.device.selftest_report()
    assert "imu (mpu6050 at 0x68)" in report
    assert "cannot compensate tilt or coach posture" in report
    assert rig.loop.imu is None


def test_all_present_chirps_ready_once_armed(rigs):
    """Silent while the IMU finds "down" and the ground is learned (status says so),
    then one ready chirp at the moment it is armed."""
    rig = rigs("wall-approach")
    assert rig.device.selftest_ok and rig.loop.status()["selftest"] == "ok"
    assert rig.device.selftest_report() == ("self-test ok: sensors rear-left, rear-right, ground, imu; "
                                            "buzzer (active on GPIO18), haptic (PWM motor on GPIO13)")
    t0 = rig.clock.now_s()
    assert rig.loop.status()["armed"].startswith("0 (finding down")
    samples = drive(rig, t0 + 3.0)
    watch = rig.device.armed
    assert watch.armed and 1.0 <= watch.armed_after_s <= 1.6
    armed_t = t0 + watch.armed_after_s
    on = [t for t, b, m, _, _ in samples if b]
    assert on and abs(on[0] - armed_t) < 0.02          # nothing before, the chirp at arming
    chirp_s = patterns.READY.segments[0][0]
    assert all(t <= on[0] + chirp_s + 0.01 for t in on)   # one chirp
    assert rig.loop.status()["armed"] == f"1 (after {watch.armed_after_s:.2f} s)"


# --- outputs -------------------------------------------------------------------------------
def test_missing_drv2605_is_named_and_the_buzzer_still_works(rigs):
    rig = rigs("wall-approach", cfg=cfg_with(alert__haptic="drv2605"))
    assert set(rig.device.errors) == {"haptic"}
    report = rig.device.selftest_report()
    assert "haptic (DRV2605L at 0x5a, erm): " in report and "running with:" in report
    outputs = rig.loop.outputs
    assert outputs.buzzer is not None and outputs.haptic is None
    samples = drive(rig, 0.5)
    assert samples[0][1] and samples[0][3] is patterns.SELFTEST_FAIL


def test_a_buzzer_pin_in_use_is_named_and_the_motor_still_works(rigs):
    # GPIO17 is the XSHUT line of the first VL53L1X
    rig = rigs(two_vl53l1x(), cfg=cfg_with(alert__buzzer_pin=17))
    assert set(rig.device.errors) == {"buzzer"}
    assert "buzzer (active on GPIO17): " in rig.device.selftest_report()
    outputs = rig.loop.outputs
    assert outputs.buzzer is None and outputs.haptic is not None
    samples = drive(rig, 0.5)
    assert samples[0][2] and samples[0][3] is patterns.SELFTEST_FAIL


def test_when_nothing_can_tell_the_runner_the_loop_still_runs_and_says_so(rigs):
    rig = rigs("wall-approach", cfg=cfg_with(alert__output="haptic", alert__haptic="none"))
    assert "outputs" in rig.device.errors
    assert "cannot alert the runner" in rig.loop.status()["selftest"]
    assert isinstance(rig.loop.outputs, NoOutputs)
    rig.run()
    assert any(s.level >= Level.WARNING for _, s in rig.loop.alerts)  # still judged


def test_a_button_that_cannot_be_opened_is_named_and_the_rest_runs(rigs):
    rig = rigs("wall-approach", cfg=cfg_with(alert__button_pin=18))  # the buzzer's pin
    assert set(rig.device.errors) == {"button"}
    assert "button (GPIO18): " in rig.device.selftest_report()
    assert rig.loop.button is None and rig.loop.outputs.buzzer is not None
    drive(rig, 0.2)
