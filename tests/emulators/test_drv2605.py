"""DRV2605 emulator and driver on SimBus with a SimClock."""

import pytest

from pi_app.alert import patterns as pt
from pi_app.alert.drv2605 import DRV2605, Drv2605Output
from pi_app.clock import SimClock
from pi_app.detect import Level
from pi_app.exc import ChipIdError, ConfigError, DeviceClosed, OutputError
from pi_app.sim.devices import DRV2605Device
from pi_app.sim.simbus import SimBus

ADDR = 0x5A


@pytest.fixture
def rig():
    clock = SimClock()
    bus = SimBus(clock)
    device = bus.attach(DRV2605Device())
    return clock, bus, device


# --- the emulator, through raw bus calls ----------------------------------------------
def test_power_on_state_matches_the_datasheet(rig):
    _, bus, device = rig
    assert bus.scan() == [ADDR]
    assert bus.read_byte_data(ADDR, 0x00) == 0xE0           # DEVICE_ID 7 = DRV2605L
    assert bus.read_byte_data(ADDR, 0x01) == 0x40           # standby
    assert bus.read_byte_data(ADDR, 0x04) == 0x01           # WAV_FRM_SEQ1 = strong click
    assert bus.read_byte_data(ADDR, 0x1A) == 0x36           # ERM
    assert device.standby


def test_go_is_ignored_in_standby_and_clears_itself_after_the_sequence(rig):
    clock, bus, device = rig
    bus.write_byte_data(ADDR, 0x0C, 1)
    assert bus.read_byte_data(ADDR, 0x0C) == 0              # standby: nothing happens
    bus.write_byte_data(ADDR, 0x01, 0x00)                   # internal trigger, awake
    bus.write_i2c_block_data(ADDR, 0x04, [14, 0x80 | 20, 1, 0])  # buzz, wait 200 ms, click
    clock.advance(1.0)
    bus.write_byte_data(ADDR, 0x0C, 1)
    assert bus.read_byte_data(ADDR, 0x0C) == 1
    clock.advance(0.35 + 0.20 + 0.06 - 0.001)
    assert bus.read_byte_data(ADDR, 0x0C) == 1              # still playing
    clock.advance(0.002)
    assert bus.read_byte_data(ADDR, 0x0C) == 0              # GO cleared by itself
    assert device.playing(1.1) and not device.playing(1.4) and device.playing(1.56)
    assert not device.playing(1.62)
    assert device.timeline[-4:] == [(1.0, 1.0), (pytest.approx(1.35), 0.0),
                                    (pytest.approx(1.55), 1.0), (pytest.approx(1.61), 0.0)]
    assert (1.0, 0x0C, 1) in device.history


def test_go_zero_cancels_and_dev_reset_restores_power_on_values(rig):
    clock, bus, device = rig
    bus.write_byte_data(ADDR, 0x01, 0x00)
    bus.write_byte_data(ADDR, 0x04, 118)                    # long buzz, meant to be stopped
    bus.write_byte_data(ADDR, 0x0C, 1)
    clock.advance(0.5)
    bus.write_byte_data(ADDR, 0x0C, 0)
    assert not device.playing(0.6) and device.playing(0.4)
    bus.write_byte_data(ADDR, 0x03, 6)
    bus.write_byte_data(ADDR, 0x01, 0x80)                   # DEV_RESET
    assert bus.read_byte_data(ADDR, 0x03) == 0x01
    assert bus.read_byte_data(ADDR, 0x01) == 0x40


# --- the driver ---------------------------------------------------------------------
def test_driver_checks_the_id_and_configures_an_erm(rig):
    clock, bus, device = rig
    drv = DRV2605(bus, clock=clock)
    assert drv.part == "DRV2605L"
    assert not drv.standby and drv.mode == 0
    assert drv.library == 1
    assert bus.read_byte_data(ADDR, 0x1A) & 0x80 == 0       # ERM
    control3 = bus.read_byte_data(ADDR, 0x1D)
    assert control3 & 0x20 and not control3 & 0x08          # open loop, signed RTP


def test_driver_configures_an_lra():
    clock = SimClock()
    bus = SimBus(clock)
    bus.attach(DRV2605Device(device_id=3))
    drv = DRV2605(bus, clock=clock, actuator="lra")
    assert drv.part == "DRV2605"
    assert bus.read_byte_data(ADDR, 0x1A) & 0x80
    assert drv.library == 6
    with pytest.raises(ConfigError, match="LRA"):
        DRV2605(bus, clock=clock, actuator="lra", library=2)


def test_a_wrong_chip_id_names_the_address_and_the_wiring():
    bus = SimBus(SimClock())
    bus.attach(DRV2605Device(device_id=1))
    with pytest.raises(ChipIdError, match="0x5A.*wiring"):
        DRV2605(bus)


