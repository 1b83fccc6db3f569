"""Surface detector near its range limit (sun) and across gaps in the IMU's pitch.

In bright sun a TF-Luna returns the ground only at the stride's steep-beam phases and
flags the rest (amplitude under 100): its valid readings are accurate, just fewer.
The ground is learned from them over ``surface.sparse_learn_s``; judged against the
mounted height alone, a pitch the runner's push biases by 4 degrees reads as a 15 cm
step 2.3 m back. While the IMU gives no pitch the sweep is not watched at all.
"""

import math

from conftest import feed_and_judge

from pi_app.config import Config
from pi_app.detect import Level
from pi_app.detect.surface import SurfaceDetector
from pi_app.sensors.base import RangeStatus, Reading

CFG = Config.defaults()
H_M = 1.0
PITCH_DEG = -25.0
HALF_FOV_DEG = 1.0
PERIOD_S = 0.004
#: a push of 0.7 m/s^2 (a start from standstill) read as a lean: atan(0.7 / 9.81)
PUSH_LEAN_DEG = 4.0


def ground_range(ground_z_m: float, true_pitch_deg: float = 0.0) -> float:
    """Slant range of the beam's lower edge to the ground at height ``ground_z_m``."""
    below = math.radians(-PITCH_DEG - true_pitch_deg + HALF_FOV_DEG)
    return (H_M - ground_z_m) / math.sin(below)


def make() -> SurfaceDetector:
    return SurfaceDetector("ground", CFG, mount_height_m=H_M, mount_pitch_deg=PITCH_DEG,
                           half_fov_deg=HALF_FOV_DEG)


def sunlit(k: int) -> bool:
    """Three readings in ten return the ground (the rest: amplitude under 100)."""
    return k % 10 < 3


def no_return(t_s: float) -> Reading:
    return Reading(t_s, None, RangeStatus.LOW_AMPLITUDE)


def run(det, n, t0_s=0.0, z_m=lambda t: 0.0, pitch_deg=0.0, valid=sunlit):
    """Feed ``n`` readings from ``t0_s``; the detector is told ``pitch_deg`` (None: no
    IMU pitch), the beam really points at pitch 0. Returns the states and the end time."""
    states, t = [], t0_s
    for k in range(n):
        t = t0_s + k * PERIOD_S
        jitter_m = 0.001 * ((k * 7) % 5 - 2)      # +-2 mm: a live sensor's last digit moves
        reading = Reading(t, ground_range(z_m(t)) + jitter_m) if valid(k) else no_return(t)
        states.append(feed_and_judge(det, reading, pitch_deg, 0.0))
    return states, t + PERIOD_S


def test_in_sun_the_ground_is_learned_from_the_valid_readings_through_a_biased_pitch():
    det = make()
    states, t = run(det, 750, pitch_deg=PUSH_LEAN_DEG)       # 3 s, 30 % valid
    assert det.validity < CFG.surface.strict_validity
    # 15 cm "nearer" than the mount height says, at every phase the sensor sees
    expected_m = ground_range(0.0) * math.sin(math.radians(-PITCH_DEG - PUSH_LEAN_DEG
                                                           + HALF_FOV_DEG))
    assert H_M - expected_m > 2.0 * CFG.surface.rise_m
    assert det.baseline_m is not None and abs(det.baseline_m - expected_m) < 0.01
    assert all(s.level == Level.CLEAR for s in states)
    # ... and a 15 cm kerb down is still warned against the ground learned
    kerb, _ = run(det, 40, t, z_m=lambda _: -0.15, pitch_deg=PUSH_LEAN_DEG, valid=lambda k: True)
    assert any(s.level == Level.WARNING and s.detail == "drop" for s in kerb)


def test_in_sun_something_coming_nearer_is_not_learned_but_warned():
    det = make()
    _, t = run(det, 150)                  # 0.6 s watched (past first_look_s), not learned yet
    assert det.baseline_m is None
    # a box's face coming into the spot, then its top 25 cm up, 0.6 s in all: the
    # learning window (0.6 s of ground before it) spans more than sparse_learn_s
    states, _ = run(det, 150, t, z_m=lambda u: 0.25 * min((u - t) / 0.3, 1.0))
    assert det.baseline_m is None                            # its height moved across the window
    assert any(s.level == Level.WARNING and s.detail == "rise" for s in states)


def test_the_learning_window_does_not_span_the_imus_absence():
    det = make()
    _, t = run(det, 125)                                     # 0.5 s at the true pitch
    _, t = run(det, 250, t, pitch_deg=None)                  # 1 s without a pitch
    states, _ = run(det, 300, t, pitch_deg=PUSH_LEAN_DEG)    # back, through a push
    expected_m = ground_range(0.0) * math.sin(math.radians(-PITCH_DEG - PUSH_LEAN_DEG
                                                           + HALF_FOV_DEG))
    assert det.baseline_m is not None and abs(det.baseline_m - expected_m) < 0.01
    assert all(s.level == Level.CLEAR for s in states)


def every(k: int) -> bool:
    return True


def test_after_the_imu_was_gone_a_deviation_waits_for_its_next_sighting():
    def blip(t0_s):
        # 6 cm up for 0.1 s, then flat: seen once, never again a stride later
        return lambda t: 0.06 if t0_s <= t < t0_s + 0.1 else 0.0

    det = make()
    _, t = run(det, 500, valid=every)                        # the ground learned, in the dark
    assert det.baseline_m is not None
    _, t = run(det, 250, t, pitch_deg=None, valid=every)     # the IMU gone for 1 s
    states, _ = run(det, 100, t, z_m=blip(t), valid=every)   # first thing seen once back
    assert all(s.level == Level.CLEAR for s in states)
    # watched all along, the same blip comes into view: warned
    det = make()
    _, t = run(det, 750, valid=every)
    states, _ = run(det, 100, t, z_m=blip(t), valid=every)
    assert any(s.level == Level.WARNING and s.detail == "rise" for s in states)
