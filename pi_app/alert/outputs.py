"""``AlertOutputs``: the configured buzzer and haptic motors, commanded by the loop.

The loop calls ``command(state, t_s)`` every cycle with the arbiter's state and the
cycle's clock time; between pattern edges that costs two comparisons, and at an edge
each output writes its pin (or the DRV2605's RTP register) once, so a simulated run
commands the pins exactly as a real run at the same clock times would. The buzzer is
fitted when ``alert.output`` is buzzer or both, the motor whenever ``alert.haptic`` is
not none, and a second (right hip) PWM motor when ``alert.motor_right_pin`` is set too.
Alerts go to the outputs ``alert.output`` names; posture nudges always go to the motors,
so a runner who chose the buzzer still gets a silent posture tap. With two motors and
the buzzer a pattern with a side plays on that hip's motor only (an obstacle on the
left: the left hip), everything else on both, and the ready chirp taps left then right;
one motor, or two with no buzzer, play every pattern, the side being in its rhythm.
"""

from __future__ import annotations

import logging
import math

from pi_app.alert.buzzer import BuzzerOutput
from pi_app.alert.drv2605 import Drv2605Output
from pi_app.alert.haptic import PwmMotorOutput
from pi_app.alert.patterns import (MOTOR_CHECK_LEFT, MOTOR_CHECK_RIGHT, READY, SILENT,
                                   STARTUP_CHIRPS, Pattern, PatternPlayer, pattern_for)
from pi_app.closeable import Closeable
from pi_app.detect import CLEAR, AlertState, Level
from pi_app.exc import ConfigError, DeviceClosed

log = logging.getLogger(__name__)


def _buzzer_spec(cfg) -> tuple | None:
    a = cfg.alert
    return (a.buzzer_pin, a.tonal) if a.output in ("buzzer", "both") else None


def _haptic_spec(cfg) -> tuple | None:
    a = cfg.alert
    if a.haptic == "pwm":
        return ("pwm", a.motor_pin)
    if a.haptic == "drv2605":
        return ("drv2605", a.actuator)
    return None


def _haptic_right_spec(cfg) -> tuple | None:
    a = cfg.alert
    return ("pwm", a.motor_right_pin) if a.haptic != "none" and a.motor_right_pin >= 0 else None


