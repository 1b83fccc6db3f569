"""VL53L1XDevice on the wire: what a driver written from ST's documents would see."""

import errno
import statistics

import pytest
from gpiozero.pins.mock import MockFactory
from smbus2 import i2c_msg

from pi_app.clock import SimClock
from pi_app.sim.devices.vl53l1x import (
    BOOT_S, TIMING_BUDGET_A_HI, VL53L1XDevice, decode_timing_budget_ms)
from pi_app.sim.simbus import SimBus

ADDR = 0x29


def wr(bus, reg, data, addr=ADDR):
    bus.i2c_rdwr(i2c_msg.write(addr, reg.to_bytes(2, "big") + bytes(data)))


def rd(bus, reg, n=1, addr=ADDR):
    read = i2c_msg.read(addr, n)
    bus.i2c_rdwr(i2c_msg.write(addr, reg.to_bytes(2, "big")), read)
    return bytes(read)


def rd_more(bus, n, addr=ADDR):
    """A read with no index write: continues where the chip's index is."""
    read = i2c_msg.read(addr, n)
    bus.i2c_rdwr(read)
    return bytes(read)


def setup(source=None, **kwargs):
    clock = SimClock()
    bus = SimBus(clock)
    dev = bus.attach(VL53L1XDevice(source, **kwargs))
    return clock, bus, dev


def set_budget(bus, mode, budget_ms):
    # As ULD SetDistanceMode / SetTimingBudgetInMs write them.
    wr(bus, 0x004B, [0x14 if mode == "short" else 0x0A])
    wr(bus, 0x0060, [0x07 if mode == "short" else 0x0F])
    wr(bus, 0x0063, [0x05 if mode == "short" else 0x0D])
    wr(bus, 0x005E, TIMING_BUDGET_A_HI[mode][budget_ms].to_bytes(2, "big"))


def data_ready(bus):
    polarity_active_high = not (rd(bus, 0x0030)[0] & 0x10)
    return (rd(bus, 0x0031)[0] & 1) == int(polarity_active_high)


def next_result(clock, bus, timeout_s=2.0, step_s=0.001):
    """Poll like a driver: wait for data ready, read status + distance, clear."""
    end_s = clock.now_s() + timeout_s
    while not data_ready(bus):
        assert clock.now_s() < end_s, "no result before the deadline"
        clock.advance(step_s)
    block = rd(bus, 0x0089, 17)
    wr(bus, 0x0086, [1])
    return block[0] & 0x1F, int.from_bytes(block[13:15], "big")


def start(bus, value=0x40):
    wr(bus, 0x0087, [value])


# --- identification and wire semantics -------------------------------------------------
def test_identification_registers():
    _, bus, _ = setup()
    assert rd(bus, 0x010F, 3) == b"\xEA\xCC\x10"
    # ST's ULD reads 0x010F as one big-endian 16-bit word: 0xEACC.
    assert int.from_bytes(rd(bus, 0x010F, 2), "big") == 0xEACC


def test_index_persists_between_transactions_and_auto_increments():
    _, bus, _ = setup()
    bus.i2c_rdwr(i2c_msg.write(ADDR, b"\x01\x0F"))      # index only, then STOP
    assert rd_more(bus, 1) == b"\xEA"
    assert rd_more(bus, 2) == b"\xCC\x10"               # continues from 0x0110


def test_block_write_auto_increments_across_registers():
    _, bus, _ = setup()
    wr(bus, 0x0064, [0x00, 0xB4, 0x01, 0x00])           # sigma and signal thresholds
    assert rd(bus, 0x0064, 4) == b"\x00\xB4\x01\x00"
    assert rd(bus, 0x0065, 1) == b"\xB4"


def test_half_index_is_nacked():
    _, bus, _ = setup()
    with pytest.raises(OSError):
        bus.i2c_rdwr(i2c_msg.write(ADDR, b"\x01"))


def test_boot_bit_after_power_on():
    clock, bus, dev = setup()
    assert rd(bus, 0x00E5)[0] & 1 == 1                  # attached already powered
    clock.advance(1.0)
    dev.power_off()
    with pytest.raises(OSError) as info:
        rd(bus, 0x00E5)
    assert info.value.errno == errno.EREMOTEIO
    dev.power_on()
    assert rd(bus, 0x00E5)[0] & 1 == 0                  # firmware still booting
    clock.advance(BOOT_S * 1.01)
    assert rd(bus, 0x00E5)[0] & 1 == 1


