"""``PatternOutput``: what the buzzer, the PWM motor and the DRV2605 output share —
playing the commanded pattern on the caller's clock and writing hardware only when
what the output should do changes."""

from __future__ import annotations

from pi_app.alert.patterns import SILENT, Pattern, PatternPlayer
from pi_app.closeable import Closeable
from pi_app.exc import DeviceClosed


class PatternOutput(Closeable):
    """Base of every output (buzzer, PWM motor, DRV2605): plays the commanded pattern
    on the caller's clock and touches the hardware only when what it should do
    changes (on/off, or the tone/strength of a new pattern) — never per cycle.

    Subclasses set ``CHANNEL`` ("buzzer" or "haptic") and implement
    ``_apply(on, pattern) -> bool`` (False = the write failed; it is retried on
    the next ``drive``) and ``_close_device()``.
    """

    CHANNEL = "buzzer"

    def __init__(self) -> None:
        self.player = PatternPlayer()
        self.on = False               # what the output is doing now
        self.stale = False            # the last write failed: rewrite on next drive
        self._written: Pattern | None = None

    def takes_part(self, pattern: Pattern) -> bool:
        """Whether this output plays ``pattern`` at all (posture: motor only)."""
        if self.CHANNEL == "haptic":
            return pattern.haptic and pattern.intensity > 0.0
        return pattern.buzzer

    def drive(self, pattern: Pattern, t_s: float, *, restart: bool = False) -> bool:
        """Play ``pattern`` at clock time ``t_s`` (seconds); returns whether the output
        is on. A different pattern (or ``restart``) starts from its beginning at
        ``t_s``; the same pattern keeps its phase."""
        if self._closed:
            raise DeviceClosed(f"{self!r} is closed")
        player = self.player
        if restart or pattern is not player.pattern:
            player.start(pattern, t_s)
        on = player.is_on(t_s) and self.takes_part(pattern)
        if self.stale or on != self.on or (on and pattern is not self._written):
            self.stale = not self._apply(on, pattern)
            self.on = on
            self._written = pattern if on else None
        return on

    def off(self) -> None:
        """Silence now (the pattern is kept; the next ``drive`` resumes it)."""
        if not self._closed and (self.on or self.stale):
            self.stale = not self._apply(False, SILENT)
            self.on = False
            self._written = None

    def _close(self) -> None:
        """Off, then release the pin/chip."""
        try:
            self.off()
        finally:
            self._close_device()

    def _apply(self, on: bool, pattern: Pattern) -> bool:
        raise NotImplementedError

    def _close_device(self) -> None:
        raise NotImplementedError
