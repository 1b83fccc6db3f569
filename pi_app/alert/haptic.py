"""A vibration motor on a GPIO through a transistor, strength as PWM duty
(gpiozero ``PWMOutputDevice``). The DRV2605 haptic driver lives in ``drv2605``.

Like the buzzer, it is commanded every cycle with ``drive(pattern, t_s)`` and the
duty is written only at the pattern's edges (no gpiozero ``blink``/``pulse``
threads: they run on the wall clock, not the loop's clock).
"""

from __future__ import annotations

from gpiozero import PWMOutputDevice
from gpiozero.exc import GPIOZeroError

from pi_app.alert.base import PatternOutput
from pi_app.alert.patterns import Pattern
from pi_app.exc import OutputError

#: Software PWM (lgpio on a Pi 5, RPi.GPIO before) is reliable at a few hundred Hz;
#: an ERM's inertia smooths 200 Hz completely, and it stays below the whine that
#: higher software-PWM rates make audible in the motor.
DEFAULT_PWM_HZ = 200


class PwmMotorOutput(PatternOutput):
    """A coin/pager vibration motor (ERM) switched by a transistor on BCM ``pin``.

    Each pattern's ``intensity`` (0..1) is the PWM duty while the pattern is on.
    ``setting``: the configuration key that names ``pin`` (for error messages).
    ``pin_factory``: gpiozero pin factory; tests pass ``MockFactory(pin_class=MockPWMPin)``.
    """

    CHANNEL = "haptic"

    def __init__(self, pin: int, *, pin_factory=None, frequency_hz: int = DEFAULT_PWM_HZ,
                 setting: str = "alert.motor_pin") -> None:
        super().__init__()
        self.pin_number = pin
        try:
            self._device = PWMOutputDevice(pin, initial_value=0, frequency=frequency_hz,
                                           pin_factory=pin_factory)
        except GPIOZeroError as exc:
            raise OutputError(f"vibration motor on GPIO{pin}: {exc} (check {setting}; "
                              f"PWM needs a PWM-capable pin factory)") from exc

    @property
    def pin(self):
        """The gpiozero pin object (a ``MockPWMPin`` in tests)."""
        return self._device.pin

    @property
    def duty(self) -> float:
        """PWM duty now (0..1)."""
        return self._device.value

    def _apply(self, on: bool, pattern: Pattern) -> bool:
        self._device.value = pattern.intensity if on else 0.0
        return True

    def _close_device(self) -> None:
        self._device.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"duty={self._device.value:.2f}"
        return f"<PwmMotorOutput GPIO{self.pin_number} {state}>"
