"""TCA9548A: emulator against the TI datasheet, driver and channel buses against it."""

from __future__ import annotations

import errno

import pytest
from smbus2 import i2c_msg

from pi_app.clock import SimClock
from pi_app.exc import ChipIdError, ConfigError, DeviceClosed, SensorError
from pi_app.sensors.base import RangeStatus
from pi_app.sensors.mb1242 import MB1242
from pi_app.sensors.tca9548a import TCA9548A
from pi_app.sensors.tfluna import TFLuna
from pi_app.sim.devices import (MB1242Device, MPU6050Device, RegisterDevice, TCA9548ADevice,
                                TFLunaDevice, fixed_range)
from pi_app.sim.simbus import SimBus


# --- emulator ------------------------------------------------------------------------
def test_control_register(bus):
    mux = bus.attach(TCA9548ADevice(), 0x74)
    assert bus.read_byte(0x74) == 0x00                   # power-up: no channel
    bus.write_byte(0x74, 0x05)
    assert bus.read_byte(0x74) == 0x05 and mux.mask == 0x05
    bus.write_i2c_block_data(0x74, 0x01, [0x02, 0x80])   # several bytes: the last counts
    assert bus.read_byte(0x74) == 0x80
    mux.power_off()
    mux.power_on()
    assert bus.read_byte(0x74) == 0x00 and mux.address == 0x74


def test_downstream_invisible_until_its_channel_is_on(bus):
    mux = bus.attach(TCA9548ADevice())
    mux.channel(3).attach(MPU6050Device())
    assert bus.scan() == [0x70]
    with pytest.raises(OSError) as err:
        bus.read_byte_data(0x68, 0x75)
    assert err.value.errno == errno.EREMOTEIO
    bus.write_byte(0x70, 1 << 2)                         # the wrong channel
    assert bus.scan() == [0x70]
    bus.write_byte(0x70, 1 << 3)
    assert bus.scan() == [0x68, 0x70]
    assert bus.read_byte_data(0x68, 0x75) == 0x68


def test_routing_by_channel(bus, clock):
    mux = bus.attach(TCA9548ADevice())
    mux.channel(0).attach(TFLunaDevice(fixed_range(1.0)))
    mux.channel(5).attach(TFLunaDevice(fixed_range(4.0)))
    for channel, expected_cm in ((0, 100), (5, 400)):
        bus.write_byte(0x70, 1 << channel)
        clock.advance(0.01)
        distance_cm = int.from_bytes(bytes(bus.read_i2c_block_data(0x10, 0x00, 2)), "little")
        assert abs(distance_cm - expected_cm) <= 12


def test_downstream_devices_see_the_bus_clock(bus, clock):
    mux = bus.attach(TCA9548ADevice())
    sonar = mux.channel(1).attach(MB1242Device(fixed_range(2.0)), 0x71)
    clock.advance(1.0)
    assert sonar.now_s() == pytest.approx(1.0)
    bus.write_byte(0x70, 0x02)
    bus.write_byte(0x71, 0x51)
    with pytest.raises(OSError):
        bus.read_byte(0x71)                              # busy, on the bus's time
    clock.advance(0.1)
    msg = i2c_msg.read(0x71, 2)
    bus.i2c_rdwr(msg)
    assert abs(int.from_bytes(bytes(msg), "big") - 200) <= 4


def test_same_address_on_two_enabled_channels_is_wired_and(bus, clock):
    mux = bus.attach(TCA9548ADevice())
    a = mux.channel(0).attach(RegisterDevice(), 0x40)
    b = mux.channel(1).attach(RegisterDevice(), 0x40)
    a.regs[0x10], b.regs[0x10] = 0b1100, 0b1010
    bus.write_byte(0x70, 0b11)
    assert bus.read_byte_data(0x40, 0x10) == 0b1000      # open drain: 0 wins
    bus.write_byte_data(0x40, 0x20, 0x5A)                # both receive the write
    assert a.regs[0x20] == b.regs[0x20] == 0x5A


def test_channel_and_address_checks():
    mux = TCA9548ADevice()
    with pytest.raises(ValueError):
        mux.channel(8)
    with pytest.raises(ValueError):
        SimBus(SimClock()).attach(TCA9548ADevice(), 0x69)
    with pytest.raises(KeyError):
        mux.channel(0).detach(0x10)


# --- driver --------------------------------------------------------------------------
def test_driver_select_and_read_back(bus, clock):
    bus.attach(TCA9548ADevice(), 0x72)
    mux = TCA9548A(bus, 0x72, clock=clock)
    mux.start()
    mux.select(1, 6)
    assert mux.read_mask() == 0b0100_0010 and mux.mask == 0b0100_0010
    mux.select()
    assert mux.read_mask() == 0
    with pytest.raises(ConfigError):
        mux.select(8)
    with pytest.raises(ConfigError):
        TCA9548A(bus, 0x69)


def test_driver_absent_and_wrong_chip(bus, clock):
    with pytest.raises(SensorError, match=r"0x70.*wiring"):
        TCA9548A(bus, clock=clock).start()
    fake = bus.attach(RegisterDevice(), 0x70)
    fake.regs[0x00] = 0x5A                               # does not echo the control byte
    with pytest.raises(ChipIdError, match="0x70"):
        TCA9548A(bus, clock=clock).start()


