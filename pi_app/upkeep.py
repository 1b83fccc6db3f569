"""Keeping the device's parts in step with its configuration and its hardware.

Config listeners (called by the loop's swap with ``(old, new, t_s)``): the button
follows ``alert.button_pin``/``alert.mute_s``; a deck sensor that cannot range the
whole deck is named. Loop hooks (called with ``t_s`` before each cycle): with no
buzzer or motor working, the outputs are retried until one works; the device says
when it is armed (watching with every detector it has) and chirps then.
"""

from __future__ import annotations

import logging

from pi_app.detect import CLEAR
from pi_app.detect.announce import READY
from pi_app.loop import DeviceLoop
from pi_app.selftest import describe_output, open_button
from pi_app.sensors.chips import max_range_m

log = logging.getLogger(__name__)


def can_alert(outputs) -> bool:
    """True when ``outputs`` has a buzzer or a motor to drive."""
    return getattr(outputs, "buzzer", None) is not None or getattr(outputs, "haptic", None) is not None


class OutputKeeper:
    """Loop hook: while nothing can tell the runner (no buzzer or motor could be opened,
    at start or after a reconfiguration), ``status`` says ``outputs=none ...`` and the
    configured outputs are tried again every ``RETRY_S``. When one works it replaces
    the stand-in, plays the self-test chirp and calls ``on_restored()`` (``backsight
    run`` then tells systemd the device is ready). Cost per cycle while outputs work:
    two attribute reads."""

    #: opening pins or the DRV2605L is cheap, but not something to do every cycle
    RETRY_S = 2.0

    def __init__(self, loop: DeviceLoop, open_outputs_for, t_s: float, *, announce) -> None:
        self.loop = loop
        self.announce = announce                   # (state, t_s): a chirp through the arbiter
        self.open_outputs_for = open_outputs_for   # cfg -> outputs (NoOutputs on failure)
        self.on_restored = None
        self.restored = 0
        self._next_try_s = t_s + self.RETRY_S     # the self-test has just tried
        if not can_alert(loop.outputs):
            self._note(loop.cfg)

    def _note(self, cfg) -> None:
        note = (f"none: {describe_output('outputs', cfg)} cannot be opened; "
                f"retrying every {self.RETRY_S:g} s")
        if self.loop.notices.get("outputs") != note:
            log.error("cannot alert the runner: %s", note)
        self.loop.notices["outputs"] = note

    def __call__(self, t_s: float) -> None:
        loop = self.loop
        if can_alert(loop.outputs):
            return
        if t_s < self._next_try_s:
            return
        self._next_try_s = t_s + self.RETRY_S
        cfg = loop.cfg
        outputs = self.open_outputs_for(cfg)
        if not can_alert(outputs):
            self._note(cfg)
            return
        old, loop.outputs = loop.outputs, outputs
        try:
            old.close()
        except OSError as exc:
            log.warning("closing %r: %s", old, exc)
        loop.notices.pop("outputs", None)
        self.restored += 1
        log.warning("outputs work again: %s", describe_output("outputs", cfg))
        self.announce(READY, t_s)
        if self.on_restored is not None:
            self.on_restored()


class ButtonKeeper:
    """Config listener: keeps the button in step with the configuration - a new
    ``alert.mute_s`` at once, a new ``alert.button_pin`` by reopening the button (a
    pin that fails is reported in ``status`` as ``button=...``)."""

    def __init__(self, loop: DeviceLoop, clock, pin_factory) -> None:
        self.loop = loop
        self.clock = clock
        self.pin_factory = pin_factory

    def __call__(self, old, cfg, t_s: float) -> None:
        loop = self.loop
        if cfg.alert.button_pin == old.alert.button_pin:
            if loop.button is not None:
                loop.button.configure(cfg)
            return
        if loop.button is not None:
            loop.button.close()
        errors: dict[str, str] = {}
        loop.button = open_button(cfg, clock=self.clock, pin_factory=self.pin_factory,
                                  errors=errors)
        if errors:
            loop.notices["button"] = errors["button"]
        else:
            loop.notices.pop("button", None)


