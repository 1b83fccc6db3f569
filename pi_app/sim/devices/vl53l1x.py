"""VL53L1X time-of-flight ranger emulator (ST), register level.

What a driver sees on the wire, per ST's datasheet and Ultra Lite Driver (ULD): a
16-bit big-endian register index with auto-increment, kept between transactions;
identification 0x010F..0x0111 = EA CC 10; firmware status 0x00E5 (bit0 booted, bit1
"first range done"); address change through 0x0001; data-ready in 0x0031 bit0 with the
polarity of 0x0030 bit4; results in 0x0089..0x0099 (the block ULD ``GetResult`` and
Pololu's ``readResults`` read). Ranges come from ``pi_app.sim.optics``; the timing, the
noise and what is approximated are in ``VL53L1XDevice`` and its ``_sample``. The region
of interest (0x007F centre SPAD, 0x0080 size) narrows and steers the beam and collects
less signal: ``RoiOptics`` (sources in docs/bearing.md).
"""

from __future__ import annotations

import math

from dataclasses import dataclass
from functools import lru_cache

from pi_app.sensors import chips
from pi_app.sensors.chips import range_factor
from pi_app.sim.devices.base import RegisterDevice, fixed_range
from pi_app.sim.optics import chip_optics, max_range_m

# --- registers (names as in ST's ULD / datasheet) -----------------------------------
_SOFT_RESET = 0x0000
_I2C_SLAVE__DEVICE_ADDRESS = 0x0001
_OSC_MEASURED__FAST_OSC__FREQUENCY = 0x0006
_GPIO_HV_MUX__CTRL = 0x0030
_GPIO__TIO_HV_STATUS = 0x0031
_RANGE_CONFIG__TIMEOUT_MACROP_A_HI = 0x005E
_RANGE_CONFIG__VCSEL_PERIOD_A = 0x0060
_SYSTEM__INTERMEASUREMENT_PERIOD = 0x006C
_ROI_CONFIG__USER_ROI_CENTRE_SPAD = 0x007F
_ROI_CONFIG__USER_ROI_REQUESTED_GLOBAL_XY_SIZE = 0x0080
_SYSTEM__INTERRUPT_CLEAR = 0x0086
_SYSTEM__MODE_START = 0x0087
_RESULT__RANGE_STATUS = 0x0089
_RESULT__STREAM_COUNT = 0x008B
_RESULT__DSS_ACTUAL_EFFECTIVE_SPADS_SD0 = 0x008C
_RESULT__PEAK_SIGNAL_COUNT_RATE_MCPS_SD0 = 0x008E
_RESULT__AMBIENT_COUNT_RATE_MCPS_SD0 = 0x0090
_RESULT__SIGMA_SD0 = 0x0092
_RESULT__FINAL_CROSSTALK_CORRECTED_RANGE_MM_SD0 = 0x0096
_RESULT__PEAK_SIGNAL_COUNT_RATE_CROSSTALK_CORRECTED_MCPS_SD0 = 0x0098
_RESULT__OSC_CALIBRATE_VAL = 0x00DE
_FIRMWARE__SYSTEM_STATUS = 0x00E5
_IDENTIFICATION__MODEL_ID = chips.VL53L1X.chip_id.register
_ROI_CONFIG__MODE_ROI_CENTRE_SPAD = 0x013E

#: ST ULD VL51L1X_DEFAULT_CONFIGURATION, registers 0x002D..0x0087 (91 bytes).
DEFAULT_CONFIGURATION = bytes.fromhex(
    "00 00 00 01 02 00 02 08 00 08 10 01"  # 0x2D..0x38 (0x30 polarity, 0x31 status)
    "01 00 00 00 00 FF 00 0F 00 00 00 00"  # 0x39..0x44
    "00 20 0B 00 00 02 0A 21 00 00 05 00"  # 0x45..0x50 (0x4B phasecal: 0x0A long)
    "00 00 00 C8 00 00 38 FF 01 00 08 00"  # 0x51..0x5C
    "00 01 CC 0F 01 F1 0D 01 68 00 80 08"  # 0x5D..0x68 (0x5E 0x01CC: 100 ms long)
    "B8 00 00 00 00 0F 89 00 00 00 00 00"  # 0x69..0x74 (0x6C: 0x00000F89 period)
    "00 00 01 0F 0D 0E 0E 00 00 02 C7 FF"  # 0x75..0x80 (0x7F/0x80 ROI)
    "9B 00 00 00 01 00 00"                 # 0x81..0x87 (0x86 clear, 0x87 start)
)
if len(DEFAULT_CONFIGURATION) != 0x88 - 0x2D:
    raise ImportError("VL53L1X default configuration must cover 0x2D..0x87")

