"""TI DRV2605/DRV2605L haptic driver (I²C 0x5A) and the pattern output built on it.

Register names follow TI's datasheet (SLOS825 / SLOS854) and Adafruit's
``adafruit_drv2605``. ``Drv2605Output`` plays every pattern in real-time playback
(RTP, MODE = 5: the amplitude in RTP_INPUT drives the motor until changed), so the
loop times each edge on its own clock, as it does for the PWM motor and the buzzer.
RTP data is signed (0x00 = no drive, 0x7F = full scale): valid for open-loop ERM and,
with the default bidirectional input, closed-loop LRA. ``play_sequence`` (internal
trigger, MODE = 0: ROM library effects queued in WAV_FRM_SEQ1..8, started by GO) is for
tests and ``backsight doctor``.
"""

from __future__ import annotations

from pi_app.alert.base import PatternOutput
from pi_app.alert.patterns import Pattern
from pi_app.exc import ChipIdError, ConfigError, OutputError
from pi_app.sensors.base import I2CDriver
from pi_app.sensors.chips import DRV2605 as _FACTS

DEFAULT_ADDRESS = _FACTS.default_address

_STATUS = 0x00
_MODE = 0x01
_RTP_INPUT = 0x02
_LIBRARY_SEL = 0x03
_WAV_FRM_SEQ1 = 0x04          # .. 0x0B = WAV_FRM_SEQ8
_GO = 0x0C
_FEEDBACK_CONTROL = 0x1A
_CONTROL3 = 0x1D

_STATUS__DEVICE_ID_SHIFT = 5
_MODE__DEV_RESET = 0x80
_MODE__STANDBY = 0x40
_MODE__MODE_MASK = 0x07
_FEEDBACK__N_ERM_LRA = 0x80   # 1 = LRA, 0 = ERM
_CONTROL3__ERM_OPEN_LOOP = 0x20
_CONTROL3__DATA_FORMAT_RTP = 0x08  # 0 = signed RTP data
_WAV_FRM_SEQ__WAIT = 0x80     # slot holds a wait of (value & 0x7F) x 10 ms
_GO__GO = 0x01
_SEQUENCE_SLOTS = 8

MODE_INTERNAL_TRIGGER = 0
MODE_REALTIME_PLAYBACK = 5

#: STATUS DEVICE_ID -> part. The DRV2604(L) have RAM instead of the ROM effect
#: libraries: RTP works, library effects do not.
DEVICE_IDS = {3: "DRV2605", 4: "DRV2604", 6: "DRV2604L", 7: "DRV2605L"}
_HAS_ROM_LIBRARY = {3, 7}
#: LIBRARY_SEL: 1-5 = TouchSense 2200 ERM libraries A-E, 6 = LRA library.
ERM_LIBRARIES = (1, 2, 3, 4, 5)
LRA_LIBRARY = 6
MAX_EFFECT_ID = 123
#: Polling period while waiting for GO to clear.
_POLL_S = 0.005


