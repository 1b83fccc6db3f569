"""What a detector is to the loop, and the runner's pose it is fed with.

Every detector of a fitted sensor (obstacle, surface, deck, the naive policy) follows
``Detector``: ``feed`` takes one reading, ``judge`` says the held level once per cycle,
``configure`` takes new settings, ``reset`` forgets what a faulted sensor said. The
trunk's pitch and bounce reach it as one ``Pose`` per cycle, so a reading stamped in
the past (an ultrasonic echo) is judged with the beam's angle at its own instant.
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

from pi_app.detect import AlertState


class Pose:
    """The runner's trunk in this cycle, from the IMU (or level and still without one).

    ``running``: the one rule for it - the stride's bounce peak, fading over
    ``imu.bounce_peak_tau_s``, is at least ``imu.running_bounce_m``. ``pitch_deg``: forward lean (+ = bent over; it tilts a rear beam up by as much);
    None while a fitted IMU has not settled or has gone stale (detectors that need it
    wait). ``bounce_m``: vertical displacement of the stride. ``at(t_s)`` gives both
    at an earlier instant of this cycle's history. ``speed_change_mps``: the speed the
    runner has just gained (+) or lost (-) along the path, from the IMU's accelerometer
    (the IMU tracker's ``motion``; 0 without an IMU). ``ground_grade``: the climb (rise per
    metre, + = the ground rises behind the runner) the ground sensor's detector measures
    under its spot, None without one or before it has learned the ground; written by that
    detector, read by the level sensor's ground check. ``ground_watched``: a ground sensor
    has reported (so a grade still None is not measured yet, rather than unmeasurable).
    ``pitch_moves``: how often the IMU found its settled pitch degrees off and moved it
    at once (a detector that learned the ground at the old pitch learns it again).
    ``ground_unlevel``: the ground sensor's detector has found no level, window after
    window, at the IMU's pitch (written by it; the IMU then rechecks its pitch).
    Updated in place each cycle: the hot path allocates nothing for it.
    """

    __slots__ = ("imu", "t_s", "pitch_deg", "bounce_m", "running", "running_bounce_m",
                 "peak_tau_s", "ground_grade", "ground_watched", "pitch_moves",
                 "ground_unlevel", "_peak_m")

    def __init__(self, imu=None, cfg=None) -> None:
        self.imu = imu
        self.t_s = 0.0
        self.pitch_deg: float | None = 0.0
        self.bounce_m = 0.0
        self.running = False
        self.ground_grade: float | None = None
        self.ground_watched = False
        self.pitch_moves = 0   # the IMU's count of sudden pitch corrections (learn again)
        self.ground_unlevel = False
        self._peak_m = 0.0
        self.configure(cfg)

    def configure(self, cfg) -> None:
        """``imu.running_bounce_m`` and ``imu.bounce_peak_tau_s`` (None = the defaults)."""
        if cfg is None:
            from pi_app.config import Config

            cfg = Config.defaults()
        self.running_bounce_m = cfg.imu.running_bounce_m
        self.peak_tau_s = cfg.imu.bounce_peak_tau_s

    @property
    def speed_change_mps(self) -> float:
        motion = getattr(self.imu, "motion", None)
        return 0.0 if motion is None else motion.speed_change_mps

    def update(self, t_s: float) -> None:
        imu = self.imu
        dt = max(t_s - self.t_s, 0.0)
        self.t_s = t_s
        if imu is None:
            self.pitch_deg, self.bounce_m = 0.0, 0.0
        else:
            imu.doubt_down = self.ground_unlevel   # the ground sensor's say on the pitch
            if imu.fresh(t_s):
                self.pitch_deg, self.bounce_m = imu.pitch_at(t_s), imu.bounce_m
                self.pitch_moves = getattr(imu, "pitch_moves", 0)
            else:
                self.pitch_deg, self.bounce_m = None, 0.0
        if self.pitch_deg is not None and imu is not None:
            self._peak_m = max(abs(self.bounce_m), self._peak_m * math.exp(-dt / self.peak_tau_s))
            self.running = self._peak_m >= self.running_bounce_m

    def at(self, t_s: float) -> tuple[float | None, float]:
        """``(pitch_deg, bounce_m)`` at ``t_s`` (no later than this cycle)."""
        imu = self.imu
        if imu is not None and self.pitch_deg is not None and t_s < self.t_s:
            return imu.pitch_at(t_s), imu.bounce_at(t_s)
        return self.pitch_deg, self.bounce_m


@runtime_checkable
class Detector(Protocol):
    """The loop's contract with a sensor's detector."""

    def feed(self, reading, pose: Pose) -> None:
        """Take one reading from the driver (``reading.distance_m`` None = invalid)."""

    def judge(self, t_s: float) -> AlertState:
        """The held alert state at clock time ``t_s``; called once per cycle."""

    def configure(self, cfg) -> None:
        """Take new settings (thresholds, windows) without losing what was learned."""

    def reset(self) -> None:
        """Forget everything: the sensor was faulted, its last readings are no evidence."""
