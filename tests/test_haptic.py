"""PwmMotorOutput: intensity as PWM duty, written only at pattern edges (simulated
time; pin state read after every drive, see test_buzzer's docstring)."""

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from pi_app.alert import patterns as pt
from pi_app.alert.haptic import PwmMotorOutput
from pi_app.detect import Level
from pi_app.exc import OutputError


class CountingPWMPin(MockPWMPin):
    def __init__(self, factory, info):
        super().__init__(factory, info)
        self.writes = 0

    def _set_state(self, value):
        self.writes += 1
        super()._set_state(value)


def play(output, pattern, t0, t1, step=0.01):
    changes, last, t = [], output.pin.state, t0
    while t < t1 - 1e-9:
        output.drive(pattern, t)
        if output.pin.state != last:
            last = output.pin.state
            changes.append((round(t, 3), last))
        t += step
    return changes


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
