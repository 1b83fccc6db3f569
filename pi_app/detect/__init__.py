"""Detectors: from filtered readings to levels. ``Level`` and ``AlertState`` are the
vocabulary shared by detectors, the arbiter and the outputs."""

from __future__ import annotations

import enum
from typing import NamedTuple


class Level(enum.IntEnum):
    """Alert levels, ordered by priority for the arbiter.

    FAULT sits between CAUTION and WARNING: a sensor that cannot watch must be known,
    but must never mask a WARNING or DANGER that another sensor sees."""

    CLEAR = 0
    CAUTION = 1
    FAULT = 2
    WARNING = 3
    DANGER = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class AlertState(NamedTuple):
    """One commanded output state. ``kind``/``source`` are None when CLEAR.

    ``detail`` refines the pattern without changing the JSON contract, e.g.
    ``"drop"``/``"rise"`` for surface, ``"console"``/``"rear"``/``"off_deck"`` for deck,
    ``"steady"`` for an obstacle that is near but not closing (muted after a hold time),
    ``"ready"``/``"selftest_fail"`` for start-up chirps. ``side``: where an obstacle is
    in the runner's own frame (``"left"`` = their left hand, ``"right"``, ``"centre"``),
    None when the sensors give no bearing or the state is not about an obstacle.
    """

    level: Level = Level.CLEAR
    kind: str | None = None
    source: str | None = None
    detail: str | None = None
    side: str | None = None


CLEAR = AlertState()
