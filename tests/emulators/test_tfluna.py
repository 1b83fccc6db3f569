"""TF-Luna: emulator against the Benewake register table, driver against the emulator."""

from __future__ import annotations

import errno

import pytest

from conftest import Target

from pi_app.exc import ChipIdError, ConfigError, DeviceClosed, SensorError, SensorTimeout
from pi_app.sensors.base import RangeStatus
from pi_app.sensors.tfluna import TFLuna
from pi_app.sim.devices import RegisterDevice, TFLunaDevice
from pi_app.sim.optics import chip_optics, max_range_m
from pi_app.sim.simbus import SimBus


def u16(bus, address, register):
    return int.from_bytes(bytes(bus.read_i2c_block_data(address, register, 2)), "little")


def frame(bus, address=0x10):
    """(dist_cm, amp, tick) read as one burst."""
    raw = bytes(bus.read_i2c_block_data(address, 0x00, 8))
    return (int.from_bytes(raw[0:2], "little"), int.from_bytes(raw[2:4], "little"),
            int.from_bytes(raw[6:8], "little"))


# --- emulator ------------------------------------------------------------------------
def test_power_on_registers(bus):
    bus.attach(TFLunaDevice())
    assert bytes(bus.read_i2c_block_data(0x10, 0x3C, 4)) == b"LUNA"
    revision, minor, major = bus.read_i2c_block_data(0x10, 0x0A, 3)
    assert major >= 1
    assert len(bytes(bus.read_i2c_block_data(0x10, 0x10, 14)).decode("ascii")) == 14
    assert bus.read_byte_data(0x10, 0x22) == 0x10
    assert u16(bus, 0x10, 0x26) == 100                  # default frame rate
    assert u16(bus, 0x10, 0x2A) == 100                  # amplitude threshold
    assert u16(bus, 0x10, 0x30) == 9000                 # max distance, mm
    assert bus.read_byte_data(0x10, 0x23) == 0 and bus.read_byte_data(0x10, 0x25) == 1


def test_distance_is_little_endian_centimetres(bus, clock):
    bus.attach(TFLunaDevice(Target(5.0)))
    clock.advance(0.01)
    low, high = bus.read_i2c_block_data(0x10, 0x00, 2)
    assert high == 1                                     # 500 cm = 0x01F4
    assert abs((low | high << 8) - 500) <= 20            # +-2 % accuracy beyond 3 m


def test_read_only_registers_ignore_writes(bus):
    bus.attach(TFLunaDevice())
    bus.write_i2c_block_data(0x10, 0x3C, list(b"XXXX"))
    assert bytes(bus.read_i2c_block_data(0x10, 0x3C, 4)) == b"LUNA"


def test_amplitude_falls_with_distance_and_validity_follows_optics(bus, clock):
    target = Target(1.0)
    bus.attach(TFLunaDevice(target))
    amplitudes = []
    for distance_m in (0.5, 1.0, 4.0, 7.9):
        target.distance_m = distance_m
        clock.advance(0.01)
        amplitudes.append(frame(bus)[1])
    assert amplitudes == sorted(amplitudes, reverse=True)
    assert min(amplitudes) >= 100
    target.distance_m = chip_optics("tfluna").max_dark_m + 0.2
    clock.advance(0.01)
    dist_cm, amp, _ = frame(bus)
    assert amp < 100 and dist_cm == 0                    # DUMMY_DIST when amp < threshold


def test_sunlight_shortens_the_range(bus, clock):
    limit_m = max_range_m("tfluna", sunlight=1.0)
    target = Target(limit_m - 0.1, sunlight=1.0)
    bus.attach(TFLunaDevice(target))
    clock.advance(0.01)
    assert frame(bus)[1] >= 100
    target.distance_m = limit_m + 0.1
    clock.advance(0.01)
    dist_cm, amp, _ = frame(bus)
    assert amp < 100 and dist_cm == 0


