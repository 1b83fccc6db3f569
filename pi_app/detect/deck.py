"""Treadmill deck detector: keeps the runner inside the deck's safe band.

The sensor sits on the handrail at the console end and ranges the runner's back. The
position is the mean over one step period (``pi_app.detect.stride.StrideComb``: the
sway cancels), the drift how far it moved in ``drift_window_s``. ``DeckDetector`` warns
on the console side, on the rear side (the deck's rear edge, ``deck_length_m``), and
with a DANGER "off_deck" when the runner is no longer seen on the deck.
"""

from __future__ import annotations

from pi_app.detect import AlertState, CLEAR, Level
from pi_app.detect.filters import RingSeries
from pi_app.detect.hold import LevelHold
from pi_app.detect.stride import MAX_STEP_PERIOD_S, StrideComb

#: Without a step period, a drift is judged only after this long on the deck: until
#: StrideComb has had its first look (two of the longest step periods), the
#: least-squares line would read the sway.
FALLBACK_AFTER_S = 2.0 * MAX_STEP_PERIOD_S
#: Readings of the runner's back kept for the least-squares fallback (4 s at 60 Hz).
FALLBACK_SAMPLES = 256


class DeckDetector:
    """Console, rear and off-deck warnings for one handrail sensor.

    Until a step period is seen the position is judged alone for ``FALLBACK_AFTER_S``;
    then, for a runner whose sway the sensor cannot see, a least-squares line over
    ``smoothing_s`` stands in once its readings span ``min_span_share`` of it.

    - console side: position within ``console_warning_m`` / ``console_danger_m`` of the
      console, or drifting toward it so that the contact line (``contact_margin_m``) is
      reached within ``warning_ttc_s`` / ``danger_ttc_s``: detail "console";
    - rear side: the same against the deck's rear edge (``deck_length_m``): "rear";
    - off the deck (DANGER, "off_deck"): the runner is not seen on the deck for
      ``lost_after_s`` (nothing in range, or only the room behind the deck: farther than
      ``off_deck_margin_m`` past its rear edge).
    """

    kind = "deck"

    def __init__(self, sensor_id: str, cfg) -> None:
        self.sensor_id = sensor_id
        self.series = RingSeries(FALLBACK_SAMPLES)
        self.comb = StrideComb(cfg.deck)
        self.hold = LevelHold(0.0)
        self.position_m: float | None = None
        self.drift_mps = 0.0
        self._last_on_deck_t_s: float | None = None
        self._on_deck_since_t_s: float | None = None
        self.state = CLEAR
        self._states = {
            (lvl, detail): AlertState(lvl, self.kind, sensor_id, detail)
            for lvl in (Level.WARNING, Level.DANGER)
            for detail in ("console", "rear", "off_deck")
        }
        self.configure(cfg)

    def configure(self, cfg) -> None:
        self.cfg = cfg.deck
        self.comb.configure(cfg.deck)
        self.hold.hold_s = cfg.deck.hold_s

    def reset(self) -> None:
        """Forget the runner's track (the sensor was in fault)."""
        self.series.clear()
        self.comb.clear()
        self.position_m = None
        self.drift_mps = 0.0
        self._last_on_deck_t_s = None
        self._on_deck_since_t_s = None
        self.hold.reset()
        self.state = CLEAR

    def feed(self, reading, pose) -> None:
        """Take one reading of the runner's back (the pose does not matter here)."""
        t_s = reading.t_s
        d = reading.distance_m
        c = self.cfg
        if d is not None and d <= c.deck_length_m + c.off_deck_margin_m:
            self.series.append(t_s, d)
            self.comb.add(t_s, d)
            last = self._last_on_deck_t_s
            if last is None or t_s - last > c.lost_after_s:
                self._on_deck_since_t_s = t_s
            self._last_on_deck_t_s = t_s
            est = self.comb.estimate(t_s)
            if est is not None:
                self.position_m, self.drift_mps = est
                return
            since = t_s - c.smoothing_s
            span_s = t_s - self._first_t(since)
            mean = self.series.mean(since)
            slope = self.series.slope(since)
            # Too short a span cannot tell a drift from the gait's sway: judge position only.
            full = (span_s >= c.min_span_share * c.smoothing_s
                    and t_s - self._on_deck_since_t_s >= FALLBACK_AFTER_S)
            self.drift_mps = slope if (slope is not None and full) else 0.0
            # The LS line's value at its newest end: mean + slope * (half the span).
            self.position_m = mean + self.drift_mps * span_s / 2

    def _first_t(self, since_s: float) -> float:
        s = self.series
        for k in range(s.count):
            t = s._t[(s._start + k) % s._size]
            if t >= since_s:
                return t
        return since_s

    def judge(self, t_s: float) -> AlertState:
        c = self.cfg
        raw = CLEAR
        if self._last_on_deck_t_s is None:
            pass  # not seen yet: nothing to judge (health reports a silent sensor)
        elif t_s - self._last_on_deck_t_s > c.lost_after_s:
            raw = self._states[(Level.DANGER, "off_deck")]
        elif self.position_m is not None:
            raw = self._judge(self.position_m, self.drift_mps)
        self.state = self.hold.update(raw, t_s)
        return self.state

    def _judge(self, pos_m: float, drift_mps: float) -> AlertState:
        c = self.cfg
        to_console_m = pos_m
        to_rear_m = c.deck_length_m - pos_m
        best = (Level.CLEAR, None)
        for gap_m, closing_mps, warn_m, danger_m, side in (
            (to_console_m, -drift_mps, c.console_warning_m, c.console_danger_m, "console"),
            (to_rear_m, drift_mps, c.rear_warning_m, c.rear_danger_m, "rear"),
        ):
            level = Level.CLEAR
            if gap_m <= danger_m:
                level = Level.DANGER
            elif gap_m <= warn_m:
                level = Level.WARNING
            if closing_mps >= c.min_drift_mps:
                ttc_s = max(gap_m - c.contact_margin_m, 0.0) / closing_mps
                if ttc_s <= c.danger_ttc_s:
                    level = Level.DANGER
                elif ttc_s <= c.warning_ttc_s and level < Level.WARNING:
                    level = Level.WARNING
            if level > best[0]:
                best = (level, side)
        if best[0] == Level.CLEAR:
            return CLEAR
        return self._states[best]
