"""The pattern table: what the buzzer and the haptic motor do for each alert state.

A runner moving backwards cannot look at anything, so every pattern is told apart by
*rhythm alone* (a passive buzzer's pitch and the motor's strength only help): obstacles
beep like a parking sensor, surface hazards double-pulse, the deck's console side
triple-pulses and its rear side pulses long, a fault goes long-short (the whole table:
README, "What the sounds and vibrations mean"). An obstacle with a side splits each beat
into a long and a short pulse, left "daa-dit", right "dit-daa"; a pattern's ``side`` also
tells a two-motor build which hip plays it. Every pattern starts *on* when it is
commanded; pulses and gaps are >= 60 ms and repeating periods <= 1.2 s (why:
docs/notes.md). ``pattern_for`` picks the pattern for a state; ``PatternPlayer`` says
where it is at any clock time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pi_app.detect import AlertState, Level

#: Tolerance for floating-point phase arithmetic: an edge at t = 0.1 s reached by
#: 10 × 0.01 s must count as reached.
_EDGE_EPS_S = 1e-9


@dataclass(frozen=True)
class Pattern:
    """One alert rhythm.

    ``segments``: ``(on_s, off_s)`` pairs in seconds, played in order; ``repeat``
    True loops them, False plays them once and then stays off. An empty tuple is
    silence; ``((x, 0.0),)`` repeated is a continuous tone.
    ``tone_hz``: pitch for a passive buzzer (TonalBuzzer), None = buzzer not used
    tonally (an active buzzer ignores it anyway).
    ``intensity``: haptic strength 0..1 (PWM duty or DRV2605 real-time amplitude).
    ``buzzer`` / ``haptic``: which outputs take part (e.g. posture is motor only).
    ``side``: on a build with two motors, only that hip's motor plays it ("left" or
    "right"); None = both. A buzzer or a single motor plays it whatever the side.
    """

    name: str
    segments: tuple[tuple[float, float], ...] = ()
    repeat: bool = True
    tone_hz: float | None = None
    intensity: float = 1.0
    buzzer: bool = True
    haptic: bool = True
    side: str | None = None
    # derived: ends of the alternating on/off runs within one period (seconds)
    bounds_s: tuple[float, ...] = field(init=False, repr=False, compare=False)
    first_on: bool = field(init=False, repr=False, compare=False)
    period_s: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.intensity <= 1.0:
            raise ValueError(f"pattern {self.name}: intensity must be within 0..1")
        if self.tone_hz is not None and not self.tone_hz > 0:
            raise ValueError(f"pattern {self.name}: tone_hz must be > 0")
        if self.side not in (None, "left", "right"):
            raise ValueError(f"pattern {self.name}: side must be None, left or right")
        runs: list[list] = []  # [on, end_s], adjacent equal states merged
        t_s = 0.0
        for on_s, off_s in self.segments:
            if on_s < 0 or off_s < 0 or not math.isfinite(on_s + off_s):
                raise ValueError(f"pattern {self.name}: segment durations must be >= 0")
            for state, length_s in ((True, on_s), (False, off_s)):
                if length_s <= 0:
                    continue
                t_s += length_s
                if runs and runs[-1][0] == state:
                    runs[-1][1] = t_s
                else:
                    runs.append([state, t_s])
        object.__setattr__(self, "bounds_s", tuple(end for _, end in runs))
        object.__setattr__(self, "first_on", bool(runs) and runs[0][0])
        object.__setattr__(self, "period_s", t_s)

    @property
    def continuous(self) -> bool:
        """Always on (a repeating pattern with no off time)."""
        return self.repeat and len(self.bounds_s) == 1 and self.first_on

    @property
    def silent(self) -> bool:
        return not self.first_on and len(self.bounds_s) <= 1


class PatternPlayer:
    """Where a pattern is at time ``t_s``, given when it started. Pure arithmetic on
    the caller's clock: no threads, no timers, nothing allocated per query."""

    __slots__ = ("pattern", "start_s")

    def __init__(self, pattern: Pattern | None = None, start_s: float = 0.0) -> None:
        self.pattern = pattern if pattern is not None else SILENT
        self.start_s = start_s

    def start(self, pattern: Pattern, t_s: float) -> None:
        """Play ``pattern`` from its beginning at clock time ``t_s`` (seconds)."""
        self.pattern = pattern
        self.start_s = t_s

    def _run_index(self, t_s: float) -> int:
        """Index of the run playing at ``t_s``; -1 = before the start, len = finished."""
        p = self.pattern
        bounds = p.bounds_s
        n = len(bounds)
        if n == 0:
            return 0
        phase_s = t_s - self.start_s + _EDGE_EPS_S
        if phase_s < 0.0:
            return -1
        if phase_s >= p.period_s:
            if not p.repeat:
                return n
            phase_s %= p.period_s
        i = 0
        while i < n and phase_s >= bounds[i]:
            i += 1
        return i

    def is_on(self, t_s: float) -> bool:
        """True when the output should be on at ``t_s``."""
        p = self.pattern
        i = self._run_index(t_s)
        if i < 0 or i >= len(p.bounds_s):
            return False
        return p.first_on if i % 2 == 0 else not p.first_on

    def next_edge_s(self, t_s: float) -> float:
        """Clock time of the next possible change after ``t_s`` (``math.inf`` = none:
        silent, continuous, or a finished one-shot)."""
        p = self.pattern
        bounds = p.bounds_s
        n = len(bounds)
        if n == 0 or p.continuous:
            return math.inf
        i = self._run_index(t_s)
        if i < 0:
            return self.start_s
        if i >= n:
            return math.inf
        elapsed_s = t_s - self.start_s
        cycles = math.floor((elapsed_s + _EDGE_EPS_S) / p.period_s) if p.repeat else 0
        # minus the tolerance: a caller comparing t_s >= edge must not miss it by 1 ulp
        return self.start_s + cycles * p.period_s + bounds[i] - _EDGE_EPS_S


