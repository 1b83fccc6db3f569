"""MB1242: emulator against the MaxBotix I2CXL datasheet, driver against the emulator."""

from __future__ import annotations

import errno

import pytest
from smbus2 import i2c_msg

from conftest import Target

from pi_app.exc import ChipIdError, ConfigError, DeviceClosed, SensorError
from pi_app.sensors.base import RangeStatus
from pi_app.sensors.mb1242 import MB1242
from pi_app.sim.devices import MB1242Device, RegisterDevice
from pi_app.sim.devices.mb1242 import RANGING_TIME_S
from pi_app.sim.simbus import SimBus


def read2(bus, address=0x70) -> bytes:
    msg = i2c_msg.read(address, 2)
    bus.i2c_rdwr(msg)
    return bytes(msg)


def range_cm(bus, clock, address=0x70) -> int:
    bus.write_byte(address, 0x51)
    clock.advance(0.1)
    return int.from_bytes(read2(bus, address), "big")


# --- emulator ------------------------------------------------------------------------
def test_before_any_range_it_reports_part_info_not_a_range(bus):
    bus.attach(MB1242Device())
    value = int.from_bytes(read2(bus), "big")
    assert not 20 <= value <= 765


def test_nacks_while_ranging_then_reports_big_endian_cm(bus, clock):
    bus.attach(MB1242Device(Target(3.0)))
    bus.write_byte(0x70, 0x51)
    for op in (lambda: read2(bus), lambda: bus.write_byte(0x70, 0x51)):
        with pytest.raises(OSError) as err:
            op()
        assert err.value.errno == errno.EREMOTEIO
    assert 0x70 in bus.scan()                  # still on the bus, just busy
    clock.advance(RANGING_TIME_S / 2)
    with pytest.raises(OSError):
        read2(bus)
    clock.advance(RANGING_TIME_S / 2)
    high, low = read2(bus)
    assert high == 1 and abs((high << 8 | low) - 300) <= 4   # 300 cm = 0x012C
    assert read2(bus) == bytes((high, low))    # the last range stays until the next one


def test_range_limits(bus, clock):
    target = Target(None)
    bus.attach(MB1242Device(target))
    assert range_cm(bus, clock) == 765         # no echo
    target.distance_m = 9.0
    assert range_cm(bus, clock) == 765
    target.distance_m = 0.05
    assert 20 <= range_cm(bus, clock) <= 25    # closer than the minimum reads ~minimum
    target.distance_m = 7.0
    assert abs(range_cm(bus, clock) - 700) <= 4


def test_sunlight_and_optical_blinding_do_not_matter(bus, clock):
    bus.attach(MB1242Device(Target(2.0, sunlight=1.0, blind=True)))
    assert abs(range_cm(bus, clock) - 200) <= 4


def test_stuck_keeps_the_last_range(bus, clock):
    target = Target(2.0)
    device = bus.attach(MB1242Device(target))
    first = range_cm(bus, clock)
    device.stuck = True
    target.distance_m = 4.0
    assert range_cm(bus, clock) == first


def test_address_change_and_eeprom(bus, clock):
    device = bus.attach(MB1242Device())
    bus.write_i2c_block_data(0x70, 0xAA, [0xA5, 0xE5])   # odd -> next lower even (0xE4)
    assert bus.scan() == [0x72]
    for invalid in (0, 80, 164, 170):
        bus.write_i2c_block_data(0x72, 0xAA, [0xA5, invalid])
        assert bus.scan() == [0x72]
    device.power_off()
    device.power_on()
    assert bus.scan() == [0x72]                # stored in EEPROM
    assert 20 <= range_cm(bus, clock, 0x72) <= 765


def test_default_is_one_metre_and_seeded(clock):
    def run(seed):
        bus = SimBus(clock)
        bus.attach(MB1242Device(seed=seed))
        return [range_cm(bus, clock) for _ in range(10)]
    assert run(4) == run(4)
    assert all(abs(v - 100) <= 4 for v in run(4))


