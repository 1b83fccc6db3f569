"""MPU-6050: emulator against the register map, driver against the emulator."""

from __future__ import annotations

import math

import pytest

from pi_app.exc import ChipIdError, ConfigError, DeviceClosed, SensorError
from pi_app.sensors.mpu6050 import MPU6050, ImuSample
from pi_app.sim.devices import MPU6050Device, RegisterDevice
from pi_app.sim.devices.mpu6050 import motion_from_pitch


def words(bus, address=0x68):
    """The 7 signed big-endian words from ACCEL_XOUT_H (accel xyz, temp, gyro xyz)."""
    raw = bytes(bus.read_i2c_block_data(address, 0x3B, 14))
    return [int.from_bytes(raw[i:i + 2], "big", signed=True) for i in range(0, 14, 2)]


def steady(accel, gyro):
    return lambda t_s: (accel, gyro)


# --- emulator ------------------------------------------------------------------------
def test_power_on_state_sleeping_and_zero(bus, clock):
    bus.attach(MPU6050Device())
    assert bus.read_byte_data(0x68, 0x75) == 0x68
    assert bus.read_byte_data(0x68, 0x6B) == 0x40
    clock.advance(0.5)
    assert words(bus) == [0] * 7


def test_ad0_address(bus):
    bus.attach(MPU6050Device(ad0=True))
    assert bus.scan() == [0x69]
    assert bus.read_byte_data(0x69, 0x75) == 0x68   # WHO_AM_I ignores AD0


def test_wake_gives_level_one_g_on_z(bus, clock):
    bus.attach(MPU6050Device())
    bus.write_byte_data(0x68, 0x6B, 0x00)
    clock.advance(0.01)
    ax, ay, az, temp, gx, gy, gz = words(bus)
    assert abs(az - 16384) < 300 and abs(ax) < 300 and abs(ay) < 300
    assert all(abs(g) < 40 for g in (gx, gy, gz))
    assert 20 < temp / 340 + 36.53 < 40


@pytest.mark.parametrize("afs_sel, lsb_per_g", [(0, 16384), (1, 8192), (2, 4096), (3, 2048)])
def test_accel_full_scale(bus, clock, afs_sel, lsb_per_g):
    bus.attach(MPU6050Device(steady((-0.5, 0.25, 1.0), (0, 0, 0))))
    bus.write_byte_data(0x68, 0x6B, 0x00)
    bus.write_byte_data(0x68, 0x1C, afs_sel << 3)
    clock.advance(0.01)
    ax, ay, az = words(bus)[:3]
    tol = 0.02 * lsb_per_g
    assert abs(ax + 0.5 * lsb_per_g) < tol and abs(ay - 0.25 * lsb_per_g) < tol
    assert abs(az - lsb_per_g) < tol


@pytest.mark.parametrize("fs_sel, lsb_per_dps", [(0, 131), (1, 65.5), (2, 32.8), (3, 16.4)])
def test_gyro_full_scale(bus, clock, fs_sel, lsb_per_dps):
    bus.attach(MPU6050Device(steady((0, 0, 1), (100.0, -50.0, 0.0))))
    bus.write_byte_data(0x68, 0x6B, 0x00)
    bus.write_byte_data(0x68, 0x1B, fs_sel << 3)
    clock.advance(0.01)
    gx, gy = words(bus)[4:6]
    assert abs(gx - 100 * lsb_per_dps) < 2 * lsb_per_dps
    assert abs(gy + 50 * lsb_per_dps) < 2 * lsb_per_dps


def test_big_endian_signed_and_clipped(bus, clock):
    bus.attach(MPU6050Device(steady((3.0, -3.0, -0.5), (300.0, 0.0, 0.0))))
    bus.write_byte_data(0x68, 0x6B, 0x00)
    clock.advance(0.01)
    raw = bus.read_i2c_block_data(0x68, 0x3B, 6)
    assert raw[0:2] == [0x7F, 0xFF] and raw[2:4] == [0x80, 0x00]   # +-2 g clips
    assert raw[4] in (0xDF, 0xE0)                 # -0.5 g = -8192 = 0xE000 (plus noise)
    assert abs(int.from_bytes(bytes(raw[4:6]), "big", signed=True) + 8192) < 100
    assert words(bus)[4] == 32767                                 # 300 dps > 250


