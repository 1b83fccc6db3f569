"""PwmMotorOutput: intensity as PWM duty, written only at pattern edges (simulated
time; pin state read after every drive, see test_buzzer's docstring)."""

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from conftest import CountingPWMPin, play

from pi_app.alert import patterns as pt
from pi_app.alert.haptic import PwmMotorOutput
from pi_app.detect import Level
from pi_app.exc import OutputError


@pytest.fixture
def motor():
    m = PwmMotorOutput(13, pin_factory=MockFactory(pin_class=CountingPWMPin))
    yield m
    m.close()


def test_duty_is_the_pattern_intensity_while_on(motor):
    changes = play(motor, pt.OBSTACLE[Level.CAUTION], 0.0, 1.5)
    assert changes == [(0.0, 0.55), (0.1, 0.0), (0.7, 0.55), (0.8, 0.0), (1.4, 0.55)]
    assert motor.duty == pytest.approx(0.55)


def test_posture_taps_twice_softly_then_stays_still(motor):
    writes_before = motor.pin.writes
    changes = play(motor, pt.POSTURE, 5.0, 10.0)
    assert changes == [(5.0, 0.45), (5.15, 0.0), (5.4, 0.45), (5.55, 0.0)]
    assert motor.pin.writes - writes_before == 4          # 500 cycles, 4 writes


def test_danger_is_full_duty_continuously(motor):
    changes = play(motor, pt.OBSTACLE[Level.DANGER], 0.0, 3.0)
    assert changes == [(0.0, 1.0)]


def test_pwm_frequency_and_close(motor):
    pin = motor.pin
    assert pin.frequency == 200
    motor.drive(pt.OBSTACLE[Level.DANGER], 0.0)
    motor.close()
    motor.close()
    assert pin.state == 0.0
    assert "closed" in repr(motor)


def test_a_pin_without_pwm_is_a_clear_output_error():
    with pytest.raises(OutputError, match="GPIO13"):
        PwmMotorOutput(13, pin_factory=MockFactory())  # plain MockPin: no PWM
