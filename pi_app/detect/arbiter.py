"""Arbiter: many detector states in, one commanded ``AlertState`` out.

The highest level wins (DANGER > WARNING > FAULT > CAUTION), and among equal levels
the kind closest to hurting the runner (obstacle > deck > surface > fault > posture >
rest). A steady obstacle (``detail == "steady"``) goes quiet after
``alert.steady_mute_s``, as car parking sensors do, and comes back at once when it
closes in or goes away (unreported for ``alert.steady_gap_s``) and returns. A button
mute silences everything below DANGER for ``alert.mute_s``; DANGER is never muted.
"""

from __future__ import annotations

from pi_app.detect import AlertState, CLEAR, Level

KIND_RANK = {"obstacle": 6, "deck": 5, "surface": 4, "fault": 3, "posture": 2, "rest": 1, None: 0}


class Arbiter:
    def __init__(self, cfg) -> None:
        self._steady_since: dict[str | None, list[float]] = {}
        self.state = CLEAR
        self.configure(cfg)

    def configure(self, cfg) -> None:
        self.steady_mute_s = cfg.alert.steady_mute_s
        self.steady_gap_s = cfg.alert.steady_gap_s

    def decide(self, states, t_s: float, muted: bool = False) -> AlertState:
        best = CLEAR
        best_rank = (Level.CLEAR, 0)
        steady = self._steady_since
        for state in states:
            level = state.level
            if level == Level.CLEAR:
                if state.detail is not None and best is CLEAR:
                    best = state   # an announcement (a chirp): only while all else is clear
                continue
            if state.detail == "steady":
                entry = steady.get(state.source)
                if entry is None or t_s - entry[1] > self.steady_gap_s:
                    steady[state.source] = entry = [t_s, t_s]
                entry[1] = t_s
                if t_s - entry[0] >= self.steady_mute_s:
                    continue
            if muted and level < Level.DANGER:
                continue
            rank = (level, KIND_RANK.get(state.kind, 0))
            if rank > best_rank:
                best, best_rank = state, rank
        self.state = best
        return best