# --- the table ----------------------------------------------------------------------
C, W, D = Level.CAUTION, Level.WARNING, Level.DANGER
P = Pattern

SILENT = P("silent", ())

#: Obstacles, parking-sensor style: CAUTION ≈ 1.4 pulses/s, WARNING 5/s, DANGER
#: continuous (cars go continuous at ≈ 0.3 m; here DANGER = TTC ≤ danger_ttc_s or
#: nearer than danger_distance_m, i.e. less time than a reaction plus a stop).
OBSTACLE = {
    C: P("obstacle caution", ((0.10, 0.60),), tone_hz=1800.0, intensity=0.55),
    W: P("obstacle warning", ((0.08, 0.12),), tone_hz=2300.0, intensity=0.8),
    D: P("obstacle danger", ((1.0, 0.0),), tone_hz=2900.0, intensity=1.0),
}

#: Obstacles to one side (``AlertState.side``; "centre" and None keep ``OBSTACLE``):
#: each beat of the parking-sensor cadence becomes a long and a short pulse, left
#: "daa-dit", right "dit-daa", with the pitch and strength of the level. The side is in
#: the rhythm, so an active buzzer or a single motor tells it; the first pulse already
#: does (every pattern starts on), and the gap between beats is at least three times the
#: gap inside one so the pair stays a pair in a repeating stream. Long 0.15-0.20 s
#: against short 0.06 s is a 2.5-3.3:1 ratio, as a Morse dah to a dit. CAUTION beats
#: every 0.8 s, WARNING every 0.45 s (a pair does not fit in the 0.2 s of centre
#: WARNING with pulses and gaps >= 60 ms). DANGER stays one continuous tone on every
#: side: it means stop, whichever side; two motors still put it on the side's hip.
_SIDE_BEAT = {"left": {C: ((0.20, 0.08), (0.06, 0.46)), W: ((0.15, 0.06), (0.06, 0.18))},
              "right": {C: ((0.06, 0.08), (0.20, 0.46)), W: ((0.06, 0.06), (0.15, 0.18))}}
