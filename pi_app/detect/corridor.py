"""The obstacle corridor: which side a target is on, and whether it can be in the way.

Two level chips yawed apart (+psi left, -psi right, cones of half-angle h) overlap in a
wedge |bearing| < h - psi. A target one chip sees while the other - watching, fresh,
having looked since the target was found, seeing nothing as near - does not, has its
near edge at least ``range x sin(h - psi - sway - margins)`` off the line (the belt's
yaw sway from the IMU's gyro z). A bound that reaches ``obstacle.corridor_half_width_m``
proves it passes beside: no hazard. Everything uncertain stays a hazard (the other chip
faulted or stale, seeing something as near, the runner turning). Side, runner's frame:
``"centre"`` when both see it, ``"left"``/``"right"`` when only that chip does. The rules
in full: ``Corridor.judge`` and docs/bearing.md.
"""

from __future__ import annotations

import math

from pi_app.config.sensors import LEVEL_MAX_PITCH_DEG
from pi_app.detect import AlertState, CLEAR, Level
from pi_app.sensors.base import RangeStatus

CENTRE = "centre"
#: the other chip's readings this many of its sample periods back still say what it sees
#: (two chips range unsynchronised: 2 periods always hold one of its results, and a half
#: period more covers a late one)
LOOK_PERIODS = 2.5
#: the readings of each chip kept for that look back (>= LOOK_PERIODS + 1)
SEEN_KEPT = 4
#: the two chips sit this far either side of the bracket's middle (hardware/cad/
#: belt_bracket.scad: pockets 35.2 mm apart, centre to centre)
CHIP_HALF_SPACING_M = 0.018
#: a young track's closing speed is uncertain by about this much (two samples 33 ms apart
#: at the range noise): the other chip's older readings of the same target were up to
#: (closing + this) x their age further away
CLOSING_SLACK_MPS = 1.0
#: a chip defers to the other's track of the same target only when that one is older
#: by this many of its periods (re-found at a cone's edge, not found at the same time)
DEFER_PERIODS = 2
#: after this long the integrated sway has swung through a whole stride (the slowest
#: cadence the simulator draws, 60 steps/min, is 2 s a stride; a jog is ~0.7 s): the
#: sway when it began is then within half the swing seen since
SWING_SEEN_S = 2.0
#: ... plus this (the integration's own error over that time)
SWING_MARGIN_DEG = 0.5
#: no new IMU sample for this long (10 samples at the IMU's 200 Hz): the yaw is not measured
IMU_STALE_S = 0.05



def bearing_pair(sensors) -> tuple | None:
    """``(left, right)``: the two level obstacle chips yawed to opposite sides, when the
    kit has exactly two level obstacle chips and they are; else None (no bearing)."""
    level = [s for s in sensors
             if s.role == "obstacle" and abs(s.pitch_deg) <= LEVEL_MAX_PITCH_DEG]
    if len(level) != 2:
        return None
    a, b = level
    if a.yaw_deg > 0.0 > b.yaw_deg:
        return a, b
    if b.yaw_deg > 0.0 > a.yaw_deg:
        return b, a
    return None


