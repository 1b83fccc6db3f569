"""The profile (``device.mode``): where the unit is worn, and what that changes.

One kit serves both places: on the **belt** the rear-facing sensors watch the path
behind the runner; clamped to the **treadmill** handrail at the console end, the same
level sensor faces the runner's back. A switch (a long press of the button, or ``set
device.mode``) changes what each range sensor watches (``pi_app.channel.role_in_mode``;
surface sensors are not used on the treadmill) and turns posture coaching off on the
handrail; thresholds, outputs, the button and the serial settings stay. It is announced
in the log, ``status`` (``profile=...``) and with chirps, one for belt and two for
treadmill, unless a WARNING or DANGER is on (an alarm is never interrupted).
"""

from __future__ import annotations

import logging

from pi_app.detect.announce import READY

log = logging.getLogger(__name__)

MODES = ("belt", "treadmill")
#: chirp start times after a switch: one chirp = belt, two = treadmill
CHIRPS_S = {"belt": (0.0,), "treadmill": (0.0, 0.3)}


class ProfileSwitch:
    """The profile's hook and listener.

    - As a loop hook (called with ``t_s`` before each cycle): a long press of the button
      (``loop.button.profile_requests`` went up) asks for the other profile through
      ``apply_config(get_config().with_value("device.mode", other))`` - the console's
      configuration holder on a device, so the console sees the switch and a later
      ``set`` or ``save`` keeps it.
    - As a config listener (``on_config(old, new, t_s)``, called by the loop's swap):
      a change of mode is announced (log, ``status`` ``profile=...``, chirps). The
      channels themselves take their new roles in the same swap.
    Cost per cycle: two comparisons.
    """

    def __init__(self, loop, *, get_config, apply_config, announce) -> None:
        self.loop = loop
        self.get_config = get_config
        self.apply_config = apply_config
        self.announce = announce                   # (state, t_s): a chirp through the arbiter
        self.switches = 0
        self._button = loop.button
        self._handled = self._requests()
        self._note(loop.cfg.device.mode)

    def _requests(self) -> int:
        return 0 if self._button is None else self._button.profile_requests

    def __call__(self, t_s: float) -> None:
        loop = self.loop
        if loop.button is not self._button:  # rebuilt after a pin change
            self._button = loop.button
            self._handled = self._requests()
        elif self._button is not None and self._button.profile_requests != self._handled:
            self._handled = self._button.profile_requests
            self.request_switch()

    def request_switch(self) -> str:
        """Ask for the other profile (applied between two cycles); returns its name."""
        cfg = self.get_config()
        mode = MODES[1 - MODES.index(cfg.device.mode)]
        log.warning("long press: switching profile to %s", mode)
        self.apply_config(cfg.with_value("device.mode", mode))
        return mode

    def on_config(self, old, new, t_s: float) -> None:
        mode = new.device.mode
        if mode == old.device.mode:
            return
        self.switches += 1
        self._note(mode)
        for dt in CHIRPS_S[mode]:
            self.announce(READY, t_s + dt)
        log.warning("profile %s", self.loop.notices["profile"])

    def _note(self, mode: str) -> None:
        channels = self.loop.channels
        unused = [c.id for c in channels if not c.used]
        watched = [f"{c.role} by {c.id}" for c in channels if c.used]
        note = f"{mode}: " + ", ".join(watched or ["no range sensor"])
        if unused:
            note += f"; not used: {', '.join(unused)}"
        self.loop.notices["profile"] = note