BOOT_S = 1.2e-3                 # firmware boot after power-on / XSHUT release
MASK_REVISION = 0x10            # IDENTIFICATION 0x0111, after model id and module type
OSC_CALIBRATE_VAL = 37          # PLL ticks per ms: ST's default 0x0F89 decodes to 100 ms
FAST_OSC_FREQUENCY = 0xBCCC     # the value ST's full driver assumes when NVM is blank

#: ULD SetTimingBudgetInMs tables: budget ms -> RANGE_CONFIG__TIMEOUT_MACROP_A_HI.
TIMING_BUDGET_A_HI = {
    "short": {15: 0x001D, 20: 0x0051, 33: 0x00D6, 50: 0x01AE, 100: 0x02E1,
              200: 0x03E1, 500: 0x0591},
    "long": {20: 0x001E, 33: 0x0060, 50: 0x00AD, 100: 0x01CC, 200: 0x02D9, 500: 0x048F},
}

# Raw RESULT__RANGE_STATUS codes.
RAW_SIGNAL_FAIL = 4
RAW_SIGMA_FAIL = 6
RAW_MIN_RANGE = 8
RAW_VALID = 9
RAW_USER_ROI_CLIP = 13          # VL53L1_DEVICEERROR_USERROICLIP: the ROI leaves the array

SIGMA_FAIL_ZONE = 0.10          # last share of the range where sigma fails start
SIGMA_FAIL_MAX_SHARE = 0.5      # share of results failing at the very limit
SIGNAL_AT_LIMIT_MCPS = 1.0      # return rate at the range limit (ULD default floor)
AMBIENT_DARK_MCPS, AMBIENT_SUN_MCPS = 0.2, 40.0
AMBIENT_GLARE_MCPS = 200.0      # the sun itself in the cone ("blind")
EFFECTIVE_SPADS = 200
GARBAGE_MIN_MM = 0xF000         # "garbage" fault: valid status, 61-65 m

# --- region of interest (ROI) on the 16x16 SPAD array -------------------------------
SPAD_ARRAY_SIDE = 16            # DS12385: 16x16 SPAD receiving array
ROI_MIN_SIDE = 4                # UM2555 / ST API VL53L1_SetUserROI: 4x4 SPADs at least
DEFAULT_ROI_XY_SIZE = 0xFF      # 16x16, ULD default configuration (0x0080)
DEFAULT_ROI_CENTRE_SPAD = 0xC7  # SPAD 199, row 8 column 8 (ULD default, 0x007F)
ROI_FULL_FOV_DEG = 27.0         # DS12385: full field of view with the whole array
ROI_MIN_FOV_DEG = 15.0          # UM2555 figure 1: "27 deg FoV down to 15 deg" (4x4 ROI)
#: the two documented points, joined by a line: each SPAD column widens the cone by
#: 1 deg, and the lens blur adds 11 deg (16 SPADs: 27 deg, 4 SPADs: 15 deg); the same
#: 1 deg per column is how far the cone's axis moves when the ROI moves one column
ROI_DEG_PER_SPAD = (ROI_FULL_FOV_DEG - ROI_MIN_FOV_DEG) / (SPAD_ARRAY_SIDE - ROI_MIN_SIDE)
ROI_BLUR_DEG = ROI_FULL_FOV_DEG - SPAD_ARRAY_SIDE * ROI_DEG_PER_SPAD


def decode_macro_period(a_hi: int) -> int:
    """Timeout in macro periods from the (LSB * 2**MSB) + 1 register encoding."""
    return ((a_hi & 0xFF) << (a_hi >> 8)) + 1


