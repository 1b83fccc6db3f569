"""IMU tracker: pitch through bounce, bounce amplitude and step frequency."""

import math

import pytest

from pi_app.detect.imu import G_MPS2, ImuTracker
from pi_app.sim.devices.mpu6050 import motion_from_pitch


def motion(t, pitch0_deg=5.0, swing_deg=3.0, bounce_m=0.06, f_hz=2.8):
    w = 2 * math.pi * f_hz
    pitch = math.radians(pitch0_deg + swing_deg * math.sin(w * t))
    rate_dps = swing_deg * w * math.cos(w * t)
    a_up_g = -(bounce_m / 2) * w * w * math.sin(w * t) / G_MPS2
    return motion_from_pitch(math.degrees(pitch), rate_dps, a_up_g)


def test_tracks_pitch_and_bounce_while_running():
    imu = ImuTracker()
    errs_pitch, errs_z = [], []
    for k in range(1000):
        t = k * 0.005
        acc, gyro = motion(t)
        imu.update(t, acc, gyro)
        if t > 2.0:
            true_pitch = 5.0 + 3.0 * math.sin(2 * math.pi * 2.8 * t)
            true_z = 0.03 * math.sin(2 * math.pi * 2.8 * t)
            errs_pitch.append(abs(imu.pitch_deg - true_pitch))
            errs_z.append(abs(imu.bounce_m - true_z))
    assert max(errs_pitch) < 1.0
    assert max(errs_z) < 0.012
    assert imu.step_hz == pytest.approx(2.8, abs=0.1)


def test_standing_still_level():
    imu = ImuTracker()
    for k in range(200):
        imu.update(k * 0.01, (0.0, 0.0, 1.0), (0.0, 0.0, 0.0))
    assert abs(imu.pitch_deg) < 1e-6 and abs(imu.bounce_m) < 1e-6


def landing_motion(t, f_hz=2.8, fore_aft_mps2=2.0):
    """``motion`` plus the trunk's fore-aft acceleration of each step (braking at the
    landing, pushing off after): along the direction of travel, zero over a step."""
    (ax, ay, az), gyro = motion(t, f_hz=f_hz)
    pitch = math.radians(5.0 + 3.0 * math.sin(2 * math.pi * f_hz * t))
    f_g = fore_aft_mps2 * math.cos(2 * math.pi * f_hz * t) / G_MPS2
    return (ax - f_g * math.cos(pitch), ay, az - f_g * math.sin(pitch)), gyro


def test_switched_on_mid_stride_the_pitch_is_found_before_it_is_trusted():
    """One sample in a step's braking or push-off reads degrees off "down"; over
    ``imu.settle_s`` (about two strides) the trusted samples, each less what the gyro
    turned since, average it out. Until then ``fresh`` is False: no detector learns the
    ground at a wrong angle (nor with a bounce from a step frequency not yet measured)."""
    worst_first_deg = worst_settled_deg = 0.0
    for k in range(12):                      # switched on at 12 phases of the stride
        t0 = k / (12 * 2.8)
        imu = ImuTracker(period_s=0.005)
        t = t0
        first = None
        while not imu.settled:
            acc, gyro = landing_motion(t)
            imu.update(t, acc, gyro)
            if first is None and imu.ready:
                first = abs(imu.pitch_deg - (5.0 + 3.0 * math.sin(2 * math.pi * 2.8 * t)))
                first_t = t
                assert not imu.fresh(t)
            t += 0.005
        assert t - 0.005 - first_t == pytest.approx(imu.cfg.settle_s, abs=0.006)
        true_deg = 5.0 + 3.0 * math.sin(2 * math.pi * 2.8 * (t - 0.005))
        worst_first_deg = max(worst_first_deg, first)
        worst_settled_deg = max(worst_settled_deg, abs(imu.pitch_deg - true_deg))
        assert imu.fresh(t - 0.005)
    assert worst_first_deg > 5.0             # what starting from one sample would cost
    assert worst_settled_deg < 1.5           # a part-step in the window leaves ~1 degree


def test_a_hard_start_in_the_settle_window_is_not_taken_for_down():
    """Switched on, then a hard start: 2.2 m/s2 along the path for 1 s, which the
    accelerometer reads as a 12.6 deg lean the gyro never saw turn. The settle windows
    it starts or ends in have halves that disagree by more than the stride's own push and braking (here +-0.5 m/s2) can
    explain, so "down" is found afresh until the speed holds: the settled pitch is the
    trunk's, not the push's. (With +-2 m/s2 per step, as in the test above, a half
    window's mean may be 2.7 deg off by the stride alone: the check is that much less
    sensitive, and never restarts for a steady stride. A push that covers a whole window
    cannot be told from a lean by the IMU alone.)"""
    for k in range(6):                       # switched on at 6 phases of the stride
        imu = ImuTracker(period_s=0.005)
        t = k / (6 * 2.8)
        while not imu.settled:
            push_mps2 = 2.2 if 0.6 <= t < 1.6 else 0.0
            acc, gyro = landing_motion(t, fore_aft_mps2=0.5)
            pitch = math.radians(5.0 + 3.0 * math.sin(2 * math.pi * 2.8 * t))
            f_g = push_mps2 / G_MPS2
            acc = (acc[0] - f_g * math.cos(pitch), acc[1], acc[2] - f_g * math.sin(pitch))
            imu.update(t, acc, gyro)
            t += 0.005
        true_deg = 5.0 + 3.0 * math.sin(2 * math.pi * 2.8 * (t - 0.005))
        assert t > 1.6                       # not settled on the push
        assert abs(imu.pitch_deg - true_deg) < 1.5


