"""The chip catalogue: what drivers, emulators and the simulator take from it holds
for the real classes, and its range functions behave as the optics say."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from pi_app.clock import SimClock
from pi_app.config import SensorConfig
from pi_app.exc import ConfigError
from pi_app.sensors import chips
from pi_app.sensors.chips import CHIPS, RANGE_KINDS, chip, max_range_m, nominal_period_s
from pi_app.sim import devices as sim_devices
from pi_app.sim import optics as sim_optics
from pi_app.sim.simbus import SimBus

BUDGETS_MS = {"long": (20, 33, 50, 100, 200, 500), "short": (15, 20, 33, 50, 100, 200, 500)}


def range_configs():
    """One SensorConfig per range kind and setting the device can run it with."""
    for kind in RANGE_KINDS:
        modes = chip(kind).distance_modes
        if not modes:
            yield SensorConfig(f"s-{kind}", kind, "obstacle")
        for mode in modes:
            for budget_ms in BUDGETS_MS[mode]:
                yield SensorConfig(f"s-{kind}", kind, "obstacle", distance_mode=mode,
                                   timing_budget_ms=budget_ms)


@pytest.mark.parametrize("kind", list(CHIPS))
def test_driver_and_emulator_agree_with_the_catalogue(kind):
    facts = chip(kind)
    driver = facts.driver_class()
    emulator = getattr(sim_devices, facts.emulator)
    assert driver.DEFAULT_ADDRESS == facts.default_address
    assert emulator.DEFAULT_ADDRESS == facts.default_address
    lowest, highest = facts.addresses
    assert 0x08 <= lowest <= facts.default_address <= highest <= 0x77


@pytest.mark.parametrize("kind", [k for k, c in CHIPS.items() if c.chip_id is not None])
def test_each_emulator_reads_its_catalogue_id(kind):
    facts = chip(kind)
    bus = SimBus(SimClock())
    dev = bus.attach(getattr(sim_devices, facts.emulator)())
    index = facts.chip_id.register.to_bytes(dev.INDEX_BYTES, "big")
    dev.i2c_write(dev.address, index)
    assert dev.i2c_read(dev.address, len(facts.chip_id.value)) == facts.chip_id.value


@pytest.mark.parametrize("sc", list(range_configs()), ids=lambda sc: f"{sc.kind}-{sc.distance_mode}"
                         f"-{sc.timing_budget_ms}")
def test_nominal_period_is_what_the_driver_delivers(sc):
    """Detectors are told ``nominal_period_s``; the driver built with the catalogue's
    settings for that config delivers at exactly that period."""
    facts = chip(sc.kind)
    driver = facts.driver_class()(None, clock=SimClock(), **facts.driver_kwargs(sc))
    assert driver.period_s == pytest.approx(nominal_period_s(sc))


def test_non_range_chips_have_no_period_or_optics():
    imu = SensorConfig("imu", chips.MPU6050.kind, "imu")
    with pytest.raises(ConfigError, match="MPU-6050 is not a range sensor"):
        nominal_period_s(imu)
    with pytest.raises(ConfigError, match="TCA9548A is not a range sensor"):
        chips.chip_optics(chips.TCA9548A.kind)


def test_an_unknown_kind_or_mode_is_one_clear_error():
    with pytest.raises(ConfigError, match=r"unknown chip kind 'vl53l0x' \(known: vl53l1x, "):
        chip("vl53l0x")
    with pytest.raises(ConfigError, match="distance mode 'medium' is not one of long, short"):
        chips.chip_optics(chips.VL53L1X.kind, "medium")


def test_sensor_kinds_are_the_range_chips_and_the_imu():
    assert set(chips.SENSOR_KINDS) == set(RANGE_KINDS) | {chips.MPU6050.kind}
    assert chips.DRV2605.kind not in chips.SENSOR_KINDS
    assert chips.TCA9548A.kind not in chips.SENSOR_KINDS


def test_shared_default_addresses_are_the_documented_clash():
    """Two kinds at one default address cannot sit on one bus unmoved: only the
    MB1242 and the TCA9548A (both 0x70) do, and the TCA9548A can be strapped away."""
    by_address: dict[int, list[str]] = {}
    for kind, facts in CHIPS.items():
        by_address.setdefault(facts.default_address, []).append(kind)
    clashes = [kinds for kinds in by_address.values() if len(kinds) > 1]
    assert clashes == [[chips.MB1242.kind, chips.TCA9548A.kind]]
    assert chips.TCA9548A.sharing == chips.STRAP


def test_mb1242_optics_are_its_centimetre_scale():
    lo_cm, hi_cm = chips.MB1242_RANGE_CM
    optics = chips.chip_optics(chips.MB1242.kind)
    assert (optics.min_range_m, optics.max_dark_m, optics.max_sun_m) == (0.2, 7.65, 7.65)
    assert (round(optics.min_range_m * 100), round(optics.max_dark_m * 100)) == (lo_cm, hi_cm)


@given(kind_mode=st.sampled_from([(k, m) for k in RANGE_KINDS
                                  for m in (chip(k).distance_modes or ("long",))]),
       budget_ms=st.floats(1.0, 1000.0))
def test_the_simulated_range_in_the_dark_is_the_catalogue_range(kind_mode, budget_ms):
    kind, mode = kind_mode
    dark_m = max_range_m(kind, distance_mode=mode, timing_budget_ms=budget_ms)
    assert sim_optics.max_range_m(kind, sunlight=0.0, distance_mode=mode,
                                  timing_budget_ms=budget_ms) == dark_m
    assert 0.0 < dark_m <= chips.chip_optics(kind, mode).max_dark_m


@given(kind_mode=st.sampled_from([(k, m) for k in RANGE_KINDS
                                  for m in (chip(k).distance_modes or ("long",))]),
       sun=st.tuples(st.floats(-1.0, 2.0), st.floats(-1.0, 2.0)),
       budget_ms=st.floats(1.0, 1000.0))
def test_more_sunlight_never_lengthens_the_range(kind_mode, sun, budget_ms):
    kind, mode = kind_mode
    dim, bright = sorted(sun)
    at = [sim_optics.max_range_m(kind, sunlight=s, distance_mode=mode, timing_budget_ms=budget_ms)
          for s in (dim, bright)]
    assert at[1] <= at[0] + 1e-12
    optics = chips.chip_optics(kind, mode)
    factor = chips.range_factor(kind, budget_ms)
    for limit_m in at:       # clamped between the datasheet's sun and dark ranges
        assert optics.max_sun_m * factor - 1e-12 <= limit_m <= optics.max_dark_m * factor + 1e-12


@given(st.floats(1.0, 1000.0), st.floats(1.0, 1000.0))
def test_a_longer_timing_budget_never_shortens_the_vl53l1x_range(a_ms, b_ms):
    short_ms, long_ms = sorted((a_ms, b_ms))
    kind = chips.VL53L1X.kind
    shorter_m = max_range_m(kind, timing_budget_ms=short_ms)
    assert shorter_m <= max_range_m(kind, timing_budget_ms=long_ms)
    assert max_range_m(kind, timing_budget_ms=long_ms) <= chips.chip_optics(kind).max_dark_m
    # chips whose range does not depend on a budget ignore it
    assert max_range_m(chips.TFLUNA.kind, timing_budget_ms=short_ms) == \
        chips.chip_optics(chips.TFLUNA.kind).max_dark_m