def decode_timing_budget_ms(distance_mode: str, a_hi: int) -> int:
    """Budget (ms) for a RANGE_CONFIG__TIMEOUT_MACROP_A_HI value; values outside ULD's
    table (drivers that compute their own) map to the nearest entry in macro periods."""
    table = TIMING_BUDGET_A_HI[distance_mode]
    for budget_ms, value in table.items():
        if value == a_hi:
            return budget_ms
    periods = math.log(decode_macro_period(a_hi))
    return min(table, key=lambda ms: abs(math.log(decode_macro_period(table[ms])) - periods))


def decode_row_col(spad: int) -> tuple[int, int]:
    """(row, column) of SPAD number ``spad`` on the array, as ST's
    ``VL53L1_decode_row_col``: 128..255 are rows 8..15, 0..127 rows 0..7."""
    if spad > 127:
        return 8 + ((255 - spad) & 0x07), (spad - 128) >> 3
    return spad & 0x07, (127 - spad) >> 3


def encode_row_col(row: int, column: int) -> int:
    """SPAD number at (row, column): the inverse of ``decode_row_col``
    (ST's ``VL53L1_encode_row_col``)."""
    if row > 7:
        return 128 + (column << 3) + (15 - row)
    return ((15 - column) << 3) + row


@dataclass(frozen=True)
class RoiOptics:
    """What a region of interest does to the beam, decoded from 0x0080 and 0x007F.

    ``width_spads`` x ``height_spads`` SPADs around ``centre_spad`` (for an even size the
    centre SPAD is the one right of and above the exact centre, as ST's table puts it).
    ``fits``: at least ``ROI_MIN_SIDE`` each way and inside the array; otherwise every
    ranging fails with ``RAW_USER_ROI_CLIP`` (ST's API refuses sizes under 4x4 before
    writing them; what the silicon does with one is undocumented, so no range is the
    safe reading). The cone is ``width_deg`` x ``height_deg``; its axis is turned by
    ``yaw_offset_deg`` (+ toward +y) and ``pitch_offset_deg`` (+ up) from the module's
    axis. The receiving lens images the scene upside down and mirrored, so a ROI right
    of the array's centre looks left (columns counted toward the module's -y side, rows
    upward, the module mounted level with its long side across the belt).
    ``spad_share``: the ROI's share of the array: signal and ambient scale with it."""

    width_spads: int
    height_spads: int
    centre_spad: int
    fits: bool
    width_deg: float
    height_deg: float
    yaw_offset_deg: float
    pitch_offset_deg: float
    spad_share: float

    @property
    def is_full_array(self) -> bool:
        return self.width_spads == SPAD_ARRAY_SIDE and self.height_spads == SPAD_ARRAY_SIDE

    @property
    def aim(self) -> tuple[float, float, float, float]:
        """``(width_deg, height_deg, yaw_offset_deg, pitch_offset_deg)`` for a view's
        ``aim_roi``."""
        return self.width_deg, self.height_deg, self.yaw_offset_deg, self.pitch_offset_deg


@lru_cache(maxsize=256)
def roi_optics(xy_size: int, centre_spad: int) -> RoiOptics:
    """The ``RoiOptics`` of register values 0x0080 = ``xy_size`` ((height - 1) << 4 |
    (width - 1)) and 0x007F = ``centre_spad``."""
    width, height = (xy_size & 0x0F) + 1, (xy_size >> 4) + 1
    row, column = decode_row_col(centre_spad)
    col_lo, row_lo = column - width // 2, row - height // 2
    fits = (min(width, height) >= ROI_MIN_SIDE and col_lo >= 0 and row_lo >= 0
            and col_lo + width <= SPAD_ARRAY_SIDE and row_lo + height <= SPAD_ARRAY_SIDE)
    middle = (SPAD_ARRAY_SIDE - 1) / 2.0
    col_mid, row_mid = col_lo + (width - 1) / 2.0, row_lo + (height - 1) / 2.0
    return RoiOptics(
        width, height, centre_spad, fits,
        width_deg=ROI_BLUR_DEG + width * ROI_DEG_PER_SPAD,
        height_deg=ROI_BLUR_DEG + height * ROI_DEG_PER_SPAD,
        # the lens inverts: columns count toward -y and rows upward in the module, so
        # the view turns toward +y / down as the ROI moves to higher columns / rows
        yaw_offset_deg=(col_mid - middle) * ROI_DEG_PER_SPAD,
        pitch_offset_deg=-(row_mid - middle) * ROI_DEG_PER_SPAD,
        spad_share=width * height / SPAD_ARRAY_SIDE ** 2)


