"""The latest accepted configuration, shared between the serial console's thread and
the loop: the console hands a new ``Config`` over and learns whether the loop took it.
"""

from __future__ import annotations

import threading

from pi_app.config.core import Config
from pi_app.exc import ConfigError


class ConfigHolder:
    """The latest accepted configuration, shared between the console and the loop.

    ``apply(cfg)`` hands ``cfg`` to the loop and, from any thread but the loop's own,
    waits (at most ``APPLY_WAIT_S``) for the loop to take it: a config the loop could
    not apply raises ``ConfigError`` and is not kept, so the console answers ERR.
    """

    #: the loop swaps a config in before its next cycle (4 ms); a stalled loop must not
    #: hang the console: past this the config stays pending and the console says OK
    APPLY_WAIT_S = 1.0

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.loop = None
        self._lock = threading.Lock()

    def attach(self, loop) -> None:
        """Hand every later config to ``loop`` (before: only kept here)."""
        self.loop = loop

    def get(self) -> Config:
        with self._lock:
            return self.cfg

    def apply(self, cfg: Config) -> None:
        loop = self.loop
        if loop is not None:
            handover = loop.apply_config(cfg)
            on_loop_thread = loop.thread_ident in (None, threading.get_ident())
            if not on_loop_thread and handover.wait(self.APPLY_WAIT_S) and handover.error:
                raise ConfigError(f"not applied, the device keeps its settings: {handover.error}")
        with self._lock:
            self.cfg = cfg
