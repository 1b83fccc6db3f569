"""The naive fixed-distance policy that hobby projects use, for comparison.

WARNING whenever a sensor reads nearer than ``NAIVE_WARNING_M`` (1.0 m), no speed,
no filtering, no hold. A ground sensor warns when its reading moves more than
``NAIVE_GROUND_STEP_M`` away from the first reading it saw. A deck sensor warns when
the runner is within 1.0 m... of either end of the deck (it knows nothing else).
It exists so every run can be compared against it in the same simulation.
"""

from __future__ import annotations

from pi_app.detect import AlertState, CLEAR, Level

NAIVE_WARNING_M = 1.0
NAIVE_GROUND_STEP_M = 0.10


class NaiveDetector:
    def __init__(self, sensor_id: str, role: str, cfg) -> None:
        self.sensor_id = sensor_id
        self.role = role
        self.kind = {"surface": "surface", "deck": "deck"}.get(role, "obstacle")
        self.deck_length_m = cfg.deck.deck_length_m
        self._ground_m: float | None = None
        self._warning = AlertState(Level.WARNING, self.kind, sensor_id, None)
        self.state = CLEAR

    def configure(self, cfg) -> None:
        self.deck_length_m = cfg.deck.deck_length_m

    def feed(self, reading, pose) -> None:
        d = reading.distance_m
        warn = False
        if d is not None:
            if self.role == "surface":
                if self._ground_m is None:
                    self._ground_m = d
                warn = abs(d - self._ground_m) > NAIVE_GROUND_STEP_M
            elif self.role == "deck":
                warn = d < NAIVE_WARNING_M / 2 or d > self.deck_length_m - NAIVE_WARNING_M / 2
            else:
                warn = d < NAIVE_WARNING_M
        self.state = self._warning if warn else CLEAR

    def reset(self) -> None:
        self.state = CLEAR

    def judge(self, t_s: float) -> AlertState:
        return self.state
