"""VL53L1X driver against the register-level emulator on SimBus."""

import pytest

from conftest import Target

from pi_app.clock import SimClock
from pi_app.exc import ChipIdError, ConfigError, DeviceClosed, SensorError, SensorTimeout
from pi_app.sensors.base import RangeStatus
from pi_app.sensors.vl53l1x import VL53L1X
from pi_app.sim.devices.base import RegisterDevice
from pi_app.sim.devices.vl53l1x import VL53L1XDevice
from pi_app.sim.simbus import SimBus


class RdwrOnlyBus:
    """Only ``i2c_rdwr``: proves the driver needs nothing else (16-bit indexes)."""

    def __init__(self, bus):
        self._bus = bus

    def i2c_rdwr(self, *msgs):
        self._bus.i2c_rdwr(*msgs)


def rig(source=None, *, seed=0, **kwargs):
    clock = SimClock()
    bus = SimBus(clock)
    dev = bus.attach(VL53L1XDevice(source, seed=seed))
    sensor = VL53L1X(RdwrOnlyBus(bus), clock=clock, **kwargs)
    return clock, bus, dev, sensor


def readings(clock, sensor, duration_s, step_s=0.005):
    out, end_s = [], clock.now_s() + duration_s
    while clock.now_s() < end_s:
        reading = sensor.read()
        if reading is not None:
            out.append(reading)
        clock.advance(step_s)
    return out


def test_start_then_readings_track_the_target():
    clock, _, dev, sensor = rig(lambda t: 1.0 + 0.5 * t, timing_budget_ms=33)
    sensor.start()
    assert dev.distance_mode == "long" and dev.timing_budget_ms == 33
    got = readings(clock, sensor, 1.0)
    assert len(got) == pytest.approx(1.0 / sensor.period_s, abs=1.5)
    for r in got:
        assert r.status is RangeStatus.VALID
        assert r.distance_m == pytest.approx(1.0 + 0.5 * r.t_s, abs=0.05)
    assert all(b.t_s - a.t_s == pytest.approx(0.033, abs=0.006) for a, b in zip(got, got[1:]))


def test_not_ready_returns_none():
    _, _, _, sensor = rig()
    sensor.start()
    assert sensor.read() is None                 # first result is one budget away


def test_period_follows_settings():
    _, _, dev, sensor = rig(distance_mode="short", timing_budget_ms=20)
    assert sensor.period_s == pytest.approx(0.020)
    sensor.start()
    assert (dev.distance_mode, dev.timing_budget_ms, dev.period_s) == ("short", 20, pytest.approx(0.02))


def test_settings_change_while_ranging():
    clock, _, dev, sensor = rig(lambda t: 1.0)
    sensor.start()
    sensor.configure(distance_mode="short", timing_budget_ms=15)
    assert (dev.distance_mode, dev.timing_budget_ms) == ("short", 15)
    sensor.timing_budget_ms = 200
    assert dev.timing_budget_ms == 200 and sensor.period_s == 0.2
    assert readings(clock, sensor, 0.5)[-1].distance_m == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize("kwargs", [dict(distance_mode="medium"), dict(timing_budget_ms=15),
                                    dict(timing_budget_ms=40)])
def test_bad_settings_are_config_errors(kwargs):
    with pytest.raises(ConfigError, match="distance_mode|timing_budget_ms"):
        VL53L1X(SimBus(SimClock()), clock=SimClock(), **kwargs)


@pytest.mark.parametrize("source, status", [
    (lambda t: None, RangeStatus.NO_TARGET),     # dark: nothing within range
    (lambda t: 6.0, RangeStatus.NO_TARGET),
    (lambda t: 0.01, RangeStatus.MIN_RANGE),
])
def test_invalid_result_has_no_distance_but_a_status(source, status):
    clock, _, _, sensor = rig(source)
    sensor.start()
    got = readings(clock, sensor, 0.3)
    assert got and all(r.distance_m is None and r.status is status for r in got)


def test_wrong_chip_id_names_the_address():
    class OtherChip(RegisterDevice):
        DEFAULT_ADDRESS = 0x29
        INDEX_BYTES = 2
        REGISTER_SPACE = 0x10000

        def reset(self):
            super().reset()
            self.regs[0x00E5] = 0x01
            self.regs[0x010F:0x0112] = b"\xEE\xAA\x10"    # a VL53L0X-like answer

    clock = SimClock()
    bus = SimBus(clock)
    bus.attach(OtherChip())
    with pytest.raises(ChipIdError, match=r"0x29.*0xEE.*expected 0xEA.*wiring"):
        VL53L1X(bus, clock=clock).start()