# --- driver --------------------------------------------------------------------------
def make(bus, clock, target=None, **kwargs):
    device = bus.attach(MB1242Device(target))
    sensor = MB1242(bus, clock=clock, **kwargs)
    sensor.start()
    return sensor, device


def test_driver_state_machine(bus, clock):
    sensor, _ = make(bus, clock, Target(2.5))
    assert sensor.read() is None               # range commanded
    clock.advance(0.05)
    assert sensor.read() is None               # in flight
    clock.advance(0.05)
    reading = sensor.read()
    assert reading.status == RangeStatus.VALID and abs(reading.distance_m - 2.5) < 0.05
    clock.advance(0.1)                         # next range was started with the result
    assert sensor.read().status == RangeStatus.VALID


def test_driver_nack_while_busy_is_not_an_error(bus, clock):
    sensor, _ = make(bus, clock, range_period_s=0.05)
    sensor.read()
    clock.advance(0.06)                        # before the 80 ms ranging cycle ends
    assert sensor.read() is None
    clock.advance(0.03)
    assert sensor.read().status == RangeStatus.VALID


def test_driver_endless_nack_becomes_bus_error(bus, clock):
    sensor, _ = make(bus, clock)
    sensor.read()
    bus.set_error_rate(0x70, 1.0, errnos=(errno.EREMOTEIO,))
    clock.advance(0.1)
    assert sensor.read() is None
    clock.advance(0.2)
    reading = sensor.read()
    assert reading.distance_m is None and reading.status == RangeStatus.BUS_ERROR


def test_driver_other_bus_errors(bus, clock):
    sensor, _ = make(bus, clock)
    sensor.read()
    bus.set_error_rate(0x70, 1.0, errnos=(errno.EIO,))
    clock.advance(0.1)
    assert sensor.read().status == RangeStatus.BUS_ERROR      # reading the result failed
    assert sensor.read().status == RangeStatus.BUS_ERROR      # commanding failed
    bus.set_error_rate(0x70, 0.0)
    assert sensor.read() is None
    clock.advance(0.1)
    assert sensor.read().status == RangeStatus.VALID


def test_driver_no_target(bus, clock):
    sensor, _ = make(bus, clock, Target(None))
    sensor.read()
    clock.advance(0.1)
    assert sensor.read()[1:3] == (None, RangeStatus.NO_TARGET)


def test_driver_absent_chip(bus, clock):
    with pytest.raises(SensorError, match=r"0x70.*wiring"):
        MB1242(bus, clock=clock).start()


def test_driver_wrong_chip(bus, clock):
    bus.attach(RegisterDevice(), 0x70)
    with pytest.raises(ChipIdError, match="0x70"):
        MB1242(bus, clock=clock).start()


def test_driver_bad_settings(bus):
    with pytest.raises(ConfigError, match="range_period_s"):
        MB1242(bus, range_period_s=0)
    with pytest.raises(ConfigError, match="busy_timeout_s"):
        MB1242(bus, range_period_s=0.1, busy_timeout_s=0.05)


def test_driver_set_address(bus, clock):
    sensor, device = make(bus, clock)
    sensor.set_address(0x71)
    assert sensor.address == 0x71 and bus.scan() == [0x71]
    device.power_off()
    device.power_on()
    assert bus.scan() == [0x71]
    assert sensor.read() is None
    clock.advance(0.1)
    assert sensor.read().status == RangeStatus.VALID
    for bad in (0x28, 0x52, 0x55, 0x78, 0x02):
        with pytest.raises(ConfigError):
            sensor.set_address(bad)


def test_driver_close_is_idempotent(bus, clock):
    sensor, _ = make(bus, clock)
    sensor.close()
    sensor.close()
    assert "closed" in repr(sensor)
    with pytest.raises(DeviceClosed):
        sensor.read()
