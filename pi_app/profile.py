"""The profile (``device.mode``): where the unit is worn, and what that changes.

One kit serves both places. On the **belt** the rear-facing sensors watch the path
behind the runner; clamped to the **treadmill** handrail at the console end, the
same level sensor faces the runner's back. Switching profile (a long press of the
button, or ``set device.mode`` on the serial console) therefore changes:

- what each range sensor watches (``role_in_mode``): belt - obstacle sensors watch
  for obstacles, surface sensors the ground, a deck sensor (a level sensor taken off
  the handrail) obstacles; treadmill - obstacle and deck sensors watch the deck band
  (console / rear edge / off the deck); surface sensors are not used there (pitched
  down from a handrail they see the deck or the floor, not a path), not polled and
  not judged by the health monitor;
- posture coaching: belt only (on the handrail the IMU measures the handrail).

Thresholds, outputs, the button and the serial settings stay as they are. A switch
is announced: the log, ``status`` (``profile=...``) and a chirp on the outputs -
one "ready" chirp for belt, two for treadmill - unless a WARNING or DANGER is on
(an alarm is never interrupted by an announcement).
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace

from pi_app.detect import AlertState, CLEAR, Level

log = logging.getLogger(__name__)

MODES = ("belt", "treadmill")
CHIRP = AlertState(Level.CLEAR, None, None, "ready")
#: chirp start times after a switch: one chirp = belt, two = treadmill
CHIRPS_S = {"belt": (0.0,), "treadmill": (0.0, 0.3)}


def role_in_mode(role: str, mode: str) -> str | None:
    """What a sensor configured with ``role`` watches in profile ``mode`` (None = unused)."""
    if mode == "treadmill":
        return {"obstacle": "deck", "deck": "deck"}.get(role)
    return "obstacle" if role == "deck" else role


class UnusedDetector:
    """A sensor that has nothing to watch in this profile."""

    kind = None
    state = CLEAR
    ttc_s = None

    def update(self, reading, trunk_pitch_deg=0.0, bounce_m=0.0) -> AlertState:
        return CLEAR

    def evaluate(self, t_s: float) -> AlertState:
        return CLEAR

    def configure(self, cfg) -> None:
        pass


class UnusedHealth:
    """Health of a sensor that is not polled in this profile: never a fault."""

    reason = None
    ok = True
    state = CLEAR

    def note(self, reading) -> None:
        pass

    def evaluate(self, t_s: float) -> AlertState:
        return CLEAR

    def retry_due(self, t_s: float) -> bool:
        return False

    def configure(self, cfg) -> None:
        pass


class ProfileSwitch:
    """A loop hook (append to ``loop.hooks``; called with ``t_s`` before each cycle).

    - A long press (``loop.button.profile_requests`` went up) asks for the other
      profile: ``apply_config(get_config().with_value("device.mode", other))``.
    - When the loop's configuration changes mode (from the button or the serial
      console), each slot gets the detector of its new role and the switch is
      announced.
    ``sensors``: the configured ``SensorConfig`` of each slot by id; ``make_detector``:
    ``(sensor_cfg, cfg) -> detector``. ``get_config``/``apply_config`` default to the
    loop's own; ``backsight run`` should pass its console's so the console sees the
    switch (and a later ``set`` or ``save`` keeps it).
    Cost per cycle: two comparisons.
    """

    def __init__(self, loop, sensors: dict, make_detector, *, get_config=None,
                 apply_config=None) -> None:
        self.loop = loop
        self.sensors = sensors
        self.make_detector = make_detector
        self.get_config = get_config or (lambda: loop.cfg)
        self.apply_config = apply_config or loop.apply_config
        self.switches = 0
        self._cfg = loop.cfg
        self._mode = loop.cfg.device.mode
        self._button = loop.button
        self._handled = self._requests()
        self._chirps: list[float] = []
        self.assign_roles(loop.cfg, loop.clock.now_s())

    def _requests(self) -> int:
        return 0 if self._button is None else self._button.profile_requests

    def roles(self) -> dict[str, str | None]:
        """Each range sensor's id and what it watches now (None = unused)."""
        return {s.id: (None if isinstance(s.detector, UnusedDetector) else s.role)
                for s in self.loop.slots}

    def __call__(self, t_s: float) -> None:
        loop = self.loop
        if loop.button is not self._button:  # rebuilt after a pin change
            self._button = loop.button
            self._handled = self._requests()
        elif self._button is not None and self._button.profile_requests != self._handled:
            self._handled = self._button.profile_requests
            self.request_switch()
        if loop.cfg is not self._cfg:
            self._cfg = loop.cfg
            if loop.cfg.device.mode != self._mode:
                self._switched(loop.cfg, t_s)
        if self._chirps and t_s >= self._chirps[0]:
            self._chirps.pop(0)
            if loop.state.level < Level.WARNING:
                loop.outputs.command(CHIRP, t_s)

    def request_switch(self) -> str:
        """Ask for the other profile (applied between two cycles); returns its name."""
        cfg = self.get_config()
        mode = MODES[1 - MODES.index(cfg.device.mode)]
        log.warning("long press: switching profile to %s", mode)
        self.apply_config(cfg.with_value("device.mode", mode))
        return mode

    def _switched(self, cfg, t_s: float) -> None:
        self._mode = cfg.device.mode
        self.switches += 1
        self.assign_roles(cfg, t_s)
        self._chirps = [t_s + dt for dt in CHIRPS_S[self._mode]]
        log.warning("profile %s", self.loop.notices["profile"])

    def assign_roles(self, cfg, t_s: float) -> None:
        """Give each slot the detector and health of its role in ``cfg``'s mode."""
        mode = cfg.device.mode
        unused = []
        for slot in self.loop.slots:
            sc = self.sensors[slot.id]
            role = role_in_mode(sc.role, mode)
            if role is None:
                unused.append(slot.id)
                if not isinstance(slot.detector, UnusedDetector):
                    slot.extra["health"] = slot.health
                    slot.detector, slot.health = UnusedDetector(), UnusedHealth()
                    slot.next_poll_t_s = math.inf
                continue
            if role == slot.role and not isinstance(slot.detector, UnusedDetector):
                continue
            slot.detector = self.make_detector(replace(sc, role=role), cfg)
            if isinstance(slot.health, UnusedHealth):
                slot.health = slot.extra.pop("health")
                slot.health.revived(t_s)  # it was not polled: start its clocks afresh
            slot.health.role = role
            slot.role = role
            slot.next_poll_t_s = 0.0
        watched = [f"{s.role} by {s.id}" for s in self.loop.slots if s.id not in unused]
        note = f"{mode}: " + ", ".join(watched or ["no range sensor"])
        if unused:
            note += f"; not used: {', '.join(unused)}"
        self.loop.notices["profile"] = note
