"""Rest reminder: trainers advise ≈ 10 min of rest each hour in very long runs
(backward running loads the calves and the knees differently from forward running).

The reminder counts running time only. After ``rest.interval_min`` minutes of it
the reminder reports CAUTION / kind "rest" for ``REMINDER_S`` (the outputs play
three long slow pulses, once) — once: it does not repeat while the runner keeps
going. A stop of at least ``rest.pause_min`` minutes counts as a rest: the running
time starts again from zero and the reminder is armed again. Shorter stops (a
traffic light, a drink) neither count as running nor as rest. Off unless
``rest.enabled``.
"""

from __future__ import annotations

import math

from pi_app.detect import CLEAR, AlertState, Level

#: How long one reminder is reported; at least the rest pattern (1.8 s), so the
#: arbiter does not cut it short.
REMINDER_S = 3.0


class RestReminder:
    """``update(running, t_s)`` once per loop cycle; ``running`` = the runner is
    moving (from the IMU's step detection or the treadmill deck)."""

    def __init__(self, cfg, *, source: str | None = None) -> None:
        self.reminder = AlertState(Level.CAUTION, "rest", source)
        self.running_s = 0.0
        self.reminders = 0
        self._armed = True
        self._last_t_s: float | None = None
        self._was_running = False
        self._stopped_since_s: float | None = None
        self._reminded_at_s = -math.inf
        self.configure(cfg)

    def configure(self, cfg) -> None:
        r = cfg.rest
        self.enabled = r.enabled
        self.interval_s = r.interval_min * 60.0
        self.pause_s = r.pause_min * 60.0

    def update(self, running: bool, t_s: float) -> AlertState:
        """The rest state at ``t_s`` (seconds)."""
        if not self.enabled:
            return CLEAR
        if self._last_t_s is not None and self._was_running:
            self.running_s += max(0.0, t_s - self._last_t_s)
        self._last_t_s = t_s
        self._was_running = running
        if running:
            self._stopped_since_s = None
        else:
            if self._stopped_since_s is None:
                self._stopped_since_s = t_s
            if t_s - self._stopped_since_s >= self.pause_s:
                self.running_s = 0.0  # a real rest: start counting again
                self._armed = True
        if self._armed and self.running_s >= self.interval_s:
            self._armed = False
            self._reminded_at_s = t_s
            self.reminders += 1
        return self.reminder if t_s - self._reminded_at_s < REMINDER_S else CLEAR