class BeltYaw:
    """The belt's yaw sway about its mean heading (deg, + = the runner's front turned
    toward their left, so the rear chips look further to their right), integrated from
    the IMU's gyro z and high-passed over ``tau_s``, and the mean yaw rate (a turn: the
    rate low-passed twice over ``tau_s``, which leaves of the stride's own swing at
    ~1.4 Hz and tau 1.5 s a hundredth). ``unsure_deg(t_s, amplitude_deg)``: how far the
    sway may be off - the amplitude at first, fading as the integration settles."""

    __slots__ = ("t_s", "since_t_s", "sway_deg", "mean_dps", "slow_dps", "rate_dps", "tau_s",
                 "samples", "sample_t_s", "high_deg", "low_deg")

    def __init__(self, tau_s: float) -> None:
        self.tau_s = tau_s
        self.reset()

    def reset(self) -> None:
        self.t_s: float | None = None
        self.since_t_s = 0.0
        self.sway_deg = 0.0
        self.mean_dps = 0.0
        self.slow_dps = 0.0
        self.rate_dps = 0.0
        self.samples = 0
        self.sample_t_s = 0.0

    def update(self, t_s: float, pose) -> None:
        """Integrate the gyro's yaw rate up to ``t_s``."""
        imu = pose.imu
        if imu is None or not imu.samples:
            self.t_s = None              # not measured: start afresh when it is
            return
        if imu.samples != self.samples:
            self.samples = imu.samples
            self.sample_t_s = t_s
        elif t_s - self.sample_t_s > IMU_STALE_S:
            self.t_s = None              # the IMU stopped: its last rate is no evidence
            return
        rate = imu.yaw_rate_dps
        last = self.t_s
        if last is None:
            self.t_s = self.since_t_s = t_s
            self.sway_deg = self.mean_dps = self.slow_dps = 0.0
            self.high_deg = self.low_deg = 0.0
            self.rate_dps = rate
            return
        dt = t_s - last
        if dt <= 0.0:
            return
        k = min(dt / self.tau_s, 1.0)
        self.sway_deg += 0.5 * (rate + self.rate_dps) * dt - k * self.sway_deg
        self.slow_dps += k * (self.mean_dps - self.slow_dps)
        self.mean_dps += k * (rate - self.mean_dps)
        self.rate_dps = rate
        self.t_s = t_s
        if self.sway_deg > self.high_deg:
            self.high_deg = self.sway_deg
        elif self.sway_deg < self.low_deg:
            self.low_deg = self.sway_deg

    def turn_dps(self) -> float:
        """The mean yaw rate: the runner turning (0 while not measured)."""
        return self.slow_dps if self.t_s is not None else 0.0

    def sway_now_deg(self) -> float:
        """The sway, less the offset a steady turn leaves on the high-pass (rate x tau)."""
        return self.sway_deg - self.slow_dps * self.tau_s if self.t_s is not None else 0.0

    def worst_deg(self, t_s: float, sign: float, amplitude_deg: float,
                  ranging_s: float) -> float:
        """The most ``sign`` x sway the belt may have had during a ranging of
        ``ranging_s`` ending at ``t_s``: the sway now, or as it was when the ranging began
        if it has turned the other way since, plus what the estimate may be off by: the
        whole ``amplitude_deg`` while not measured; else half a turn's offset (the
        low-passed rate lags a change of turn) and the start-up error, fading with tau."""
        if self.t_s is None:
            return amplitude_deg
        worst = sign * self.sway_now_deg() + max(0.0, -sign * self.rate_dps) * ranging_s
        measured_s = t_s - self.since_t_s
        if measured_s >= SWING_SEEN_S:
            # the sway when the integration began was within the swing seen since
            amplitude_deg = min(amplitude_deg,
                                0.5 * (self.high_deg - self.low_deg) + SWING_MARGIN_DEG)
        settling = amplitude_deg * math.exp(-measured_s / self.tau_s)
        return worst + 0.5 * abs(self.slow_dps) * self.tau_s + settling