OBSTACLE_SIDE = {
    side: {C: P(f"obstacle {side} caution", beats[C], tone_hz=OBSTACLE[C].tone_hz,
                intensity=OBSTACLE[C].intensity, side=side),
           W: P(f"obstacle {side} warning", beats[W], tone_hz=OBSTACLE[W].tone_hz,
                intensity=OBSTACLE[W].intensity, side=side),
           D: P(f"obstacle {side} danger", OBSTACLE[D].segments, tone_hz=OBSTACLE[D].tone_hz,
                intensity=OBSTACLE[D].intensity, side=side)}
    for side, beats in _SIDE_BEAT.items()}

#: Surface hazards: double pulse at every level (period 1.0 / 0.6 / 0.4 s), lower
#: pitch; a drop (hole, kerb down) sounds lower than a rise (root, kerb up).
_DOUBLE = {C: ((0.07, 0.09), (0.07, 0.77)), W: ((0.07, 0.09), (0.07, 0.37)),
           D: ((0.07, 0.07), (0.07, 0.19))}
_INTENSITY = {C: 0.55, W: 0.8, D: 1.0}
SURFACE_DROP = {lv: P(f"surface drop {lv.label}", seg, tone_hz=750.0, intensity=_INTENSITY[lv])
                for lv, seg in _DOUBLE.items()}
SURFACE_RISE = {lv: P(f"surface rise {lv.label}", seg, tone_hz=1050.0, intensity=_INTENSITY[lv])
                for lv, seg in _DOUBLE.items()}

#: Treadmill deck: the runner must know *which way* to move, so console and rear
#: keep their own rhythm even at DANGER (triple short pulse vs long pulse);
#: stepping off the deck is continuous — stop.
_TRIPLE = {C: ((0.06, 0.07), (0.06, 0.07), (0.06, 0.88)),
           W: ((0.06, 0.07), (0.06, 0.07), (0.06, 0.38)),
           D: ((0.06, 0.06), (0.06, 0.06), (0.06, 0.15))}
_LONG = {C: ((0.35, 0.85),), W: ((0.35, 0.35),), D: ((0.30, 0.15),)}
DECK_CONSOLE = {lv: P(f"deck console {lv.label}", seg, tone_hz=1500.0, intensity=_INTENSITY[lv])
                for lv, seg in _TRIPLE.items()}
DECK_REAR = {lv: P(f"deck rear {lv.label}", seg, tone_hz=1200.0, intensity=_INTENSITY[lv])
             for lv, seg in _LONG.items()}
DECK_OFF = P("deck off", ((1.0, 0.0),), tone_hz=2900.0, intensity=1.0)

#: A sensor cannot watch: long-short every 2 s, low pitch. Slow on purpose: it must
#: be noticed but never be mistaken for an approach cadence.
FAULT = P("fault", ((0.45, 0.15), (0.12, 1.28)), tone_hz=440.0, intensity=0.7)
#: Two soft taps on the motor only (a buzzer would be a public scolding); 0.45 duty
#: is above a typical coin ERM's start-up threshold (≈ 0.3).
POSTURE = P("posture", ((0.15, 0.25), (0.15, 0.0)), repeat=False, intensity=0.45,
            buzzer=False)
REST = P("rest", ((0.4, 0.3), (0.4, 0.3), (0.4, 0.0)), repeat=False, tone_hz=880.0,
         intensity=0.6)