def test_nothing_in_beam_and_blinded(bus, clock):
    target = Target(None)
    bus.attach(TFLunaDevice(target))
    clock.advance(0.01)
    dist_cm, amp, _ = frame(bus)
    assert amp < 100 and dist_cm == 0
    target.distance_m, target.blind = 2.0, True
    clock.advance(0.01)
    dist_cm, amp, _ = frame(bus)
    assert amp == 0xFFFF and dist_cm == 0


def test_frames_follow_the_frame_rate(bus, clock):
    bus.attach(TFLunaDevice())
    tick0 = frame(bus)[2]
    clock.advance(0.005)
    assert frame(bus)[2] == tick0                       # half a period: same frame
    clock.advance(0.005)
    assert frame(bus)[2] == (tick0 + 10) & 0xFFFF       # 100 Hz: TICK in ms
    bus.write_i2c_block_data(0x10, 0x26, [250, 0])
    tick1 = frame(bus)[2]
    clock.advance(0.004)
    assert frame(bus)[2] == (tick1 + 4) & 0xFFFF


def test_invalid_frame_rate_is_ignored(bus):
    bus.attach(TFLunaDevice())
    for bad in (240, 300, 0x1F4):
        bus.write_i2c_block_data(0x10, 0x26, list(bad.to_bytes(2, "little")))
        assert u16(bus, 0x10, 0x26) == 100


def test_low_power_caps_frame_rate(bus, clock):
    device = bus.attach(TFLunaDevice())
    bus.write_byte_data(0x10, 0x28, 1)
    assert device.frame_rate_hz == 10
    tick0 = frame(bus)[2]
    clock.advance(0.05)
    assert frame(bus)[2] == tick0
    clock.advance(0.05)
    assert frame(bus)[2] != tick0


def test_trigger_mode_and_disable(bus, clock):
    bus.attach(TFLunaDevice())
    bus.write_byte_data(0x10, 0x23, 1)                   # trigger mode
    tick0 = frame(bus)[2]
    clock.advance(0.1)
    assert frame(bus)[2] == tick0
    bus.write_byte_data(0x10, 0x24, 1)                   # one shot
    assert frame(bus)[2] != tick0
    bus.write_byte_data(0x10, 0x23, 0)
    bus.write_byte_data(0x10, 0x25, 0)                   # output off
    tick1 = frame(bus)[2]
    clock.advance(0.1)
    assert frame(bus)[2] == tick1


def test_address_change_needs_save_and_reboot_and_persists(bus, clock):
    device = bus.attach(TFLunaDevice())
    bus.write_byte_data(0x10, 0x22, 0x20)
    assert bus.scan() == [0x10]                          # not yet in force
    bus.write_byte_data(0x10, 0x20, 0x01)                # save
    bus.write_byte_data(0x10, 0x21, 0x02)                # reboot
    with pytest.raises(OSError) as err:
        bus.read_byte_data(0x20, 0x22)                   # still booting
    assert err.value.errno == errno.EREMOTEIO
    clock.advance(0.2)
    assert bus.read_byte_data(0x20, 0x22) == 0x20
    with pytest.raises(OSError):
        bus.read_byte_data(0x10, 0x22)
    device.power_off()
    device.power_on()
    clock.advance(0.2)
    assert bus.scan() == [0x20]                          # saved in flash


def test_unsaved_settings_are_lost(bus, clock):
    device = bus.attach(TFLunaDevice())
    bus.write_byte_data(0x10, 0x22, 0x30)
    bus.write_i2c_block_data(0x10, 0x26, [250, 0])
    bus.write_byte_data(0x10, 0x21, 0x02)                # reboot without save
    clock.advance(0.2)
    assert bus.scan() == [0x10] and u16(bus, 0x10, 0x26) == 100
    bus.write_byte_data(0x10, 0x22, 0x30)
    device.power_off()
    device.power_on()
    clock.advance(0.2)
    assert bus.read_byte_data(0x10, 0x22) == 0x10


def test_saved_address_takes_effect_at_next_power_up(bus, clock):
    device = bus.attach(TFLunaDevice())
    bus.write_byte_data(0x10, 0x22, 0x30)
    bus.write_byte_data(0x10, 0x20, 0x01)
    assert bus.scan() == [0x10]
    device.power_off()
    device.power_on()
    clock.advance(0.2)
    assert bus.scan() == [0x30]


