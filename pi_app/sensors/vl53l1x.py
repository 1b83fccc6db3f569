"""ST VL53L1X time-of-flight ranger over any smbus2-compatible bus.

Its 16-bit register addresses need ``i2c_rdwr`` with ``smbus2.i2c_msg``; sequence and
register values follow ST's Ultra Lite Driver (ULD, STSW-IMG009). A "valid" range beyond
``MAX_PLAUSIBLE_M`` (no VL53L1X ranges past 4 m) reads OUT_OF_RANGE, counted as
implausible by the health monitor; every other ULD status is the chip's own judgement.
``set_roi`` picks the region of interest on the 16x16 SPAD array (a narrower, turned
beam with less signal: docs/bearing.md).

    sensor = VL53L1X(smbus2.SMBus(1), clock=clock, distance_mode="long", timing_budget_ms=33)
    sensor.start()
    reading = sensor.read()     # None until a new result is ready
"""

from __future__ import annotations

from smbus2 import i2c_msg

from pi_app.exc import ChipIdError, ConfigError, SensorError, SensorTimeout
from pi_app.sensors import chips
from pi_app.sensors.base import RangeSensor, RangeStatus, Reading

_VL53L1_I2C_SLAVE__DEVICE_ADDRESS = 0x0001
_VL53L1_VHV_CONFIG__TIMEOUT_MACROP_LOOP_BOUND = 0x0008
_VL53L1_VHV_CONFIG__INIT = 0x000B
_GPIO_HV_MUX__CTRL = 0x0030
_GPIO__TIO_HV_STATUS = 0x0031
_PHASECAL_CONFIG__TIMEOUT_MACROP = 0x004B
_RANGE_CONFIG__TIMEOUT_MACROP_A_HI = 0x005E
_RANGE_CONFIG__VCSEL_PERIOD_A = 0x0060
_RANGE_CONFIG__TIMEOUT_MACROP_B_HI = 0x0061
_RANGE_CONFIG__VCSEL_PERIOD_B = 0x0063
_RANGE_CONFIG__VALID_PHASE_HIGH = 0x0069
_VL53L1_SYSTEM__INTERMEASUREMENT_PERIOD = 0x006C
_SD_CONFIG__WOI_SD0 = 0x0078
_SD_CONFIG__INITIAL_PHASE_SD0 = 0x007A
_ROI_CONFIG__USER_ROI_CENTRE_SPAD = 0x007F
_ROI_CONFIG__USER_ROI_REQUESTED_GLOBAL_XY_SIZE = 0x0080
_SYSTEM__INTERRUPT_CLEAR = 0x0086
_SYSTEM__MODE_START = 0x0087
_VL53L1_RESULT__RANGE_STATUS = 0x0089
_VL53L1_RESULT__AMBIENT_COUNT_RATE_MCPS_SD0 = 0x0090   # 9.7 fixed point
_VL53L1_RESULT__FINAL_CROSSTALK_CORRECTED_RANGE_MM_SD0 = 0x0096
_VL53L1_RESULT__OSC_CALIBRATE_VAL = 0x00DE
_VL53L1_FIRMWARE__SYSTEM_STATUS = 0x00E5
_VL53L1_IDENTIFICATION__MODEL_ID = chips.VL53L1X.chip_id.register

MODEL_ID, MODULE_TYPE = chips.VL53L1X.chip_id.value
_MODE_START_TIMED = 0x40
_MODE_STOP = 0x00

#: ST ULD VL51L1X_DEFAULT_CONFIGURATION, written to 0x002D..0x0087 (91 bytes).
DEFAULT_CONFIGURATION = bytes.fromhex(
    "00 00 00 01 02 00 02 08 00 08 10 01"  # 0x2D..0x38
    "01 00 00 00 00 FF 00 0F 00 00 00 00"  # 0x39..0x44
    "00 20 0B 00 00 02 0A 21 00 00 05 00"  # 0x45..0x50
    "00 00 00 C8 00 00 38 FF 01 00 08 00"  # 0x51..0x5C
    "00 01 CC 0F 01 F1 0D 01 68 00 80 08"  # 0x5D..0x68
    "B8 00 00 00 00 0F 89 00 00 00 00 00"  # 0x69..0x74
    "00 00 01 0F 0D 0E 0E 00 00 02 C7 FF"  # 0x75..0x80
    "9B 00 00 00 01 00 00"                 # 0x81..0x87
)