def test_tfluna_driver_unchanged_behind_the_mux(bus, clock):
    """Two TF-Lunas at the same fixed address on two channels, each with its driver."""
    switch = bus.attach(TCA9548ADevice())
    switch.channel(0).attach(TFLunaDevice(fixed_range(1.5), seed=1))
    switch.channel(7).attach(TFLunaDevice(fixed_range(3.5), seed=2))
    mux = TCA9548A(bus, clock=clock)
    mux.start()
    near = TFLuna(mux.channel_bus(0), clock=clock)
    far = TFLuna(mux.channel_bus(7), clock=clock)
    near.start()
    far.start()
    for _ in range(5):
        clock.advance(0.01)
        r_near, r_far = near.read(), far.read()
        assert abs(r_near.distance_m - 1.5) < 0.12 and abs(r_far.distance_m - 3.5) < 0.12


def test_separate_driver_objects_for_one_switch_share_the_selection(bus, clock):
    """Each sensor bring-up may build its own TCA9548A object: they must not trust a
    stale private cache and read the other channel's chip at the same address."""
    switch = bus.attach(TCA9548ADevice())
    switch.channel(0).attach(TFLunaDevice(fixed_range(1.5)))
    switch.channel(1).attach(TFLunaDevice(fixed_range(3.5)))
    near = TFLuna(TCA9548A(bus, clock=clock).channel_bus(0), clock=clock)
    far = TFLuna(TCA9548A(bus, clock=clock).channel_bus(1), clock=clock)
    near.start()
    far.start()
    for _ in range(5):
        clock.advance(0.01)
        assert abs(near.read().distance_m - 1.5) < 0.12
        assert abs(far.read().distance_m - 3.5) < 0.12
    assert TCA9548A(SimBus(clock), clock=clock).mask is None     # other bus, other switch


def test_vl53l1x_driver_unchanged_behind_the_mux(bus, clock):
    """The usual alternative to XSHUT re-addressing: two VL53L1X at 0x29 on two channels."""
    from pi_app.sensors.vl53l1x import VL53L1X
    from pi_app.sim.devices import VL53L1XDevice

    switch = bus.attach(TCA9548ADevice())
    switch.channel(2).attach(VL53L1XDevice(fixed_range(0.6)))
    switch.channel(3).attach(VL53L1XDevice(fixed_range(1.8)))
    mux = TCA9548A(bus, clock=clock)
    mux.start()
    sensors = [VL53L1X(mux.channel_bus(n), clock=clock) for n in (2, 3)]
    for sensor in sensors:
        sensor.start()
    seen = {0: [], 1: []}
    for _ in range(40):
        clock.advance(0.01)
        for i, sensor in enumerate(sensors):
            reading = sensor.read()
            if reading is not None and reading.status == RangeStatus.VALID:
                seen[i].append(reading.distance_m)
    assert seen[0] and seen[1]
    assert all(abs(d - 0.6) < 0.1 for d in seen[0])
    assert all(abs(d - 1.8) < 0.15 for d in seen[1])


def test_redundant_selects_are_skipped(bus, clock):
    switch = bus.attach(TCA9548ADevice())
    switch.channel(2).attach(TFLunaDevice())
    mux = TCA9548A(bus, clock=clock)
    mux.start()
    channel_bus = mux.channel_bus(2)
    channel_bus.read_byte_data(0x10, 0x22)
    before = bus.transactions
    channel_bus.read_byte_data(0x10, 0x22)               # write index + read, no select
    assert bus.transactions - before == 2
    assert mux.channel_bus(2) is channel_bus


def test_reselect_after_failure(bus, clock):
    switch = bus.attach(TCA9548ADevice())
    switch.channel(4).attach(TFLunaDevice())
    mux = TCA9548A(bus, clock=clock)
    mux.start()
    sensor = TFLuna(mux.channel_bus(4), clock=clock)
    sensor.start()
    switch.reset()                                       # RESET pulse: all channels off
    clock.advance(0.01)
    assert sensor.read().status == RangeStatus.BUS_ERROR
    assert mux.mask is None                              # cache dropped
    clock.advance(0.01)
    assert sensor.read().status == RangeStatus.VALID    # re-selected


def test_mb1242_busy_nack_passes_through_the_mux(bus, clock):
    switch = bus.attach(TCA9548ADevice(), 0x77)
    switch.channel(1).attach(MB1242Device(fixed_range(2.0)))
    mux = TCA9548A(bus, 0x77, clock=clock)
    mux.start()
    sonar = MB1242(mux.channel_bus(1), clock=clock, range_period_s=0.05)
    sonar.start()
    assert sonar.read() is None
    clock.advance(0.06)
    assert sonar.read() is None                          # NACK while ranging = busy
    clock.advance(0.03)
    assert abs(sonar.read().distance_m - 2.0) < 0.05


def test_channel_bus_close_and_mux_close(bus, clock):
    switch = bus.attach(TCA9548ADevice())
    switch.channel(0).attach(TFLunaDevice())
    mux = TCA9548A(bus, clock=clock)
    mux.start()
    channel_bus = mux.channel_bus(0)
    with channel_bus:
        assert channel_bus.read_byte_data(0x10, 0x22) == 0x10
    with pytest.raises(OSError):
        channel_bus.read_byte_data(0x10, 0x22)
    assert bus.read_byte(0x70) == 0x01                   # upstream bus still open
    mux.close()
    mux.close()
    assert "closed" in repr(mux) and bus.read_byte(0x70) == 0x00
    with pytest.raises(DeviceClosed):
        mux.channel_bus(0)


def test_channel_bus_after_mux_close_fails_like_a_bus(bus, clock):
    switch = bus.attach(TCA9548ADevice())
    switch.channel(0).attach(TFLunaDevice())
    mux = TCA9548A(bus, clock=clock)
    mux.start()
    sensor = TFLuna(mux.channel_bus(0), clock=clock)
    sensor.start()
    mux.close()
    clock.advance(0.01)
    assert sensor.read().status == RangeStatus.BUS_ERROR
