"""BuzzerOutput on gpiozero's MockFactory, driven on simulated time.

How pin history is checked against the SimClock: gpiozero's ``pin.states`` carry
wall-clock timestamps, useless for simulated time. The outputs write pins only
inside ``drive()``/``command()``, so reading ``pin.state`` right after each call at
simulated time ``t`` records every change at the exact simulated time it happened.
A pin class that counts ``state`` writes proves there is no per-cycle write.
"""

import pytest
from gpiozero.pins.mock import MockFactory, MockPin, MockPWMPin

from conftest import CountingPWMPin, CountingPin, play

from pi_app.alert import patterns as pt
from pi_app.alert.buzzer import BuzzerOutput
from pi_app.detect import Level
from pi_app.exc import DeviceClosed, OutputError

W = Level.WARNING


def test_active_buzzer_follows_the_warning_cadence_with_one_write_per_edge():
    factory = MockFactory(pin_class=CountingPin)
    bz = BuzzerOutput(18, pin_factory=factory)
    pin = bz.pin
    writes_before = pin.writes
    changes = play(bz, pt.OBSTACLE[W], 0.0, 1.0)
    assert changes == [(0.0, True), (0.08, False), (0.2, True), (0.28, False), (0.4, True),
                       (0.48, False), (0.6, True), (0.68, False), (0.8, True), (0.88, False)]
    assert pin.writes - writes_before == len(changes)      # 100 cycles, 10 writes


def test_tonal_buzzer_plays_the_pattern_pitch_at_the_volume_duty():
    factory = MockFactory(pin_class=CountingPWMPin)
    bz = BuzzerOutput(18, tonal=True, volume=0.6, pin_factory=factory)
    pin = bz.pin
    bz.drive(pt.SURFACE_DROP[W], 0.0)
    assert pin.frequency == pytest.approx(750.0)
    assert pin.state == pytest.approx(0.5 * 0.6)
    bz.drive(pt.SURFACE_DROP[W], 0.08)                 # in the gap
    assert pin.state == 0.0
    bz.drive(pt.OBSTACLE[Level.DANGER], 0.09)          # a new pattern, on at once
    assert pin.frequency == pytest.approx(2900.0)
    assert pin.state == pytest.approx(0.3)


def test_tonal_volume_change_applies_to_the_sounding_tone_and_zero_is_silent():
    bz = BuzzerOutput(18, tonal=True, pin_factory=MockFactory(pin_class=MockPWMPin))
    bz.drive(pt.OBSTACLE[Level.DANGER], 0.0)
    assert bz.pin.state == pytest.approx(0.5)
    bz.volume = 0.2
    bz.drive(pt.OBSTACLE[Level.DANGER], 0.01)
    assert bz.pin.state == pytest.approx(0.1)
    bz.volume = 0.0
    bz.drive(pt.OBSTACLE[Level.DANGER], 0.02)
    assert bz.pin.state == 0.0


def test_buzzer_ignores_motor_only_patterns():
    bz = BuzzerOutput(18, pin_factory=MockFactory())
    assert play(bz, pt.POSTURE, 0.0, 1.0) == []


def test_close_leaves_the_buzzer_off_and_is_idempotent():
    factory = MockFactory()
    bz = BuzzerOutput(18, pin_factory=factory)
    bz.drive(pt.OBSTACLE[Level.DANGER], 0.0)
    pin = bz.pin
    assert pin.state
    bz.close()
    bz.close()
    assert not pin.state
    assert "closed" in repr(bz)
    with pytest.raises(DeviceClosed):
        bz.drive(pt.OBSTACLE[Level.DANGER], 1.0)
    BuzzerOutput(18, pin_factory=factory).close()      # the pin was released


def test_a_pin_in_use_is_a_clear_output_error():
    factory = MockFactory()
    first = BuzzerOutput(18, pin_factory=factory)
    with pytest.raises(OutputError, match="GPIO18"):
        BuzzerOutput(18, pin_factory=factory)
    first.close()