READY = P("ready", ((0.12, 0.0),), repeat=False, tone_hz=2600.0, intensity=0.6)
#: The parking-sensor fault tone; the 0.4 s of silence after it keeps it apart from
#: the fault rhythm that usually follows.
SELFTEST_FAIL = P("selftest fail", ((1.0, 0.4),), repeat=False, tone_hz=330.0, intensity=1.0)
#: The ready chirp's motor part on a build with two motors: the left hip taps, then the
#: right, so the runner and the builder feel at every start which motor is which side.
#: 0.18 s between the taps is three times an ERM's stop time. Not in the table: these
#: two play while the buzzer plays READY and may outlast it (``AlertOutputs``), and the
#: right one starts off by design.
MOTOR_CHECK_LEFT = P("motor check left", ((0.12, 0.0),), repeat=False, intensity=0.6,
                     buzzer=False, side="left")
MOTOR_CHECK_RIGHT = P("motor check right", ((0.0, 0.30), (0.12, 0.0)), repeat=False,
                      intensity=0.6, buzzer=False, side="right")

#: (level, kind, detail) -> Pattern. ``detail`` None is the kind's default; an
#: unlisted detail (e.g. obstacle "steady") falls back to it.
TABLE: dict[tuple[Level, str | None, str | None], Pattern] = {}
for _lv in (C, W, D):
    TABLE[(_lv, "obstacle", None)] = OBSTACLE[_lv]
    TABLE[(_lv, "surface", None)] = SURFACE_DROP[_lv]
    TABLE[(_lv, "surface", "drop")] = SURFACE_DROP[_lv]
    TABLE[(_lv, "surface", "rise")] = SURFACE_RISE[_lv]
    TABLE[(_lv, "deck", None)] = DECK_CONSOLE[_lv]
    TABLE[(_lv, "deck", "console")] = DECK_CONSOLE[_lv]
    TABLE[(_lv, "deck", "rear")] = DECK_REAR[_lv]
    TABLE[(_lv, "deck", "off_deck")] = DECK_OFF
#: (id of a centre obstacle pattern, side) -> that side's pattern
_SIDED = {(id(OBSTACLE[_lv]), _side): OBSTACLE_SIDE[_side][_lv]
          for _lv in (C, W, D) for _side in OBSTACLE_SIDE}
del _lv, C, W, D, P

#: Patterns chosen by kind alone, whatever the level.
BY_KIND = {"fault": FAULT, "posture": POSTURE, "rest": REST}
#: Start-up chirps, chosen by ``detail`` whatever the level and kind.
BY_DETAIL = {"ready": READY, "selftest_fail": SELFTEST_FAIL}
STARTUP_CHIRPS = (READY, SELFTEST_FAIL)


def pattern_for(state: AlertState) -> Pattern:
    """The pattern for an alert state.

    Order: start-up chirps by detail (any kind); CLEAR = silence; fault/posture/rest by kind;
    level FAULT = the fault pattern; then ``(level, kind, detail)`` with the kind's
    default detail as fallback. An unknown kind at an alert level gets the obstacle
    pattern of that level: an alert the table does not know must still be felt. An
    obstacle pattern with ``side`` "left" or "right" becomes that side's pattern;
    "centre" and None keep it.
    """
    special = BY_DETAIL.get(state.detail)
    if special is not None:
        return special
    kind = state.kind
    level = state.level
    if level == Level.CLEAR:
        return SILENT
    by_kind = BY_KIND.get(kind)
    if by_kind is not None:
        return by_kind
    if level == Level.FAULT:
        return FAULT
    found = TABLE.get((level, kind, state.detail))
    if found is None:
        found = TABLE.get((level, kind, None))
    if found is None:
        found = OBSTACLE.get(Level(level), OBSTACLE[Level.DANGER])
    side = state.side
    if side is not None:
        return _SIDED.get((id(found), side), found)
    return found


def all_patterns() -> tuple[Pattern, ...]:
    """Every distinct pattern in the table (for docs, demos and tests)."""
    seen: dict[int, Pattern] = {}
    sided = (p for by_level in OBSTACLE_SIDE.values() for p in by_level.values())
    for p in (*TABLE.values(), *sided, *BY_KIND.values(), *BY_DETAIL.values()):
        seen.setdefault(id(p), p)
    return tuple(seen.values())