def test_absent_chip_fails_start_with_address_and_hint():
    clock = SimClock()
    with pytest.raises(SensorTimeout, match=r"0x29.*XSHUT") as info:
        VL53L1X(SimBus(clock), clock=clock).start()
    assert isinstance(info.value, SensorError) and isinstance(info.value, OSError)
    assert clock.now_s() >= 0.1                     # it waited out its deadline, no longer
    assert clock.now_s() < 0.2


def test_start_waits_for_boot_after_power_on():
    clock, _, dev, sensor = rig()
    clock.advance(1.0)
    dev.power_off()
    dev.power_on()
    sensor.start()
    assert clock.now_s() > 1.0012
    assert readings(clock, sensor, 0.2)


def test_bus_errors_come_back_as_readings():
    clock, bus, dev, sensor = rig()
    sensor.start()
    bus.set_error_rate(0x29, 1.0)
    r = sensor.read()
    assert r.distance_m is None and r.status is RangeStatus.BUS_ERROR and r.t_s == clock.now_s()
    bus.set_error_rate(0x29, 0.0)
    dev.power_off()                                 # unplugged: NACK
    assert sensor.read().status is RangeStatus.BUS_ERROR


def test_restart_after_power_cycle_recovers():
    clock, _, dev, sensor = rig(lambda t: 0.8)
    sensor.start()
    readings(clock, sensor, 0.2)
    dev.power_off()
    clock.advance(0.1)
    dev.power_on()
    # Back in its power-on state (not ranging, interrupt active low): no distances.
    assert all(r.distance_m is None for r in readings(clock, sensor, 0.2))
    sensor.start()
    assert readings(clock, sensor, 0.2)[-1].distance_m == pytest.approx(0.8, abs=0.03)


def test_set_address_moves_the_sensor():
    clock, bus, _, sensor = rig(lambda t: 1.5)
    sensor.start()
    sensor.set_address(0x33)
    assert sensor.address == 0x33 and bus.scan() == [0x33]
    assert readings(clock, sensor, 0.2)[-1].distance_m == pytest.approx(1.5, abs=0.03)
    with pytest.raises(ConfigError):
        sensor.set_address(0x80)


def test_model_info():
    _, _, _, sensor = rig()
    assert sensor.model_info() == (0xEA, 0xCC, 0x10)


def test_close_is_idempotent_and_stops_ranging():
    clock, _, dev, sensor = rig()
    sensor.start()
    with sensor:
        pass
    sensor.close()
    assert sensor.closed and "closed" in repr(sensor)
    clock.advance(1.0)
    dev.update(clock.now_s())
    assert dev.regs[0x0087] == 0x00                 # ranging stopped on close
    with pytest.raises(DeviceClosed):
        sensor.read()
    sensor.stop()                                   # harmless after close


def test_close_survives_a_vanished_chip():
    _, _, dev, sensor = rig()
    sensor.start()
    dev.power_off()
    sensor.close()
    assert sensor.closed


def test_deterministic_for_a_seed():
    def run(seed):
        clock, _, _, sensor = rig(lambda t: 2.5, seed=seed)
        sensor.start()
        return readings(clock, sensor, 0.5)
    assert run(7) == run(7)
    assert run(7) != run(8)


def test_bus_error_during_start_is_a_sensor_error_naming_the_address():
    clock, bus, _, sensor = rig()
    bus.set_error_rate(0x29, 0.5)
    with pytest.raises(SensorError, match="0x29"):
        for _ in range(20):                         # some start will meet an error
            sensor.start()


@pytest.mark.parametrize("source, status", [
    (Target(None), RangeStatus.NO_TARGET),                  # dark, nothing in range
    (Target(6.0, sunlight=0.02), RangeStatus.NO_TARGET),    # dusk: ambient 1 MCPS
    (Target(6.0, sunlight=0.5), RangeStatus.SIGNAL_FAIL),   # sun: the range is shorter
    (Target(1.0, blind=True), RangeStatus.SIGNAL_FAIL),     # glare
])
def test_signal_fail_is_no_target_only_when_the_ambient_rate_is_low(source, status):
    """RESULT__AMBIENT_COUNT_RATE_MCPS_SD0 tells an empty scene in the dark (the range
    limit is the datasheet's) from one in the sun or glare (it may be anything)."""
    clock, _, _, sensor = rig(source)
    sensor.start()
    got = readings(clock, sensor, 0.3)
    assert got and all(r.distance_m is None and r.status is status for r in got)
