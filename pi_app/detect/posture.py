"""Posture coaching: a gentle nudge when the runner stays bent over.

Trainers tell backward runners to keep the back straight (bending over shifts the
weight onto the heels they cannot see past), and the belt's IMU is already there for
tilt compensation. When the smoothed trunk pitch (degrees, + = leaning forward, as
``pi_app.detect.imu`` reports it) stays above ``posture.max_pitch_deg`` for
``posture.hold_s``, ``PostureCoach`` reports CAUTION / kind "posture" for ``NUDGE_S``
(two soft taps on the motor), again at most every ``posture.repeat_s`` while the lean
lasts. Belt mode only: on the treadmill handrail the IMU measures the handrail.
"""

from __future__ import annotations

import math

from pi_app.detect import CLEAR, AlertState, Level

#: How long one nudge is reported; at least the posture pattern (0.55 s), so the
#: arbiter does not cut the taps short.
NUDGE_S = 1.0


class PostureCoach:
    """``update(pitch_deg, t_s)`` once per loop cycle (or per IMU sample).

    The pitch is averaged exponentially over ``posture.smoothing_s``: a sustained lean
    passes, the trunk's swing of a few degrees at the step frequency is cut to a few per
    cent, so a runner whose mean lean sits just under the limit is not nudged by every
    stride. Once counting, the lean only ends when the average drops
    ``posture.hysteresis_deg`` below the limit. Off when ``posture.enabled`` is false or
    ``device.mode`` is not belt."""

    def __init__(self, cfg, *, source: str | None = "imu") -> None:
        self.nudge = AlertState(Level.CAUTION, "posture", source)
        self.nudges = 0
        self._avg_deg: float | None = None
        self._last_t_s: float | None = None
        self._lean_since_s: float | None = None
        self._last_nudge_s = -math.inf
        self.configure(cfg)

    def configure(self, cfg) -> None:
        p = cfg.posture
        self.enabled = p.enabled and cfg.device.mode == "belt"
        self.max_pitch_deg = p.max_pitch_deg
        self.hold_s = p.hold_s
        self.repeat_s = p.repeat_s
        self.smoothing_s = p.smoothing_s
        self.hysteresis_deg = p.hysteresis_deg

    @property
    def pitch_avg_deg(self) -> float | None:
        """The smoothed trunk pitch (None before the first sample)."""
        return self._avg_deg

    def update(self, pitch_deg: float | None, t_s: float, *, running: bool = True) -> AlertState:
        """The posture state at ``t_s``. ``pitch_deg`` None (no IMU sample) or
        ``running`` False (standing, tying a shoe) ends any lean being timed."""
        if not self.enabled or pitch_deg is None or not running:
            self._avg_deg = self._last_t_s = self._lean_since_s = None
            return self._report(t_s) if self.enabled else CLEAR
        if self._avg_deg is None:
            self._avg_deg = pitch_deg
        else:
            dt_s = max(0.0, t_s - self._last_t_s)
            self._avg_deg += (pitch_deg - self._avg_deg) * (1.0 - math.exp(-dt_s / self.smoothing_s))
        self._last_t_s = t_s
        avg = self._avg_deg
        if avg > self.max_pitch_deg:
            if self._lean_since_s is None:
                self._lean_since_s = t_s
        elif avg < self.max_pitch_deg - self.hysteresis_deg:
            self._lean_since_s = None
        if (self._lean_since_s is not None and t_s - self._lean_since_s >= self.hold_s
                and t_s - self._last_nudge_s >= self.repeat_s):
            self._last_nudge_s = t_s
            self.nudges += 1
        return self._report(t_s)

    def _report(self, t_s: float) -> AlertState:
        return self.nudge if t_s - self._last_nudge_s < NUDGE_S else CLEAR
