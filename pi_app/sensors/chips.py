"""The chips backsight knows, as datasheet facts: one ``ChipFacts`` per kind.

Name, default I2C address, how several share one bus, driver (imported only when asked
for), emulator class name (a string, so the device core never imports the simulator),
ID register and, for a range sensor, beam and range limits per distance mode. Drivers,
emulators, the simulator's ground truth, ``backsight doctor`` and the sensor factory
all read them here, so none can disagree.

    chip("tfluna").default_address                          # 0x10
    nominal_period_s(sensor_cfg)                            # 0.004 s: a TF-Luna at 250 Hz
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

from pi_app.exc import ConfigError

# --- what a chip is for -----------------------------------------------------------------
RANGE = "range"           # a distance sensor: a [[sensors]] entry with a watching role
IMU = "imu"               # the motion sensor: a [[sensors]] entry with role "imu"
HAPTIC = "haptic"         # the vibration motor driver (alert.haptic)
MUX = "mux"               # the I2C switch sensors may sit behind

# --- how several of one kind share a bus ------------------------------------------------
XSHUT = "xshut"           # all wake at the default address; each is moved at every start,
                          # one at a time, while its XSHUT GPIO holds the others in reset
STORED = "stored"         # an address command saves a new one in the chip (flash, EEPROM)
STRAP = "strap"           # pins on the board pick the address
FIXED = "fixed"           # one address only: a second chip needs a TCA9548A channel


@dataclass(frozen=True)
class ChipOptics:
    """The beam and the ranges of one range chip in one distance mode."""

    fov_deg: float          # full cone angle of the beam
    min_range_m: float
    max_dark_m: float       # maximum range, dark, white/high-reflectance target
    max_sun_m: float        # maximum range in strong ambient light (sunlight = 1.0)


@dataclass(frozen=True)
class ChipId:
    """A register that tells the chip apart, and what this chip reads there."""

    register: int
    value: bytes


@dataclass(frozen=True, eq=False)
class ChipFacts:
    """Everything backsight relies on about one kind of chip (see the module doc)."""

    kind: str                                   # the name in config.toml and scenarios
    name: str                                   # as the datasheet writes it
    category: str                               # RANGE, IMU, HAPTIC or MUX
    default_address: int
    addresses: tuple[int, int]                  # lowest and highest it can be given
    sharing: str                                # XSHUT, STORED, STRAP or FIXED
    emulator: str                               # class name in pi_app.sim.devices
    driver: tuple[str, str]                     # (module, class), imported by driver_class()
    wiring: str                                 # what to check when it does not answer
    chip_id: ChipId | None = None               # None: no register that identifies it
    identifiable: bool = True                   # False: answering is all it can show
    optics: Mapping[str | None, ChipOptics] = field(default_factory=dict)  # by distance mode
    range_follows_budget: bool = False          # shorter timing budgets range less far
    no_target_beyond_range: bool = False        # "no target" means nothing within max range
    stray_echoes: bool = False                  # hears other sensors' pings and multipath
    stretches_clock: bool = False               # holds SCL low while busy (I2C clock stretching)
    period_s: Callable[[Any], float] | None = None      # sensor config -> s between samples
    driver_kwargs: Callable[[Any], dict] = lambda sc: {}  # sensor config -> driver settings

    def __post_init__(self) -> None:
        object.__setattr__(self, "optics", MappingProxyType(dict(self.optics)))

    @property
    def distance_modes(self) -> tuple[str, ...]:
        """The distance modes it can be set to (none for a chip with only one)."""
        return tuple(mode for mode in self.optics if mode is not None)

    def driver_class(self) -> type:
        module_name, class_name = self.driver
        return getattr(importlib.import_module(module_name), class_name)

    def optics_for(self, distance_mode: str | None = "long") -> ChipOptics:
        """The optics in ``distance_mode`` (ignored by a chip with only one)."""
        if not self.optics:
            raise ConfigError(f"{self.name} is not a range sensor: it has no optics")
        if None in self.optics:
            return self.optics[None]
        try:
            return self.optics[distance_mode]
        except KeyError:
            raise ConfigError(f"{self.name} distance mode {distance_mode!r} is not one of "
                              f"{', '.join(str(m) for m in self.optics)}") from None


#: the Pi's hardware I2C bus, as the chips on it are wired
PI_I2C_WIRING = "3.3 V, GND, SDA to GPIO2 (pin 3), SCL to GPIO3 (pin 5)"

# --- VL53L1X (ST DS12385, Ultra Lite Driver STSW-IMG009) ---------------------------------
#: Timing budget at which the datasheet ranges hold (ms); shorter budgets shorten them.
VL53L1X_FULL_RANGE_BUDGET_MS = 100.0

VL53L1X = ChipFacts(
    "vl53l1x", "VL53L1X", RANGE,
    default_address=0x29,                       # DS12385: 0x52 8-bit, after every reset
    addresses=(0x08, 0x77),                     # I2C_SLAVE__DEVICE_ADDRESS, lost at reset
    sharing=XSHUT,
    emulator="VL53L1XDevice",
    driver=("pi_app.sensors.vl53l1x", "VL53L1X"),
    wiring=PI_I2C_WIRING + ", XSHUT to its GPIO",
    chip_id=ChipId(0x010F, b"\xEA\xCC"),        # IDENTIFICATION__MODEL_ID, MODULE_TYPE
    optics={
        # DS12385: 27 deg field of view; from 4 cm; long mode 3.6 m dark (white
        # target, 200 ms budget), 0.73 m in strong ambient light
        "long": ChipOptics(27.0, 0.04, 3.6, 0.73),
        # short mode: 1.36 m dark, 1.35 m in strong ambient light
        "short": ChipOptics(27.0, 0.04, 1.36, 1.35),
    },
    range_follows_budget=True,
    no_target_beyond_range=True,
    # ULD SetInterMeasurementInMs(budget): one result per timing budget
    period_s=lambda sc: sc.timing_budget_ms / 1000.0,
    driver_kwargs=lambda sc: {"distance_mode": sc.distance_mode,
                              "timing_budget_ms": sc.timing_budget_ms},
)

# --- TF-Luna (Benewake product manual, I2C register table) -------------------------------
TFLUNA_BASE_RATE_HZ = 500       # manual: the frame rate must be 500 / n Hz ...
#: ... and at most 250 Hz (also the rate backsight runs it at: a 10 cm root under a spot
#: that the trunk's pitch swing sweeps along the ground is in the beam for only ~20 ms)
TFLUNA_FRAME_RATE_HZ = 250
TFLUNA_FRAME_RATES_HZ = frozenset(TFLUNA_BASE_RATE_HZ // n
                                  for n in range(2, TFLUNA_BASE_RATE_HZ + 1))

TFLUNA = ChipFacts(
    "tfluna", "TF-Luna", RANGE,
    default_address=0x10,                       # manual: SLAVE_ADDR factory setting
    addresses=(0x08, 0x77),                     # SLAVE_ADDR, saved to flash
    sharing=STORED,
    emulator="TFLunaDevice",
    driver=("pi_app.sensors.tfluna", "TFLuna"),
    wiring="5 V, GND, SDA/SCL to pins 3/5, and its pin 5 to GND at power-up "
           "(that selects I2C instead of UART)",
    chip_id=ChipId(0x3C, b"LUNA"),              # read-only signature 0x3C-0x3F
    # datasheet: 0.2-8 m at 90 % reflectivity indoors, ~2.5 m at 10 % (and in sunlight,
    # per user reports); field of view 2 deg
    optics={None: ChipOptics(2.0, 0.2, 8.0, 2.5)},
    period_s=lambda sc: 1.0 / TFLUNA_FRAME_RATE_HZ,
    driver_kwargs=lambda sc: {"frame_rate_hz": TFLUNA_FRAME_RATE_HZ},
)

# --- MB1242 (MaxBotix I2CXL-MaxSonar-EZ datasheet) ---------------------------------------
MB1242_RANGE_CM = (20, 765)     # reads 20-765 cm; closer reads 20, no echo reads 765
MB1242_RANGE_CYCLE_S = 0.1      # ~80 ms to range, 100 ms between ranges advised

MB1242 = ChipFacts(
    "mb1242", "MB1242", RANGE,
    default_address=0x70,                       # 0xE0 8-bit; the TCA9548A's default too
    addresses=(0x08, 0x77),                     # address command, saved to EEPROM
    sharing=STORED,
    emulator="MB1242Device",
    driver=("pi_app.sensors.mb1242", "MB1242"),
    wiring="3.3-5 V, GND, SDA/SCL with 4.7 kOhm pull-ups, on the bit-banged bus "
           "(GPIO24/25, /dev/i2c-3)",
    identifiable=False,                         # no registers: only ranges
    # a wide beam (30 deg modelled); ultrasound does not mind sunlight, so the range
    # in the sun is the range in the dark
    optics={None: ChipOptics(30.0, MB1242_RANGE_CM[0] / 100, MB1242_RANGE_CM[1] / 100,
                             MB1242_RANGE_CM[1] / 100)},
    stray_echoes=True,
    stretches_clock=True,
    period_s=lambda sc: MB1242_RANGE_CYCLE_S,
    driver_kwargs=lambda sc: {"range_period_s": MB1242_RANGE_CYCLE_S},
)

# --- the other chips ---------------------------------------------------------------------
MPU6050 = ChipFacts(
    "mpu6050", "MPU-6050", IMU,
    default_address=0x68,                       # RM-MPU-6000A: 0x68, 0x69 with AD0 high
    addresses=(0x68, 0x69),
    sharing=STRAP,
    emulator="MPU6050Device",
    driver=("pi_app.sensors.mpu6050", "MPU6050"),
    wiring=PI_I2C_WIRING + ", AD0 to GND for 0x68 or 3.3 V for 0x69",
    chip_id=ChipId(0x75, b"\x68"),              # WHO_AM_I, whatever AD0 is
)

DRV2605 = ChipFacts(
    "drv2605", "DRV2605L", HAPTIC,
    default_address=0x5A,                       # TI DRV2605L datasheet: fixed
    addresses=(0x5A, 0x5A),
    sharing=FIXED,
    emulator="DRV2605Device",
    driver=("pi_app.alert.drv2605", "DRV2605"),
    wiring=PI_I2C_WIRING + ", EN to 3.3 V, the motor on OUT+/OUT-",
    # identified by STATUS (0x00) bits 7:5, DEVICE_ID: see pi_app.alert.drv2605
)

TCA9548A = ChipFacts(
    "tca9548a", "TCA9548A", MUX,
    default_address=0x70,                       # TI TCA9548A datasheet: 0x70 + A2..A0
    addresses=(0x70, 0x77),
    sharing=STRAP,
    emulator="TCA9548ADevice",
    driver=("pi_app.sensors.tca9548a", "TCA9548A"),
    wiring=PI_I2C_WIRING + ", A0-A2 set the address (0x70-0x77)",
    identifiable=False,                         # one control register, no ID
)

CHIPS: dict[str, ChipFacts] = {c.kind: c for c in (VL53L1X, TFLUNA, MB1242, MPU6050,
                                                     DRV2605, TCA9548A)}
#: chips that can be a [[sensors]] entry, and the range sensors among them
SENSOR_KINDS = tuple(k for k, c in CHIPS.items() if c.category in (RANGE, IMU))
RANGE_KINDS = tuple(k for k, c in CHIPS.items() if c.category == RANGE)


def chip(kind: str) -> ChipFacts:
    """The facts of ``kind``; ConfigError naming the known kinds for any other."""
    try:
        return CHIPS[kind]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown chip kind {kind!r} (known: {', '.join(CHIPS)})") from None


def default_address(kind: str) -> int:
    return chip(kind).default_address


def nominal_period_s(sensor_cfg) -> float:
    """How often the configured range chip delivers a measurement (s)."""
    facts = chip(sensor_cfg.kind)
    if facts.period_s is None:
        raise ConfigError(f"{facts.name} is not a range sensor: it has no sample period")
    return facts.period_s(sensor_cfg)


def chip_optics(kind: str, distance_mode: str | None = "long") -> ChipOptics:
    return chip(kind).optics_for(distance_mode)


def fov_deg(kind: str, distance_mode: str | None = "long") -> float:
    """Full cone angle of the beam (deg)."""
    return chip_optics(kind, distance_mode).fov_deg


def budget_range_factor(timing_budget_ms: float) -> float:
    """VL53L1X: fraction of the datasheet range reached with this timing budget.

    Range grows slowly with integration time (collected signal grows with the budget,
    returned signal falls steeply with distance), so the model is a gentle power law:
    (budget / 100 ms)^0.1, capped at 1 -> 33 ms: 0.90, 50 ms: 0.93, 20 ms: 0.85."""
    return min(1.0, (max(timing_budget_ms, 1.0) / VL53L1X_FULL_RANGE_BUDGET_MS) ** 0.1)


def range_factor(kind: str, timing_budget_ms: float) -> float:
    """Share of the datasheet range ``kind`` reaches with this timing budget (1 for a
    chip whose range does not depend on one)."""
    return budget_range_factor(timing_budget_ms) if chip(kind).range_follows_budget else 1.0


def max_range_m(kind: str, *, distance_mode: str | None = "long",
                timing_budget_ms: float = 100.0) -> float:
    """Longest distance the chip reports as valid in the dark (white target)."""
    return chip_optics(kind, distance_mode).max_dark_m * range_factor(kind, timing_budget_ms)
