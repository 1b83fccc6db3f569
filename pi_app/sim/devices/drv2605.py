"""DRV2605L haptic driver emulator (TI, I²C 0x5A, 8-bit registers).

Modelled: STATUS DEVICE_ID, power-up in standby (MODE = 0x40), DEV_RESET, the register
defaults of the datasheet's register map, internal-trigger playback of WAV_FRM_SEQ1..8
started by GO (GO clears itself when the sequence ends; writing GO = 0 cancels it),
waits in sequence slots (bit 7, 10 ms units), real-time playback (MODE = 5) in the
signed or unsigned RTP format, and standby stopping everything. Not modelled: the
analog/PWM input, audio-to-vibe, auto-calibration results (calibration and diagnostics
pass after an estimated time), the motor's mechanics (the "drive level" is what the
chip commands).
"""

from __future__ import annotations

import bisect

from pi_app.sensors import chips
from pi_app.sim.devices.base import RegisterDevice

STATUS, MODE, RTP_INPUT, LIBRARY_SEL = 0x00, 0x01, 0x02, 0x03
WAV_FRM_SEQ1, GO = 0x04, 0x0C
FEEDBACK_CONTROL, CONTROL2, CONTROL3 = 0x1A, 0x1C, 0x1D

#: Power-on values from the DRV2605L register map (0x00 STATUS is built from the
#: device id). LIBRARY_SEL powers up as 1 (TS2200 library A) per its field table.
POWER_ON_REGISTERS = {
    MODE: 0x40, LIBRARY_SEL: 0x01, WAV_FRM_SEQ1: 0x01, 0x11: 0x05, 0x12: 0x19, 0x13: 0xFF,
    0x14: 0x19, 0x15: 0xFF, 0x16: 0x3E, 0x17: 0x8C, 0x18: 0x0C, 0x19: 0x6C,
    FEEDBACK_CONTROL: 0x36, 0x1B: 0x93, CONTROL2: 0xF5, CONTROL3: 0xA0, 0x1E: 0x20,
    0x1F: 0x80, 0x20: 0x33,
}
_READ_ONLY = {STATUS, 0x21, 0x22}  # STATUS, VBAT, LRA_PERIOD

#: Effect durations in seconds. TI's effect list gives names, not lengths: these are
#: estimates from the effect names and common measurements; others last
#: ``DEFAULT_EFFECT_S``. Enough to time GO clearing plausibly.
EFFECT_DURATIONS_S = {
    **{i: 0.06 for i in (1, 2, 3, 17, 18, 19, 20, 21, 22, 23)},  # strong/medium clicks
    **{i: 0.04 for i in (4, 5, 6, 24, 25, 26)},                  # sharp clicks/ticks
    **{i: 0.08 for i in (7, 8, 9)},                               # soft bumps
    10: 0.20, 11: 0.20, 12: 0.30, 13: 0.15,                       # double/triple click, fuzz
    14: 0.35,                                                      # strong buzz
    15: 0.75, 16: 1.00,                                            # 750 ms / 1000 ms alerts
    **{i: 0.25 for i in range(47, 52)},                           # buzz 100 % .. 20 %
    **{i: 0.60 for i in range(52, 58)},                           # pulsing
    118: 2.0,                                                      # long buzz (meant to be stopped)
    **{i: 0.50 for i in range(119, 124)},                         # smooth hum
}
DEFAULT_EFFECT_S = 0.1
#: Estimated run times of the diagnostic (MODE 6) and auto-calibration (MODE 7).
DIAGNOSTICS_S = 0.1
AUTO_CALIBRATION_S = 1.0