class ChipWatch:
    """One level chip of the pair: its aim, what it saw lately (``SEEN_KEPT`` readings,
    preallocated), and the verdict on its own target."""

    __slots__ = ("sensor_id", "side", "sign", "yaw_deg", "half_fov_deg", "period_s",
                 "last_t_s", "faulted", "seen_t", "seen_m", "k", "bound_m", "bound_t_s",
                 "bound_at_m", "excluded", "verdict", "inner", "track_m", "born_t_s", "first_read_t_s", "deferred",
                 "pending", "_sided")

    def __init__(self, sensor_id: str, yaw_deg: float, half_fov_deg: float,
                 period_s: float) -> None:
        self.sensor_id = sensor_id
        self.sign = 1.0 if yaw_deg > 0.0 else -1.0
        self.side = "left" if yaw_deg > 0.0 else "right"
        self.yaw_deg = yaw_deg
        self.half_fov_deg = half_fov_deg
        self.period_s = period_s
        self.seen_t = [-math.inf] * SEEN_KEPT
        self.seen_m = [math.inf] * SEEN_KEPT
        self._sided: dict[str, dict[AlertState, AlertState]] = {}
        self.reset()

    def reset(self) -> None:
        self.last_t_s: float | None = None
        self.faulted = False
        self.inner = CLEAR          # its detector's own state (no side, no corridor)
        self.track_m = math.inf     # the range of the target it follows (inf: none)
        self.born_t_s = math.inf    # ... and since when it has followed it
        self.first_read_t_s = math.inf  # ... its first reading of it
        self.deferred = False       # its target is the other chip's (judged by it)
        for i in range(SEEN_KEPT):
            self.seen_t[i] = -math.inf
            self.seen_m[i] = math.inf
        self.k = 0
        self.forget()

    def forget(self) -> None:
        """No target, no verdict (a level held without one has no side)."""
        self.bound_m = 0.0
        self.bound_t_s = -math.inf
        self.bound_at_m = math.inf
        self.excluded = False
        self.pending = False        # a first sight by this chip alone, not yet confirmed
        self.verdict: str | None = None

    def saw(self, t_s: float, seen_m: float) -> None:
        k = self.k
        self.seen_t[k] = t_s
        self.seen_m[k] = seen_m
        self.k = (k + 1) % SEEN_KEPT
        self.last_t_s = t_s
        self.faulted = False

    def sees_within(self, since_t_s: float, t_s: float, limit_m: float,
                    closing_mps: float) -> float:
        """The nearest thing seen since ``since_t_s`` within ``limit_m`` of here (its
        range then, less what a target closing at ``closing_mps`` has come since), or inf."""
        nearest = math.inf
        for i in range(SEEN_KEPT):
            t = self.seen_t[i]
            if t < since_t_s:
                continue
            m = self.seen_m[i] - closing_mps * (t_s - t)
            if m <= limit_m and m < nearest:
                nearest = m
        return nearest

    def sided(self, state: AlertState, side: str) -> AlertState:
        """``state`` with ``side``: a handful of states, cached, not allocated per cycle."""
        by_state = self._sided.get(side)
        if by_state is None:
            by_state = self._sided[side] = {}
        out = by_state.get(state)
        if out is None:
            out = by_state[state] = state._replace(side=side)
        return out


