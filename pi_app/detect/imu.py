"""Trunk pitch and vertical bounce from the belt's MPU-6050.

Frame (the chip frame of ``pi_app.sim.devices.mpu6050``): x = the runner's forward, y =
left, z = up when standing straight; a forward lean (bending over, +) is a positive
rotation about y, and it tilts a rear-facing sensor's beam UP by as much. ``ImuTracker``
gives the pitch from a complementary filter (the gyro for fast changes, the
accelerometer's gravity direction for drift) and the bounce from the vertical
acceleration at the step frequency.
"""

from __future__ import annotations

import math

from pi_app.config import Config
from pi_app.detect import CLEAR
from pi_app.detect.filters import RingSeries
from pi_app.detect.motion import RunnerMotion
from pi_app.detect.health import HealthReason
from pi_app.sensors.base import RangeStatus, Reading

G_MPS2 = 9.80665  # standard gravity (CGPM 1901): the accelerometer reads in g
# Step frequencies of running: 90 steps/min and slower is walking (its bounce is small
# anyway), 240 steps/min is a sprint's cadence; a runner starts at a typical 168.
MIN_STEP_HZ = 1.5
MAX_STEP_HZ = 4.0
DEFAULT_STEP_HZ = 2.8
#: Pitch and bounce kept for readings stamped in the past (~0.3 s at 200 Hz).
HISTORY_SAMPLES = 64


class HalvesMean:
    """Weighted mean of a window's values, and of its first half apart: whether the two
    halves agree says whether the window was steady."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.sum = self.sq_sum = self.weight = 0.0
        self.half_sum = self.half_sq_sum = self.half_weight = 0.0

    def add(self, first_half: bool, weight: float, value: float) -> None:
        self.sum += weight * value
        self.weight += weight
        self.sq_sum += weight * value * value
        if first_half:
            self.half_sum += weight * value
            self.half_sq_sum += weight * value * value
            self.half_weight += weight

    def mean(self) -> float:
        return self.sum / self.weight

    def both_halves(self) -> bool:
        return self.half_weight > 0.0 and self.weight - self.half_weight > 0.0

    def _halves(self) -> tuple[float, float, float, float]:
        first_w = self.half_weight
        second_w = self.weight - first_w
        first = self.half_sum / first_w
        second = (self.sum - self.half_sum) / second_w
        first_var = self.half_sq_sum / first_w - first * first
        second_var = (self.sq_sum - self.half_sq_sum) / second_w - second * second
        return first, second, first_var, second_var

    def second_mean(self) -> float:
        """The second half's mean (both halves must have weight)."""
        return self._halves()[1]

    def spread(self) -> float:
        """The less spread half's standard deviation (both halves must have weight)."""
        _, _, first_var, second_var = self._halves()
        return math.sqrt(max(min(first_var, second_var), 0.0))

    def steady(self, agree: float) -> bool:
        """Both halves have weight and their means differ by at most ``agree``."""
        if not self.both_halves():
            return False
        first, second, _, _ = self._halves()
        return abs(second - first) <= agree


