"""Health monitor: is each sensor still watching, and can it be believed?

``SensorHealth`` puts a sensor in FAULT (``HealthReason``) when it gives no live
answer, keeps answering what a healthy chip never reports, repeats exactly the same
distance, or - watching the ground - has lost the ground. An obstacle sensor with no
target is healthy: an open path looks like that. A fault clears as soon as its cause
is gone, and ``retry_due`` paces re-initialising a dead sensor with back-off.
"""

from __future__ import annotations

import enum

from pi_app.detect import AlertState, CLEAR, Level
from pi_app.sensors.base import RangeStatus, Reading


class HealthReason(enum.StrEnum):
    """Why a sensor is in FAULT (``SensorHealth.reason``; None = healthy). A str: its
    value is what ``status``, the log and the fault state's ``detail`` say."""

    NO_ANSWER = "no answer"        # dead: retried with back-off
    IMPLAUSIBLE = "implausible"    # answers only what a healthy chip never reports
    STUCK = "stuck"                # the same distance stuck_samples times in a row
    BLIND = "blind"                # a ground sensor that has lost the ground


_DEAD = frozenset({RangeStatus.BUS_ERROR, RangeStatus.HARDWARE_FAIL})
_IMPOSSIBLE = frozenset({RangeStatus.OUT_OF_RANGE})


class SensorHealth:
    """One sensor's health. FAULT when

    - it gave no live answer for ``stale_after_s`` (unplugged, bus errors, no data-ready);
    - it keeps answering with results its chip can never report when healthy (the
      driver's OUT_OF_RANGE: a "valid" VL53L1X range of 61 m, a TF-Luna distance beyond
      its 900 cm cap, an MB1242 range beyond 765 cm) at least ``implausible_samples``
      times in a row and gave no believable answer for ``stale_after_s``; a single stray
      value among good ones is a glitch, not a fault;
    - it repeats exactly the same distance ``stuck_samples`` times in a row (a live
      sensor's noise makes that near impossible; at 250 Hz it is found in 0.12 s, at a
      slow MB1242's 10 Hz in 3 s, where a static scene may legitimately repeat a cm
      value);
    - watching the ground (surface role), it has had no valid range for
      ``blind_after_s`` (sunlight or dirt is blinding it).

    ``retry_due`` paces re-initialisation: a sensor that does not answer is probed every
    ``probe_period_s`` (``probe_failed``: the wait does not grow, so a sensor is back
    within a probe period of the bus answering again); one that answers but fails to
    start waits on an exponential back-off between ``retry_backoff_s`` and
    ``retry_backoff_max_s`` (``start_failed``), which ``bus_answered`` resets.
    """

    def __init__(self, sensor_id: str, cfg, *, role: str = "obstacle",
                 start_t_s: float = 0.0) -> None:
        self.sensor_id = sensor_id
        self.role = role
        self.start_t_s = start_t_s      # when its clocks started (a recording replays from it)
        self.last_alive_t_s = start_t_s
        self.last_believable_t_s = start_t_s
        self.last_valid_t_s = start_t_s
        self.reason: HealthReason | None = None
        self.readings = 0
        self.bus_errors = 0
        self.implausible = 0            # results no healthy chip gives, in all
        self._implausible_run = 0       # ... in a row
        self._same_value: float | None = None
        self._same_since_t_s = 0.0
        self._same_count = 0
        self._next_retry_t_s = 0.0
        self._backoff_s = 0.0
        self.state = CLEAR
        self._fault_states: dict[HealthReason, AlertState] = {}   # one per reason, made once
        self.configure(cfg)

    def configure(self, cfg) -> None:
        self.cfg = cfg.health

    @property
    def ok(self) -> bool:
        return self.reason is None

    def note(self, reading: Reading, now_s: float | None = None) -> None:
        """Account for one reading returned by the driver at ``now_s`` (default: its
        stamp; an ultrasonic reading is stamped at its echo, up to 0.1 s earlier)."""
        self.readings += 1
        t_s = reading.t_s if now_s is None else now_s
        if reading.status in _DEAD:
            self.bus_errors += 1
            return
        self.last_alive_t_s = t_s
        if reading.status in _IMPOSSIBLE:
            self.implausible += 1
            self._implausible_run += 1
            self._same_value = None
            return
        self._implausible_run = 0
        self.last_believable_t_s = t_s
        d = reading.distance_m
        if d is None:
            self._same_value = None
            return
        self.last_valid_t_s = t_s
        if d == self._same_value:
            self._same_count += 1
        else:
            self._same_value = d
            self._same_since_t_s = t_s
            self._same_count = 1

    def revived(self, t_s: float) -> None:
        """The driver was re-initialised successfully: start the clocks afresh."""
        self.last_alive_t_s = self.last_believable_t_s = self.last_valid_t_s = t_s
        self._implausible_run = 0
        self._same_value = None
        self._backoff_s = 0.0

    def evaluate(self, t_s: float) -> AlertState:
        c = self.cfg
        reason = None
        if t_s - self.last_alive_t_s > c.stale_after_s:
            reason = HealthReason.NO_ANSWER
        elif self._implausible_run >= c.implausible_samples and \
                t_s - self.last_believable_t_s > c.stale_after_s:
            reason = HealthReason.IMPLAUSIBLE
        elif self._same_value is not None and self._same_count >= c.stuck_samples:
            reason = HealthReason.STUCK
        elif self.role == "surface" and t_s - self.last_valid_t_s > c.blind_after_s:
            reason = HealthReason.BLIND
        self.reason = reason
        if reason is None:
            self.state = CLEAR
        else:
            state = self._fault_states.get(reason)
            if state is None:
                state = self._fault_states[reason] = AlertState(Level.FAULT, "fault", self.sensor_id, reason)
            self.state = state
        return self.state

    def retry_due(self, t_s: float) -> bool:
        """True when a dead sensor should be probed and re-initialised now. The caller
        reports the outcome: ``probe_failed``, ``start_failed`` or ``revived``."""
        if self.reason != HealthReason.NO_ANSWER or t_s < self._next_retry_t_s:
            return False
        # until the outcome is known, no second attempt in the same instant
        self._next_retry_t_s = t_s + self.cfg.probe_period_s
        return True

    @property
    def backing_off(self) -> bool:
        """True while failed starts lengthen the wait between attempts."""
        return self._backoff_s > 0.0

    def probe_failed(self, t_s: float) -> None:
        """Nothing answered at the sensor's address: probe again a probe period on."""
        self._next_retry_t_s = t_s + self.cfg.probe_period_s

    def start_failed(self, t_s: float) -> None:
        """It answered but did not start: wait longer each time, up to the cap."""
        c = self.cfg
        self._backoff_s = c.retry_backoff_s if self._backoff_s == 0 else \
            min(self._backoff_s * 2.0, c.retry_backoff_max_s)
        self._next_retry_t_s = t_s + self._backoff_s

    def bus_answered(self, t_s: float) -> None:
        """Another chip on the bus answered: the bus works, so a failed start was most
        likely the bus's fault. Start the back-off afresh and probe soon."""
        if self._backoff_s:
            self._backoff_s = 0.0
            self._next_retry_t_s = min(self._next_retry_t_s, t_s + self.cfg.probe_period_s)
