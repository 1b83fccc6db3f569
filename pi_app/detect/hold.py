"""Hysteresis in time: a level rises at once and falls only after it has not been
justified for ``hold_s``. Used by every detector so levels never flicker."""

from __future__ import annotations

from pi_app.detect import AlertState, CLEAR, Level


class LevelHold:
    __slots__ = ("hold_s", "state", "_justified_t_s")

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self.state = CLEAR
        self._justified_t_s = -1e9

    def reset(self) -> None:
        self.state = CLEAR
        self._justified_t_s = -1e9

    def update(self, raw: AlertState, t_s: float) -> AlertState:
        """Feed the level the evidence justifies now; returns the held state."""
        current = self.state
        if raw.level >= current.level:
            if raw != current:
                self.state = raw
            if raw.level > Level.CLEAR:
                self._justified_t_s = t_s
        elif t_s - self._justified_t_s >= self.hold_s:
            self.state = raw
            if raw.level > Level.CLEAR:
                self._justified_t_s = t_s
        return self.state
