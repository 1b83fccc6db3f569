"""``AlertOutputs``: the configured buzzer and haptic motor, commanded by the loop.

The loop calls ``command(state, t_s)`` every cycle with the arbiter's state and the
cycle's clock time; between pattern edges that costs two comparisons, and at an edge
each output writes its pin (or the DRV2605's RTP register) once, so a simulated run
commands the pins exactly as a real run at the same clock times would. The buzzer is
fitted when ``alert.output`` is buzzer or both, the motor whenever ``alert.haptic`` is
not none. Alerts go to the outputs ``alert.output`` names; posture nudges always go to
the motor, so a runner who chose the buzzer still gets a silent posture tap.
"""

from __future__ import annotations

import logging
import math

from pi_app.alert.buzzer import BuzzerOutput
from pi_app.alert.drv2605 import Drv2605Output
from pi_app.alert.haptic import PwmMotorOutput
from pi_app.alert.patterns import SILENT, STARTUP_CHIRPS, Pattern, PatternPlayer, pattern_for
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


class AlertOutputs(Closeable):
    """The outputs of ``cfg.alert``.

    ``clock``: the loop's clock (kept for callers that want ``now``; ``command`` uses
    the ``t_s`` it is given). ``pin_factory``: gpiozero pin factory (None = default).
    ``bus``: smbus2-style bus, needed for ``alert.haptic = drv2605``.
    Raises ``ConfigError`` when nothing at all could tell the runner, and
    ``OutputError`` (``ChipIdError`` for a wrong chip) when a pin or the DRV2605
    cannot be opened.
    """

    def __init__(self, cfg, *, clock, pin_factory=None, bus=None) -> None:
        self.clock = clock
        self._pin_factory = pin_factory
        self._bus = bus
        self.buzzer = None
        self.haptic = None
        self.current: AlertState = CLEAR
        self.pattern: Pattern = SILENT
        self._player = PatternPlayer(SILENT, 0.0)
        self._haptic_pattern: Pattern = SILENT
        self._haptic_alerts = False
        self._next_edge_s = -math.inf
        self._chirp_until_s = -math.inf
        self._buzzer_spec = self._haptic_spec = None
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

    def _make_haptic(self, spec):
        if spec is None:
            return None
        if spec[0] == "pwm":
            return PwmMotorOutput(spec[1], pin_factory=self._pin_factory)
        return Drv2605Output(self._bus, clock=self.clock, actuator=spec[1])

    def _apply_config(self, cfg, *, tolerant: bool) -> None:
        self._check(cfg)
        self._haptic_alerts = cfg.alert.output in ("haptic", "both")
        spec = _buzzer_spec(cfg)
        if spec != self._buzzer_spec or self.buzzer is None and spec is not None:
            self.buzzer = self._rebuild(self.buzzer, spec, lambda s: self._make_buzzer(s, cfg),
                                        self._buzzer_spec, tolerant)
            self._buzzer_spec = spec if self.buzzer is not None else None
        elif self.buzzer is not None:
            self.buzzer.volume = cfg.alert.volume
        spec = _haptic_spec(cfg)
        if spec != self._haptic_spec or self.haptic is None and spec is not None:
            self.haptic = self._rebuild(self.haptic, spec, self._make_haptic,
                                        self._haptic_spec, tolerant)
            self._haptic_spec = spec if self.haptic is not None else None
        self._haptic_pattern = self._route_haptic(self.pattern)
        self._next_edge_s = -math.inf  # drive everything on the next command

    def _rebuild(self, old, spec, make, old_spec, tolerant: bool):
        """Close ``old`` (it may hold the same pin), open ``spec``. When that fails
        during a live reconfiguration, fall back to the old wiring rather than stop
        the loop: an output that still works beats none."""
        if old is not None:
            old.close()
        try:
            new = make(spec)
        except (OSError, ConfigError) as exc:  # OutputError, ChipIdError, bus errors
            if not tolerant:
                raise
            log.error("output %s could not be opened (%s); keeping %s", spec, exc, old_spec)
            try:
                new = make(old_spec)
            except (OSError, ConfigError):
                log.error("output %s could not be reopened either", old_spec)
                return None
        if new is not None:  # join the pattern in its current phase
            new.player.start(self.pattern, self._player.start_s)
        return new

    def reconfigure(self, cfg) -> None:
        """Apply a new configuration between cycles; pins are rebuilt only if they
        changed (a volume change just changes the next tone's duty)."""
        if self._closed:
            raise DeviceClosed("AlertOutputs is closed")
        self._apply_config(cfg, tolerant=True)

    # --- the hot path -----------------------------------------------------------------
    def _route_haptic(self, pattern: Pattern) -> Pattern:
        return pattern if self._haptic_alerts or not pattern.buzzer else SILENT

    def _switch(self, state: AlertState, t_s: float) -> None:
        self.current = state
        pattern = pattern_for(state)
        if pattern is not self.pattern:
            self.pattern = pattern
            self._haptic_pattern = self._route_haptic(pattern)
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
        haptic = self.haptic
        if haptic is not None:
            haptic.drive(self._haptic_pattern, t_s)
            if haptic.stale:
                next_s = t_s  # a failed I2C write: retry next cycle
        self._next_edge_s = next_s

    # --- what the runner feels (for demo/status) ----------------------------------------
    @property
    def buzzer_on(self) -> bool:
        return self.buzzer is not None and self.buzzer.on

    @property
    def haptic_on(self) -> bool:
        return self.haptic is not None and self.haptic.on

    @property
    def errors(self) -> int:
        """Failed writes to the DRV2605 so far (0 for GPIO outputs)."""
        return getattr(self.haptic, "errors", 0)

    # --- lifecycle --------------------------------------------------------------------
    def off(self) -> None:
        """Silence everything now; the next ``command`` starts its pattern afresh."""
        for out in (self.buzzer, self.haptic):
            if out is not None:
                out.off()
                out.player.start(SILENT, 0.0)
        self.current = CLEAR
        self.pattern = self._haptic_pattern = SILENT
        self._player.start(SILENT, 0.0)
        self._next_edge_s = self._chirp_until_s = -math.inf

    def _close(self) -> None:
        """Outputs off and released."""
        self._next_edge_s = -math.inf  # a later command() says DeviceClosed
        for out in (self.buzzer, self.haptic):
            if out is not None:
                try:
                    out.close()
                except OSError as exc:  # a vanished DRV2605 must not stop shutdown
                    log.warning("closing %r: %s", out, exc)

    def __repr__(self) -> str:
        if self._closed:
            return "<AlertOutputs closed>"
        return f"<AlertOutputs {self.pattern.name} buzzer={self.buzzer!r} haptic={self.haptic!r}>"