def test_samples_follow_the_sample_rate_and_data_ready(bus, clock):
    bus.attach(MPU6050Device(lambda t_s: ((0.0, 0.0, 1.0), (t_s * 1000.0, 0.0, 0.0))))
    bus.write_byte_data(0x68, 0x6B, 0x00)
    bus.write_byte_data(0x68, 0x1A, 0x03)          # DLPF on: 1 kHz gyro rate
    bus.write_byte_data(0x68, 0x19, 9)             # / (1 + 9) = 100 Hz
    bus.write_byte_data(0x68, 0x1B, 3 << 3)
    clock.advance(0.010)
    assert bus.read_byte_data(0x68, 0x3A) & 1      # DATA_RDY_INT
    assert bus.read_byte_data(0x68, 0x3A) & 1 == 0  # cleared by reading INT_STATUS
    first = words(bus)[4]
    clock.advance(0.005)
    assert words(bus)[4] == first                  # same sample within 10 ms
    assert bus.read_byte_data(0x68, 0x3A) & 1 == 0
    clock.advance(0.005)
    assert words(bus)[4] > first


def test_device_reset_restores_defaults(bus, clock):
    bus.attach(MPU6050Device(ad0=True))
    bus.write_byte_data(0x69, 0x6B, 0x00)
    bus.write_byte_data(0x69, 0x1C, 0x18)
    bus.write_byte_data(0x69, 0x6B, 0x80)
    assert bus.read_byte_data(0x69, 0x6B) == 0x40 and bus.read_byte_data(0x69, 0x1C) == 0


def test_motion_from_pitch_frame_convention():
    accel, gyro = motion_from_pitch(30.0, 12.0)
    assert accel == pytest.approx((-0.5, 0.0, math.sqrt(3) / 2))
    assert gyro == (0.0, 12.0, 0.0)
    accel, _ = motion_from_pitch(0.0, 0.0, vertical_accel_g=0.3)
    assert accel == pytest.approx((0.0, 0.0, 1.3))


# --- driver --------------------------------------------------------------------------
def make(bus, clock, motion=None, **kwargs):
    bus.attach(MPU6050Device(motion))
    imu = MPU6050(bus, clock=clock, **kwargs)
    imu.start()
    return imu


def test_driver_start_wakes_and_configures(bus, clock):
    make(bus, clock, accel_range_g=8, gyro_range_dps=1000, dlpf_hz=21, sample_rate_hz=50)
    assert bus.read_byte_data(0x68, 0x6B) == 0x01
    assert bus.read_byte_data(0x68, 0x1C) == 2 << 3
    assert bus.read_byte_data(0x68, 0x1B) == 2 << 3
    assert bus.read_byte_data(0x68, 0x1A) == 4
    assert bus.read_byte_data(0x68, 0x19) == 19


def test_driver_read_motion_units_and_pitch(bus, clock):
    pitch = {"deg": 12.0}
    imu = make(bus, clock, lambda t_s: motion_from_pitch(pitch["deg"], 5.0, 0.2))
    clock.advance(0.02)
    sample = imu.read_motion()
    assert isinstance(sample, ImuSample) and sample.t_s == pytest.approx(0.02)
    assert sample.gyro_dps[1] == pytest.approx(5.0, abs=0.2)
    assert math.hypot(sample.accel_g[0], sample.accel_g[2]) == pytest.approx(1.2, abs=0.02)
    assert MPU6050.pitch_deg(sample) == pytest.approx(12.0, abs=0.5)
    assert 20 < sample.temp_c < 40
    pitch["deg"] = -8.0
    clock.advance(0.02)
    assert MPU6050.pitch_deg(imu.read_motion()) == pytest.approx(-8.0, abs=0.5)


def test_driver_wrong_chip(bus, clock):
    fake = bus.attach(RegisterDevice(), 0x68)
    fake.regs[0x75] = 0x70
    with pytest.raises(ChipIdError, match=r"0x68.*0x70"):
        MPU6050(bus, clock=clock).start()


def test_driver_absent_chip(bus, clock):
    with pytest.raises(SensorError, match=r"0x69.*wiring"):
        MPU6050(bus, 0x69, clock=clock).start()


def test_driver_bus_error_returns_none(bus, clock):
    imu = make(bus, clock)
    bus.set_error_rate(0x68, 1.0)
    assert imu.read_motion() is None
    bus.set_error_rate(0x68, 0.0)
    assert imu.read_motion() is not None


@pytest.mark.parametrize("kwargs", [{"accel_range_g": 3}, {"gyro_range_dps": 100},
                                    {"dlpf_hz": 50}, {"sample_rate_hz": 2000},
                                    {"sample_rate_hz": 0}, {"sample_rate_hz": 1}])
def test_driver_bad_settings(bus, kwargs):
    with pytest.raises(ConfigError):
        MPU6050(bus, **kwargs)


def test_driver_close_sleeps_chip_and_is_idempotent(bus, clock):
    imu = make(bus, clock)
    imu.close()
    imu.close()
    assert "closed" in repr(imu)
    assert bus.read_byte_data(0x68, 0x6B) & 0x40
    with pytest.raises(DeviceClosed):
        imu.read_motion()