class Corridor:
    """The pair's shared judgement: ``note`` each chip's readings, ``judge`` each chip's
    detector state into the one the arbiter sees (with ``side``, or CLEAR when its target
    is proven beside the corridor)."""

    def __init__(self, left: ChipWatch, right: ChipWatch, cfg) -> None:
        self.chips = (left, right)
        self.yaw = BeltYaw(cfg.obstacle.corridor_yaw_tau_s)
        self.configure(cfg)

    def configure(self, cfg) -> None:
        o = cfg.obstacle
        self.half_width_m = o.corridor_half_width_m
        self.match_m = o.corridor_match_m
        self.edge_margin_deg = o.corridor_edge_margin_deg
        self.cross_mps = o.corridor_cross_mps
        self.turn_dps = o.corridor_turn_dps
        self.yaw_error_deg = o.corridor_yaw_error_deg
        self.sway_deg = o.corridor_sway_deg
        self.near_m = o.near_birth_m
        self.yaw.tau_s = o.corridor_yaw_tau_s

    def note(self, slot: int, reading, pose) -> None:
        """One reading of chip ``slot``: what it saw (anything, at any range)."""
        d = reading.distance_m
        if d is None:
            status = reading.status
            if status == RangeStatus.MIN_RANGE:
                d = 0.0                    # something nearer than it can measure
            elif reading.raw_m is not None:
                d = reading.raw_m          # weak, but something is there
            elif status == RangeStatus.BUS_ERROR:
                return                     # no look at all: not fresh
            else:
                d = math.inf
        self.chips[slot].saw(reading.t_s, d)
        self.yaw.update(reading.t_s, pose)

    def faulted(self, slot: int) -> None:
        """Chip ``slot`` is in fault: it watches nothing until it reads again."""
        chip = self.chips[slot]
        chip.reset()
        chip.faulted = True

    def judge(self, slot: int, state: AlertState, t_s: float, target_m: float | None,
              closing_mps: float, track_m: float, first_sight: bool = False,
              new_target: bool = False) -> AlertState:
        """Chip ``slot``'s detector ``state`` for the arbiter. ``target_m``: the range of
        the target it follows, when it has a new reading of it (None: the verdict on it
        stands while its level is held); ``track_m``: that target's range (inf: none);
        ``new_target``: the detector began following a new target with this reading.

        When both chips follow a target at the same range, it is one target, judged by
        the chip that has followed it longer: as the belt sways, a chip re-finds a target
        at its cone's edge every stride, and a young track's few samples (33 ms apart,
        the nearest point of the target moving as the edge sweeps it) make a walker's
        0.4 m/s look like 6.

        ``first_sight``: ``state`` rests on one valid reading (the first-sight warning, or
        a track a weak reading corroborated, judged at the runner's own speed). One
        that only this chip sees waits for the chip's next reading: a person beside the
        path grazes the outer edge of one cone at its range limit for a single reading
        (the first-sight warning would be held for a second), and a target the corridor
        cannot yet place loses up to one period (33 ms) of lead - less when the other chip
        sees it meanwhile (then it is in the overlap: warned at once, centre)."""
        chip = self.chips[slot]
        other = self.chips[1 - slot]
        chip.inner = state
        if track_m == math.inf:
            chip.born_t_s = math.inf
        elif chip.born_t_s == math.inf or new_target:
            chip.born_t_s = t_s
            chip.first_read_t_s = chip.last_t_s if chip.last_t_s is not None else t_s
        chip.track_m = track_m
        other_fresh = (other.last_t_s is not None
                       and t_s - other.last_t_s <= LOOK_PERIODS * other.period_s)
        if track_m < math.inf and (target_m is not None or chip.born_t_s == t_s):
            # judged on this chip's fresh readings only: a stale track keeps its call
            chip.deferred = (other_fresh
                             and other.born_t_s < chip.born_t_s - DEFER_PERIODS * other.period_s
                             and abs(other.track_m - track_m) <= self.match_m)
        if chip.deferred:
            # its level (held after its track ended, too) is the other chip's call
            if not other_fresh or (track_m == math.inf and state.level == Level.CLEAR):
                chip.deferred = False
            # the other's judgement, corridor included: a target it proved beside is
            # no hazard here either
            state = other.inner if other_fresh and not other.excluded else CLEAR
        if state.level == Level.CLEAR:
            chip.forget()
            return state
        if chip.pending and target_m is None and other.sees_within(
                chip.first_read_t_s + 1e-9, t_s, chip.track_m + self.match_m,
                CLOSING_SLACK_MPS) < math.inf:
            chip.pending = False           # the other chip has seen it meanwhile: centre
            chip.verdict = CENTRE
        if target_m is not None:
            self._decide(chip, other, t_s, target_m, closing_mps)
            # (a chip alone, the other not watching, warns as one chip always did)
            chip.pending = (first_sight and chip.verdict == chip.side and not chip.deferred
                            and other_fresh and not other.faulted)
        if chip.excluded or chip.pending:
            return CLEAR
        # one target both chips follow is in the overlap: centre
        return chip.sided(state, CENTRE if chip.deferred else chip.verdict)

    def _decide(self, chip: ChipWatch, other: ChipWatch, t_s: float, d: float,
                closing_mps: float) -> None:
        look_s = LOOK_PERIODS * other.period_s
        if other.faulted or other.last_t_s is None or t_s - other.last_t_s > look_s:
            chip.forget()                  # the other is not watching: no exclusion,
            chip.verdict = chip.side       # and the side is the one chip's that sees it
            return
        if other.last_t_s <= chip.first_read_t_s:
            # the other chip has not looked since this one found the target (the two
            # range out of step): its silence so far predates the target
            chip.forget()
            chip.verdict = chip.side
            return
        since = t_s - look_s
        seen = other.sees_within(since, t_s, d + self.match_m,
                                 max(closing_mps, 0.0) + CLOSING_SLACK_MPS)
        if seen < math.inf:
            if seen < self.near_m and seen < d - self.match_m:
                return      # a hand across the other's view: it says nothing; verdict stands
            if (chip.excluded and abs(d - chip.bound_at_m) <= self.match_m
                    and other.excluded and abs(seen - other.bound_at_m) <= self.match_m):
                # the other sees its own target, proven beside on its side (two people
                # either side of the path, level with each other): this one's proof stands
                return
            if chip.excluded and abs(d - chip.bound_at_m) <= self.match_m:
                # The sway turned the other chip's cone over this chip's side: it sees
                # the target too, which proves only that it lies within the other's cone.
                # A proof still carried for it stands while that cone reaches out to it;
                # if it cannot, the target moved in (a crosser): a hazard again.
                carried_m = chip.bound_m - self.cross_mps * (t_s - chip.bound_t_s)
                reach_deg = (other.half_fov_deg + chip.sign * other.yaw_deg
                             + self.yaw.worst_deg(t_s, -chip.sign, self.sway_deg, chip.period_s)
                             + self.yaw_error_deg + self.edge_margin_deg)
                if (carried_m >= self.half_width_m and reach_deg < 89.0
                        and carried_m <= d * math.tan(math.radians(reach_deg))):
                    chip.bound_m, chip.bound_t_s, chip.bound_at_m = carried_m, t_s, d
                    return
            chip.forget()
            chip.verdict = CENTRE          # both see it (or the other may not see past
            return                         # something as near): it may be in the way
        chip.verdict = chip.side
        yaw = self.yaw
        # the other chip's cone edge on this chip's side, as far to this side as the
        # belt's sway may have turned it (a sway turns the rear cones the other way)
        edge_deg = (other.half_fov_deg + chip.sign * other.yaw_deg
                    - yaw.worst_deg(t_s, chip.sign, self.sway_deg, chip.period_s)
                    - self.yaw_error_deg - self.edge_margin_deg)
        bound_m = 0.0
        if edge_deg > 0.0:
            # the horizontal range is at least d cos(half cone): the nearest point may be
            # off the axis's height
            bound_m = (d * math.cos(math.radians(other.half_fov_deg))
                       * math.sin(math.radians(edge_deg)) - CHIP_HALF_SPACING_M)
        if abs(d - chip.bound_at_m) <= self.match_m:   # the same target as before
            carried_m = chip.bound_m - self.cross_mps * (t_s - chip.bound_t_s)
            if carried_m > bound_m:
                bound_m = carried_m
        chip.bound_m = bound_m
        chip.bound_t_s = t_s
        chip.bound_at_m = d
        turning = abs(yaw.turn_dps()) > self.turn_dps
        chip.excluded = not turning and bound_m >= self.half_width_m


