"""The mute / profile button (gpiozero ``Button``, to GND, internal pull-up).

A short press mutes alerts for ``mute_s`` seconds, a short press while muted un-mutes;
a long press (``long_press_s`` or longer) asks to switch the profile (belt <->
treadmill). The arbiter asks ``muted(t_s)`` each cycle and mutes only levels below
DANGER: **DANGER is never muted — that rule lives in the arbiter**, this class only
reports the button. Press times come from the injected clock and the state shared
with the loop is written under a lock, so ``muted`` never blocks the loop.
"""

from __future__ import annotations

import math
import threading

from gpiozero import Button
from gpiozero.exc import GPIOZeroError

from pi_app.closeable import Closeable
from pi_app.exc import ConfigError, OutputError


class MuteButton(Closeable):
    """A push button on BCM ``pin``. ``clock`` is the loop's clock (``now_s()``).

    A second short press un-mutes: a press meant as "I did not hear that" is never worse
    than a mute. ``profile_requests`` counts long presses, for the loop to poll.
    gpiozero calls ``when_pressed`` / ``when_released`` on its own thread on a Pi, so a
    press is timed with the injected clock (not gpiozero's hold thread, which runs on
    the wall clock), and the state shared with the loop is three numbers written under a
    lock; ``muted`` reads one float (atomic in CPython). Contact bounce is filtered by
    the same clock: a "press" shorter than ``debounce_s`` is ignored."""

    def __init__(self, pin: int, *, clock, pin_factory=None, mute_s: float = 10.0,
                 long_press_s: float = 1.5, debounce_s: float = 0.03) -> None:
        if not mute_s > 0:
            raise ConfigError(f"alert.mute_s: {mute_s!r} must be > 0")
        if not 0 <= debounce_s < long_press_s:
            raise ConfigError(f"button: need 0 <= debounce_s ({debounce_s}) < long_press_s "
                              f"({long_press_s})")
        self.clock = clock
        self.pin_number = pin
        self.mute_s = float(mute_s)
        self.long_press_s = float(long_press_s)
        self.debounce_s = float(debounce_s)
        self.profile_requests = 0
        self.short_presses = 0
        self._lock = threading.Lock()
        self._pressed_at_s: float | None = None
        self._mute_until_s = -math.inf
        try:
            self._button = Button(pin, pull_up=True, bounce_time=None, pin_factory=pin_factory)
        except GPIOZeroError as exc:
            raise OutputError(f"button on GPIO{pin}: {exc} (check alert.button_pin)") from exc
        self._button.when_pressed = self._on_press
        self._button.when_released = self._on_release

    @classmethod
    def from_config(cls, cfg, *, clock, pin_factory=None):
        """The button of ``cfg.alert``, or None when ``alert.button_pin`` is -1 (long
        presses are counted in ``profile_requests``)."""
        if cfg.alert.button_pin < 0:
            return None
        return cls(cfg.alert.button_pin, clock=clock, pin_factory=pin_factory,
                   mute_s=cfg.alert.mute_s)

    def configure(self, cfg) -> None:
        """Take a new ``alert.mute_s`` (a running mute keeps its end time)."""
        self.mute_s = cfg.alert.mute_s

    reconfigure = configure

    # --- gpiozero's thread ------------------------------------------------------------
    def _on_press(self) -> None:
        now_s = self.clock.now_s()
        with self._lock:
            if self._pressed_at_s is None:
                self._pressed_at_s = now_s

    def _on_release(self) -> None:
        now_s = self.clock.now_s()
        with self._lock:
            start_s, self._pressed_at_s = self._pressed_at_s, None
            if start_s is None:
                return
            held_s = now_s - start_s
            if held_s < self.debounce_s:
                return  # contact bounce, not a press
            if held_s >= self.long_press_s:
                self.profile_requests += 1
            else:
                self.short_presses += 1
                if now_s < self._mute_until_s:
                    self._mute_until_s = -math.inf
                else:
                    self._mute_until_s = now_s + self.mute_s

    # --- the loop's side --------------------------------------------------------------
    def muted(self, t_s: float) -> bool:
        """True while a mute is running at clock time ``t_s``. The arbiter must not
        apply it to DANGER."""
        return t_s < self._mute_until_s

    def mute_remaining_s(self, t_s: float) -> float:
        """Seconds of mute left at ``t_s`` (0 = not muted)."""
        return max(0.0, self._mute_until_s - t_s)

    @property
    def pressed(self) -> bool:
        return self._pressed_at_s is not None

    # --- lifecycle --------------------------------------------------------------------
    def _close(self) -> None:
        """Release the pin."""
        self._button.close()

    def __repr__(self) -> str:
        return f"<MuteButton GPIO{self.pin_number}{' closed' if self._closed else ''}>"
