"""The runner's own motion along the path, from the belt IMU: how much speed they have
just lost or gained.

The stride's bounce says *that* someone runs (``Pose.running``), not how fast, and
neither cadence nor bounce pins the speed down (runners change speed mostly by the
length of their steps). What the accelerometer does measure is a change of speed:
braking to a stop at 0.6 m/s^2 is 0.06 g along the direction of travel. The obstacle
detector uses it to know when its "a running runner closes on a static object at
least at a jog" prior no longer holds.
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
    Both err toward keeping warnings. Allocation-free: it is fed every IMU sample.
    """

    __slots__ = ("tau_s", "speed_change_mps", "_last_t_s")

    def __init__(self, tau_s: float) -> None:
        self.tau_s = tau_s
        self.speed_change_mps = 0.0
        self._last_t_s: float | None = None

    def reset(self) -> None:
        """Forget the history."""
        self.speed_change_mps = 0.0
        self._last_t_s = None

    def note(self, t_s: float, accel_g, pitch_deg: float) -> None:
        """One IMU sample: ``accel_g`` (x, y, z) in g, ``pitch_deg`` the trunk pitch the
        tracker found for it."""
        last = self._last_t_s
        self._last_t_s = t_s
        if last is None:
            return
        dt = t_s - last
        if dt <= 0.0:
            return
        p = math.radians(pitch_deg)
        ax, _, az = accel_g
        a_mps2 = -(ax * math.cos(p) + az * math.sin(p)) * G_MPS2
        a_mps2 = min(max(a_mps2, -MAX_TRAVEL_ACCEL_MPS2), MAX_TRAVEL_ACCEL_MPS2)
        keep = math.exp(-dt / self.tau_s)
        self.speed_change_mps = self.speed_change_mps * keep + a_mps2 * dt
