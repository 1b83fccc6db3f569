"""StrideComb: the step period, the sway-free position and the drift of a treadmill
runner's back, on synthetic readings with a known sway (sinusoid and harmonics),
sensor rate and noise."""

import math
import random

import pytest

from pi_app.config import Config
from pi_app.detect.stride import StrideComb

DECK = Config.defaults().deck


def sway(t_s, step_hz, amp_m=0.03, harmonic=0.0):
    w = 2 * math.pi * step_hz
    return amp_m * math.cos(w * t_s) + harmonic * amp_m * math.sin(2 * w * t_s + 0.7)


def feed(comb, duration_s, *, rate_hz, step_hz, position=lambda t: 0.8, noise_m=0.0,
         harmonic=0.0, seed=1, t0_s=0.0):
    rng = random.Random(seed)
    out = []
    for k in range(int(duration_s * rate_hz)):
        t = t0_s + k / rate_hz
        d = position(t) + sway(t, step_hz, harmonic=harmonic) + rng.gauss(0.0, noise_m)
        comb.add(t, d)
        out.append((t, comb.estimate(t)))
    return out


@pytest.mark.parametrize("cadence_spm", [160, 175, 190])
@pytest.mark.parametrize("rate_hz,noise_m,rel", [(30, 0.005, 0.02), (250, 0.02, 0.02),
                                                  (10, 0.01, 0.03)])
def test_the_step_period_is_found_from_the_readings(cadence_spm, rate_hz, noise_m, rel):
    """VL53L1X, TF-Luna and MB1242 rates and noise. At 10 Hz (3-4 readings a step) the
    readings are interpolated between, which bends the correlation peak by up to ~3 %;
    a one-step mean 3 % too long leaves < 1 mm of a 3 cm sway."""
    comb = StrideComb(DECK)
    feed(comb, 8.0, rate_hz=rate_hz, step_hz=cadence_spm / 60, noise_m=noise_m, harmonic=0.2)
    assert comb.period_s == pytest.approx(60 / cadence_spm, rel=rel)


def test_no_sway_no_period_and_a_chance_period_does_no_harm():
    comb = StrideComb(DECK)
    rng = random.Random(5)
    for k in range(180):
        comb.add(k / 30, 0.8 + rng.gauss(0.0, 0.005))
    assert comb.period_s is None and comb.estimate(6.0) is None
    # noise now and then correlates at some lag: a mean over that lag is still a mean
    for seed in (4, 6, 8, 11):
        comb, rng = StrideComb(DECK), random.Random(seed)
        ests = []
        for k in range(600):
            comb.add(k / 30, 0.8 + rng.gauss(0.0, 0.005))
            ests.append(comb.estimate(k / 30))
        ests = [e for e in ests if e is not None]
        assert all(abs(p - 0.8) < 0.01 and abs(v) < 0.03 for p, v in ests), seed


def test_the_sway_cancels_out_of_position_and_drift():
    """A +-3 cm sway (with a 2nd harmonic) on a runner standing steady: the one-step
    mean sits on the true position and reads no drift, at any phase."""
    out = feed(StrideComb(DECK), 10.0, rate_hz=30, step_hz=175 / 60, harmonic=0.5)
    ests = [e for t, e in out if t > 5.0 and e is not None]
    assert len(ests) > 100
    assert max(abs(p - 0.8) for p, _ in ests) < 0.006
    assert max(abs(v) for _, v in ests) < 0.02


def test_a_drift_is_read_through_the_sway():
    v_mps = 0.3
    out = feed(StrideComb(DECK), 9.0, rate_hz=30, step_hz=175 / 60, noise_m=0.003,
               position=lambda t: 0.8 + v_mps * max(0.0, t - 6.0))
    before = [e[1] for t, e in out if 5.0 < t < 6.0]
    settled = [e for t, e in out if t > 6.6]
    assert max(abs(v) for v in before) < 0.03
    assert all(abs(v - v_mps) < 0.03 for _, v in settled)
    assert all(abs(p - (0.8 + v_mps * (t - 6.0))) < 0.02
               for (t, _), (p, _) in zip([o for o in out if o[0] > 6.6], settled))
    # the speed shows within about a step (0.34 s): the comb must see one period of it
    t_seen = next(t for t, e in out if t > 6.0 and e[1] >= 0.2)
    assert t_seen - 6.0 < 0.4


def test_a_noisy_sensor_reads_the_drift_over_a_longer_window():
    quiet, noisy = StrideComb(DECK), StrideComb(DECK)
    feed(quiet, 8.0, rate_hz=30, step_hz=2.9, noise_m=0.003)
    out = feed(noisy, 8.0, rate_hz=10, step_hz=2.9, noise_m=0.01)
    assert quiet.window_s == quiet.drift_window_s < noisy.window_s
    drifts = [e[1] for t, e in out if t > 5.0 and e is not None]
    assert max(abs(v) for v in drifts) < 0.05     # 1 cm readings at 10 Hz (an MB1242)


def test_a_gap_in_the_readings_starts_over_but_keeps_the_period():
    comb = StrideComb(DECK)
    feed(comb, 6.0, rate_hz=30, step_hz=2.9)
    period_s = comb.period_s
    comb.add(7.0, 0.8)                              # 1 s without a reading
    assert comb.period_s == period_s and comb.estimate(7.0) is None
    out = feed(comb, 1.0, rate_hz=30, step_hz=2.9, t0_s=7.0)
    assert out[-1][1] is not None                   # back after a period + window


def test_clear_forgets_everything():
    comb = StrideComb(DECK)
    feed(comb, 6.0, rate_hz=30, step_hz=2.9)
    comb.clear()
    assert comb.period_s is None and comb.estimate(6.0) is None