def test_stuck_repeats_distance_in_new_frames(bus, clock):
    target = Target(1.0)
    device = bus.attach(TFLunaDevice(target, seed=3))
    clock.advance(0.01)
    dist0, amp0, tick0 = frame(bus)
    device.stuck = True
    target.distance_m = 3.0
    clock.advance(0.01)
    dist1, amp1, tick1 = frame(bus)
    assert (dist1, amp1) == (dist0, amp0) and tick1 != tick0


def test_noise_is_seeded(clock):
    def run(seed):
        bus = SimBus(clock)
        bus.attach(TFLunaDevice(seed=seed))
        out = []
        for _ in range(20):
            clock.advance(0.01)
            out.append(frame(bus)[0])
        return out
    assert run(7) == run(7)
    assert all(abs(d - 100) <= 12 for d in run(7))        # +-6 cm is 2 sigma


# --- driver --------------------------------------------------------------------------
def make(bus, clock, target=None, **kwargs):
    bus.attach(TFLunaDevice(target))
    sensor = TFLuna(bus, clock=clock, **kwargs)
    sensor.start()
    return sensor


def test_driver_one_reading_per_frame(bus, clock):
    sensor = make(bus, clock)
    assert sensor.firmware_version is not None
    assert sensor.read() is None                         # no frame since start
    clock.advance(0.01)
    reading = sensor.read()
    assert reading.status == RangeStatus.VALID and abs(reading.distance_m - 1.0) < 0.12
    assert reading.t_s == pytest.approx(0.01)
    assert sensor.read() is None
    assert sensor.amplitude >= 100 and 20 < sensor.temperature_c < 60


def test_driver_sets_frame_rate(bus, clock):
    sensor = make(bus, clock, frame_rate_hz=250)
    assert u16(bus, 0x10, 0x26) == 250 and sensor.period_s == pytest.approx(0.004)
    readings = 0
    for _ in range(100):
        clock.advance(0.001)
        readings += sensor.read() is not None
    assert readings == 25


@pytest.mark.parametrize("rate", [0, 240, 300, 12.5, "100"])
def test_driver_rejects_bad_frame_rate(bus, rate):
    with pytest.raises(ConfigError, match="frame_rate_hz"):
        TFLuna(bus, frame_rate_hz=rate)


def test_driver_low_amplitude_and_out_of_range(bus, clock):
    target = Target(9.0)
    sensor = make(bus, clock, target)
    clock.advance(0.01)
    assert sensor.read()[1:3] == (None, RangeStatus.LOW_AMPLITUDE)
    target.distance_m, target.blind = 2.0, True
    clock.advance(0.01)
    assert sensor.read()[1:3] == (None, RangeStatus.LOW_AMPLITUDE)
    target.distance_m, target.blind = 0.08, False        # inside the 0.2 m blind zone
    clock.advance(0.01)
    assert sensor.read()[1:3] == (None, RangeStatus.UNRELIABLE)


@pytest.mark.parametrize("distance_cm, amplitude, status", [
    (150, 2000, RangeStatus.VALID),
    (20, 2000, RangeStatus.VALID),             # the datasheet range, 0.2-8 m, both ends in
    (800, 2000, RangeStatus.VALID),
    (19, 2000, RangeStatus.UNRELIABLE),        # manual 6.9: under 20 cm may be unreliable
    (12, 2000, RangeStatus.UNRELIABLE),
    (801, 2000, RangeStatus.UNRELIABLE),       # ... and over 800 cm
    (850, 150, RangeStatus.UNRELIABLE),
    (900, 150, RangeStatus.UNRELIABLE),        # the default output limit itself
    (901, 2000, RangeStatus.OUT_OF_RANGE),     # beyond the output limit: never from a
    (0xFFFE, 2000, RangeStatus.OUT_OF_RANGE),  # healthy chip
    (300, 99, RangeStatus.LOW_AMPLITUDE),
    (300, 0x8000, RangeStatus.LOW_AMPLITUDE),  # manual 6.4: ambient light overexposure
    (300, 0xFFFF, RangeStatus.LOW_AMPLITUDE),  # receiver saturated
])
def test_driver_status_follows_the_manuals_limits(bus, clock, distance_cm, amplitude, status):
    sensor = make(bus, clock, Target(2.0))
    dev = bus.device_at(0x10)
    dev.stuck = True                  # new frames keep the DIST and AMP written here
    dev.regs[0:4] = distance_cm.to_bytes(2, "little") + amplitude.to_bytes(2, "little")
    clock.advance(0.01)
    reading = sensor.read()
    assert reading.status == status
    assert reading.distance_m == (distance_cm / 100.0 if status == RangeStatus.VALID else None)