def pushed_run(push, t_end_s, *, doubt=False):
    """An ImuTracker fed ``landing_motion`` (+-0.5 m/s2 per step) plus ``push(t)`` m/s2
    along the path, with ``doubt_down`` (the ground sensor finds no level) as given;
    yields ``(t_s, imu, true pitch)`` after each sample."""
    imu = ImuTracker(period_s=0.005)
    imu.doubt_down = doubt
    t = 0.0
    while t < t_end_s:
        acc, gyro = landing_motion(t, fore_aft_mps2=0.5)
        pitch = math.radians(5.0 + 3.0 * math.sin(2 * math.pi * 2.8 * t))
        f_g = push(t) / G_MPS2
        imu.update(t, (acc[0] - f_g * math.cos(pitch), acc[1], acc[2] - f_g * math.sin(pitch)),
                   gyro)
        yield t, imu, math.degrees(pitch)
        t += 0.005


def hard_start(t):
    return 2.2 if 0.0 <= t < 1.1 else 0.0


def test_a_push_over_the_whole_settle_window_is_shed_when_the_ground_finds_no_level():
    """A hard start covering the whole settle window (2.2 m/s2 for 1.1 s) settles ~12
    deg off: the IMU alone cannot tell it from a lean. While the ground sensor finds no
    level at that pitch, the two steady windows after the push, agreeing on the trunk's
    pitch far from the filter's, move the filter there at once (``pitch_moves`` counts
    it, so the ground is learned again); without the recheck the filter would still be
    degrees off seconds later."""
    moved_t = None
    for t, imu, true_deg in pushed_run(hard_start, 4.0, doubt=True):
        if imu.settled and t < 1.1:
            settled_err = abs(imu.pitch_deg - true_deg)
        if moved_t is None and imu.pitch_moves:
            moved_t = t
    assert settled_err > 8.0
    assert moved_t is not None and moved_t < 3.1
    assert abs(imu.pitch_deg - true_deg) < 1.5 and imu.pitch_moves == 1


def test_without_the_grounds_doubt_or_after_a_good_settle_the_pitch_is_not_moved():
    """The same push with the ground reading as one level: nothing moves (a push that
    lasts two windows after a good settle reads just like it, and then the settled pitch
    is the right one). With the doubt, a push after a good settle that lasts one window
    and a part: no two steady windows agree on a wrong pitch; a move, if any, takes back
    what the filter drifted toward the push, onto the trunk's pitch."""
    for t, imu, _ in pushed_run(hard_start, 4.0):
        pass
    assert imu.pitch_moves == 0

    def later_push(t):
        return 2.2 if 1.2 <= t < 2.5 else 0.0

    for push in (later_push, lambda t: 0.0):
        moves = 0
        for t, imu, true_deg in pushed_run(push, 5.0, doubt=True):
            if imu.pitch_moves != moves:          # a move (back from the push's drift)
                moves = imu.pitch_moves           # lands on the trunk's pitch
                assert abs(imu.pitch_deg - true_deg) < 1.5, t
        assert abs(imu.pitch_deg - true_deg) < 1.5


def test_braking_is_credited_only_along_a_pitch_held_since_settling():
    """Right after "down" is found its error (a push taken for a lean) would read as
    braking: the runner's motion credits none until the tracker has held its pitch for
    obstacle.braking_pitch_tau_s, and then measures along the gyro's pitch."""
    import math as _m

    imu = ImuTracker(period_s=0.005)
    th = _m.radians(5.0)
    def brake_g(travel_mps2):
        f = travel_mps2 / 9.80665
        return (-f * _m.cos(th) - _m.sin(th), 0.0, -f * _m.sin(th) + _m.cos(th))
    t = 0.0
    for _ in range(round(2.0 / 0.005)):                 # settles within ~1 s
        imu.update(t, brake_g(0.0), (0.0, 0.0, 0.0)); t += 0.005
    assert imu.settled
    for _ in range(round(2.0 / 0.005)):                 # braking 2 s after settling
        imu.update(t, brake_g(-1.0), (0.0, 0.0, 0.0)); t += 0.005
    assert imu.motion.braking_mps2 == 0.0
    for _ in range(round(7.0 / 0.005)):
        imu.update(t, brake_g(0.0), (0.0, 0.0, 0.0)); t += 0.005
    for _ in range(round(2.0 / 0.005)):                 # braking 9 s after: credited
        imu.update(t, brake_g(-1.0), (0.0, 0.0, 0.0)); t += 0.005
    assert 0.5 < imu.motion.braking_mps2 <= 1.0