def roi_max_range_m(spad_share: float, *, sunlight: float = 0.0, distance_mode: str = "long",
                    timing_budget_ms: float = 100.0) -> float:
    """Longest valid range of a VL53L1X using ``spad_share`` of its SPAD array.

    Signal and ambient both scale with the SPADs collecting them. In the dark the chip
    stops at a fixed return rate (signal ~ share / d**2), so the range goes with
    sqrt(share); in strong light it is the signal-to-noise ratio (signal over the square
    root of the ambient, ~ sqrt(share) / d**2) that fails, so the range goes with
    share**0.25. Between, like ``optics.max_range_m``, linear in the sunlight."""
    o = chip_optics(chips.VL53L1X.kind, distance_mode)
    s = min(max(sunlight, 0.0), 1.0)
    dark_m = o.max_dark_m * math.sqrt(spad_share)
    sun_m = o.max_sun_m * spad_share ** 0.25
    return (dark_m + (sun_m - dark_m) * s) * range_factor(chips.VL53L1X.kind, timing_budget_ms)


class VL53L1XDevice(RegisterDevice):
    """A VL53L1X on a SimBus.

    ``range_source``: callable ``t_s -> metres | None`` (None = nothing in the beam);
    default a fixed target 1.0 m ahead. Optional attributes on the source:
    ``sunlight`` (0..1, or a callable of t_s) and ``blinded(t_s) -> bool``.
    ``xshut_pin``: a gpiozero pin (e.g. ``MockFactory().pin(17)``); while it is low the
    chip is held in reset and does not answer; on release it boots at its default address.
    ``stuck``: set True to make the chip keep flagging results that repeat the last one.
    ``garbage``: set True to make it flag implausible results: range status valid but
    a distance of 61-65 m (0xF000-0xFFFF mm), far beyond any VL53L1X's 4 m.

    Timing: boot takes ``BOOT_S`` after power-on, XSHUT release or a soft reset (the I2C
    interface answers meanwhile, 0x00E5 reads 0). A measurement takes the timing budget;
    in timed mode (0x0087 <- 0x40) one starts every max(budget, inter-measurement
    period). A result is flagged only if the previous one was cleared (0x0086 <- 1);
    otherwise it is dropped and the registers keep the old one.

    Region of interest: a ranging uses the ROI (0x007F, 0x0080) in the registers when it
    started; one written while a ranging is under way applies from the next. A ROI
    other than the whole array narrows and turns the cone (``RoiOptics``: the source's
    optional ``aim_roi(aim | None)`` is told before each such measurement, and told None
    when the whole array is back) and scales signal, ambient, sigma and the range limit
    by its share of the SPADs (``roi_max_range_m``).

    Approximations: the power-on contents of 0x002D..0x0087 are ST's default
    configuration (``DEFAULT_CONFIGURATION``) except GPIO_HV_MUX__CTRL = 0x11
    (active-low interrupt); a soft reset keeps the I2C address; a target is taken to
    fill the ROI's cone (no partial-fill signal loss for narrow targets).
    """

    DEFAULT_ADDRESS = chips.VL53L1X.default_address
    INDEX_BYTES = 2
    REGISTER_SPACE = 0x10000
    COMPUTED_READS = frozenset((_GPIO__TIO_HV_STATUS, _FIRMWARE__SYSTEM_STATUS,
                                _SYSTEM__INTERRUPT_CLEAR))

    def __init__(self, range_source=None, *, seed: int = 0, xshut_pin=None) -> None:
        self.range_source = range_source if range_source is not None else fixed_range(1.0)
        self.stuck = False
        self.garbage = False
        self._xshut_pin = xshut_pin
        self._aimed = None              # the ROI aim the source was last told (None: full)
        #: (range limit m, minimum range m) by (sunlight, distance mode, budget ms): the
        #: optics tables' answers, looked up once per setting instead of per measurement
        self._limits: dict[tuple, tuple[float, float]] = {}
        self._xshut_high = True if xshut_pin is None else bool(xshut_pin.state)
        self._present = True
        self._boot_done_s = -math.inf       # attached already powered and booted
        super().__init__(seed=seed)
        if not self._xshut_high:
            self._present = False

    # --- power and XSHUT ------------------------------------------------------------
    @property
    def present(self) -> bool:
        self._sync_xshut()
        return self._present

    @present.setter
    def present(self, value: bool) -> None:
        self._present = bool(value)

    def _sync_xshut(self) -> None:
        # Checked lazily at each bus access: gpiozero pins have no callback for us.
        if self._xshut_pin is None:
            return
        high = bool(self._xshut_pin.state)
        if high != self._xshut_high:
            self._xshut_high = high
            if high:
                self.power_on()
            else:
                self.power_off()

    def power_on(self) -> None:
        super().power_on()
        self._boot_done_s = self.now_s() + BOOT_S
        if not self._xshut_high:
            self._present = False       # supply back, but XSHUT still holds it in reset

    def answers(self, address: int) -> bool:
        if self._xshut_pin is not None:
            self._sync_xshut()
        return self._present and address == self.address

    acks = answers      # ``present and answers`` in one look at XSHUT

    def reset(self) -> None:
        super().reset()
        regs = self.regs
        regs[_SOFT_RESET] = 0x01
        regs[_I2C_SLAVE__DEVICE_ADDRESS] = self.DEFAULT_ADDRESS
        regs[_OSC_MEASURED__FAST_OSC__FREQUENCY:_OSC_MEASURED__FAST_OSC__FREQUENCY + 2] = \
            FAST_OSC_FREQUENCY.to_bytes(2, "big")
        regs[0x2D:0x88] = DEFAULT_CONFIGURATION
        # Reset value: active-low interrupt (ST's full API default; Pololu's driver
        # relies on it). ULD's configuration switches it to active high (0x01).
        regs[_GPIO_HV_MUX__CTRL] = 0x11
        regs[_RESULT__OSC_CALIBRATE_VAL:_RESULT__OSC_CALIBRATE_VAL + 2] = \
            OSC_CALIBRATE_VAL.to_bytes(2, "big")
        regs[_IDENTIFICATION__MODEL_ID:_IDENTIFICATION__MODEL_ID + 3] = \
            chips.VL53L1X.chip_id.value + bytes([MASK_REVISION])
        regs[_ROI_CONFIG__MODE_ROI_CENTRE_SPAD] = 0xC7
        self._in_soft_reset = False
        self._ranging = None            # None, "timed", "back_to_back" or "single"
        self._next_done_s = math.inf
        self._interrupt_pending = False
        self._first_range_done = False
        self._stream_count = -1
        self._last_result = None
        #: (0x0080, 0x007F) latched by the ranging under way when the driver rewrote
        #: them, else None (the next result uses the registers)
        self._roi_in_flight = None

    # --- configuration as the driver wrote it -----------------------------------------
    @property
    def booted(self) -> bool:
        return not self._in_soft_reset and self.now_s() >= self._boot_done_s

    @property
    def distance_mode(self) -> str:
        # ULD writes VCSEL period A 0x07 (short) or 0x0F (long); between: nearest.
        return "short" if self.regs[_RANGE_CONFIG__VCSEL_PERIOD_A] < 0x0B else "long"

    @property
    def timing_budget_ms(self) -> int:
        a_hi = self._word(_RANGE_CONFIG__TIMEOUT_MACROP_A_HI)
        return decode_timing_budget_ms(self.distance_mode, a_hi)

    @property
    def inter_measurement_ms(self) -> float:
        raw = int.from_bytes(self.regs[_SYSTEM__INTERMEASUREMENT_PERIOD:
                                       _SYSTEM__INTERMEASUREMENT_PERIOD + 4], "big")
        osc = self._word(_RESULT__OSC_CALIBRATE_VAL) & 0x3FF
        return raw / (osc * 1.075) if osc else 0.0  # ULD SetInterMeasurementInMs scaling

    @property
    def period_s(self) -> float:
        """Time between results in the current ranging mode (seconds)."""
        budget_s = self.timing_budget_ms / 1000.0
        if self._ranging == "timed":
            return max(budget_s, self.inter_measurement_ms / 1000.0)
        return budget_s

    def _word(self, register: int) -> int:
        return (self.regs[register] << 8) | self.regs[register + 1]

    # --- register side effects ---------------------------------------------------------
    def read_register(self, register: int) -> int:
        if register == _GPIO__TIO_HV_STATUS:
            active_low = bool(self.regs[_GPIO_HV_MUX__CTRL] & 0x10)
            level = self._interrupt_pending != active_low
            return (self.regs[register] & 0xFE) | int(level)
        if register == _FIRMWARE__SYSTEM_STATUS:
            return (int(self._first_range_done) << 1) | int(self.booted)
        if register == _SYSTEM__INTERRUPT_CLEAR:
            return 0
        return self.regs[register]

    def write_register(self, register: int, value: int) -> None:
        if register == _SOFT_RESET:
            self._soft_reset(value & 0x01)
        elif register == _I2C_SLAVE__DEVICE_ADDRESS:
            # Takes effect from the next transaction (this one was already routed).
            self.regs[register] = value & 0x7F
            self.address = value & 0x7F
        elif register == _SYSTEM__INTERRUPT_CLEAR:
            if value & 0x01:
                self._interrupt_pending = False
        elif register == _SYSTEM__MODE_START:
            self.regs[register] = value
            self._mode_start(value)
        elif register in _READ_ONLY:
            pass
        else:
            if (register in _ROI_REGISTERS and self.regs[register] != value
                    and self._roi_in_flight is None and self._ranging_under_way()):
                self._roi_in_flight = (self.regs[_ROI_CONFIG__USER_ROI_REQUESTED_GLOBAL_XY_SIZE],
                                       self.regs[_ROI_CONFIG__USER_ROI_CENTRE_SPAD])
            self.regs[register] = value

    def _ranging_under_way(self) -> bool:
        return (self._ranging is not None
                and self.now_s() >= self._next_done_s - self.timing_budget_ms / 1000.0)

    def _soft_reset(self, run: int) -> None:
        address = self.address
        if not run:
            self.reset()
            self.address = address
            self.regs[_I2C_SLAVE__DEVICE_ADDRESS] = address
            self._in_soft_reset = True
        elif self._in_soft_reset:
            self._in_soft_reset = False
            self._boot_done_s = self.now_s() + BOOT_S

    def _mode_start(self, value: int) -> None:
        mode = {0x40: "timed", 0x20: "back_to_back", 0x10: "single"}.get(value & 0x70)
        if mode is None:
            self._ranging = None
            self._next_done_s = math.inf
            return
        # A start during boot is queued until the firmware is up.
        start_s = max(self.now_s(), self._boot_done_s)
        self._ranging = mode
        self._stream_count = -1
        self._roi_in_flight = None
        self._next_done_s = start_s + self.timing_budget_ms / 1000.0

    # --- measurements ----------------------------------------------------------------
    def update(self, now_s: float) -> None:
        if self._ranging is None or now_s < self._next_done_s:
            return
        done_s = self._next_done_s
        if not self._interrupt_pending:
            self._measure(done_s)
        self._roi_in_flight = None
        if self._ranging == "single":
            self._ranging = None
            self._next_done_s = math.inf
            return
        # Results completing while the interrupt is still pending are lost.
        period_s = self.period_s
        skipped = math.floor((now_s - done_s) / period_s) + 1
        self._next_done_s = done_s + skipped * period_s

    def _measure(self, t_s: float) -> None:
        self._interrupt_pending = True
        self._first_range_done = True
        self._stream_count = self._stream_count + 1 if self._stream_count < 255 else 128
        if self.garbage:
            result = (RAW_VALID, self.rng.randint(GARBAGE_MIN_MM, 0xFFFF), 1.0,
                      SIGNAL_AT_LIMIT_MCPS * 10.0, AMBIENT_DARK_MCPS)
        elif self.stuck and self._last_result is not None:
            result = self._last_result
        else:
            result = self._sample(t_s)
            self._last_result = result
        raw_status, distance_mm, sigma_mm, signal_mcps, ambient_mcps = result
        regs = self.regs
        roi = self._roi_in_flight or (regs[_ROI_CONFIG__USER_ROI_REQUESTED_GLOBAL_XY_SIZE],
                                      regs[_ROI_CONFIG__USER_ROI_CENTRE_SPAD])
        spads = EFFECTIVE_SPADS if roi == _DEFAULT_ROI else \
            round(EFFECTIVE_SPADS * roi_optics(*roi).spad_share)
        regs[_RESULT__RANGE_STATUS] = raw_status
        regs[_RESULT__STREAM_COUNT] = self._stream_count
        _put16(regs, _RESULT__DSS_ACTUAL_EFFECTIVE_SPADS_SD0, spads << 8)
        _put16(regs, _RESULT__PEAK_SIGNAL_COUNT_RATE_MCPS_SD0, _fix97(signal_mcps))
        _put16(regs, _RESULT__AMBIENT_COUNT_RATE_MCPS_SD0, _fix97(ambient_mcps))
        _put16(regs, _RESULT__SIGMA_SD0, min(0xFFFF, round(sigma_mm * 4)))  # 14.2 mm
        _put16(regs, _RESULT__FINAL_CROSSTALK_CORRECTED_RANGE_MM_SD0, distance_mm)
        _put16(regs, _RESULT__PEAK_SIGNAL_COUNT_RATE_CROSSTALK_CORRECTED_MCPS_SD0,
               _fix97(signal_mcps))

    def _sample(self, t_s: float) -> tuple:
        """One measurement of the source at ``t_s``:
        (raw status, distance mm, sigma mm, signal MCPS, ambient MCPS).

        Noise is Gaussian, ``sigma_mm = 1 + 2 * d_m**2 * (1 + 3 * sunlight) *
        sqrt(50 / budget_ms)``: it grows with distance and ambient light and shrinks with
        a longer budget (about 3 mm at 1 m in the dark with 50 ms, 19 mm at 3 m). In the
        last ``SIGMA_FAIL_ZONE`` before the range limit a growing share of results (up to
        ``SIGMA_FAIL_MAX_SHARE``) fail the sigma check (raw 6). Beyond the limit, with
        nothing in the beam or when blinded: signal fail (raw 4) with a meaningless
        distance; the ambient rate grows with the sunlight, and blinded it reads the sun
        itself (``AMBIENT_GLARE_MCPS``). Closer than the minimum range: raw 8. With a
        smaller ROI the ambient rate scales with its SPAD share, the distance term of
        sigma with 1 / sqrt(share), the limit is ``roi_max_range_m``; a ROI that does not
        fit reads raw 13 (user ROI clip)."""
        source = self.range_source
        sunlight = getattr(source, "sunlight", 0.0)
        if callable(sunlight):
            sunlight = sunlight(t_s)
        sunlight = min(max(float(sunlight or 0.0), 0.0), 1.0)
        blinded = getattr(source, "blinded", None)
        mode, budget_ms = self.distance_mode, self.timing_budget_ms
        regs = self.regs
        roi_regs = self._roi_in_flight or (regs[_ROI_CONFIG__USER_ROI_REQUESTED_GLOBAL_XY_SIZE],
                                           regs[_ROI_CONFIG__USER_ROI_CENTRE_SPAD])
        roi = None if roi_regs == _DEFAULT_ROI else roi_optics(*roi_regs)
        aim = None if roi is None else roi.aim
        if aim != self._aimed:
            aim_roi = getattr(source, "aim_roi", None)
            if aim_roi is not None:
                aim_roi(aim)
            self._aimed = aim
        share = 1.0 if roi is None else roi.spad_share
        key = (sunlight, mode, budget_ms) if roi is None else (sunlight, mode, budget_ms, share)
        limits = self._limits.get(key)
        if limits is None:
            limit_m = (max_range_m(chips.VL53L1X.kind, sunlight=sunlight, distance_mode=mode,
                                   timing_budget_ms=budget_ms) if roi is None else
                       roi_max_range_m(share, sunlight=sunlight, distance_mode=mode,
                                       timing_budget_ms=budget_ms))
            limits = self._limits[key] = (limit_m,
                                          chip_optics(chips.VL53L1X.kind, mode).min_range_m)
        limit_m, min_range_m = limits
        ambient_mcps = AMBIENT_DARK_MCPS + (AMBIENT_SUN_MCPS - AMBIENT_DARK_MCPS) * sunlight
        glare = blinded is not None and blinded(t_s)
        if glare:
            ambient_mcps = AMBIENT_GLARE_MCPS
        if roi is not None:
            ambient_mcps *= share           # fewer SPADs see less of the background too
            if not roi.fits:
                return RAW_USER_ROI_CLIP, 0, 0.0, 0.0, ambient_mcps
        distance_m = source(t_s)
        if glare or distance_m is None or distance_m > limit_m:
            # No usable return: the range register holds whatever the phase gave.
            junk_mm = self.rng.randint(0, round(limit_m * 1200))
            return RAW_SIGNAL_FAIL, junk_mm, 0.0, 0.0, ambient_mcps
        sigma_mm = 1.0 + 2.0 * distance_m ** 2 * (1.0 + 3.0 * sunlight) * math.sqrt(50.0 / budget_ms)
        if roi is not None:
            sigma_mm = 1.0 + (sigma_mm - 1.0) / math.sqrt(share)   # SNR ~ sqrt(SPADs)
        measured_mm = min(0xFFFF, max(0, round(distance_m * 1000.0 + self.rng.gauss(0.0, sigma_mm))))
        signal_mcps = SIGNAL_AT_LIMIT_MCPS * (limit_m / max(distance_m, 1e-3)) ** 2
        if distance_m < min_range_m:
            return RAW_MIN_RANGE, measured_mm, sigma_mm, signal_mcps, ambient_mcps
        margin = (distance_m / limit_m - (1.0 - SIGMA_FAIL_ZONE)) / SIGMA_FAIL_ZONE
        if margin > 0 and self.rng.random() < SIGMA_FAIL_MAX_SHARE * margin:
            return RAW_SIGMA_FAIL, measured_mm, sigma_mm * 10, signal_mcps, ambient_mcps
        return RAW_VALID, measured_mm, sigma_mm, signal_mcps, ambient_mcps