class AlertOutputs(Closeable):
    """The outputs of ``cfg.alert``.

    ``clock``: the loop's clock (kept for callers that want ``now``; ``command`` uses
    the ``t_s`` it is given). ``pin_factory``: gpiozero pin factory (None = default).
    ``bus``: smbus2-style bus, needed for ``alert.haptic = drv2605``.
    ``haptic`` is the left (or only) motor, ``haptic_right`` the right hip's (or None).
    ``motor_settings``: the keys that name the two motors' pins, for error messages (the
    self-test opens the right motor alone as the only motor).
    Raises ``ConfigError`` when nothing at all could tell the runner, and
    ``OutputError`` (``ChipIdError`` for a wrong chip) when a pin or the DRV2605
    cannot be opened.
    """

    def __init__(self, cfg, *, clock, pin_factory=None, bus=None,
                 motor_settings: tuple[str, str] = ("alert.motor_pin", "alert.motor_right_pin")
                 ) -> None:
        self.clock = clock
        self._motor_settings = motor_settings
        self._pin_factory = pin_factory
        self._bus = bus
        self.buzzer = None
        self.haptic = None
        self.haptic_right = None
        self.current: AlertState = CLEAR
        self.pattern: Pattern = SILENT
        self._player = PatternPlayer(SILENT, 0.0)
        self._haptic_pattern: Pattern = SILENT        # the left (or only) motor's
        self._haptic_right_pattern: Pattern = SILENT
        self._haptic_alerts = False
        self._next_edge_s = -math.inf
        self._chirp_until_s = -math.inf
        self._check_until_s = -math.inf   # the motors' left-right check plays until then
        self._restart_motors = False      # a switch: the motors start their patterns afresh
        self._buzzer_spec = self._haptic_spec = self._haptic_right_spec = None
        try:
            self._apply_config(cfg, tolerant=False)
        except BaseException:
            self.close()
            raise

    # --- building ---------------------------------------------------------------------
    def _check(self, cfg) -> None:
        a = cfg.alert
        if a.output == "haptic" and a.haptic == "none":
            raise ConfigError("alert.output = haptic but alert.haptic = none: nothing would "
                              "tell the runner (fit a motor or choose the buzzer)")
        if a.haptic == "drv2605" and self._bus is None:
            raise ConfigError("alert.haptic = drv2605 needs the I2C bus")

    def _make_buzzer(self, spec, cfg):
        if spec is None:
            return None
        return BuzzerOutput(spec[0], tonal=spec[1], volume=cfg.alert.volume,
                            pin_factory=self._pin_factory)

    def _make_haptic(self, spec, right: bool = False):
        if spec is None:
            return None
        if spec[0] == "pwm":
            return PwmMotorOutput(spec[1], pin_factory=self._pin_factory,
                                  setting=self._motor_settings[right])
        return Drv2605Output(self._bus, clock=self.clock, actuator=spec[1])

    def _make_haptic_right(self, spec):
        return self._make_haptic(spec, right=True)

    def _apply_config(self, cfg, *, tolerant: bool) -> None:
        self._check(cfg)
        self._haptic_alerts = cfg.alert.output in ("haptic", "both")
        wanted = (("buzzer", _buzzer_spec(cfg), lambda s: self._make_buzzer(s, cfg)),
                  ("haptic", _haptic_spec(cfg), self._make_haptic),
                  ("haptic_right", _haptic_right_spec(cfg), self._make_haptic_right))
        changed = [(name, spec, make) for name, spec, make in wanted
                   if spec != getattr(self, f"_{name}_spec")
                   or getattr(self, name) is None and spec is not None]
        for name, _, _ in changed:     # first free every pin that changes: two motors may swap
            old = getattr(self, name)
            if old is not None:
                old.close()
        for name, spec, make in changed:
            new = self._rebuild(spec, make, getattr(self, f"_{name}_spec"), tolerant)
            setattr(self, name, new)
            setattr(self, f"_{name}_spec", spec if new is not None else None)
        if self.buzzer is not None and "buzzer" not in [name for name, _, _ in changed]:
            self.buzzer.volume = cfg.alert.volume
        self._haptic_pattern, self._haptic_right_pattern = self._route_haptic(self.pattern)
        self._check_until_s = -math.inf
        for out, pattern in ((self.buzzer, self.pattern), (self.haptic, self._haptic_pattern),
                             (self.haptic_right, self._haptic_right_pattern)):
            if out is not None and out.player.pattern is not pattern:
                out.player.start(pattern, self._player.start_s)  # join in its current phase
        self._next_edge_s = -math.inf  # drive everything on the next command

    def _rebuild(self, spec, make, old_spec, tolerant: bool):
        """Open ``spec`` (the old output is closed already: it may hold the same pin).
        When that fails during a live reconfiguration, fall back to the old wiring
        rather than stop the loop: an output that still works beats none."""
        try:
            return make(spec)
        except (OSError, ConfigError) as exc:  # OutputError, ChipIdError, bus errors
            if not tolerant:
                raise
            log.error("output %s could not be opened (%s); keeping %s", spec, exc, old_spec)
            try:
                return make(old_spec)
            except (OSError, ConfigError):
                log.error("output %s could not be reopened either", old_spec)
                return None

    def reconfigure(self, cfg) -> None:
        """Apply a new configuration between cycles; pins are rebuilt only if they
        changed (a volume change just changes the next tone's duty)."""
        if self._closed:
            raise DeviceClosed("AlertOutputs is closed")
        self._apply_config(cfg, tolerant=True)

    # --- the hot path -----------------------------------------------------------------
    def _route_haptic(self, pattern: Pattern) -> tuple[Pattern, Pattern]:
        """What the left (or only) and the right motor play for ``pattern``."""
        if not (self._haptic_alerts or not pattern.buzzer):
            return SILENT, SILENT
        if self.haptic_right is None or self.haptic is None or self.buzzer is None:
            # one motor: the side is in the rhythm. No buzzer either: both motors play
            # everything, the side in the rhythm too - a configured motor that is not
            # fitted (or has failed: a PWM motor cannot say so) must never be the only
            # thing that would have told the runner
            return pattern, pattern
        if pattern is READY:
            return MOTOR_CHECK_LEFT, MOTOR_CHECK_RIGHT
        side = pattern.side
        return (SILENT if side == "right" else pattern, SILENT if side == "left" else pattern)

    def _switch(self, state: AlertState, t_s: float) -> None:
        self.current = state
        pattern = pattern_for(state)
        if pattern is not self.pattern:
            self.pattern = pattern
            if not (pattern is SILENT and t_s < self._check_until_s):
                # (the motors' left-right check plays to its end unless something is said)
                left, right = self._route_haptic(pattern)
                self._haptic_pattern, self._haptic_right_pattern = left, right
                self._restart_motors = True   # (a second ready chirp taps them again)
                self._check_until_s = (t_s + right.period_s if right is MOTOR_CHECK_RIGHT
                                       else -math.inf)
            self._player.start(pattern, t_s)
            self._next_edge_s = -math.inf
            is_chirp = pattern is STARTUP_CHIRPS[0] or pattern is STARTUP_CHIRPS[1]
            self._chirp_until_s = t_s + pattern.period_s if is_chirp else -math.inf

    def command(self, state: AlertState, t_s: float) -> None:
        """Play the pattern of ``state`` at clock time ``t_s`` (seconds). Called every
        loop cycle; writes hardware only when the pattern switches or at its edges.

        A state that differs from the current one switches to its pattern, which starts
        from its beginning at ``t_s`` unless it is the pattern already playing (a new
        source for the same alert keeps the rhythm). A start-up chirp ("ready",
        "selftest_fail", at most 1 s) plays to its end unless a WARNING or DANGER
        arrives: the loop's first cycles would otherwise cut the self-test's fault tone
        to one cycle."""
        if state is not self.current and state != self.current:
            if t_s >= self._chirp_until_s or state.level >= Level.WARNING:
                self._switch(state, t_s)
            # else: a start-up chirp (<= 1 s) plays to its end before a calmer state
        if t_s < self._next_edge_s:
            return
        if self._closed:
            raise DeviceClosed("AlertOutputs is closed")
        next_s = self._player.next_edge_s(t_s)
        buzzer = self.buzzer
        if buzzer is not None:
            buzzer.drive(self.pattern, t_s)
            if buzzer.stale:
                next_s = t_s
        if self.haptic is not None:
            next_s = self._drive_motor(self.haptic, self._haptic_pattern, t_s, next_s)
        if self.haptic_right is not None:
            next_s = self._drive_motor(self.haptic_right, self._haptic_right_pattern, t_s, next_s)
        self._restart_motors = False
        self._next_edge_s = next_s

    def _drive_motor(self, motor, pattern: Pattern, t_s: float, next_s: float) -> float:
        """Drive one motor at an edge; the clock time the outputs need driving next."""
        motor.drive(pattern, t_s, restart=self._restart_motors)
        if motor.stale:
            return t_s  # a failed I2C write: retry next cycle
        if pattern is not self.pattern:   # a motor on its own timing (the check)
            return min(next_s, motor.player.next_edge_s(t_s))
        return next_s

    # --- what the runner feels (for demo/status) ----------------------------------------
    @property
    def buzzer_on(self) -> bool:
        return self.buzzer is not None and self.buzzer.on

    @property
    def haptic_on(self) -> bool:
        """Either motor is on."""
        return (self.haptic is not None and self.haptic.on
                or self.haptic_right is not None and self.haptic_right.on)

    @property
    def errors(self) -> int:
        """Failed writes to the DRV2605 so far (0 for GPIO outputs)."""
        return getattr(self.haptic, "errors", 0)

    # --- lifecycle --------------------------------------------------------------------
    def off(self) -> None:
        """Silence everything now; the next ``command`` starts its pattern afresh."""
        for out in (self.buzzer, self.haptic, self.haptic_right):
            if out is not None:
                out.off()
                out.player.start(SILENT, 0.0)
        self.current = CLEAR
        self.pattern = self._haptic_pattern = self._haptic_right_pattern = SILENT
        self._player.start(SILENT, 0.0)
        self._next_edge_s = self._chirp_until_s = self._check_until_s = -math.inf

    def _close(self) -> None:
        """Outputs off and released."""
        self._next_edge_s = -math.inf  # a later command() says DeviceClosed
        for out in (self.buzzer, self.haptic, self.haptic_right):
            if out is not None:
                try:
                    out.close()
                except OSError as exc:  # a vanished DRV2605 must not stop shutdown
                    log.warning("closing %r: %s", out, exc)

    def __repr__(self) -> str:
        if self._closed:
            return "<AlertOutputs closed>"
        return (f"<AlertOutputs {self.pattern.name} buzzer={self.buzzer!r} haptic={self.haptic!r}"
                f" haptic_right={self.haptic_right!r}>")