def test_first_range_bit_in_system_status():
    clock, bus, _ = setup()
    assert rd(bus, 0x00E5)[0] == 0x01
    start(bus)
    next_result(clock, bus)
    assert rd(bus, 0x00E5)[0] == 0x03                   # bit1: a range was completed


def test_soft_reset_reboots_and_restores_defaults():
    clock, bus, _ = setup()
    wr(bus, 0x0060, [0x07])
    wr(bus, 0x0000, [0x00])
    assert rd(bus, 0x00E5)[0] & 1 == 0
    wr(bus, 0x0000, [0x01])
    assert rd(bus, 0x00E5)[0] & 1 == 0
    clock.advance(BOOT_S * 1.01)
    assert rd(bus, 0x00E5)[0] & 1 == 1
    assert rd(bus, 0x0060) == b"\x0F"


# --- data ready and interrupt -----------------------------------------------------------
@pytest.mark.parametrize("mux_ctrl, ready_level", [(0x01, 1), (0x11, 0)])
def test_data_ready_follows_interrupt_polarity(mux_ctrl, ready_level):
    clock, bus, _ = setup()
    wr(bus, 0x0030, [mux_ctrl])
    start(bus)
    assert rd(bus, 0x0031)[0] & 1 == 1 - ready_level     # nothing yet
    clock.advance(0.2)
    assert rd(bus, 0x0031)[0] & 1 == ready_level
    wr(bus, 0x0086, [1])
    assert rd(bus, 0x0031)[0] & 1 == 1 - ready_level


def test_interrupt_clear_needed_before_next_result():
    clock, bus, _ = setup(lambda t: 0.5 + t)             # distance tells when it was taken
    set_budget(bus, "long", 50)
    wr(bus, 0x006C, (0).to_bytes(4, "big"))              # period = budget
    start(bus)
    clock.advance(0.051)
    first = rd(bus, 0x0089, 17)
    assert first[0] == 9 and abs(int.from_bytes(first[13:15], "big") - 550) < 15
    clock.advance(0.5)                                   # ten periods, never cleared
    assert data_ready(bus)
    assert rd(bus, 0x0089, 17) == first                  # later results were dropped
    wr(bus, 0x0086, [1])
    assert not data_ready(bus)
    clock.advance(0.05)
    status, mm = rd(bus, 0x0089)[0], int.from_bytes(rd(bus, 0x0096, 2), "big")
    assert data_ready(bus) and status == 9
    assert abs(mm - 1100) < 20                           # a fresh sample at ~0.6 s


def test_stream_count_increments_per_result():
    clock, bus, _ = setup()
    start(bus)
    counts = []
    for _ in range(3):
        next_result(clock, bus)
        counts.append(rd(bus, 0x008B)[0])
    assert counts == [0, 1, 2]


def test_stop_ranging_stops_results():
    clock, bus, _ = setup()
    start(bus)
    next_result(clock, bus)
    start(bus, 0x00)
    clock.advance(1.0)
    assert not data_ready(bus)


def test_single_shot_gives_one_result():
    clock, bus, _ = setup()
    start(bus, 0x10)
    next_result(clock, bus)
    clock.advance(1.0)
    assert not data_ready(bus)


# --- timing -------------------------------------------------------------------------
def count_results(clock, bus, duration_s):
    end_s, n = clock.now_s() + duration_s, 0
    while clock.now_s() < end_s:
        if data_ready(bus):
            n += 1
            wr(bus, 0x0086, [1])
        clock.advance(0.001)
    return n


@pytest.mark.parametrize("mode, budget_ms", [("long", 20), ("long", 33), ("long", 200),
                                             ("short", 15), ("short", 50)])
def test_period_follows_timing_budget(mode, budget_ms):
    clock, bus, dev = setup()
    set_budget(bus, mode, budget_ms)
    wr(bus, 0x006C, (0).to_bytes(4, "big"))
    assert dev.timing_budget_ms == budget_ms and dev.distance_mode == mode
    start(bus)
    n = count_results(clock, bus, 2.0)
    assert abs(n - 2000 / budget_ms) <= 1.5


