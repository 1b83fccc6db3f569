"""The buzzer: an active buzzer (gpiozero ``Buzzer``, on/off) or a passive piezo
driven with pitches (gpiozero ``TonalBuzzer``, PWM at the tone's frequency).

The loop commands it every cycle with ``drive(pattern, t_s)``; the pin is written
only at the pattern's edges. gpiozero's own ``beep()``/``blink()`` are not used:
they time themselves on a background thread with the wall clock, so a simulated
run (faster than real time) would not command the pin as the real one does.
"""

from __future__ import annotations

from gpiozero import Buzzer, TonalBuzzer
from gpiozero.exc import GPIOZeroError
from gpiozero.tones import Tone

from pi_app.alert.base import PatternOutput
from pi_app.alert.patterns import Pattern
from pi_app.exc import ConfigError, OutputError

#: TonalBuzzer range: A5 (880 Hz) ± 2 octaves = 220–3520 Hz, which holds every
#: pitch in the pattern table and the 2–4 kHz resonance of common piezo discs.
MID_TONE = "A5"
OCTAVES = 2
#: Pitch for a pattern that names none, when the buzzer is tonal.
DEFAULT_TONE_HZ = 2000.0
#: A passive piezo is loudest at 50 % duty; ``volume`` scales the duty below that.
FULL_VOLUME_DUTY = 0.5


class BuzzerOutput(PatternOutput):
    """A buzzer on BCM GPIO ``pin``.

    ``tonal`` False: an active buzzer (it makes its own tone; on/off only, ``volume``
    is ignored). ``tonal`` True: a passive piezo through ``TonalBuzzer``; each
    pattern's ``tone_hz`` is played at duty ``0.5 * volume`` (0 = silent).
    ``pin_factory``: gpiozero pin factory (None = gpiozero's default; tests pass a
    ``MockFactory``, with ``pin_class=MockPWMPin`` when ``tonal``).
    """

    CHANNEL = "buzzer"

    def __init__(self, pin: int, *, tonal: bool = False, volume: float = 1.0,
                 pin_factory=None) -> None:
        super().__init__()
        self.pin_number = pin
        self.tonal = bool(tonal)
        self.volume = volume
        try:
            if self.tonal:
                self._device = TonalBuzzer(pin, mid_tone=Tone(MID_TONE), octaves=OCTAVES,
                                           pin_factory=pin_factory)
            else:
                self._device = Buzzer(pin, initial_value=False, pin_factory=pin_factory)
        except GPIOZeroError as exc:
            raise OutputError(f"buzzer on GPIO{pin}: {exc} "
                              f"(check alert.buzzer_pin and that no other program uses it)") from exc
        self._min_hz = self._device.min_tone.frequency if self.tonal else 0.0
        self._max_hz = self._device.max_tone.frequency if self.tonal else 0.0

    @property
    def volume(self) -> float:
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"alert.volume: {value!r} is outside 0..1")
        self._volume = float(value)
        self.stale = self.stale or self.on  # an audible tone is rewritten at the new duty

    @property
    def pin(self):
        """The gpiozero pin object (a ``MockPin`` in tests)."""
        return self._device.pwm_device.pin if self.tonal else self._device.pin

    def _apply(self, on: bool, pattern: Pattern) -> bool:
        device = self._device
        if not self.tonal:
            device.value = on
            return True
        if not on or self._volume == 0.0:
            device.stop()
            return True
        tone_hz = pattern.tone_hz if pattern.tone_hz is not None else DEFAULT_TONE_HZ
        tone_hz = min(max(tone_hz, self._min_hz), self._max_hz)
        pwm = device.pwm_device
        if pwm.pin.frequency != tone_hz:
            pwm.pin.frequency = tone_hz
        pwm.value = FULL_VOLUME_DUTY * self._volume
        return True

    def _close_device(self) -> None:
        self._device.close()

    def __repr__(self) -> str:
        kind = "tonal" if self.tonal else "active"
        state = "closed" if self._closed else ("on" if self.on else "off")
        return f"<BuzzerOutput {kind} GPIO{self.pin_number} {state}>"
