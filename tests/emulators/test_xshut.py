"""Several VL53L1X on one bus, brought up one at a time through their XSHUT lines."""

import pytest
from gpiozero.pins.mock import MockFactory

from pi_app.clock import SimClock
from pi_app.exc import ConfigError, SensorError, SensorTimeout
from pi_app.sensors.vl53l1x import VL53L1X
from pi_app.sensors.xshut import XshutBank, assign_addresses, readdress
from pi_app.sim.devices.vl53l1x import VL53L1XDevice
from pi_app.sim.simbus import SimBus

PINS = {17: 0x30, 27: 0x31, 22: 0x32}
TARGETS_M = {17: 0.6, 27: 1.2, 22: 2.1}


@pytest.fixture
def rig():
    clock = SimClock()
    bus = SimBus(clock)
    factory = MockFactory()
    devices = {}
    for pin, distance_m in TARGETS_M.items():
        def source(t_s, d=distance_m):
            return d
        # Breakout boards pull XSHUT up: every chip is on at 0x29 until the Pi drives it.
        factory.pin(pin).drive_high()
        devices[pin] = bus.attach(VL53L1XDevice(source, xshut_pin=factory.pin(pin)))
    return clock, bus, factory, devices


def last_distance(clock, sensor, duration_s=0.3):
    last, end_s = None, clock.now_s() + duration_s
    while clock.now_s() < end_s:
        reading = sensor.read()
        if reading is not None:
            last = reading
        clock.advance(0.005)
    return last.distance_m


def test_three_sensors_get_distinct_addresses_and_read_their_own_targets(rig):
    clock, bus, factory, devices = rig
    assert bus.scan() == [0x29]                     # all three collide at power-up
    with assign_addresses(bus, PINS.items(), pin_factory=factory, clock=clock) as bank:
        assert isinstance(bank, dict) and isinstance(bank, XshutBank)
        assert sorted(bank) == sorted(PINS) and bank.addresses == PINS
        assert all(output.value == 1 for output in bank.values())     # left released
        assert bus.scan() == [0x30, 0x31, 0x32]
        for pin, address in PINS.items():
            assert devices[pin].address == address
            sensor = VL53L1X(bus, address, clock=clock)
            sensor.start()
            assert last_distance(clock, sensor) == pytest.approx(TARGETS_M[pin], abs=0.03)
    assert bank.closed
    bank.close()                                    # idempotent


def test_replugged_sensor_comes_back_at_default_and_readdress_fixes_it(rig):
    clock, bus, factory, devices = rig
    bank = assign_addresses(bus, PINS.items(), pin_factory=factory, clock=clock)
    devices[27].power_off()                         # connector wiggled
    clock.advance(0.5)
    devices[27].power_on()
    clock.advance(0.01)
    assert bus.scan() == [0x29, 0x30, 0x32]
    readdress(bus, bank[27], 0x31, clock=clock)
    assert bus.scan() == [0x30, 0x31, 0x32]
    others = [p for p in devices if p != 27]
    assert all(devices[p].address == PINS[p] for p in others)        # untouched
    sensor = VL53L1X(bus, 0x31, clock=clock)
    sensor.start()
    assert last_distance(clock, sensor) == pytest.approx(1.2, abs=0.03)
    bank.close()


def test_a_sensor_without_xshut_blocks_the_default_address(rig):
    clock, bus, factory, _ = rig
    bus.attach(VL53L1XDevice())                     # XSHUT not wired: always at 0x29
    with pytest.raises(SensorError, match="0x29"):
        assign_addresses(bus, PINS.items(), pin_factory=factory, clock=clock)
    # The failed bring-up closed its outputs: the GPIOs can be claimed again.
    with XshutBank(PINS, pin_factory=factory) as bank:
        assert all(output.value == 0 for output in bank.values())


def test_missing_sensor_names_its_pin():
    clock = SimClock()
    bus = SimBus(clock)
    factory = MockFactory()
    for pin in (17, 22):                            # nothing on GPIO27's XSHUT
        bus.attach(VL53L1XDevice(xshut_pin=factory.pin(pin)))
    with pytest.raises(SensorTimeout, match="GPIO27"):
        assign_addresses(bus, PINS.items(), pin_factory=factory, clock=clock)
    assert bus.scan() == [0x30]                     # the one before it was moved


@pytest.mark.parametrize("assignments", [[(17, 0x30), (17, 0x31)], [(17, 0x30), (27, 0x30)]])
def test_duplicate_pins_or_addresses_are_config_errors(rig, assignments):
    clock, bus, factory, _ = rig
    with pytest.raises(ConfigError):
        assign_addresses(bus, assignments, pin_factory=factory, clock=clock)