def test_inter_measurement_period_lengthens_the_period():
    clock, bus, dev = setup()
    set_budget(bus, "long", 33)
    # ST default configuration: 0x00000F89 with the chip's PLL calibration = 100 ms.
    start(bus)
    assert count_results(clock, bus, 2.0) in (19, 20, 21)
    osc = int.from_bytes(rd(bus, 0x00DE, 2), "big") & 0x3FF
    wr(bus, 0x006C, int(osc * 250 * 1.075).to_bytes(4, "big"))   # ULD SetInterMeasurementInMs(250)
    start(bus)
    assert abs(dev.period_s - 0.25) < 0.002
    assert count_results(clock, bus, 2.0) in (7, 8, 9)


def test_unknown_budget_encoding_maps_to_nearest():
    assert decode_timing_budget_ms("long", 0x01CC) == 100
    assert decode_timing_budget_ms("long", 0x00B0) == 50      # near 0x00AD
    assert decode_timing_budget_ms("short", 0x03E0) == 200


# --- physics ------------------------------------------------------------------------
def statuses(distance_m, mode="long", budget_ms=100, sunlight=0.0, n=20):
    def source(t_s):
        return distance_m
    source.sunlight = sunlight
    clock, bus, _ = setup(source)
    set_budget(bus, mode, budget_ms)
    start(bus)
    return [next_result(clock, bus, step_s=0.005) for _ in range(n)]


@pytest.mark.parametrize("distance_m, mode, sunlight, expected", [
    (3.0, "long", 0.0, 9), (3.8, "long", 0.0, 4),        # 3.6 m dark, long
    (1.2, "short", 0.0, 9), (1.5, "short", 0.0, 4),      # 1.36 m dark, short
    (0.5, "long", 1.0, 9), (0.9, "long", 1.0, 4),        # 0.73 m in bright sun, long
    (1.2, "short", 1.0, 9),                              # short mode keeps 1.35 m in sun
    (0.02, "long", 0.0, 8),                              # under the 4 cm minimum
])
def test_range_limits(distance_m, mode, sunlight, expected):
    assert {s for s, _ in statuses(distance_m, mode, sunlight=sunlight)} == {expected}


def test_near_the_limit_some_results_fail_sigma():
    results = statuses(3.55, "long", budget_ms=100, n=200)
    codes = [s for s, _ in results]
    assert 0 < codes.count(6) < 150
    assert set(codes) <= {6, 9}


def test_noise_grows_with_distance_and_shorter_budget():
    def spread(distance_m, budget_ms):
        mm = [mm for s, mm in statuses(distance_m, budget_ms=budget_ms, n=80) if s == 9]
        assert abs(statistics.mean(mm) - distance_m * 1000) < 10
        return statistics.pstdev(mm)

    assert spread(2.5, 100) > 3 * spread(0.5, 100)
    assert spread(2.0, 20) > 1.5 * spread(2.0, 200)


def test_nothing_in_beam_and_blinding_are_signal_fail():
    assert {s for s, _ in statuses(None)} == {4}

    def source(t_s):
        return 1.0
    source.blinded = lambda t_s: 0.2 <= t_s < 0.6
    clock, bus, _ = setup(source)
    start(bus)
    got = [next_result(clock, bus)[0] for _ in range(8)]
    assert 4 in got and got[-1] == 9


def test_stuck_chip_repeats_the_last_distance():
    clock, bus, dev = setup(lambda t: 0.5 + t)
    start(bus)
    next_result(clock, bus)
    dev.stuck = True
    first = next_result(clock, bus)
    assert all(next_result(clock, bus) == first for _ in range(5))


def test_deterministic_for_a_seed():
    def run(seed):
        clock, bus, _ = setup(lambda t: 2.0, seed=seed)
        start(bus)
        return [next_result(clock, bus) for _ in range(10)]
    assert run(3) == run(3)
    assert run(3) != run(4)


