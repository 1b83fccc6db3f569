"""Benewake TF-Luna LiDAR in I2C mode (pin 5 grounded at power-up), register level.

Registers: 8-bit index, auto-increment, 16-bit values little-endian, per Benewake's I2C
register table (product manual, appendix III); the map is in ``TFLunaDevice``. Modelled:
frames at the frame rate (TICK = frame time), amplitude falling with distance squared
and with sunlight, DUMMY_DIST in place of the distance when the amplitude is below
AMP_THR or saturated, invalid writes ignored, settings lost on a power cycle unless
saved, and the chip NACKing while it boots.
"""

from __future__ import annotations

import math
import struct

from pi_app.sensors import chips
from pi_app.sim.devices.base import RegisterDevice, fixed_range
from pi_app.sim.optics import chip_optics, max_range_m

_DIST_LOW = 0x00
_AMP_LOW = 0x02
_TEMP_LOW = 0x04
_TICK_LOW = 0x06
_VERSION_REVISION = 0x0A      # then minor 0x0B, major 0x0C
_SERIAL_NUMBER = 0x10         # 14 bytes
_SAVE = 0x20
_SHUTDOWN_REBOOT = 0x21
_SLAVE_ADDR = 0x22
_MODE = 0x23
_TRIG_ONE_SHOT = 0x24
_ENABLE = 0x25
_FPS_LOW = 0x26
_FPS_HIGH = 0x27
_LOW_POWER = 0x28
_RESTORE_FACTORY = 0x29
_AMP_THR_LOW = 0x2A
_DUMMY_DIST_LOW = 0x2C
_MIN_DIST_LOW = 0x2E
_MAX_DIST_LOW = 0x30
_SIGNATURE = chips.TFLUNA.chip_id.register   # 'L' 'U' 'N' 'A'

_CONFIG = range(0x1E, 0x3C)   # writable settings, the part that SAVE puts in flash
_COMMANDS = (_SAVE, _SHUTDOWN_REBOOT, _TRIG_ONE_SHOT, _RESTORE_FACTORY)

FACTORY_SETTINGS = {
    _SLAVE_ADDR: chips.TFLUNA.default_address, _MODE: 0x00, _ENABLE: 0x01,
    _FPS_LOW: 100, _FPS_HIGH: 0,
    _LOW_POWER: 0x00, _AMP_THR_LOW: 100, _AMP_THR_LOW + 1: 0,
    _DUMMY_DIST_LOW: 0, _DUMMY_DIST_LOW + 1: 0, _MIN_DIST_LOW: 0, _MIN_DIST_LOW + 1: 0,
    _MAX_DIST_LOW: 9000 & 0xFF, _MAX_DIST_LOW + 1: 9000 >> 8,
}

VERSION = (3, 0, 5)                   # major, minor, revision (example firmware)
BASE_RATE_HZ = chips.TFLUNA_BASE_RATE_HZ   # internal ranging rate; output rate = 500 / n
VALID_FRAME_RATES_HZ = chips.TFLUNA_FRAME_RATES_HZ
LOW_POWER_MAX_RATE_HZ = 10            # manual 6.10: power-saving mode runs at <= 10 Hz
AMP_OVEREXPOSED = 0xFFFF
AMP_NORMAL_MAX = 30000                # manual 6.4: "Amp value should not be above 30000"
AMP_GOOD_MIN = 1000                   # "garbage" fault: an amplitude that looks trustworthy
GARBAGE_MIN_CM = 901                  # "garbage" fault: beyond the 900 cm output limit (manual 6.9)
BOOT_TIME_S = 0.1                     # manual: wait ~100 ms after a command before reading
CHIP_TEMP_C = 40.0                    # a warm running chip
_NEAR_ACCURACY_M = 0.06               # datasheet accuracy +-6 cm (0.2-3 m) ...
_NEAR_LIMIT_M = 3.0
_FAR_ACCURACY_SHARE = 0.02            # ... and +-2 % (3-8 m); noise sigma = half of it


_FRAME = struct.Struct("<4H")          # DIST, AMP, TEMP, TICK: one frame's registers
_LIMITS = struct.Struct("<4H")         # AMP_THR, DUMMY_DIST, MIN_DIST, MAX_DIST
#: the amplitude model holds below half the minimum range (see ``_amplitude``)
_AMP_FLOOR_M = chip_optics(chips.TFLUNA.kind).min_range_m / 2.0


def _valid_slave_address(value: int) -> bool:
    return 0x08 <= value <= 0x77