#: ULD SetDistanceMode: PHASECAL timeout, VCSEL A, VCSEL B, valid phase high, WOI, initial phase.
DISTANCE_MODES = {
    "short": (0x14, 0x07, 0x05, 0x38, 0x0705, 0x0606),
    "long": (0x0A, 0x0F, 0x0D, 0xB8, 0x0F0D, 0x0E0E),
}
#: ULD SetTimingBudgetInMs: ms -> (TIMEOUT_MACROP_A_HI, TIMEOUT_MACROP_B_HI) words.
TIMING_BUDGETS = {
    "short": {15: (0x001D, 0x0027), 20: (0x0051, 0x006E), 33: (0x00D6, 0x006E),
              50: (0x01AE, 0x01E8), 100: (0x02E1, 0x0388), 200: (0x03E1, 0x0496),
              500: (0x0591, 0x05C1)},
    "long": {20: (0x001E, 0x0022), 33: (0x0060, 0x006E), 50: (0x00AD, 0x00C6),
             100: (0x01CC, 0x01EA), 200: (0x02D9, 0x02F8), 500: (0x048F, 0x04A4)},
}
#: Raw RESULT__RANGE_STATUS (& 0x1F) -> status, per the ULD status_rtn table.
_ULD_STATUS = {9: RangeStatus.VALID, 6: RangeStatus.SIGMA_FAIL, 4: RangeStatus.SIGNAL_FAIL,
               8: RangeStatus.MIN_RANGE, 5: RangeStatus.PHASE_OUT_OF_BOUNDS,
               3: RangeStatus.HARDWARE_FAIL, 7: RangeStatus.WRAP_AROUND}
RAW_STATUS = tuple(_ULD_STATUS.get(raw, RangeStatus.OTHER) for raw in range(32))

#: SPAD array side; ST's API takes a region of interest of 4x4 SPADs at least (UM2555,
#: VL53L1_SetUserROI); the default is the whole array around SPAD 199 (ULD defaults)
SPAD_ARRAY_SIDE = 16
ROI_MIN_SIDE = 4
DEFAULT_ROI = (16, 16, 199)
BOOT_TIMEOUT_S = 0.1            # datasheet boot is 1.2 ms; generous for slow buses
#: No VL53L1X ranges beyond 4 m (long mode, best conditions); a "valid" result past this
#: (with margin) is garbage from the chip or the bus and reads OUT_OF_RANGE.
MAX_PLAUSIBLE_M = 5.0
#: A signal fail under an ambient rate this low (indoors, dusk: a few % of full sun) is
#: no target within range (NO_TARGET), which is then the dark range limit; above it the
#: sun may have shortened the range, or glare blinded the chip (SIGNAL_FAIL).
NO_TARGET_AMBIENT_MAX_MCPS = 2.0
FIRST_RESULT_TIMEOUT_S = 1.0    # init measurement uses the 100 ms default budget
POLL_S = 0.002
_RESULT_LENGTH = _VL53L1_RESULT__FINAL_CROSSTALK_CORRECTED_RANGE_MM_SD0 + 2 - _VL53L1_RESULT__RANGE_STATUS
_AMBIENT_AT = _VL53L1_RESULT__AMBIENT_COUNT_RATE_MCPS_SD0 - _VL53L1_RESULT__RANGE_STATUS
_WIRING_HINT = "check wiring, power and XSHUT"


# --- 16-bit-indexed register access (also used by pi_app.sensors.xshut) ----------------
def write_register(bus, address: int, register: int, data: bytes) -> None:
    bus.i2c_rdwr(i2c_msg.write(address, register.to_bytes(2, "big") + bytes(data)))