def test_driver_bus_error_is_a_reading(bus, clock):
    sensor = make(bus, clock)
    bus.set_error_rate(0x10, 1.0)
    clock.advance(0.01)
    reading = sensor.read()
    assert reading.distance_m is None and reading.status == RangeStatus.BUS_ERROR
    bus.set_error_rate(0x10, 0.0)
    clock.advance(0.01)
    assert sensor.read().status == RangeStatus.VALID


def test_driver_absent_chip(bus, clock):
    with pytest.raises(SensorError, match=r"0x10.*wiring"):
        TFLuna(bus, clock=clock).start()


def test_driver_wrong_chip(bus, clock):
    bus.attach(RegisterDevice(), 0x10)
    with pytest.raises(ChipIdError, match="0x10"):
        TFLuna(bus, clock=clock).start()


def test_driver_close_is_idempotent_and_turns_output_off(bus, clock):
    sensor = make(bus, clock)
    sensor.close()
    sensor.close()
    assert "closed" in repr(sensor)
    assert bus.read_byte_data(0x10, 0x25) == 0
    with pytest.raises(DeviceClosed):
        sensor.read()


def test_driver_close_survives_vanished_chip(bus, clock):
    sensor = make(bus, clock)
    bus.devices[0].power_off()
    sensor.close()
    assert sensor.closed


def test_driver_set_address(bus, clock):
    sensor = make(bus, clock, frame_rate_hz=50)
    sensor.set_address(0x11)
    assert sensor.address == 0x11 and bus.scan() == [0x11]
    clock.advance(0.02)
    assert sensor.read().status == RangeStatus.VALID
    assert u16(bus, 0x11, 0x26) == 50                    # settings were saved too
    device = bus.devices[0]
    device.power_off()
    device.power_on()
    clock.advance(0.2)
    assert bus.scan() == [0x11]
    with pytest.raises(ConfigError):
        sensor.set_address(0x78)


def test_driver_set_address_deadline(bus, clock):
    class NeverBoots(TFLunaDevice):
        def reset(self):
            super().reset()
            if self.bus is not None:
                self.present = False

    bus.attach(NeverBoots())
    sensor = TFLuna(bus, clock=clock)
    sensor.start()
    t0 = clock.now_s()
    with pytest.raises(SensorTimeout, match="0x12"):
        sensor.set_address(0x12)
    assert clock.now_s() - t0 < 2.0


def test_driver_notices_a_short_power_blip_and_restores_its_frame_rate(bus, clock):
    dev = bus.attach(TFLunaDevice(Target(2.0)))
    sensor = TFLuna(bus, clock=clock, frame_rate_hz=250)
    sensor.start()
    for _ in range(2000):                       # 8 s of frames: TICK far from its start
        clock.advance(0.004)
        sensor.read()
    dev.power_off()
    clock.advance(0.05)                          # shorter than the health monitor's 0.2 s
    dev.power_on()
    clock.advance(0.2)                           # past the chip's boot
    frames = 0
    for _ in range(250):                         # one second of polling every 4 ms
        clock.advance(0.004)
        frames += sensor.read() is not None
    assert sensor.resets_seen == 1
    assert frames > 200                          # 250 Hz again, not the default 100 Hz
