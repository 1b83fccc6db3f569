"""The runner's motion for the world model: speed/position profiles, the gait (bounce
and trunk pitch at step frequency), the belt IMU's view of it, and the hands that
cross a hip sensor's beam.

A runner is not a metronome (gait studies: a stride-time coefficient of variation of
~2-3 %), so ``Gait`` lets the cadence and each step's size wander, with phases drawn
from the scenario's seed: a detector that needs a perfectly periodic gait fails here
as it would on a runner.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right

from pi_app.sim.devices.mpu6050 import motion_from_pitch

G_MPS2 = 9.80665
TWO_PI = 2.0 * math.pi
#: hands swing at about hip height: only a sensor mounted this high can be crossed
HAND_ZONE_M = (0.7, 1.3)
#: ... and only one looking (nearly) straight back, not one turned to the side
HAND_MAX_YAW_DEG = 40.0
HAND_RANGE_M = (0.30, 0.40)   # a hand passes this far behind the hip sensor
HAND_WIDTH_M = 0.09           # across the beam
HAND_SPEED_MPS = 4.0          # sweep speed across the beam (-> ~60 ms for a 27 deg cone)
_GOLDEN = 0.6180339887498949  # spreads the crossing distances without repeating
#: A hip belt turns with the pelvis, which rotates about the vertical once per stride
#: (two steps) in running: a transverse-plane range of the order of 10-20 deg in forward
#: running (Schache et al. 1999, Clin. Biomech. 14(8); Preece et al. 2016, Hum. Mov. Sci.:
#: docs/bearing.md): +-6 deg, what the bearing scenarios and measurements use.
RUNNING_YAW_SWAY_DEG = 6.0
#: The scenario format's default (``runner.yaw_sway_deg``): none. Turned on for every
#: shipped scenario, the sway costs claims the ground and obstacle detectors were not
#: built for (docs/bearing.md, "The belt's yaw sway"), so a scenario asks for it.
YAW_SWAY_DEG = 0.0


class PiecewiseLinear:
    """Linear interpolation of ``((t_s, value), ...)``, held flat outside the points,
    with its running integral from t = 0 (a position from a speed profile)."""

    def __init__(self, points) -> None:
        pts = list(points)
        if pts[0][0] > 0.0:
            pts.insert(0, (0.0, pts[0][1]))
        self.ts = tuple(p[0] for p in pts)
        self.vs = tuple(p[1] for p in pts)
        self.slopes = tuple((v1 - v0) / (t1 - t0) for (t0, v0), (t1, v1) in zip(pts, pts[1:]))
        areas = [0.0]
        for (t0, v0), (t1, v1) in zip(pts, pts[1:]):
            areas.append(areas[-1] + (v0 + v1) / 2.0 * (t1 - t0))
        self.areas = tuple(areas)
        self.constant = len(pts) == 1

    def value(self, t_s: float) -> float:
        if self.constant or t_s <= self.ts[0]:
            return self.vs[0]
        i = bisect_right(self.ts, t_s) - 1
        if i >= len(self.slopes):
            return self.vs[-1]
        return self.vs[i] + self.slopes[i] * (t_s - self.ts[i])

    def slope(self, t_s: float) -> float:
        if self.constant or t_s < self.ts[0]:
            return 0.0
        i = bisect_right(self.ts, t_s) - 1
        return self.slopes[i] if i < len(self.slopes) else 0.0

    def integral(self, t_s: float) -> float:
        """Integral of the value from 0 to ``t_s``."""
        if self.constant or t_s <= self.ts[0]:
            return self.vs[0] * (t_s - self.ts[0]) + self.areas[0]
        i = bisect_right(self.ts, t_s) - 1
        dt = t_s - self.ts[i]
        if i >= len(self.slopes):
            return self.areas[-1] + self.vs[-1] * dt
        return self.areas[i] + self.vs[i] * dt + 0.5 * self.slopes[i] * dt * dt


class Gait:
    """Bounce, fore-aft sway and trunk pitch of a runner (``Scenario.runner``) at time t.

    Step frequency ``f = cadence_spm / 60`` (one step = one foot). The sensor mount rises
    and falls ``bounce_m / 2 * a(t) * sin(phi(t))``; the trunk pitch is ``pitch_deg +
    pitch_swing_deg * a(t) * sin(phi(t))``, where ``phi' = 2 pi f (1 + w(t))``. The
    cadence wanders by ``w(t)`` (sinusoids of ``WANDER_PERIODS_S``, +-``CADENCE_WANDER``
    in all) and the step's size by ``a(t)`` (+-``SIZE_WANDER``)."""

    CADENCE_WANDER = 0.03           # the cadence strays this far (share) at most
    SIZE_WANDER = 0.10              # each step's bounce, sway and pitch swing, likewise
    #: periods (s) of the cadence's wandering: a slow drift, a breath, a few steps
    WANDER_PERIODS_S = (13.0, 4.3, 1.6)

    def __init__(self, runner, seed: int = 0) -> None:
        self.step_hz = runner.cadence_spm / 60.0
        self.omega = TWO_PI * self.step_hz
        self.half_bounce_m = runner.bounce_m / 2.0
        self.pitch_deg = runner.pitch_deg
        self.swing_deg = runner.pitch_swing_deg
        rng = random.Random(seed * 104729 + 7)
        share = self.CADENCE_WANDER / len(self.WANDER_PERIODS_S)
        # phi(t) = omega t + sum c_i (cos p_i - cos(w_i t + p_i)), c_i = omega share / w_i
        self._wander = tuple((TWO_PI / period_s, rng.uniform(0.0, TWO_PI),
                              self.omega * share * period_s / TWO_PI)
                             for period_s in self.WANDER_PERIODS_S)
        self._share = share
        self._size_phase = rng.uniform(0.0, TWO_PI)
        self.yaw_sway_deg = getattr(runner, "yaw_sway_deg", YAW_SWAY_DEG)
        # drawn last: the other phases stay what the seed gave them before the sway
        self._yaw_phase = rng.uniform(0.0, TWO_PI)
        self._cos_p = tuple(math.cos(p) for _, p, _ in self._wander)
        # The world's views, the IMU and the evaluator ask for the same instant several
        # times (bounce, pitch, sway, hands): the last phase and size are kept.
        self._phase_at = (math.nan, 0.0)
        self._size_at = (math.nan, 0.0)

    def phase(self, t_s: float) -> float:
        """Gait phase (rad): one turn per step."""
        last_t, last = self._phase_at
        if t_s == last_t:
            return last
        phi = self.omega * t_s
        for (w, p, c), cos_p in zip(self._wander, self._cos_p):
            phi += c * (cos_p - math.cos(w * t_s + p))
        self._phase_at = (t_s, phi)
        return phi

    def rate(self, t_s: float) -> float:
        """d phase / dt (rad/s)."""
        return self._rates(t_s)[0]

    def rate_change(self, t_s: float) -> float:
        """d2 phase / dt2 (rad/s2)."""
        return self._rates(t_s)[1]

    def _rates(self, t_s: float) -> tuple[float, float]:
        """``(rate, rate_change)`` at ``t_s``: one pass over the wander terms."""
        sin_sum = cos_sum = 0
        for w, p, _ in self._wander:
            arg = w * t_s + p
            sin_sum += math.sin(arg)
            cos_sum += w * math.cos(arg)
        return self.omega * (1.0 + self._share * sin_sum), self.omega * self._share * cos_sum

    def steps(self, t_s: float) -> float:
        """Steps taken since t = 0 (fractional)."""
        return self.phase(t_s) / TWO_PI

    SIZE_HZ = 0.37                  # how fast the step size wanders

    def size(self, t_s: float) -> float:
        """This step's size relative to the runner's mean (1 +- SIZE_WANDER)."""
        last_t, last = self._size_at
        if t_s == last_t:
            return last
        size = 1.0 + self.SIZE_WANDER * math.sin(TWO_PI * self.SIZE_HZ * t_s + self._size_phase)
        self._size_at = (t_s, size)
        return size

    def _size_rates(self, t_s: float) -> tuple[float, float]:
        """First and second time derivatives of ``size``."""
        w = TWO_PI * self.SIZE_HZ
        arg = w * t_s + self._size_phase
        return self.SIZE_WANDER * w * math.cos(arg), -self.SIZE_WANDER * w * w * math.sin(arg)

    def bounce_m(self, t_s: float) -> float:
        """Height of the hip above its mean (m)."""
        return self.half_bounce_m * self.size(t_s) * math.sin(self.phase(t_s))

    def sway_m(self, t_s: float) -> float:
        """Fore-aft sway of the trunk on a treadmill (+ = toward the rear): the body
        is braked at each landing and pushed on at each take-off, about as far as it
        rises and falls (amplitude half the bounce), a quarter step after the bounce."""
        return self.half_bounce_m * self.size(t_s) * math.cos(self.phase(t_s))

    def yaw_deg(self, t_s: float) -> float:
        """The belt's turn with the pelvis (+ = the runner's front toward their left, so
        the rear sensors look toward their right): +-``yaw_sway_deg`` once per stride."""
        return self.yaw_sway_deg * self.size(t_s) * math.sin(0.5 * self.phase(t_s)
                                                             + self._yaw_phase)

    def yaw_rate_dps(self, t_s: float) -> float:
        """d yaw_deg / dt (deg/s): what the belt IMU's gyro z reads (chip z up)."""
        arg = 0.5 * self.phase(t_s) + self._yaw_phase
        size_v, _ = self._size_rates(t_s)
        return self.yaw_sway_deg * (size_v * math.sin(arg)
                                    + self.size(t_s) * 0.5 * self.rate(t_s) * math.cos(arg))

    def trunk_pitch_deg(self, t_s: float) -> float:
        """Forward lean of the trunk (+ = bent over)."""
        return self.pitch_deg + self.swing_deg * self.size(t_s) * math.sin(self.phase(t_s))

    def bounce_and_pitch(self, t_s: float) -> tuple[float, float]:
        """``(bounce_m(t_s), trunk_pitch_deg(t_s))``, the same numbers, computed together."""
        size = self.size(t_s)
        sin_phase = math.sin(self.phase(t_s))
        return (self.half_bounce_m * size * sin_phase,
                self.pitch_deg + self.swing_deg * size * sin_phase)

    def imu_motion(self, t_s: float, forward_accel_mps2: float = 0.0):
        """``((ax, ay, az) g, (gx, gy, gz) dps)`` in the MPU-6050 chip frame of
        ``pi_app.sim.devices.mpu6050`` (x = the runner's forward, y = left, z = up when
        upright): gravity + the bounce's vertical acceleration through the tilted trunk,
        the pitch rate about y, and ``forward_accel_mps2`` = the body's acceleration
        along the direction of travel (backward) when the speed changes. Exact
        derivatives of ``bounce_m`` and ``trunk_pitch_deg``, wander included."""
        phase = self.phase(t_s)
        rate, accel = self._rates(t_s)
        size = self.size(t_s)
        size_v, size_a = self._size_rates(t_s)
        sin_p, cos_p = math.sin(phase), math.cos(phase)
        vertical_mps2 = self.half_bounce_m * (size_a * sin_p + 2.0 * size_v * rate * cos_p
                                              + size * (accel * cos_p - rate * rate * sin_p))
        vertical_g = vertical_mps2 / G_MPS2
        rate_dps = self.swing_deg * (size_v * sin_p + size * rate * cos_p)
        pitch_deg = self.pitch_deg + self.swing_deg * size * sin_p
        (ax, ay, az), gyro = motion_from_pitch(pitch_deg, rate_dps, vertical_g)
        if self.yaw_sway_deg:
            # the pelvis's turn about the vertical, on the chip's z tilted with the trunk
            gyro = (gyro[0], gyro[1],
                    gyro[2] + self.yaw_rate_dps(t_s) * math.cos(math.radians(pitch_deg)))
        if forward_accel_mps2:
            # specific force +a along travel (world +x); chip x = (-cos, 0, -sin) theta
            # and chip z = (-sin, 0, cos) theta in world x/z
            theta = math.radians(pitch_deg)
            f_g = forward_accel_mps2 / G_MPS2
            ax -= f_g * math.cos(theta)
            az -= f_g * math.sin(theta)
        return (ax, ay, az), gyro