class DeckReachKeeper:
    """Config listener: says in ``status`` (``deck=...``) and the log when a deck sensor
    cannot range the whole deck - a short-mode VL53L1X (1.16-1.36 m) on a 1.8 m deck
    takes a runner at the rear for one who has left it. Checked at start and whenever
    the configuration (or the profile) changes."""

    def __init__(self, loop: DeviceLoop) -> None:
        self.loop = loop

    def __call__(self, old, cfg, t_s: float) -> None:
        problems = []
        for channel in self.loop.channels:
            sc = channel.sensor
            if channel.role != "deck":
                continue
            reach_m = max_range_m(sc.kind, distance_mode=sc.distance_mode,
                                  timing_budget_ms=sc.timing_budget_ms)
            if reach_m < cfg.deck.deck_length_m:
                problems.append(f"{sc.id} ranges {reach_m:.2f} m, the deck is "
                                f"{cfg.deck.deck_length_m:.2f} m: a runner near the rear edge "
                                f"will read as off the deck")
        if problems:
            note = "; ".join(problems)
            if self.loop.notices.get("deck") != note:
                log.warning("deck: %s", note)
            self.loop.notices["deck"] = note
        else:
            self.loop.notices.pop("deck", None)


class ArmedWatch:
    """Loop hook: the device is *armed* once the IMU has found "down" (``imu.settle_s``
    after its first sample) and every detector in use has learned what it needs (a
    detector's ``armed``; one without it watches from its first reading). Until then
    ``status`` says ``armed=0`` and what it waits for; at arming it says ``armed=1``
    and the time it took, logs it, and plays the ready chirp (after a passed
    self-test). Losing the IMU and finding it again arms afresh. Cost per cycle once
    armed: a few attribute reads; no list or string is built."""

    def __init__(self, loop: DeviceLoop, t_s: float, *, announce, chirp: bool) -> None:
        self.loop = loop
        self.announce = announce
        self.chirp = chirp                 # the self-test passed: arming is worth a chirp
        self.since_t_s = t_s
        self.armed = False
        self.armed_after_s: float | None = None
        loop.notices["armed"] = "0 (finding down, learning the ground)"

    def _all_ready(self) -> bool:
        """True when nothing is left to wait for (``_waiting`` would say nothing): the
        per-cycle check, without a generator."""
        loop = self.loop
        imu = loop.imu
        if imu is not None and not (imu.ready and imu.settled):
            return False
        for channel in loop.channels:
            if channel.used and channel.fault is CLEAR and \
                    not getattr(channel.detector, "armed", True):
                return False
        return True

    def _waiting(self):
        """What arming still waits for, in words (while not armed: a second or so)."""
        loop = self.loop
        imu = loop.imu
        if imu is not None and not (imu.ready and imu.settled):
            yield "finding down"
        for channel in loop.channels:
            if channel.used and channel.fault is CLEAR and \
                    not getattr(channel.detector, "armed", True):
                yield f"{channel.id} learning the ground"

    def __call__(self, t_s: float) -> None:
        if self._all_ready():
            if not self.armed:
                self.armed = True
                self.armed_after_s = t_s - self.since_t_s
                self.loop.notices["armed"] = f"1 (after {self.armed_after_s:.2f} s)"
                log.info("armed after %.2f s", self.armed_after_s)
                if self.chirp:
                    self.announce(READY, t_s)
                    self.chirp = False      # once: a later re-arming is said, not chirped
            return
        waiting = ", ".join(self._waiting())   # only while not armed: a second or so
        if self.armed:
            self.armed = False
            self.since_t_s = t_s
            log.warning("not armed: %s", waiting)
        self.loop.notices["armed"] = f"0 ({waiting})"