class DRV2605Device(RegisterDevice):
    """Emulated DRV2605 family chip; ``device_id`` 7 = DRV2605L (3 DRV2605, 4 DRV2604,
    6 DRV2604L; anything else to test a driver's ID check).

    For tests, as a mock pin's history is for a GPIO: ``history`` lists every register
    write ``(t_s, register, value)``, ``timeline`` every change of the drive level
    ``(t_s, level)`` (level -1..1 of full scale, 0 = not driven), ``level_at(t_s)`` /
    ``playing(t_s)`` answer for any past time, ``rtp_level`` is the real-time level now."""

    DEFAULT_ADDRESS = chips.DRV2605.default_address

    def __init__(self, *, device_id: int = 7, seed: int = 0,
                 effect_durations_s: dict[int, float] | None = None) -> None:
        self.device_id = device_id
        self.effect_durations_s = {**EFFECT_DURATIONS_S, **(effect_durations_s or {})}
        self.history: list[tuple[float, int, int]] = []
        self.timeline: list[tuple[float, float]] = [(0.0, 0.0)]
        self._pending: list[tuple[float, float]] = []  # scheduled (t_s, level) of a sequence
        self._busy_until_s: float | None = None          # when GO clears by itself
        super().__init__(seed=seed)

    # --- state ------------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        for register, value in POWER_ON_REGISTERS.items():
            self.regs[register] = value
        self.regs[STATUS] = (self.device_id & 0x07) << 5
        self._cancel(self.now_s())

    def power_off(self) -> None:
        self._cancel(self.now_s())
        super().power_off()

    @property
    def standby(self) -> bool:
        return bool(self.regs[MODE] & 0x40)

    @property
    def mode(self) -> int:
        return self.regs[MODE] & 0x07

    @property
    def rtp_level(self) -> float:
        """Drive level commanded by real-time playback now (0 outside RTP mode)."""
        if self.standby or self.mode != 5 or not self.present:
            return 0.0
        return self._rtp_to_level(self.regs[RTP_INPUT])

    def level_at(self, t_s: float) -> float:
        """Drive level at clock time ``t_s`` (-1..1; 0 = motor not driven)."""
        level = self.timeline[bisect.bisect_right(self.timeline, (t_s, 2.0)) - 1][1]
        for when_s, pending in self._pending:  # scheduled, not yet reached by update()
            if when_s <= t_s:
                level = pending
        return level

    def playing(self, t_s: float) -> bool:
        """True when the motor is driven forward at clock time ``t_s``."""
        return self.level_at(t_s) > 0.0

    # --- bus side -----------------------------------------------------------------------
    def update(self, now_s: float) -> None:
        while self._pending and self._pending[0][0] <= now_s:
            self._record(*self._pending.pop(0))
        if self._busy_until_s is not None and now_s >= self._busy_until_s:
            self._busy_until_s = None
            self.regs[GO] = 0
            self._record(now_s, self.rtp_level)  # RTP written meanwhile takes over

    def write_register(self, register: int, value: int) -> None:
        now_s = self.now_s()
        self.history.append((now_s, register, value))
        if register in _READ_ONLY:
            return
        if register == MODE:
            if value & 0x80:  # DEV_RESET: registers to power-on values; the bit self-clears
                self.reset()
                return
            value &= 0x47
        elif register == GO:
            self._write_go(value & 0x01, now_s)
            return
        self.regs[register] = value
        if register in (MODE, RTP_INPUT, CONTROL2, CONTROL3, FEEDBACK_CONTROL):
            if self.standby:
                self._cancel(now_s)
            if self._busy_until_s is None:
                self._record(now_s, self.rtp_level)

    def _write_go(self, go: int, now_s: float) -> None:
        if not go:
            self._cancel(now_s)
            return
        if self.standby or self._busy_until_s is not None:
            return  # ignored in standby; a running sequence is not restarted
        mode = self.mode
        if mode == 0:
            events, end_s = self._schedule(now_s)
        elif mode in (6, 7):  # diagnostics / auto-calibration: drive, then pass
            end_s = now_s + (DIAGNOSTICS_S if mode == 6 else AUTO_CALIBRATION_S)
            events = [(now_s, 1.0), (end_s, 0.0)]
            self.regs[STATUS] &= ~0x08  # DIAG_RESULT = 0: passed
        else:
            return  # external trigger, PWM/analog, audio and RTP modes ignore GO
        if end_s <= now_s:
            return  # empty sequence: done at once
        self.regs[GO] = 1
        self._busy_until_s = end_s
        self._pending = events
        self.update(now_s)

    def _schedule(self, now_s: float) -> tuple[list[tuple[float, float]], float]:
        """Drive-level events of the queued sequence from ``now_s``, and its end."""
        events: list[tuple[float, float]] = []
        t_s = now_s
        for slot in range(8):
            value = self.regs[WAV_FRM_SEQ1 + slot]
            if value == 0:
                break
            if value & 0x80:
                duration_s, level = (value & 0x7F) * 0.01, 0.0
            else:
                duration_s, level = self.effect_durations_s.get(value, DEFAULT_EFFECT_S), 1.0
            events.append((t_s, level))
            t_s += duration_s
        events.append((t_s, 0.0))
        return events, t_s

    def _cancel(self, now_s: float) -> None:
        """Stop a running sequence (GO = 0, standby, reset, power loss)."""
        self._pending = []
        self._busy_until_s = None
        self.regs[GO] = 0
        self._record(now_s, 0.0 if not self.present or self.standby else self.rtp_level)

    def _record(self, t_s: float, level: float) -> None:
        if self.timeline[-1][1] != level:
            if t_s < self.timeline[-1][0]:
                t_s = self.timeline[-1][0]
            self.timeline.append((t_s, level))

    def _rtp_to_level(self, value: int) -> float:
        """RTP_INPUT -> drive level, per DATA_FORMAT_RTP and the loop mode."""
        lra = self.regs[FEEDBACK_CONTROL] & 0x80
        control3 = self.regs[CONTROL3]
        open_loop = control3 & (0x01 if lra else 0x20)
        bidirectional = self.regs[CONTROL2] & 0x80
        if not open_loop and not bidirectional:
            return value / 255.0  # unidirectional closed loop: 0x00..0xFF, format ignored
        if control3 & 0x08:  # unsigned: 0x80 = no drive
            return max(-1.0, (value - 128) / 127.0)
        return max(-1.0, (value - 256 if value > 127 else value) / 127.0)