class TFLunaDevice(RegisterDevice):
    """A TF-Luna at 0x10. ``range_source(t_s)`` gives the target distance in metres (None =
    nothing in the beam); its optional ``sunlight`` (0..1) shortens the range and its
    ``blinded(t_s)`` saturates the receiver. ``stuck`` True repeats the last frame's
    distance and amplitude in new frames (a frozen sensor that still ticks); ``garbage``
    True puts implausible frames out: 9.01-655 m with a healthy amplitude.

    - 0x00-0x01 DIST (cm), 0x02-0x03 AMP, 0x04-0x05 TEMP (0.01 degC), 0x06-0x07 TICK (ms
      since boot, wraps at 16 bits), 0x08-0x09 ERROR, 0x0A-0x0C version (rev, minor,
      major), 0x10-0x1D serial number (14 ASCII bytes), 0x3C-0x3F signature "LUNA"
      (read-only).
    - 0x20 SAVE <- 0x01 (settings to flash), 0x21 SHUTDOWN/REBOOT <- 0x02, 0x22
      SLAVE_ADDR (0x08-0x77; active only after save + reboot), 0x23 MODE (0 continuous,
      1 trigger), 0x24 TRIG_ONE_SHOT <- 0x01, 0x25 ENABLE (1 on, 0 off), 0x26-0x27 FPS
      (Hz, 500/n, default 100, max 250), 0x28 LOW_POWER (frame rate capped at 10 Hz),
      0x29 RESTORE factory defaults <- 0x01, 0x2A-0x2B AMP_THR (100), 0x2C-0x2D
      DUMMY_DIST (0 cm), 0x2E-0x2F MIN_DIST / 0x30-0x31 MAX_DIST (mm, 0 and 9000: the
      manual's 0-900 cm).

    A saturated amplitude (``blinded``) reads 0xFFFF. A write of an invalid value is
    ignored ("the register value remains valid"). The chip NACKs while it boots after
    a reboot or power-up."""

    DEFAULT_ADDRESS = chips.TFLUNA.default_address

    def __init__(self, range_source=None, *, seed: int = 0) -> None:
        self.range_source = range_source if range_source is not None else fixed_range(1.0)
        self.stuck = False
        self.garbage = False
        self._flash = dict(FACTORY_SETTINGS)
        self._serial = f"SIMLUNA{seed % 10_000_000:07d}".encode()
        self._limits_m: dict[float, float] = {}   # max_range_m by sunlight
        super().__init__(seed=seed)          # calls reset(): registers from flash
        self._nack_until_s = 0.0        # built = powered and booted long ago

    # --- wiring and power ---------------------------------------------------------------
    def connect(self, bus, address: int) -> None:
        """Attached at ``address``: a unit configured (and saved) to that address earlier,
        powered and booted long ago."""
        super().connect(bus, address)
        self._flash[_SLAVE_ADDR] = address
        self.regs[_SLAVE_ADDR] = address
        now_s = self.now_s()
        self._boot_s = min(self._boot_s, now_s - BOOT_TIME_S)
        self._nack_until_s = now_s
        self._start_frames(now_s)
        self._make_frame(now_s)              # it has been measuring all along

    def reset(self) -> None:
        """Power-up or reboot: settings from flash, address from flash, boot delay."""
        super().reset()
        for register, value in self._flash.items():
            self.regs[register] = value
        major, minor, revision = VERSION
        self.regs[_VERSION_REVISION:_VERSION_REVISION + 3] = bytes((revision, minor, major))
        self.regs[_SERIAL_NUMBER:_SERIAL_NUMBER + 14] = self._serial
        self.regs[_SIGNATURE:_SIGNATURE + 4] = chips.TFLUNA.chip_id.value
        self.address = self._flash[_SLAVE_ADDR]
        now_s = self.now_s()
        self._boot_s = now_s
        self._nack_until_s = now_s + BOOT_TIME_S   # the chip does not acknowledge while it boots
        self._start_frames(self._nack_until_s)

    # --- registers ------------------------------------------------------------------
    def _u16(self, low_register: int) -> int:
        return self.regs[low_register] | self.regs[low_register + 1] << 8

    def _put_u16(self, low_register: int, value: int) -> None:
        self.regs[low_register] = value & 0xFF
        self.regs[low_register + 1] = (value >> 8) & 0xFF

    @property
    def frame_rate_hz(self) -> int:
        """Frames per second now in force (0 = no free-running output)."""
        rate_hz = self._u16(_FPS_LOW)
        return min(rate_hz, LOW_POWER_MAX_RATE_HZ) if self.regs[_LOW_POWER] else rate_hz

    def write_register(self, register: int, value: int) -> None:
        now_s = self.now_s()
        if register in _COMMANDS:
            self._command(register, value, now_s)
        elif register not in _CONFIG:
            return                                   # read-only: data, version, SN, signature
        elif register in (_FPS_LOW, _FPS_HIGH):
            new = bytearray(self.regs[_FPS_LOW:_FPS_HIGH + 1])
            new[register - _FPS_LOW] = value
            rate_hz = new[0] | new[1] << 8
            if rate_hz == 0 or rate_hz in VALID_FRAME_RATES_HZ:
                self.regs[register] = value
                self._start_frames(now_s)
        elif register == _SLAVE_ADDR:
            if _valid_slave_address(value):
                self.regs[register] = value           # takes effect after save + reboot
        elif register in (_MODE, _ENABLE, _LOW_POWER):
            if value in (0, 1):
                self.regs[register] = value
                self._start_frames(now_s)
        else:
            self.regs[register] = value

    def _command(self, register: int, value: int, now_s: float) -> None:
        if register == _SAVE and value == 0x01:
            self._flash = {r: self.regs[r] for r in _CONFIG}
        elif register == _SHUTDOWN_REBOOT and value == 0x02:
            self.reset()
        elif register == _TRIG_ONE_SHOT and value == 0x01:
            if self.regs[_MODE] == 1 and self.regs[_ENABLE]:
                self._make_frame(now_s)
        elif register == _RESTORE_FACTORY and value == 0x01:
            self._flash = dict(FACTORY_SETTINGS)
            for r, v in FACTORY_SETTINGS.items():
                if r != _SLAVE_ADDR:
                    self.regs[r] = v
            self._start_frames(now_s)

    # --- frames -----------------------------------------------------------------------
    def _start_frames(self, t0_s: float) -> None:
        """Restart the frame clock at ``t0_s``: the next frame is one period later. Called
        on every change of the settings that time frames, so it works out their period
        (None = no free-running frames)."""
        self._frames_t0_s = t0_s
        self._frame_index = 0
        rate_hz = self.frame_rate_hz
        if self.regs[_MODE] != 0 or not self.regs[_ENABLE] or rate_hz == 0:
            self._frame_period_s = None
        else:
            self._frame_period_s = (BASE_RATE_HZ // rate_hz) / BASE_RATE_HZ  # 166 Hz: 500/3

    def update(self, now_s: float) -> None:
        period_s = self._frame_period_s
        if period_s is None:
            return
        index = math.floor((now_s - self._frames_t0_s) / period_s + 1e-9)
        if index > self._frame_index:
            self._frame_index = index
            self._make_frame(self._frames_t0_s + index * period_s)

    def _make_frame(self, t_s: float) -> None:
        if self.garbage:
            distance_cm = self.rng.randint(GARBAGE_MIN_CM, 0xFFFE)
            amplitude = self.rng.randint(AMP_GOOD_MIN, AMP_NORMAL_MAX)
        elif not self.stuck:
            distance_cm, amplitude = self._measure(t_s)
        else:
            distance_cm, amplitude = self._u16(_DIST_LOW), self._u16(_AMP_LOW)
        temp = CHIP_TEMP_C + self.rng.gauss(0.0, 0.05)
        _FRAME.pack_into(self.regs, _DIST_LOW, distance_cm & 0xFFFF, amplitude & 0xFFFF,
                         int(round(temp * 100)) & 0xFFFF,
                         int((t_s - self._boot_s) * 1000.0) & 0xFFFF)

    def _measure(self, t_s: float) -> tuple[int, int]:
        """(distance cm as the chip reports it, amplitude) for a frame at ``t_s``."""
        source = self.range_source
        blinded = getattr(source, "blinded", None)
        if blinded is not None and blinded(t_s):
            return self._u16(_DUMMY_DIST_LOW), AMP_OVEREXPOSED
        distance_m = source(t_s)
        amplitude = self._amplitude(distance_m, getattr(source, "sunlight", 0.0))
        amp_thr, dummy_cm, min_mm, max_mm = _LIMITS.unpack_from(self.regs, _AMP_THR_LOW)
        if amplitude < amp_thr:
            return dummy_cm, amplitude
        sigma_m = (_NEAR_ACCURACY_M if distance_m <= _NEAR_LIMIT_M
                   else _FAR_ACCURACY_SHARE * distance_m) / 2.0
        measured_cm = int(round(max(0.0, distance_m + self.rng.gauss(0.0, sigma_m)) * 100.0))
        return min(max(measured_cm, min_mm // 10), max_mm // 10), amplitude

    def _amplitude(self, distance_m: float | None, sunlight: float) -> int:
        """Signal amplitude: 100 (the validity threshold) exactly at the optics table's
        maximum range for this sunlight, growing as 1/d^2 closer, capped at 30000."""
        if distance_m is None:
            return self.rng.randint(0, 40)            # only noise comes back
        limit_m = self._limits_m.get(sunlight)
        if limit_m is None:
            limit_m = self._limits_m[sunlight] = max_range_m(chips.TFLUNA.kind,
                                                             sunlight=sunlight)
        d_m = max(distance_m, _AMP_FLOOR_M)
        amplitude = 100.0 * (limit_m / d_m) ** 2
        if distance_m > limit_m:
            return min(99, int(amplitude))
        return int(min(max(amplitude, 100.0), AMP_NORMAL_MAX))
