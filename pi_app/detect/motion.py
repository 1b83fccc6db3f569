"""The runner's own motion along the path, from the belt IMU: how much speed they have
just lost or gained.

The stride's bounce says *that* someone runs (``Pose.running``), not how fast, and
neither cadence nor bounce pins the speed down (runners change speed mostly by the
length of their steps). What the accelerometer does measure is a change of speed:
braking to a stop at 0.6 m/s^2 is 0.06 g along the direction of travel. The obstacle
detector uses it to know when its "a running runner closes on a static object at
least at a jog" prior no longer holds, and how hard a runner who is braking to a stop
still brakes (``braking_mps2``), to foresee that they stop short of a wall.
"""

from __future__ import annotations

import math

G_MPS2 = 9.80665  # standard gravity (CGPM 1901): the accelerometer reads in g
#: Accelerations along the path beyond this are not the runner's speed changing but a
#: stride's landing or a jolt (a sprint start reaches ~0.4 g): clipped before the sum,
#: so one bad sample cannot fake a stop.
MAX_TRAVEL_ACCEL_MPS2 = 5.0


class RunnerMotion:
    """Leaky integral of the acceleration along the direction of travel.

    In the chip frame of ``pi_app.detect.imu`` (x forward, z up when upright, trunk
    pitch ``theta`` + = bent over) the specific force along the direction of travel
    (backward) is ``-(ax cos theta + az sin theta)``; gravity and the stride's vertical
    bounce cancel in it at the right pitch, and what a pitch error lets through of the
    bounce oscillates with the step and averages out. ``speed_change_mps`` sums it with
    forgetting (time constant ``tau_s``): about ``-a * tau_s`` while braking steadily at
    ``a``, back to 0 within a few ``tau_s`` of holding a speed.

    The pitch is the IMU tracker's. An accelerometer cannot tell a lean from a push
    along the path, and the tracker's gravity correction takes part of a long braking
    for leaning back: in a 4 s stop from 2.5 m/s the estimate reaches about 3/4 of
    ``-a * tau_s``, and as the lean is corrected after the stop it reads a small gain.
    Both err toward keeping warnings.

    ``braking_mps2``: a deceleration the runner has sustained and still holds, for the
    obstacle detector to foresee a stop. It is measured along a pitch of its own, so
    that a braking of a few seconds is not taken for a lean: the gyro's rate for
    everything faster than ``pitch_tau_s``, pulled toward the tracker's pitch only that
    slowly (a gyro bias ``b`` leaves ``b * pitch_tau_s`` of pitch error, 0.1 deg/s over
    4 s: 0.07 m/s^2), and only once the tracker has held its pitch for ``pitch_tau_s``
    (the error a push during its settling left has had time to go; until then: 0). It
    is the lesser of two estimates, each of which reads low: the sum along that pitch
    over ``tau_s`` (braking at ``a`` for ``T`` s gives ``a (1 - exp(-T / tau_s))``: only
    a braking held for a few ``tau_s`` earns all of it) and the acceleration through two
    cascaded low-passes of ``accel_tau_s`` each (the deceleration now: a stride's push
    and landing, +-0.4 g at ~2.8 Hz, are attenuated ~40 times with 0.35 s; it falls to a
    tenth within 4 ``accel_tau_s``, 1.4 s, of the runner ceasing to brake).
    Allocation-free: it is fed every IMU sample.
    """

    __slots__ = ("tau_s", "accel_tau_s", "pitch_tau_s", "speed_change_mps", "_last_t_s",
                 "_held_pitch_deg", "_held_change_mps", "_lp1_mps2", "_lp2_mps2",
                 "_referenced")

    def __init__(self, tau_s: float, accel_tau_s: float = 0.35,
                 pitch_tau_s: float = 4.0) -> None:
        self.tau_s = tau_s
        self.accel_tau_s = accel_tau_s
        self.pitch_tau_s = pitch_tau_s
        self.reset()

    def reset(self) -> None:
        """Forget the history."""
        self.speed_change_mps = 0.0
        self._last_t_s: float | None = None
        self._held_pitch_deg = 0.0   # the gyro-held pitch the braking is measured along
        self._held_change_mps = 0.0  # the sum along it
        self._lp1_mps2 = 0.0
        self._lp2_mps2 = 0.0
        self._referenced = False     # it is held (not just the tracker's)

    @property
    def braking_mps2(self) -> float:
        """The deceleration (m/s^2, >= 0) the runner has sustained and still holds (0
        until measured along a gyro-held pitch)."""
        if not self._referenced:
            return 0.0
        return max(0.0, min(-self._held_change_mps / self.tau_s, -self._lp2_mps2))

    def note(self, t_s: float, accel_g, pitch_deg: float, rate_dps: float | None = None) -> None:
        """One IMU sample: ``accel_g`` (x, y, z) in g, ``pitch_deg`` the trunk pitch the
        tracker found for it, ``rate_dps`` the gyro's pitch rate (None: the tracker's
        pitch is not yet to be held: follow it as it is)."""
        last = self._last_t_s
        self._last_t_s = t_s
        if last is None:
            self._held_pitch_deg = pitch_deg
            return
        dt = t_s - last
        if dt <= 0.0:
            return
        ax, _, az = accel_g
        keep = math.exp(-dt / self.tau_s)
        self.speed_change_mps = (self.speed_change_mps * keep
                                 + _travel_mps2(ax, az, pitch_deg) * dt)
        self._referenced = rate_dps is not None
        if rate_dps is None:
            self._held_pitch_deg = pitch_deg
        else:
            held = self._held_pitch_deg + rate_dps * dt
            self._held_pitch_deg = held + min(dt / self.pitch_tau_s, 1.0) * (pitch_deg - held)
        a_mps2 = _travel_mps2(ax, az, self._held_pitch_deg)
        self._held_change_mps = self._held_change_mps * keep + a_mps2 * dt
        k = min(dt / self.accel_tau_s, 1.0)
        self._lp1_mps2 += k * (a_mps2 - self._lp1_mps2)
        self._lp2_mps2 += k * (self._lp1_mps2 - self._lp2_mps2)


def _travel_mps2(ax_g: float, az_g: float, pitch_deg: float) -> float:
    """The acceleration along the direction of travel at trunk pitch ``pitch_deg``,
    clipped to ``MAX_TRAVEL_ACCEL_MPS2``."""
    p = math.radians(pitch_deg)
    a_mps2 = -(ax_g * math.cos(p) + az_g * math.sin(p)) * G_MPS2
    return min(max(a_mps2, -MAX_TRAVEL_ACCEL_MPS2), MAX_TRAVEL_ACCEL_MPS2)