class DRV2605(I2CDriver):
    """A DRV2605(L) on ``bus`` (smbus2 API) at ``address``.

    The constructor checks the chip (STATUS DEVICE_ID) and configures it like
    Adafruit's driver: out of standby, ERM open loop or LRA closed loop, signed RTP
    data, the effect library (``library`` None = 1 for ERM, 6 for LRA).
    ``clock`` times ``wait_done``. Raises ``ChipIdError`` for another chip at the
    address, ``OutputError`` when nothing answers.
    """

    DEFAULT_ADDRESS = DEFAULT_ADDRESS

    def __init__(self, bus, address: int = DEFAULT_ADDRESS, *, clock=None,
                 actuator: str = "erm", library: int | None = None) -> None:
        super().__init__(bus, address, clock=clock)
        if actuator not in ("erm", "lra"):
            raise ConfigError(f"alert.actuator: {actuator!r} is not erm or lra")
        if library is None:
            library = LRA_LIBRARY if actuator == "lra" else ERM_LIBRARIES[0]
        allowed = (LRA_LIBRARY,) if actuator == "lra" else ERM_LIBRARIES
        if library not in allowed:
            raise ConfigError(f"DRV2605 library {library} does not suit an {actuator.upper()} "
                              f"(use {', '.join(map(str, allowed))})")
        self.actuator = actuator
        self._library = library
        self._mode: int | None = None  # cached MODE[2:0]; None = unknown
        self.device_id = self._check_id()
        self.part = DEVICE_IDS[self.device_id]
        self._configure()

    # --- register access ------------------------------------------------------------
    def _read(self, register: int) -> int:
        self._check_open()
        return self._bus.read_byte_data(self.address, register)

    def _write(self, register: int, value: int) -> None:
        self._check_open()
        self._bus.write_byte_data(self.address, register, value & 0xFF)

    def _check_id(self) -> int:
        try:
            status = self._read(_STATUS)
        except OSError as exc:
            raise OutputError(f"no DRV2605 haptic driver answers at 0x{self.address:02X} "
                              f"({exc}); check SDA/SCL, 3V3/GND and the EN pin (must be high)") from exc
        device_id = status >> _STATUS__DEVICE_ID_SHIFT
        if device_id not in DEVICE_IDS:
            raise ChipIdError(f"the chip at 0x{self.address:02X} is not a DRV2605/DRV2604 "
                              f"(STATUS 0x{status:02X}, DEVICE_ID {device_id}; expected 7 = DRV2605L "
                              f"or 3 = DRV2605); check the wiring and the address")
        return device_id

    def _configure(self) -> None:
        self._set_mode(MODE_INTERNAL_TRIGGER)        # out of standby
        self._write(_RTP_INPUT, 0)
        feedback = self._read(_FEEDBACK_CONTROL) & ~_FEEDBACK__N_ERM_LRA
        if self.actuator == "lra":
            feedback |= _FEEDBACK__N_ERM_LRA
        self._write(_FEEDBACK_CONTROL, feedback)
        control3 = self._read(_CONTROL3) & ~_CONTROL3__DATA_FORMAT_RTP
        if self.actuator == "erm":
            # closed-loop ERM needs auto-calibration first; open loop works uncalibrated
            control3 |= _CONTROL3__ERM_OPEN_LOOP
        self._write(_CONTROL3, control3)
        self._write(_LIBRARY_SEL, self._library)

    def _set_mode(self, mode: int, *, standby: bool = False) -> None:
        self._mode = None  # unknown until the write went through
        self._write(_MODE, (_MODE__STANDBY if standby else 0) | mode)
        self._mode = None if standby else mode

    # --- public API -------------------------------------------------------------------
    @property
    def mode(self) -> int:
        """MODE[2:0] read from the chip (0 internal trigger, 5 real-time playback, ...)."""
        return self._read(_MODE) & _MODE__MODE_MASK

    @property
    def library(self) -> int:
        return self._read(_LIBRARY_SEL) & 0x07

    @property
    def standby(self) -> bool:
        """True while the chip is in software standby (MODE bit 6)."""
        return bool(self._read(_MODE) & _MODE__STANDBY)

    @standby.setter
    def standby(self, value: bool) -> None:
        mode = self._read(_MODE) & _MODE__MODE_MASK
        self._set_mode(mode, standby=bool(value))

    @property
    def playing(self) -> bool:
        """True while a GO-triggered sequence is playing (GO clears itself at the end)."""
        return bool(self._read(_GO) & _GO__GO)

    @staticmethod
    def wait_slot(duration_s: float) -> int:
        """A sequence slot value that waits ``duration_s`` (0..1.27 s, 10 ms steps)."""
        if not 0.0 <= duration_s <= 1.27:
            raise ValueError(f"a DRV2605 wait must be within 0..1.27 s, got {duration_s}")
        return _WAV_FRM_SEQ__WAIT | round(duration_s * 100)

    def play_sequence(self, effects) -> None:
        """Play up to 8 library effects (ids 1..123, or ``wait_slot`` values) once."""
        slots = [int(e) for e in effects]
        if not 1 <= len(slots) <= _SEQUENCE_SLOTS:
            raise ValueError(f"a DRV2605 sequence holds 1..{_SEQUENCE_SLOTS} effects, got {len(slots)}")
        for value in slots:
            if not (1 <= value <= MAX_EFFECT_ID or _WAV_FRM_SEQ__WAIT <= value <= 0xFF):
                raise ValueError(f"DRV2605 effect ids are 1..{MAX_EFFECT_ID} (or a wait), got {value}")
        if self.device_id not in _HAS_ROM_LIBRARY:
            raise OutputError(f"the {self.part} at 0x{self.address:02X} has no ROM effect library; "
                              f"use set_realtime")
        if self._mode != MODE_INTERNAL_TRIGGER:
            self._set_mode(MODE_INTERNAL_TRIGGER)
        if len(slots) < _SEQUENCE_SLOTS:
            slots.append(0)  # 0 ends the sequence
        self._check_open()
        self._bus.write_i2c_block_data(self.address, _WAV_FRM_SEQ1, slots)
        self._write(_GO, _GO__GO)

    def wait_done(self, timeout_s: float = 2.0) -> bool:
        """Wait (on the injected clock) until GO clears; False if still playing at the
        deadline."""
        deadline_s = self.clock.now_s() + timeout_s
        while self.playing:
            if self.clock.now_s() >= deadline_s:
                return False
            self.clock.sleep(_POLL_S)
        return True

    def set_realtime(self, value: float) -> None:
        """Drive the motor at ``value`` (-1..1 of full scale; negative = brake) in
        real-time playback mode until changed."""
        if not -1.0 <= value <= 1.0:
            raise ValueError(f"real-time value must be within -1..1, got {value}")
        if self._mode != MODE_REALTIME_PLAYBACK:
            self._set_mode(MODE_REALTIME_PLAYBACK)
        self._write(_RTP_INPUT, round(value * 127) & 0xFF)

    def stop(self) -> None:
        """Cancel a sequence and zero the real-time input."""
        self._write(_GO, 0)
        self._write(_RTP_INPUT, 0)

    def reset(self) -> None:
        """DEV_RESET: registers back to power-on values, then configured again."""
        self._write(_MODE, _MODE__DEV_RESET)
        self._mode = None
        self._configure()

    def _on_close(self) -> None:
        try:
            self.stop()
            self._set_mode(MODE_INTERNAL_TRIGGER, standby=True)
        except OSError:
            pass


class Drv2605Output(PatternOutput):
    """The haptic output over a DRV2605: each pattern's ``intensity`` as the RTP
    amplitude at the pattern's edges. A failed I²C write is counted in ``errors``
    (``last_error`` keeps it) and retried on the next ``drive``; it never raises into
    the loop."""

    CHANNEL = "haptic"

    def __init__(self, bus, address: int = DEFAULT_ADDRESS, *, clock=None,
                 actuator: str = "erm") -> None:
        super().__init__()
        self.driver = DRV2605(bus, address, clock=clock, actuator=actuator)
        self.errors = 0
        self.last_error: OSError | None = None
        self.driver.set_realtime(0.0)

    def _apply(self, on: bool, pattern: Pattern) -> bool:
        try:
            self.driver.set_realtime(pattern.intensity if on else 0.0)
        except OSError as exc:
            self.errors += 1
            self.last_error = exc
            return False
        return True

    def _close_device(self) -> None:
        self.driver.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("on" if self.on else "off")
        return f"<Drv2605Output 0x{self.driver.address:02X} {state}>"