def read_register(bus, address: int, register: int, length: int = 1) -> bytes:
    read = i2c_msg.read(address, length)
    bus.i2c_rdwr(i2c_msg.write(address, register.to_bytes(2, "big")), read)
    return bytes(read)


def wait_for_boot(bus, address: int, clock, timeout_s: float = BOOT_TIMEOUT_S) -> None:
    """Poll FIRMWARE__SYSTEM_STATUS bit0 until the chip has booted or ``timeout_s``
    (injected clock) passes. A chip may NACK while booting, so errors are retried."""
    deadline_s = clock.now_s() + timeout_s
    while True:
        try:
            if read_register(bus, address, _VL53L1_FIRMWARE__SYSTEM_STATUS)[0] & 0x01:
                return
            problem = "firmware status never showed booted"
        except OSError as exc:
            problem = f"no answer ({exc})"
        if clock.now_s() >= deadline_s:
            raise SensorTimeout(f"VL53L1X at 0x{address:02X} not ready within {timeout_s} s: "
                                f"{problem}; {_WIRING_HINT}")
        clock.sleep(POLL_S)


def check_identity(bus, address: int) -> tuple[int, int, int]:
    """Read (model id, module type, mask revision); ChipIdError unless EA CC."""
    model_id, module_type, mask_rev = read_register(bus, address, _VL53L1_IDENTIFICATION__MODEL_ID, 3)
    if (model_id, module_type) != (MODEL_ID, MODULE_TYPE):
        raise ChipIdError(
            f"no VL53L1X at 0x{address:02X} (read model id 0x{model_id:02X}, module type "
            f"0x{module_type:02X}, expected 0x{MODEL_ID:02X}, 0x{MODULE_TYPE:02X}): {_WIRING_HINT}")
    return model_id, module_type, mask_rev


def change_address(bus, address: int, new_address: int) -> None:
    """Move the chip at ``address`` to the 7-bit ``new_address`` (lost on power-off/XSHUT)."""
    lowest, highest = chips.VL53L1X.addresses
    if not lowest <= new_address <= highest:
        raise ConfigError(f"VL53L1X address must be within 0x{lowest:02X}..0x{highest:02X}, "
                          f"got 0x{new_address:02X}")
    write_register(bus, address, _VL53L1_I2C_SLAVE__DEVICE_ADDRESS, bytes([new_address]))


def spad_row_col(spad: int) -> tuple[int, int]:
    """(row, column) of a SPAD number, as ST's ``VL53L1_decode_row_col``."""
    if spad > 127:
        return 8 + ((255 - spad) & 0x07), (spad - 128) >> 3
    return spad & 0x07, (127 - spad) >> 3


def validate_roi(width_spads: int, height_spads: int, centre_spad: int) -> None:
    """ConfigError unless the ROI is 4..16 SPADs each way, around a SPAD 0..255, and
    stays on the array (the chip would fail every ranging: status 13, user ROI clip)."""
    for name, side in (("width_spads", width_spads), ("height_spads", height_spads)):
        if not isinstance(side, int) or not ROI_MIN_SIDE <= side <= SPAD_ARRAY_SIDE:
            raise ConfigError(f"VL53L1X ROI {name} must be an integer {ROI_MIN_SIDE}.."
                              f"{SPAD_ARRAY_SIDE}, got {side!r}")
    if not isinstance(centre_spad, int) or not 0 <= centre_spad <= 255:
        raise ConfigError(f"VL53L1X ROI centre_spad must be a SPAD number 0..255, got {centre_spad!r}")
    row, column = spad_row_col(centre_spad)
    col_lo, row_lo = column - width_spads // 2, row - height_spads // 2
    if (col_lo < 0 or row_lo < 0 or col_lo + width_spads > SPAD_ARRAY_SIDE
            or row_lo + height_spads > SPAD_ARRAY_SIDE):
        raise ConfigError(f"VL53L1X ROI {width_spads}x{height_spads} around SPAD {centre_spad} "
                          f"(row {row}, column {column}) leaves the {SPAD_ARRAY_SIDE}x"
                          f"{SPAD_ARRAY_SIDE} array")