class SidedObstacle:
    """One chip of the pair as the loop sees it (the ``Detector`` contract): its own
    ``ObstacleDetector`` judges the target, the shared ``Corridor`` says which side and
    whether it can be in the way."""

    kind = "obstacle"

    def __init__(self, detector, corridor: Corridor, slot: int) -> None:
        self.detector = detector
        self.corridor = corridor
        self.slot = slot
        self.sensor_id = detector.sensor_id
        self.state = CLEAR
        self._last_m = 0.0     # the last valid range (a first sight's target)
        self._judged_t_s = None  # the reading the corridor last judged
        self._fed_t_s = None     # the last valid reading's time
        self._count = 0          # the track's samples when last judged (fewer: a new one)

    @property
    def ttc_s(self) -> float | None:
        return self.detector.ttc_s

    def configure(self, cfg) -> None:
        self.detector.configure(cfg)
        self.corridor.configure(cfg)

    def reset(self) -> None:
        self.detector.reset()
        self.corridor.faulted(self.slot)
        self.state = CLEAR

    def feed(self, reading, pose) -> None:
        self.detector.feed(reading, pose)
        self.corridor.note(self.slot, reading, pose)
        if reading.distance_m is not None:
            self._last_m = reading.distance_m
            self._fed_t_s = reading.t_s

    def judge(self, t_s: float) -> AlertState:
        inner = self.detector
        state = inner.judge(t_s)
        track = inner.track
        target_m, closing = None, 0.0      # no new reading of it: the verdict stands
        if track.active:
            if track.last_t_s != self._judged_t_s:
                self._judged_t_s = track.last_t_s
                target_m, closing = track.distance_m, track.closing_mps
        elif inner.sighted and self._fed_t_s != self._judged_t_s:
            self._judged_t_s = self._fed_t_s
            target_m = self._last_m
        # a first sight: one valid reading (alone, or corroborated by a weak one)
        first = inner.sighted if not track.active else track.samples.count < 2
        track_m = track.distance_m if track.active else self._last_m if first else math.inf
        count = track.samples.count if track.active else 0
        new = target_m is not None and (first or count < self._count)
        self._count = count
        self.state = self.corridor.judge(self.slot, state, t_s, target_m, closing, track_m,
                                         first, new)
        return self.state