# --- address and power ----------------------------------------------------------------
def test_address_change_takes_effect_next_transaction():
    clock, bus, dev = setup()
    wr(bus, 0x0001, [0x30])
    with pytest.raises(OSError):
        rd(bus, 0x010F)
    assert rd(bus, 0x010F, addr=0x30) == b"\xEA"
    assert bus.scan() == [0x30]
    dev.power_off()
    dev.power_on()
    clock.advance(BOOT_S * 2)
    assert bus.scan() == [0x29]                         # power cycle forgets it


def test_xshut_low_holds_the_chip_in_reset():
    factory = MockFactory()
    pin = factory.pin(17)
    pin.drive_high()
    clock, bus, dev = setup(xshut_pin=pin)
    wr(bus, 0x0001, [0x31])
    wr(bus, 0x0060, [0x07], addr=0x31)
    pin.drive_low()
    assert bus.scan() == []
    clock.advance(0.01)
    pin.drive_high()
    assert bus.scan() == [0x29]                         # rebooted at the default address
    assert rd(bus, 0x00E5)[0] & 1 == 0
    clock.advance(BOOT_S * 1.01)
    assert rd(bus, 0x00E5)[0] & 1 == 1
    assert rd(bus, 0x0060) == b"\x0F"                    # power-on registers


def test_xshut_low_at_attach_means_absent():
    pin = MockFactory().pin(5)
    _, bus, _ = setup(xshut_pin=pin)
    assert bus.scan() == []


def test_power_on_interrupt_is_active_low_until_uld_config():
    # Pololu's driver never writes GPIO_HV_MUX__CTRL and tests bit0 == 0 for ready.
    clock, bus, _ = setup()
    assert rd(bus, 0x0030)[0] & 0x10
    start(bus)
    assert rd(bus, 0x0031)[0] & 1 == 1
    clock.advance(0.2)
    assert rd(bus, 0x0031)[0] & 1 == 0


def test_pololu_style_client_works():
    """The register sequence of Pololu's vl53l1x-arduino (from ST's full API): soft
    reset, boot poll, computed timeout encodings, active-low data ready, 17-byte result."""
    clock, bus, dev = setup(lambda t: 1.7)
    wr(bus, 0x0000, [0x00])
    wr(bus, 0x0000, [0x01])
    polls = 0
    while not rd(bus, 0x00E5)[0] & 1:
        polls += 1
        clock.advance(0.0005)
    assert polls >= 2
    fast_osc = int.from_bytes(rd(bus, 0x0006, 2), "big")
    osc_cal = int.from_bytes(rd(bus, 0x00DE, 2), "big")
    wr(bus, 0x0060, [0x0F])
    wr(bus, 0x0063, [0x0D])                              # long mode VCSEL periods

    def encoded_timeout(budget_us, vcsel):
        pll_period = (1 << 30) // fast_osc
        macro_period = (((2304 * pll_period) >> 6) * ((vcsel + 1) << 1)) >> 6
        mclks = ((((budget_us - 4528) // 2) << 12) + (macro_period >> 1)) // macro_period
        ls, ms = mclks - 1, 0
        while ls & ~0xFF:
            ls, ms = ls >> 1, ms + 1
        return (ms << 8) | ls

    wr(bus, 0x005E, encoded_timeout(50000, 0x0F).to_bytes(2, "big"))
    wr(bus, 0x0061, encoded_timeout(50000, 0x0D).to_bytes(2, "big"))
    assert dev.timing_budget_ms == 50
    wr(bus, 0x006C, (50 * osc_cal).to_bytes(4, "big"))     # startContinuous(50)
    wr(bus, 0x0086, [0x01])
    wr(bus, 0x0087, [0x40])
    got = []
    while len(got) < 3:
        if rd(bus, 0x0031)[0] & 1 == 0:                  # Pololu: ready when bit0 == 0
            block = rd(bus, 0x0089, 17)
            wr(bus, 0x0086, [0x01])
            got.append((block[0], block[2], int.from_bytes(block[13:15], "big")))
        clock.advance(0.002)
    assert [status for status, _, _ in got] == [9, 9, 9]
    assert [count for _, count, _ in got] == [0, 1, 2]
    assert all(abs(mm * 2011 / 2048 - 1700) < 60 for _, _, mm in got)
    wr(bus, 0x0087, [0x80])                              # stopContinuous: abort
    clock.advance(0.5)
    assert rd(bus, 0x0031)[0] & 1 == 1