_READ_ONLY = frozenset(
    [_FIRMWARE__SYSTEM_STATUS, _IDENTIFICATION__MODEL_ID, _IDENTIFICATION__MODEL_ID + 1,
     _IDENTIFICATION__MODEL_ID + 2, _RESULT__OSC_CALIBRATE_VAL, _RESULT__OSC_CALIBRATE_VAL + 1]
    + list(range(_RESULT__RANGE_STATUS, _RESULT__PEAK_SIGNAL_COUNT_RATE_CROSSTALK_CORRECTED_MCPS_SD0 + 2)))


_ROI_REGISTERS = frozenset((_ROI_CONFIG__USER_ROI_CENTRE_SPAD,
                            _ROI_CONFIG__USER_ROI_REQUESTED_GLOBAL_XY_SIZE))
_DEFAULT_ROI = (DEFAULT_ROI_XY_SIZE, DEFAULT_ROI_CENTRE_SPAD)


def _put16(regs: bytearray, register: int, value: int) -> None:
    regs[register] = (value >> 8) & 0xFF
    regs[register + 1] = value & 0xFF


def _fix97(mcps: float) -> int:
    """MCPS in the chip's unsigned 9.7 fixed-point format."""
    return min(0xFFFF, max(0, round(mcps * 128)))

