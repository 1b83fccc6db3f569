"""Injected clocks: the loop and drivers never call ``time`` directly.

``MonotonicClock`` runs on hardware. ``SimClock`` is simulated time: ``sleep_until``
jumps instead of waiting, so a simulated run is deterministic and much faster than
real time. ``PacedClock`` is simulated time paced to the wall clock (``backsight run --sim``,
``backsight demo``).
"""

from __future__ import annotations

import time


class MonotonicClock:
    """Real time from ``time.monotonic``; seconds."""

    def now_s(self) -> float:
        return time.monotonic()

    def sleep_until(self, t_s: float) -> None:
        delay_s = t_s - time.monotonic()
        if delay_s > 0:
            time.sleep(delay_s)

    def sleep(self, duration_s: float) -> None:
        if duration_s > 0:
            time.sleep(duration_s)


class SimClock:
    """Simulated time in seconds, starting at ``start_s``; sleeping advances it at once."""

    def __init__(self, start_s: float = 0.0) -> None:
        self._t_s = float(start_s)

    def now_s(self) -> float:
        return self._t_s

    def advance(self, duration_s: float) -> None:
        if duration_s > 0:
            self._t_s += duration_s

    def sleep_until(self, t_s: float) -> None:
        if t_s > self._t_s:
            self._t_s = t_s

    def sleep(self, duration_s: float) -> None:
        self.advance(duration_s)


class PacedClock(SimClock):
    """Simulated time that advances with the wall clock times ``speed``.

    Used to run simulated hardware at (or near) real time. ``now_s`` follows the wall
    clock, so a driver waiting for data sees time pass as on a Pi.
    """

    def __init__(self, speed: float = 1.0, start_s: float = 0.0) -> None:
        super().__init__(start_s)
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._wall0_s = time.monotonic()
        self._sim0_s = float(start_s)

    def now_s(self) -> float:
        return self._sim0_s + (time.monotonic() - self._wall0_s) * self.speed

    def rebase(self, t_s: float | None = None) -> None:
        """Go on from ``t_s`` (default: where the clock was first started) as of now:
        building the simulated world takes wall time the simulated runner must not
        spend (at ``speed`` 20, 0.15 s of set-up would skip 3 s of the scenario)."""
        self._sim0_s = float(self._t_s if t_s is None else t_s)
        self._wall0_s = time.monotonic()

    def advance(self, duration_s: float) -> None:
        self.sleep(duration_s)

    def sleep_until(self, t_s: float) -> None:
        delay_s = (t_s - self.now_s()) / self.speed
        if delay_s > 0:
            time.sleep(delay_s)

    def sleep(self, duration_s: float) -> None:
        if duration_s > 0:
            time.sleep(duration_s / self.speed)