def validate_settings(distance_mode: str, timing_budget_ms: int) -> None:
    if distance_mode not in TIMING_BUDGETS:
        raise ConfigError(f"VL53L1X distance_mode must be 'short' or 'long', got {distance_mode!r}")
    if timing_budget_ms not in TIMING_BUDGETS[distance_mode]:
        raise ConfigError(f"VL53L1X timing_budget_ms in {distance_mode} mode must be one of "
                          f"{tuple(TIMING_BUDGETS[distance_mode])}, got {timing_budget_ms!r}")


class VL53L1X(RangeSensor):
    """VL53L1X in continuous timed ranging, one result per timing budget.

    ``read()`` returns None until a new result is ready, then a Reading in metres
    (``distance_m`` None with the ULD status when the result is not valid, or
    BUS_ERROR when the bus failed). ``start()`` may be called again to recover a
    chip that was power cycled at the same address.
    """

    DEFAULT_ADDRESS = chips.VL53L1X.default_address

    def __init__(self, bus, address: int = DEFAULT_ADDRESS, *, clock=None,
                 distance_mode: str = "long", timing_budget_ms: int = 50) -> None:
        super().__init__(bus, address, clock=clock)
        validate_settings(distance_mode, timing_budget_ms)
        self._distance_mode = distance_mode
        self._timing_budget_ms = timing_budget_ms
        self._running = False
        self._roi = DEFAULT_ROI
        self._ready_level = 1       # ULD default: active-high interrupt
        self._build_messages()

    # --- settings ---------------------------------------------------------------------
    @property
    def distance_mode(self) -> str:
        """Either 'short' (to 1.3 m, holds in sunlight) or 'long' (to 3.6 m in the dark)."""
        return self._distance_mode

    @distance_mode.setter
    def distance_mode(self, mode: str) -> None:
        self.configure(distance_mode=mode)

    @property
    def timing_budget_ms(self) -> int:
        """Integration time per measurement, ms (15 short only, 20, 33, 50, 100, 200, 500)."""
        return self._timing_budget_ms

    @timing_budget_ms.setter
    def timing_budget_ms(self, budget_ms: int) -> None:
        self.configure(timing_budget_ms=budget_ms)

    @property
    def period_s(self) -> float:
        """Time between results, seconds (the inter-measurement period is set equal
        to the timing budget)."""
        return self._timing_budget_ms / 1000.0

    def configure(self, *, distance_mode: str | None = None, timing_budget_ms: int | None = None) -> None:
        """Change both settings at once (validated together); applied now if ranging."""
        mode = self._distance_mode if distance_mode is None else distance_mode
        budget_ms = self._timing_budget_ms if timing_budget_ms is None else timing_budget_ms
        validate_settings(mode, budget_ms)
        self._distance_mode, self._timing_budget_ms = mode, budget_ms
        if self._running:
            self._write(_SYSTEM__MODE_START, bytes([_MODE_STOP]))
            self._apply_settings()
            self._start_ranging()

    @property
    def roi(self) -> tuple[int, int, int]:
        """(width SPADs, height SPADs, centre SPAD) of the region of interest."""
        return self._roi

    def set_roi(self, width_spads: int, height_spads: int, centre_spad: int) -> None:
        """Range with ``width_spads`` x ``height_spads`` SPADs around ``centre_spad``
        (ST's numbering: 199 is the array's centre); ConfigError if that is not a ROI the
        chip takes. Written as ULD's ``SetROICenter`` and ``SetROI`` write them (centre,
        then (height - 1) << 4 | (width - 1)); while ranging, ranging is stopped and
        restarted around the write, so the next result is the first with the new ROI (a
        ranging under way keeps the ROI it started with). Before ``start()`` it is only
        kept, and ``start()`` writes it; it is kept across restarts."""
        self._check_open()
        validate_roi(width_spads, height_spads, centre_spad)
        self._roi = (width_spads, height_spads, centre_spad)
        if not self._running:
            return
        try:
            self._write(_SYSTEM__MODE_START, bytes([_MODE_STOP]))
            self._write_roi()
            self._start_ranging()
        except OSError as exc:
            raise SensorError(f"VL53L1X at 0x{self.address:02X}: bus error setting the ROI "
                              f"({exc}); {_WIRING_HINT}") from exc

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Wait for boot, check the chip, run ST's init sequence, start ranging.
        Raises SensorTimeout / ChipIdError naming the address."""
        self._check_open()
        self._running = False
        try:
            self._init_and_start()
        except SensorError:
            raise
        except OSError as exc:
            raise SensorError(f"VL53L1X at 0x{self.address:02X}: bus error during start "
                              f"({exc}); {_WIRING_HINT}") from exc

    def _init_and_start(self) -> None:
        wait_for_boot(self._bus, self.address, self.clock)
        check_identity(self._bus, self.address)
        self._write(0x002D, DEFAULT_CONFIGURATION)
        self._ready_level = 0 if self._read(_GPIO_HV_MUX__CTRL)[0] & 0x10 else 1
        # ULD SensorInit: one throw-away measurement calibrates the VHV, then
        # "two bounds VHV" and "start VHV from the previous temperature".
        self._write(_SYSTEM__MODE_START, bytes([_MODE_START_TIMED]))
        self._wait_data_ready(FIRST_RESULT_TIMEOUT_S)
        self._write(_SYSTEM__INTERRUPT_CLEAR, b"\x01")
        self._write(_SYSTEM__MODE_START, bytes([_MODE_STOP]))
        self._write(_VL53L1_VHV_CONFIG__TIMEOUT_MACROP_LOOP_BOUND, b"\x09")
        self._write(_VL53L1_VHV_CONFIG__INIT, b"\x00")
        self._apply_settings()
        self._start_ranging()

    def stop(self) -> None:
        """Stop ranging (idempotent)."""
        if self._closed or not self._running:
            return
        self._running = False
        self._write(_SYSTEM__MODE_START, bytes([_MODE_STOP]))

    def set_address(self, new_address: int) -> None:
        """Move this chip to ``new_address`` (until its next power cycle or XSHUT)."""
        self._check_open()
        change_address(self._bus, self.address, new_address)
        self.address = new_address
        self._build_messages()

    def model_info(self) -> tuple[int, int, int]:
        """(model id, module type, mask revision), e.g. (0xEA, 0xCC, 0x10)."""
        self._check_open()
        return tuple(self._read(_VL53L1_IDENTIFICATION__MODEL_ID, 3))

    # --- hot path --------------------------------------------------------------------
    def read(self) -> Reading | None:
        """The newest result if one is ready, else None; bus failures come back as a
        Reading with status BUS_ERROR (never raised)."""
        self._check_open()
        bus = self._bus
        try:
            bus.i2c_rdwr(self._msg_ready_index, self._msg_ready)
            if (ord(self._msg_ready.buf[0]) & 0x01) != self._ready_level:
                return None
            bus.i2c_rdwr(self._msg_result_index, self._msg_result, self._msg_clear)
        except OSError:
            return Reading(self.clock.now_s(), None, RangeStatus.BUS_ERROR)
        data = bytes(self._msg_result)
        status = RAW_STATUS[data[0] & 0x1F]
        distance_m = ((data[-2] << 8) | data[-1]) / 1000.0
        if distance_m > MAX_PLAUSIBLE_M:
            # 0xFFFF-ish under a "valid" status is a glitch, not a range: never trust it
            if status is RangeStatus.VALID:
                return Reading(self.clock.now_s(), None, RangeStatus.OUT_OF_RANGE)
            return Reading(self.clock.now_s(), None, status)
        if status is RangeStatus.VALID:
            return Reading(self.clock.now_s(), distance_m, status)
        if status is RangeStatus.SIGMA_FAIL:  # noisy, but a real target: keep the number
            return Reading(self.clock.now_s(), None, status, distance_m)
        if status is RangeStatus.SIGNAL_FAIL:
            ambient_mcps = ((data[_AMBIENT_AT] << 8) | data[_AMBIENT_AT + 1]) / 128.0  # 9.7
            if ambient_mcps <= NO_TARGET_AMBIENT_MAX_MCPS:
                status = RangeStatus.NO_TARGET
        return Reading(self.clock.now_s(), None, status)

    # --- internals -------------------------------------------------------------------
    def _build_messages(self) -> None:
        # Built once per address: read() only refills the read buffers.
        a = self.address
        self._msg_ready_index = i2c_msg.write(a, _GPIO__TIO_HV_STATUS.to_bytes(2, "big"))
        self._msg_ready = i2c_msg.read(a, 1)
        self._msg_result_index = i2c_msg.write(a, _VL53L1_RESULT__RANGE_STATUS.to_bytes(2, "big"))
        self._msg_result = i2c_msg.read(a, _RESULT_LENGTH)
        self._msg_clear = i2c_msg.write(a, _SYSTEM__INTERRUPT_CLEAR.to_bytes(2, "big") + b"\x01")

    def _write(self, register: int, data: bytes) -> None:
        write_register(self._bus, self.address, register, data)

    def _read(self, register: int, length: int = 1) -> bytes:
        return read_register(self._bus, self.address, register, length)

    def _data_ready(self) -> bool:
        return (self._read(_GPIO__TIO_HV_STATUS)[0] & 0x01) == self._ready_level

    def _wait_data_ready(self, timeout_s: float) -> None:
        deadline_s = self.clock.now_s() + timeout_s
        while not self._data_ready():
            if self.clock.now_s() >= deadline_s:
                raise SensorTimeout(f"VL53L1X at 0x{self.address:02X} gave no measurement "
                                    f"within {timeout_s} s of starting; {_WIRING_HINT}")
            self.clock.sleep(POLL_S)

    def _apply_settings(self) -> None:
        phasecal, vcsel_a, vcsel_b, phase_high, woi, initial_phase = DISTANCE_MODES[self._distance_mode]
        self._write(_PHASECAL_CONFIG__TIMEOUT_MACROP, bytes([phasecal]))
        self._write(_RANGE_CONFIG__VCSEL_PERIOD_A, bytes([vcsel_a]))
        self._write(_RANGE_CONFIG__VCSEL_PERIOD_B, bytes([vcsel_b]))
        self._write(_RANGE_CONFIG__VALID_PHASE_HIGH, bytes([phase_high]))
        self._write(_SD_CONFIG__WOI_SD0, woi.to_bytes(2, "big"))
        self._write(_SD_CONFIG__INITIAL_PHASE_SD0, initial_phase.to_bytes(2, "big"))
        a_hi, b_hi = TIMING_BUDGETS[self._distance_mode][self._timing_budget_ms]
        self._write(_RANGE_CONFIG__TIMEOUT_MACROP_A_HI, a_hi.to_bytes(2, "big"))
        self._write(_RANGE_CONFIG__TIMEOUT_MACROP_B_HI, b_hi.to_bytes(2, "big"))
        # ULD SetInterMeasurementInMs(budget): one result per budget, no idle gap.
        osc = int.from_bytes(self._read(_VL53L1_RESULT__OSC_CALIBRATE_VAL, 2), "big") & 0x3FF
        period = int(osc * self._timing_budget_ms * 1.075)
        self._write(_VL53L1_SYSTEM__INTERMEASUREMENT_PERIOD, period.to_bytes(4, "big"))
        if self._roi != DEFAULT_ROI:    # the default configuration wrote the whole array
            self._write_roi()

    def _write_roi(self) -> None:
        width, height, centre = self._roi
        self._write(_ROI_CONFIG__USER_ROI_CENTRE_SPAD, bytes([centre]))
        self._write(_ROI_CONFIG__USER_ROI_REQUESTED_GLOBAL_XY_SIZE,
                    bytes([((height - 1) << 4) | (width - 1)]))

    def _start_ranging(self) -> None:
        self._write(_SYSTEM__INTERRUPT_CLEAR, b"\x01")
        self._write(_SYSTEM__MODE_START, bytes([_MODE_START_TIMED]))
        self._running = True