class ImuTracker:
    """``cfg``: the settings (its ``imu`` section; None = the defaults), and again
    through ``configure(cfg)`` when they change.

    - Pitch: the gyro's rate about y is integrated for fast changes; the accelerometer's
      gravity direction (at a lean theta it reads (-sin theta, 0, cos theta) g) corrects
      its drift with time constant ``imu.tau_s``, weighted down to nothing as the felt
      acceleration departs from 1 g by ``imu.accel_trust_g`` (the flight and landing
      phases of a stride). The accelerometer alone would be wrong whenever the body
      accelerates, the gyro alone would drift.
    - Down is found over ``imu.settle_s`` of samples whose two halves agree (see
      ``_settle_or_restart``). Once settled it is found so afresh window after
      window; while the ground sensor finds no level at the filter's pitch, two steady
      windows that agree on one ``imu.recheck_deg`` off move the filter there (a push
      that passed for a lean while settling) and count ``pitch_moves`` up, so the
      detectors that learned the ground at the old pitch learn it again.
    - Bounce: the body's vertical motion is nearly sinusoidal at the step frequency, so
      its displacement is ``-a_vertical / (2*pi*f)^2``; ``f`` is measured from the upward
      zero crossings of the vertical acceleration and kept within ``MIN_STEP_HZ`` ..
      ``MAX_STEP_HZ``."""

    def __init__(self, driver=None, *, period_s: float = 0.005, health=None, cfg=None) -> None:
        self.driver = driver
        self.health = health  # a SensorHealth for the chip, or None (replay, tests)
        self.period_s = period_s
        self.pitch_deg = 0.0
        self.bounce_m = 0.0
        self.step_hz = DEFAULT_STEP_HZ
        self.vertical_mps2 = 0.0
        self.samples = 0
        self.rate_dps = 0.0
        self.yaw_rate_dps = 0.0   # gyro z: the belt turning about the trunk (corridor)
        self.history = RingSeries(HISTORY_SAMPLES)
        self.bounce_history = RingSeries(HISTORY_SAMPLES)
        self.on_sample = None  # callable(t_s, accel_g, gyro_dps), e.g. a Recorder
        self.on_restart = None  # callable(t_s, sensor_id, ok) after a re-initialisation
        self.motion = RunnerMotion(1.0)   # the runner's speed change along the path
        self._next_t_s = 0.0
        self._last_t_s: float | None = None
        self._last_cross_t_s: float | None = None
        self._prev_av = 0.0
        self._av_lp = 0.0
        self.pitch_moves = 0  # times a steady window moved the settled pitch at once
        self._check = HalvesMean()   # the pitch found afresh over the current window
        self._check_t0_s = 0.0       # ... which began then (set at each settling)
        self._check_turned_deg = 0.0
        self._last_found_deg: float | None = None
        self.doubt_down = False   # the ground sensor finds no level at this pitch
        self._settle_from(0.0)
        self.configure(Config.defaults() if cfg is None else cfg)

    def configure(self, cfg) -> None:
        """Take the ``imu`` settings (and the chip's health its ``health`` settings); the
        pitch and bounce found so far are kept."""
        self.cfg = cfg.imu
        self.motion.tau_s = cfg.obstacle.slowing_tau_s
        self.motion.accel_tau_s = cfg.obstacle.braking_tau_s
        self.motion.pitch_tau_s = cfg.obstacle.braking_pitch_tau_s
        if self.health is not None:
            self.health.configure(cfg)

    def pitch_at(self, t_s: float) -> float:
        """Pitch at ``t_s``: extrapolated with the last gyro rate after the last sample
        (at 50 deg/s of stride pitching, 5 ms of staleness would be 0.25 deg, i.e. 1 cm
        of ground height at 2.5 m), interpolated from the recent history before it (an
        ultrasonic range is stamped when its echo returned, up to 0.1 s ago)."""
        last_t_s = self._last_t_s
        if last_t_s is None:
            return self.pitch_deg
        if t_s >= last_t_s:
            return self.pitch_deg + self.rate_dps * min(t_s - last_t_s, self.period_s * self.cfg.stale_periods)
        return self.history.interpolate(t_s)

    def fresh(self, t_s: float) -> bool:
        """True when the pitch has settled and the last sample is recent enough to trust
        it at ``t_s``."""
        return self.settled and self._last_t_s is not None and t_s - self._last_t_s <= self.cfg.stale_periods * self.period_s

    def bounce_at(self, t_s: float) -> float:
        """Bounce at ``t_s``: the latest, or from the recent history for a past stamp."""
        if self._last_t_s is None or t_s >= self._last_t_s:
            return self.bounce_m
        return self.bounce_history.interpolate(t_s)

    @property
    def ready(self) -> bool:
        """True once a sample has shown where "down" is (pitch is meaningful)."""
        return self._last_t_s is not None

    def poll(self, t_s: float) -> None:
        """Read the IMU when its next sample is due (cheap otherwise). A chip that stops
        answering is re-initialised with the health monitor's back-off."""
        if self.driver is None or t_s < self._next_t_s:
            return
        health = self.health
        if health is not None and health.reason == HealthReason.NO_ANSWER:
            if health.retry_due(t_s):
                self._restart(t_s)
            return
        sample = self.driver.read_motion()
        if sample is not None and sample.accel_g == (0.0, 0.0, 0.0) and sample.gyro_dps == (0.0, 0.0, 0.0):
            # An MPU-6050 that rebooted (a power blip) sleeps and reads all zeros: no
            # real accelerometer reads exactly 0 g on every axis. Count it as dead so
            # the health monitor re-initialises (wakes) it.
            sample = None
        if sample is None:
            if health is not None:
                health.note(Reading(t_s, None, RangeStatus.BUS_ERROR))
            return  # a failed read is retried next cycle
        self._next_t_s = t_s + self.period_s
        if health is not None:
            health.note(Reading(t_s, None))  # alive; no distance, so never "stuck"
        self.update(sample.t_s, sample.accel_g, sample.gyro_dps)
        if self.on_sample is not None:
            self.on_sample(sample.t_s, sample.accel_g, sample.gyro_dps)

    def fault_state(self, t_s: float):
        """FAULT (source "imu") while the chip does not answer, else CLEAR."""
        return CLEAR if self.health is None else self.health.evaluate(t_s)

    def _restart(self, t_s: float) -> None:
        try:
            self.driver.start()
        except OSError:  # still unplugged: its start is a few register writes, cheap
            self.health.probe_failed(t_s)   # to try again each probe period
            if self.on_restart is not None:
                self.on_restart(t_s, self.health.sensor_id, False)
            return
        if self.on_restart is not None:
            self.on_restart(t_s, self.health.sensor_id, True)
        self.health.revived(t_s)
        self._last_t_s = None  # find "down" again before trusting the pitch
        self.motion.reset()    # and sum speed changes from here

    def update(self, t_s: float, accel_g, gyro_dps) -> None:
        ax, ay, az = accel_g
        accel_pitch_deg = math.degrees(math.atan2(-ax, az))
        # Gravity's direction is only trustworthy while the felt acceleration is near
        # 1 g: in each stride's flight and landing phases it is far from it.
        norm_g = math.sqrt(ax * ax + ay * ay + az * az)
        trust = max(0.0, 1.0 - abs(norm_g - 1.0) / self.cfg.accel_trust_g) if az > 0 else 0.0
        if self._last_t_s is None:
            if trust < 0.5:
                return  # wait for a sample that shows where "down" is
            self._settle_from(t_s)
            dt = 0.0
        else:
            dt = max(t_s - self._last_t_s, 0.0)
            # trapezoid: a lost sample (bus error) leaves a longer step to integrate
            turned_deg = 0.5 * (gyro_dps[1] + self.rate_dps) * dt
            self.pitch_deg += turned_deg
            if self.settled:
                self.pitch_deg += min(dt / self.cfg.tau_s, 1.0) * trust * (accel_pitch_deg - self.pitch_deg)
                self._recheck(t_s, trust, accel_pitch_deg, turned_deg)
            else:
                self._turned_deg += turned_deg
        if not self.settled:
            # Settling: every sample measures the starting pitch (its gravity direction
            # less what the gyro has turned since); their trusted mean over whole strides
            # averages out the stride's own accelerations, where one sample is degrees off.
            start = self._start
            elapsed_s = t_s - self._first_t_s
            start.add(elapsed_s < 0.5 * self.cfg.settle_s, trust, accel_pitch_deg - self._turned_deg)
            if start.weight > 0.0:
                self.pitch_deg = start.mean() + self._turned_deg
            if elapsed_s >= self.cfg.settle_s:
                self._settle_or_restart(t_s)
        self._last_t_s = t_s
        self.history.append(t_s, self.pitch_deg)
        if self.settled and t_s - self._settled_t_s >= self.motion.pitch_tau_s:
            self.motion.note(t_s, accel_g, self.pitch_deg, gyro_dps[1])
        else:  # "down" not found yet, or just found: the tracker's pitch as it is
            self.motion.note(t_s, accel_g, self.pitch_deg)
        self.rate_dps = gyro_dps[1]
        self.yaw_rate_dps = gyro_dps[2]
        self.samples += 1
        # Vertical (world z) specific force minus gravity, in m/s^2.
        p = math.radians(self.pitch_deg)
        av = (-ax * math.sin(p) + az * math.cos(p) - 1.0) * G_MPS2
        # Remove any slow offset (tilt error, sensor bias) before finding the oscillation.
        if dt > 0:
            self._av_lp += min(dt / 2.0, 1.0) * (av - self._av_lp)
        av -= self._av_lp
        if self._prev_av < 0.0 <= av:
            if self._last_cross_t_s is not None:
                period_s = t_s - self._last_cross_t_s
                if period_s > 0:
                    hz = 1.0 / period_s
                    if MIN_STEP_HZ <= hz <= MAX_STEP_HZ:
                        self.step_hz += 0.3 * (hz - self.step_hz)
            self._last_cross_t_s = t_s
        self._prev_av = av
        self.vertical_mps2 = av
        omega = 2.0 * math.pi * self.step_hz
        self.bounce_m = -av / (omega * omega)
        self.bounce_history.append(t_s, self.bounce_m)

    def _settle_or_restart(self, t_s: float) -> None:
        """The settle window is full: settled when its two halves agree on the starting
        pitch; else the runner's speed changed within it (to the accelerometer a push
        along the path is a lean the gyro never saw turn), and "down" is found afresh
        from here. They must agree within ``imu.settle_agree_deg`` plus what the stride's
        own push and braking can leave in a half-window's mean: a swing of amplitude A
        (sqrt(2) times the samples' spread about their half's mean, the less spread
        half's) averaged over a part step leaves at most
        ``A * step period / (pi * half window)``."""
        start = self._start
        if start.both_halves() and not start.steady(self._agree_deg(start)):
            self._settle_from(t_s)
            return
        self.settled = True
        self._settled_t_s = self._check_t0_s = t_s
        self._check.clear()
        self._check_turned_deg = 0.0
        self._last_found_deg = None

    def _recheck(self, t_s: float, trust: float, accel_pitch_deg: float, turned_deg: float) -> None:
        """Once settled, find the pitch afresh window after window as settling does
        (the accelerometer's pitch less what the gyro turned since the window began,
        averaged over it). While the ground sensor finds no level at the filter's pitch
        (``doubt_down``), two steady windows in a row (or a steady one after the steady
        second half of one a push ended in) that agree on a pitch more than
        ``imu.recheck_deg`` off the filter's move it there: the settle window held a
        push (a hard start), which reads as a lean the gyro never saw turn. Without
        that doubt nothing moves: a push lasting two windows after a good settle reads
        the same way, and the ground then says the pitch is right."""
        check = self._check
        settle_s = self.cfg.settle_s
        self._check_turned_deg += turned_deg
        check.add(t_s - self._check_t0_s < 0.5 * settle_s, trust,
                  accel_pitch_deg - self._check_turned_deg)
        if t_s - self._check_t0_s < settle_s:
            return
        agree_deg = self._agree_deg(check) if check.both_halves() else 0.0
        found_deg = None
        if check.steady(agree_deg):
            found_deg = check.mean() + self._check_turned_deg   # the pitch now
            last_deg = self._last_found_deg
            if (self.doubt_down and last_deg is not None
                    and abs(found_deg - last_deg - self._check_turned_deg) <= agree_deg
                    and abs(found_deg - self.pitch_deg) > self.cfg.recheck_deg > 0.0):
                self.pitch_deg = found_deg
                self.pitch_moves += 1
        elif check.both_halves():
            # a push that ended in this window: its second half may still be steady
            found_deg = check.second_mean() + self._check_turned_deg
        # (compared with the next window's as the gyro carries it on over that window)
        self._last_found_deg = found_deg
        check.clear()
        self._check_t0_s = t_s
        self._check_turned_deg = 0.0

    def _agree_deg(self, halves: "HalvesMean") -> float:
        """How far the halves of a window may disagree and it still be steady:
        ``imu.settle_agree_deg`` plus twice what a swing of the samples' spread can
        leave in a half window's mean (``_settle_or_restart``)."""
        stride_deg = (math.sqrt(2.0) * halves.spread() / self.step_hz
                      / (math.pi * 0.5 * self.cfg.settle_s))
        return self.cfg.settle_agree_deg + 2.0 * stride_deg

    def _settle_from(self, t_s: float) -> None:
        """Start finding "down" afresh from the sample at ``t_s``."""
        self._first_t_s = t_s
        self._turned_deg = 0.0
        self._start = HalvesMean()
        self.settled = False
        self._settled_t_s = t_s

    def close(self) -> None:
        if self.driver is not None:
            self.driver.close()