def test_no_chip_is_an_output_error_with_a_wiring_hint():
    with pytest.raises(OutputError, match="0x5A.*check SDA/SCL"):
        DRV2605(SimBus(SimClock()))


def test_play_sequence_and_wait_done_on_the_injected_clock(rig):
    clock, bus, device = rig
    drv = DRV2605(bus, clock=clock)
    clock.advance(2.0)
    drv.play_sequence([1, DRV2605.wait_slot(0.1), 1])
    assert drv.playing
    assert bus.read_i2c_block_data(ADDR, 0x04, 4) == [1, 0x8A, 1, 0]
    assert drv.wait_done(timeout_s=1.0)
    assert clock.now_s() == pytest.approx(2.0 + 0.06 + 0.1 + 0.06, abs=0.006)
    drv.play_sequence([118])
    assert not drv.wait_done(timeout_s=0.5)                # deadline, not a hang
    assert clock.now_s() == pytest.approx(2.72, abs=0.01)
    drv.stop()
    assert not drv.playing
    with pytest.raises(ValueError):
        drv.play_sequence([124])
    with pytest.raises(ValueError):
        drv.play_sequence([1] * 9)


def test_drv2604_has_no_library_but_realtime_works():
    clock = SimClock()
    bus = SimBus(clock)
    device = bus.attach(DRV2605Device(device_id=4))
    drv = DRV2605(bus, clock=clock)
    with pytest.raises(OutputError, match="no ROM effect library"):
        drv.play_sequence([1])
    drv.set_realtime(0.5)
    assert device.rtp_level == pytest.approx(64 / 127)


def test_realtime_playback_drives_the_level_until_changed(rig):
    clock, bus, device = rig
    drv = DRV2605(bus, clock=clock)
    drv.set_realtime(1.0)
    assert drv.mode == 5
    assert bus.read_byte_data(ADDR, 0x02) == 0x7F
    assert device.rtp_level == pytest.approx(1.0)
    clock.advance(0.3)
    drv.set_realtime(-1.0)                                  # brake
    assert device.rtp_level == pytest.approx(-1.0)
    clock.advance(0.1)
    drv.set_realtime(0.0)
    assert device.playing(0.2) and not device.playing(0.35) and not device.playing(0.5)
    with pytest.raises(ValueError):
        drv.set_realtime(1.5)


def test_unsigned_rtp_format_in_the_emulator(rig):
    _, bus, device = rig
    bus.write_byte_data(ADDR, 0x01, 0x05)
    bus.write_byte_data(ADDR, 0x1D, 0xA8)                   # DATA_FORMAT_RTP = unsigned
    bus.write_byte_data(ADDR, 0x02, 0x80)
    assert device.rtp_level == 0.0
    bus.write_byte_data(ADDR, 0x02, 0xFF)
    assert device.rtp_level == pytest.approx(1.0)


def test_close_stops_the_motor_and_enters_standby(rig):
    clock, bus, device = rig
    drv = DRV2605(bus, clock=clock)
    drv.set_realtime(0.8)
    drv.close()
    drv.close()
    assert device.standby and device.rtp_level == 0.0
    assert "closed" in repr(drv)
    with pytest.raises(DeviceClosed):
        drv.set_realtime(0.1)


# --- the pattern output ---------------------------------------------------------------
def test_output_plays_the_pattern_edges_in_rtp_at_simulated_times(rig):
    clock, bus, device = rig
    out = Drv2605Output(bus, clock=clock)
    writes_before = len(device.history)
    t = 0.0
    while t < 1.0 - 1e-9:
        clock.sleep_until(t)
        out.drive(pt.OBSTACLE[Level.WARNING], t)
        t += 0.01
    rtp = [(round(ts, 3), v) for ts, reg, v in device.history[writes_before:] if reg == 0x02]
    assert rtp == [(0.0, 102), (0.08, 0), (0.2, 102), (0.28, 0), (0.4, 102), (0.48, 0),
                   (0.6, 102), (0.68, 0), (0.8, 102), (0.88, 0)]   # 0.8 x 127 = 102
    assert len(device.history) - writes_before == len(rtp)      # no per-cycle writes
    assert device.playing(0.05) and not device.playing(0.1) and device.playing(0.25)


def test_output_counts_failed_writes_and_retries(rig):
    clock, bus, device = rig
    out = Drv2605Output(bus, clock=clock)
    bus.set_error_rate(ADDR, 1.0)
    assert out.drive(pt.OBSTACLE[Level.DANGER], 0.0)           # never raises into the loop
    assert out.errors == 1 and out.stale and device.rtp_level == 0.0
    bus.set_error_rate(ADDR, 0.0)
    clock.advance(0.01)
    out.drive(pt.OBSTACLE[Level.DANGER], 0.01)
    assert not out.stale and device.rtp_level == pytest.approx(1.0)
    out.close()
    out.close()
    assert device.standby and device.rtp_level == 0.0