class HandCrossing:
    """A hand sweeping through a hip sensor's beam once per step (each arm once per
    stride), at a fixed phase of the step chosen by the seed, at 0.30-0.40 m.
    ``distance_m(t)`` is the hand's distance, or None when it is out of the beam."""

    def __init__(self, gait: Gait, beam_half_angle_rad: float, seed: int) -> None:
        rng = random.Random(seed)
        self.gait = gait
        step_hz = gait.step_hz
        self.phase = rng.random()
        self.range_phase = rng.random()
        mid_m = sum(HAND_RANGE_M) / 2.0
        crossing_m = 2.0 * mid_m * math.tan(beam_half_angle_rad) + HAND_WIDTH_M
        self.share = min(1.0, crossing_m / HAND_SPEED_MPS * step_hz)  # of each step

    @staticmethod
    def applies(sensor, mode: str) -> bool:
        lo, hi = HAND_ZONE_M
        return (mode == "belt" and lo <= sensor.mount_height_m <= hi
                and abs(sensor.yaw_deg) < HAND_MAX_YAW_DEG)

    def distance_m(self, t_s: float) -> float | None:
        steps = self.gait.steps(t_s) + self.phase
        k = math.floor(steps)
        if steps - k >= self.share:
            return None
        frac = (k * _GOLDEN + self.range_phase) % 1.0
        lo, hi = HAND_RANGE_M
        return lo + (hi - lo) * frac
