"""Uneven-surface detector for a sensor angled down behind the heels.

Each reading becomes the height of the sensor above the ground spot its beam's lower
edge hits (``ground_height_m``: mount pitch plus the IMU's trunk pitch, less the body's
bounce). The ground is learned as a plane in time and in the spot's reach
(``filters.GroundFit``), so a grade passing under the runner is followed. A height
above the learned ground by ``drop_m`` is a hole or kerb down, below it by ``rise_m`` a
root or kerb up: once confirmed, a WARNING of kind "surface", detail "drop" or "rise".
A step is a new level, never absorbed into the learned ground: after it the ground
reads as before (heights are the sensor's above the spot), so the next step is judged
against the same level. A deviation is a hazard only while it can approach the runner:
one seen again a stride later at the same reach, or seen while the runner is not
moving (no stride bounce), holds its distance (a wall's foot while jogging in place).
Settings: ``surface.*`` in docs/config.md; why a slow sensor may confirm on one sample
and what its out-of-range readings say: docs/notes.md.
"""

from __future__ import annotations

import math

from pi_app.detect import AlertState, CLEAR, Level
from pi_app.detect.filters import GroundFit
from pi_app.detect.hold import LevelHold
from pi_app.sensors.base import RangeStatus

#: weight of each reading followed in the smoothed level a bend grows from: about the
#: last three (a 4 ms sensor sweeps 7-10 cm of reach in them)
BEND_SMOOTHING = 0.3
#: however noisy the ground, one reading's noise allowance in a bend is at most this share
#: of the threshold (scatter learned on rough ground must not let a kerb pass as a grade)
BEND_NOISE_SHARE = 0.5
#: a step's edge is a jump that stays: this many readings in a row (one is a noise spike)
BEND_JUMPS = 2
#: learning windows in a row whose quarters disagree (``_level_moved``) before the ground
#: is said not to read as one level at the IMU's pitch: about 0.6 s of learning; a
#: staircase climbed while learning moves the level for as many treads as are in view
LEVEL_DOUBT_WINDOWS = 3
#: from where the ground last matched, a bend's reading may stray by this share of one
#: reading's noise allowance (2 of bend_sigmas' 3 RMS): a bend's reading taken for a jump
#: costs nothing (a streak of one, which the bend's next reading ends), a root's face taken
#: for a bend hides the root - its 8 cm, climbed over 0.2 m of sweep while the runner
#: moves on, fit inside 3 RMS plus a grade's share
BEND_ANCHOR_NOISE_SHARE = 2.0 / 3.0


class SurfaceDetector:
    """Judges one down-angled sensor's readings against the ground it has learned.

    ``feed(reading, pose)`` takes each reading with the trunk pitch and bounce at its
    time; ``judge(t_s)`` gives the alert state. ``confirm_samples`` consecutive samples
    past ``drop_m`` / ``rise_m`` (same sign) confirm. A slow sensor
    (``sample_period_s >= single_sample_period_s``) confirms on one sample past the
    threshold and ``single_sample_sigmas`` times the RMS residual of the learned ground,
    any sensor on two in a row past ``pair_sigmas``; rough ground raises that RMS and the
    detector falls back to ``confirm_samples``. Residuals past the threshold are kept out
    of the ground unless they last ``relearn_after_s`` (a new level); near-threshold ones
    are learned once they last ``slow_persist_s`` (a bias, not a root's face). A step in
    view (two residuals in a row past the threshold within ``step_memory_s``) is a level
    the runner is not on yet: while its near side is in view too, the readings beyond
    its near edge, less ``step_margin_m``, stay out of the ground (its face and far
    level, read through noise, would tilt the ground onto it); each of its residuals
    restarts the ``slow_persist_s`` clock; and the ground is not relearned until a runner
    at ``approach_speed_mps`` would have reached the edge. A residual that grows from the
    readings before it, and from where it last matched the ground, no faster than
    ``bend_grade`` per metre of ground the spot passed (the sweep's reach and the runner's
    travel at up to ``bend_speed_mps``), without a jump, is the ground bending where a
    grade starts or ends: learned, never warned (``_bends``); past the threshold it is
    still a sighting the next streak is compared with. Once the runner is on it (its
    far level, past the face, reads the threshold nearer their own height,
    ``confirm_samples`` readings in a row) it is behind them; a residual of its sign that
    stays is the ground learned before it (a grade that ended there): learned again - past
    a step up only from a level clearly nearer the mounted height than the learned ground
    (else it is the next step up in view, a staircase's next tread).

    Each streak is a sighting with a near edge (the least reach of its samples past the
    threshold). A streak that starts at least ``hold_reach_m`` / ``approach_speed_mps``
    after the last sighting of its sign (within ``hold_window_s``), no nearer than that
    sighting's edge less ``hold_reach_m``, holds its distance and never confirms; a
    streak after a shorter gap inherits the last one's verdict. A streak with no sighting
    before it came into view - except in the first ``first_look_s`` of watching, when
    there is nothing to compare with: then it waits for its next sighting (or warns
    once it has lasted ``hold_window_s``). While the runner is not moving (an IMU fitted,
    ``Pose.running`` false) nothing approaches.

    A sensor returning the ground less than ``strict_validity`` of the time (in sun, only
    at the stride's steep-beam phases; those readings are accurate) learns its level from
    readings spanning ``sparse_learn_s`` that agree, judging against the mounted height
    meanwhile. While the IMU gives no pitch the sweep is not watched: what is seen once it
    is back waits for its next sighting, as at switch-on.

    From a sensor that has had the ground in range (``beyond_validity``), NO_TARGET means
    the ground is at least ``max_range_m`` away: a drop sample when that is past
    ``drop_m``, never learned, never a rise. A sigma fail's ``raw_m`` is a drop sample
    when it is twice ``drop_m`` below the ground, and is never learned. SIGNAL_FAIL (sun,
    glare) says nothing.
    """

    kind = "surface"

    def __init__(self, sensor_id: str, cfg, *, mount_height_m: float = 1.0,
                 mount_pitch_deg: float = -25.0, half_fov_deg: float = 1.0,
                 sample_period_s: float = 0.004, max_range_m: float | None = None) -> None:
        self.sensor_id = sensor_id
        self.max_range_m = max_range_m    # the range limit when NO_TARGET is reported
        self.sample_period_s = sample_period_s
        self.mount_height_m = mount_height_m
        self.mount_pitch_deg = mount_pitch_deg
        self.half_fov_deg = half_fov_deg
        self.hold = LevelHold(0.0)
        self.baseline_m: float | None = None
        self.deviation_m = 0.0
        self._learning: list[float] = []
        self._learning_sparse = False  # the share of valid readings is under strict_validity
        self._dense_t_s = 0.0          # ... since when it is not
        self._learn_t_s = 0.0
        self._streak = 0          # + drops, - rises
        self._last_raw_m: float | None = None
        self._changed_in_streak = False
        self._sample_changed = False
        self._strong = 0           # samples of the streak beyond the threshold itself
        self._very_strong = 0      # ... beyond twice the threshold
        self._least_m = 0.0        # the smallest |deviation| in the streak
        self.validity = 0.0        # recent share of readings with a valid distance
        self.returns = 0.0         # ... with any distance (valid or a sigma fail's)
        self._validity_t_s: float | None = 0.0
        self._streak_t_s = 0.0     # when the current streak began
        self._last_t_s_seen = 0.0  # time of the newest reading judged
        self._ordinary_t_s = 0.0  # last time a reading matched the learned ground
        self._ordinary_share = 1.0  # recent share of readings that matched it
        self._share_t_s = 0.0
        c = cfg.surface
        self.fit = GroundFit(c.baseline_tau_s, min_weight=c.fit_min_weight,  # the learned ground
                             ridge_t_s=c.fit_ridge_s, ridge_reach_m=c.fit_ridge_reach_m)
        self.noise_m = 0.0        # RMS of the residuals on ordinary ground
        self._last_learn_t_s = 0.0
        self._slow_t0_s: float | None = None  # since when residuals are near the threshold
        self._blocked_since_t_s: float | None = None  # since when something is in the way
        self._blocked = False
        self._beyond = False      # the newest sample judged was a "nothing within range"
        self._noise_s = 0.0       # how long the RMS has been learning
        # a step in view, a drop [0] and a rise [1]: its last residual past the
        # threshold, two in a row, and the least reach of those lately (its near edge)
        self._step_t_s = [-math.inf, -math.inf]
        self._step_edge_m = [math.inf, math.inf]
        self._far_h_m = [0.0, 0.0]   # ... and the height of its far level
        self._crossing = 0           # readings in a row of the far level from on top of it
        self._near_side_t_s = -math.inf  # last ordinary reading nearer than a step's edge
        self._edge_m = math.inf    # near edge of this streak: least reach past the threshold
        self._streak_end_t_s = 0.0  # time of the streak's newest sample
        self._held = False         # this streak holds its distance: not a hazard
        # the last sighting of a drop [0] and of a rise [1]: when it ended, its near
        # edge, whether it held its distance
        self._seen_t_s = [-math.inf, -math.inf]
        self._seen_edge_m = [math.inf, math.inf]
        self._seen_held = [False, False]
        self._seen_pending = [False, False]
        self._still = False        # the runner is not moving (an IMU, no stride bounce)
        # a bend followed reading by reading from the last reading that matched the ground:
        # the level followed (smoothed), the last reach and time followed; off from a jump
        # that stays (a step's edge) until the ground matches again
        self._bend_level_m = 0.0
        self._chain_reach_m = 0.0
        self._chain_t_s = -math.inf
        self._chain_on = False
        self._chain_jumps = 0      # readings in a row that jumped off it
        # ... and where it last matched the ground: the level followed, the reach, the time
        self._anchor_m = 0.0
        self._anchor_reach_m = 0.0
        self._anchor_t_s = -math.inf
        self._past_run = 0         # readings past the threshold in a row: + drops, - rises
        self._watch_t0_s: float | None = None  # first reading judged since the start
        self._first_level = True  # the next level learned is the first since a (re)start
        self._pitch_moves = 0     # the pose's count of sudden pitch corrections
        self._moved_windows = 0   # learning windows in a row whose level moved under them
        self._pending = False      # held only for want of a stride watched: not yet known
        self._pending_t0_s = 0.0   # ... since this sighting began
        self.state = CLEAR
        self._drop = AlertState(Level.WARNING, self.kind, sensor_id, "drop")
        self._rise = AlertState(Level.WARNING, self.kind, sensor_id, "rise")
        self.configure(cfg)

    def configure(self, cfg) -> None:
        c = self.cfg = cfg.surface
        self.hold.hold_s = c.hold_s
        # a slow sensor's fit needs a few more samples than tau_s holds at 30 Hz
        self.fit.tau_s = max(c.baseline_tau_s, c.fit_samples * self.sample_period_s)
        self.fit.min_weight = c.fit_min_weight
        self.fit.ridge_t_s = c.fit_ridge_s
        self.fit.ridge_reach_m = c.fit_ridge_reach_m

    def reach_m(self, trunk_pitch_deg: float) -> float:
        """How far behind the sensor (horizontally) the first ray meets the learned
        ground at this pitch: where the spot is, from the angle. Not from the measured
        range: that would tie the reach to the range noise and to the very hole being
        measured (a longer range is a larger reach and a larger height at once, which
        the ground fit would learn as a grade and explain the hole away)."""
        height_m = self.mount_height_m if self.baseline_m is None else self.baseline_m
        return height_m / math.tan(math.radians(self._below_deg(trunk_pitch_deg)))

    def _below_deg(self, trunk_pitch_deg: float) -> float:
        """Angle below horizontal of the ray that hits first (the beam's lower edge)."""
        return -(self.mount_pitch_deg + trunk_pitch_deg) + self.half_fov_deg

    def ground_height_m(self, distance_m: float, trunk_pitch_deg: float, bounce_m: float) -> float | None:
        """Sensor height above the spot the first ray hits (None = ray not going down)."""
        below_deg = self._below_deg(trunk_pitch_deg)
        if below_deg <= 1.0:
            return None
        return distance_m * math.sin(math.radians(below_deg)) - bounce_m

    def feed(self, reading, pose) -> None:
        trunk_pitch_deg, bounce_m = pose.at(reading.t_s)
        t_s = reading.t_s
        pose.ground_watched = True   # the grade is ours to measure (Pose.ground_grade)
        self._still = pose.imu is not None and not pose.running
        # Share of valid readings lately: near its range limit (bright sun) a sensor
        # returns the ground only at some phases of the stride, a biased sample.
        if self._validity_t_s is None:
            self._validity_t_s = t_s  # after a fault: the share starts from nothing
        k = min(max(t_s - self._validity_t_s, 0.0) / self.cfg.validity_tau_s, 1.0)
        self._validity_t_s = t_s
        # "no target" bounds the ground only from a sensor that has had it in range:
        # a valid reading or a sigma fail (a real target near the range limit)
        steady = self.returns >= self.cfg.beyond_validity
        self.validity += k * ((reading.distance_m is not None) - self.validity)
        self.returns += k * ((reading.distance_m is not None or reading.raw_m is not None)
                             - self.returns)
        d = reading.distance_m
        beyond = noisy = False
        if d is None:
            # something in the way answers on every reading, hands come and go
            self._blocked_since_t_s = None
            self._blocked = False
            if not steady or self.baseline_m is None:
                return   # invalid: no evidence either way (health judges)
            if reading.status is RangeStatus.NO_TARGET and self.max_range_m is not None:
                d, beyond = self.max_range_m, True   # the ground is at least this far
            elif reading.raw_m is not None:
                d, noisy = reading.raw_m, True       # a sigma fail's distance
            else:
                return
        if trunk_pitch_deg is None:
            # the IMU has not settled yet (or went stale): the ground must not be learned
            # at the wrong angle, and the sweep is not watched - what is seen once it is
            # back has no stride before it to be compared with (a first look)
            self._watch_t0_s = None
            self._first_level = True
            self._learning.clear()
            return
        # no level in sight window after window while running: the pitch may be wrong
        # (the IMU rechecks it, ``ImuTracker``)
        pose.ground_unlevel = self._moved_windows >= LEVEL_DOUBT_WINDOWS
        if pose.pitch_moves != self._pitch_moves:
            # the IMU's pitch was found degrees off and moved: the ground was learned at
            # the wrong angle
            self._pitch_moves = pose.pitch_moves
            if self.baseline_m is not None:
                self.relearn()
        if self._watch_t0_s is None:
            self._watch_t0_s = t_s     # the sweep is watched from here
        h = self.ground_height_m(d, trunk_pitch_deg, bounce_m)
        if h is None:
            return
        reach_m = self.reach_m(trunk_pitch_deg)
        c = self.cfg
        provisional = self.baseline_m is None
        if provisional:
            sparse = self.validity < c.strict_validity
            if self._learning_sparse and not sparse:
                self._dense_t_s = t_s     # the share of valid readings is back
            self._learning_sparse = sparse
            if not sparse:
                # (learn_s timed from then: at switch-on the share starts from 0)
                self._learn(h, t_s, c.learn_s, from_t_s=self._dense_t_s)
                return
            # Near its range limit (bright sun) the sensor returns the ground only at the
            # stride's steep-beam phases, and those readings are accurate (a TF-Luna flags
            # the rest, amplitude under 100): the level is learned from them over a longer
            # window, which something coming nearer (an obstacle's face, whose height
            # changes across it) fails. Meanwhile judge against the configured mount
            # height, or the ground fitted from these readings once there are enough (in
            # time and reach, so a grade is followed): only deviations of twice the
            # threshold count at this validity. (Judged against the mount height alone, a
            # pitch the runner's push biases by 4 degrees reads as a 15 cm step 2 m back.)
            self._learn(h, t_s, c.sparse_learn_s, judged=True)
            if self.baseline_m is not None:
                return
        fitted = self.fit.predict(t_s, reach_m)
        # the grade the ground climbs at behind the runner (its height above the spot
        # falls with reach on a climb), for the level sensor's ground check
        pose.ground_grade = None if fitted is None else -self.fit.slope
        if fitted is not None:
            predicted = fitted
        else:
            predicted = self.mount_height_m if provisional else self.baseline_m
        dev = h - predicted
        if (beyond and dev < c.drop_m) or (noisy and dev < 2.0 * c.drop_m):
            # the range limit is not below the ground / a noisy reading of ordinary
            # ground (it is not learned either): no news
            return
        if dev <= -c.occlusion_m:
            # A hand flicking through the beam (tens of ms), not the ground. Lasting
            # blocked_confirm_s it is something in the way (a bench seat, a low wall
            # the level sensor's beam passes over): warn. Lasting relearn_after_s, the
            # learned ground was wrong (e.g. the belt was moved): learn it again.
            if self._blocked_since_t_s is None:
                self._blocked_since_t_s = t_s
            self._blocked = t_s - self._blocked_since_t_s >= c.blocked_confirm_s
            if not provisional:
                self._note_ordinary(False, t_s)
                if self._lost_ground(t_s):
                    self.relearn()
            return
        self._blocked_since_t_s = None
        self._blocked = False
        if not (beyond or noisy or provisional) and self._crossed(t_s, reach_m, h, dev):
            return
        self.deviation_m = dev
        self._beyond = beyond
        self._last_t_s_seen = t_s
        changed = beyond or d != self._last_raw_m    # (no target is not a repeated number)
        self._last_raw_m = d
        # A streak is a run of samples at least support_share of the way to a threshold
        # on one side; it confirms when long enough and at least two of its samples
        # pass the threshold itself (a 6 cm root read through 1.5 cm of noise).
        support = self.cfg.support_share
        threshold_m = min(c.drop_m, c.rise_m)
        ordinary = abs(dev) < 0.5 * threshold_m
        bend = not (ordinary or beyond or noisy) and self._bends(t_s, reach_m, dev)
        # readings past the threshold in a row, of one sign, bends or not
        if dev >= c.drop_m:
            self._past_run = self._past_run + 1 if self._past_run > 0 else 1
        elif dev <= -c.rise_m:
            self._past_run = self._past_run - 1 if self._past_run < 0 else -1
        else:
            self._past_run = 0
        if bend:
            if self._streak:
                self._end_sighting()
                self._streak = 0
            if self._past_run:
                self._note_bend_sighting(t_s, reach_m, dev)
        elif dev >= support * c.drop_m:
            if self._streak <= 0:
                self._new_streak(t_s, reach_m, 1)
            self._streak += 1
            self._streak_end_t_s = t_s
            self._resolve_pending(t_s)
            if dev >= c.drop_m:
                self._strong += 1
                self._edge_m = min(self._edge_m, reach_m)
                if not (beyond or noisy) and self._streak >= 2:
                    self._note_step(0, t_s, reach_m, h)
            self._very_strong += dev >= 2.0 * c.drop_m
            self._least_m = min(self._least_m, dev)
        elif dev <= -support * c.rise_m:
            if self._streak >= 0:
                self._new_streak(t_s, reach_m, -1)
            self._streak -= 1
            self._streak_end_t_s = t_s
            self._resolve_pending(t_s)
            if dev <= -c.rise_m:
                self._strong += 1
                self._edge_m = min(self._edge_m, reach_m)
                if -self._streak >= 2:
                    self._note_step(1, t_s, reach_m, h)
            self._very_strong += dev <= -2.0 * c.rise_m
            self._least_m = min(self._least_m, -dev)
        elif self._streak:
            self._end_sighting()
            self._streak = 0
        # A stuck sensor repeats itself: a streak must hold a sample that changed from
        # the one before it in the streak; a lone sample, from the reading before it.
        self._sample_changed = changed
        if changed and abs(self._streak) >= 2:
            self._changed_in_streak = True
        if ordinary and reach_m < self._step_edge(t_s) - c.step_margin_m:
            self._near_side_t_s = t_s
        if beyond or noisy:
            pass
        elif ordinary or bend or (self._chain_on and abs(dev) < threshold_m):
            if not self._chain_on:
                self._chain_on, self._bend_level_m, self._chain_jumps = True, dev, 0
            # the level followed moves toward each reading no faster than a bend lets it
            # change over the reach swept since the last one (an edge entering the spot
            # while the sweep dwells at its far end creeps in: a step, not a bend)
            step_m = BEND_SMOOTHING * (dev - self._bend_level_m)
            most_m = c.bend_grade * self._bend_path_m(t_s, reach_m)
            self._bend_level_m += max(-most_m, min(step_m, most_m)) if not ordinary else step_m
            self._chain_reach_m, self._chain_t_s = reach_m, t_s
            if ordinary:
                self._chain_jumps = 0
                self._anchor_m, self._anchor_reach_m, self._anchor_t_s = \
                    self._bend_level_m, reach_m, t_s
        elif self._chain_jumps >= BEND_JUMPS:
            self._chain_on = False    # a jump that stays: a step's edge
        if provisional:
            if bend or abs(dev) < threshold_m:
                self.fit.add(t_s, reach_m, h, self._weight(ordinary, reach_m, t_s))
            return
        if beyond or noisy:
            return   # a bound or a noisy reading: never learned
        # Below the threshold but not ordinary: learned too, once it lasts (see
        # _slow_weight) - a learned ground a few cm off recovers, and a grade's start,
        # where the residual grows until the fit catches up, does not reach the
        # threshold (docs/notes.md, "detect/surface.py").
        slow = not ordinary and abs(dev) < threshold_m and not bend
        self._note_ordinary(ordinary or bend, t_s)
        if ordinary or slow or bend or self._lost_ground(t_s):
            # the ground learned in time and reach (a grade passing under the runner
            # and the stride sweeping the spot along it); a hole or kerb (past the
            # threshold) is kept out of it
            dt = max(t_s - self._last_learn_t_s, 0.0)
            self._last_learn_t_s = t_s
            if ordinary or slow or bend:
                # (a bend counts once it lasts, as a slow residual: a root's face is
                # crossed in a few readings and must not bend the ground toward it)
                weight = self._weight(ordinary, reach_m, t_s)
            else:
                weight = 1.0   # the ground is lost: learned again from what is seen
            self.fit.add(t_s, reach_m, h, weight)
            self.baseline_m = predicted
            if ordinary or slow:
                self._learn_noise(dev, dt)
            if ordinary:
                self._ordinary_t_s = t_s

    def _bends(self, t_s: float, reach_m: float, dev_m: float) -> bool:
        """Is this residual past half the threshold the ground bending (a grade starting or
        ending) rather than a step? Past a bend the ground leaves the learned plane by the
        change of grade times the distance past it: the residual changes along the sweep
        by at most ``bend_grade`` per metre of reach. So it is followed reading by reading
        (at most ``bend_gap_s`` apart) as a level that moves toward each reading no faster
        than that; a reading within ``bend_sigmas`` of the ground's scatter (at most
        ``BEND_NOISE_SHARE`` of the threshold) plus the grade's share of the reach since the
        last one is the ground bending. A step's residual jumps by its height at its edge
        and stays there (``BEND_JUMPS`` readings in a row): from there on, until the ground
        matches again, nothing is a bend (however far past the edge)."""
        c = self.cfg
        if c.bend_grade <= 0.0 or not self._chain_on or t_s - self._chain_t_s > c.bend_gap_s:
            return False
        path_m = self._bend_path_m(t_s, reach_m)
        noise_m = min(c.bend_sigmas * self.noise_m, BEND_NOISE_SHARE * min(c.drop_m, c.rise_m))
        # from where it last matched the ground, the spot has passed at most the reach
        # between and the runner's travel: a face climbed by the sweep (its residual grows
        # by the beam's own slope, 0.29-0.55 per metre) outgrows that, however the level
        # followed crept after it reading by reading
        since_m = (abs(reach_m - self._anchor_reach_m)
                   + c.bend_speed_mps * max(t_s - self._anchor_t_s, 0.0))
        if (abs(dev_m - self._bend_level_m) <= c.bend_grade * path_m + noise_m
                and abs(dev_m - self._anchor_m)
                <= c.bend_grade * since_m + BEND_ANCHOR_NOISE_SHARE * noise_m):
            self._chain_jumps = 0
            return True
        self._chain_jumps += 1
        return False

    def _note_bend_sighting(self, t_s: float, reach_m: float, dev_m: float) -> None:
        """A bend past the threshold is never warned, but it was seen there: the next
        streak of its sign is compared with it as with any sighting (the foot of a wall
        the sweep climbs while the runner jogs in place holds its distance a stride later),
        and a streak straight after it, the same deviation broken off the bend, shares its
        verdict - reached as a streak's is, from the sighting before it. As for a streak,
        one noisy reading is no sighting: two in a row (one from a slow sensor)."""
        c = self.cfg
        if abs(self._past_run) < (1 if self.sample_period_s >= c.single_sample_period_s else 2):
            return
        i = 0 if dev_m > 0.0 else 1
        gap_s = t_s - self._seen_t_s[i]
        if gap_s * c.approach_speed_mps < c.hold_reach_m:
            self._seen_edge_m[i] = min(self._seen_edge_m[i], reach_m)   # the same sighting
        else:
            self._seen_held[i] = (gap_s <= c.hold_window_s
                                  and reach_m >= self._seen_edge_m[i] - c.hold_reach_m)
            self._seen_edge_m[i] = reach_m
        self._seen_t_s[i] = t_s

    def _bend_path_m(self, t_s: float, reach_m: float) -> float:
        """The most ground a bend can have passed under the spot since the last reading
        followed: the sweep's change of reach, and the runner's own travel (at most
        ``bend_speed_mps``), which carries the spot along the ground and the runner over
        a grade's start (there the residual changes at every reach at once)."""
        return (abs(reach_m - self._chain_reach_m)
                + self.cfg.bend_speed_mps * max(t_s - self._chain_t_s, 0.0))

    def _note_ordinary(self, ordinary: bool, t_s: float) -> None:
        # time constant such that, with nothing matching, the share falls to
        # relearn_share in exactly relearn_after_s (as the configuration says)
        tau_s = self.cfg.relearn_after_s / math.log(1.0 / self.cfg.relearn_share)
        k = min(max(t_s - self._share_t_s, 0.0) / tau_s, 1.0)
        self._share_t_s = t_s
        self._ordinary_share += k * (ordinary - self._ordinary_share)

    def _lost_ground(self, t_s: float) -> bool:
        """The learned ground is wrong: nothing has matched it for relearn_after_s, or
        little has lately (hands crossing the beam can match a ground learned from a
        box's face now and then, while the real ground reads as an endless drop).
        Not while a step that approached is in view, until a runner at the slowest
        approach_speed_mps would have reached its near edge: the runner still stands on
        the learned level (learning the step's far level would warn of it again, the
        other way, once they are on it, and hide the next step)."""
        c = self.cfg
        edge_m = self._step_edge(t_s)
        if not self._held and edge_m < math.inf:
            reach_s = edge_m / c.approach_speed_mps
            if reach_s > c.relearn_after_s:
                # (the share of matching readings may still remember the step before)
                return t_s - self._ordinary_t_s > reach_s
        return (t_s - self._ordinary_t_s > c.relearn_after_s
                or self._ordinary_share < c.relearn_share)

    def _note_step(self, i: int, t_s: float, reach_m: float, h_m: float) -> None:
        """A residual past the threshold, the second in a row or later: a step (a drop
        for ``i`` 0, a rise for 1) is in view, its near edge no farther than here. It
        restarts the slow_persist_s clock: a step's far level read through noise is no
        bias to learn."""
        c = self.cfg
        if t_s - self._step_t_s[i] >= c.step_memory_s:
            self._step_edge_m[i] = reach_m       # a new step
            self._far_h_m[i] = h_m
        else:
            self._step_edge_m[i] = min(self._step_edge_m[i], reach_m)
            if reach_m >= self._step_edge_m[i] + c.step_margin_m:   # its far level
                k = min((t_s - self._step_t_s[i]) / c.baseline_tau_s, 1.0)
                self._far_h_m[i] += k * (h_m - self._far_h_m[i])
        self._step_t_s[i] = self._slow_t0_s = t_s

    def _crossed(self, t_s: float, reach_m: float, h_m: float, dev_m: float) -> bool:
        """The runner has stepped onto the step in view: its far level, past its face,
        reads the threshold nearer the runner's own height than it did, confirm_samples
        readings in a row (the sensor rose or fell by the step). The step is then behind
        the runner; a residual of its sign that stays is the ground learned before it
        (a grade that ended at the step): learned again now (True: the reading is done)."""
        c = self.cfg
        for i in (0, 1):
            if (t_s - self._step_t_s[i] >= c.step_memory_s
                    or reach_m < self._step_edge_m[i] + c.step_margin_m):
                continue
            toward_m = self._far_h_m[i] - h_m if i == 0 else h_m - self._far_h_m[i]
            if toward_m < (c.drop_m if i == 0 else c.rise_m):
                self._crossing = 0
                return False
            self._crossing += 1
            if self._crossing < c.confirm_samples:
                return False
            self._crossing = 0
            self._step_t_s[i] = -math.inf
            # the step seen approaching is under the runner: the next one of its sign
            # is another step, not this one holding its distance
            self._seen_t_s[i] = -math.inf
            # Relearned only when the level in view is nearer the sensor's mounted height
            # than the learned ground is, by half the threshold (bounce, noise, a belt a
            # little off its configured height): then the learned ground is what is wrong
            # (a grade learned before the step). Otherwise it is the next step in view (a
            # long tread's next one up, the staircase's top; down long treads, the levels
            # below, which a spot 2 m back sees from the first tread): learned now, that
            # level would be taken for the runner's own, and the one they reach next read
            # as a step the other way. (The learned ground's own offset, not the level's
            # distance from it: a staircase's next level down, 10 cm off the mount, is
            # nearer it than to a ground learned 3 cm low, yet not the runner's level.)
            threshold_m = min(c.drop_m, c.rise_m)
            ground_off_m = abs(h_m - dev_m - self.mount_height_m)   # the learned ground's
            if ((dev_m > 0.0) == (i == 0) and abs(dev_m) >= 0.5 * threshold_m
                    and abs(h_m - self.mount_height_m) <= ground_off_m - 0.5 * threshold_m):
                self.relearn()
                return True
            return False
        return False

    def _step_edge(self, t_s: float) -> float:
        """Near edge (m of reach) of the step in view; infinite when there is none."""
        memory_s = self.cfg.step_memory_s
        edge_m = math.inf
        if t_s - self._step_t_s[0] < memory_s:
            edge_m = self._step_edge_m[0]
        if t_s - self._step_t_s[1] < memory_s:
            edge_m = min(edge_m, self._step_edge_m[1])
        return edge_m

    def _weight(self, ordinary: bool, reach_m: float, t_s: float) -> float:
        """Weight in the learned ground of a sample below the threshold: none beyond the
        near edge (less ``step_margin_m``) of a step in view whose near side - ordinary
        ground nearer than its edge - is in view as well: there it is the step's face,
        or its far level read through noise, and learning it would tilt the ground onto
        the step (which then reads as a step the other way once the runner is on it, and
        hides the next one). A step filling the whole sweep cannot be told from a ground
        learned a few cm off, which must recover: there each residual past the threshold
        restarts ``_slow_weight``'s clock instead."""
        c = self.cfg
        if (t_s - self._near_side_t_s < c.step_memory_s
                and reach_m >= self._step_edge(t_s) - c.step_margin_m):
            self._slow_t0_s = None
            return 0.0
        return self._slow_weight(ordinary, t_s)

    def _slow_weight(self, ordinary: bool, t_s: float) -> float:
        """Weight in the learned ground of this sample. A residual between half the
        threshold and the threshold counts more the longer such residuals have lasted:
        a root's face is crossed in a few tens of ms and must not bend the ground
        toward it, a bias (the IMU's pitch while the runner speeds up) or a grade's
        far end lasts and must be learned."""
        if ordinary:
            self._slow_t0_s = None
            return 1.0
        if self._slow_t0_s is None:
            self._slow_t0_s = t_s
        return min((t_s - self._slow_t0_s) / self.cfg.slow_persist_s, 1.0)

    def _learn_noise(self, dev: float, dt: float) -> None:
        """Mean square of the residuals on ordinary ground (slow too: a residual a
        little under the threshold is exactly the scatter that must widen the gate)."""
        k = min(dt / self.cfg.noise_tau_s, 1.0)
        self._noise_s += dt
        var = self.noise_m * self.noise_m
        self.noise_m = math.sqrt(var + k * (dev * dev - var))

    @property
    def armed(self) -> bool:
        """The ground is learned: from here a rise or drop can be told (the device's
        "armed" waits for it)."""
        return self.baseline_m is not None

    @property
    def scatter_learned(self) -> bool:
        """The RMS of the ground's residuals has been learned long enough to judge by."""
        return self._noise_s >= self.cfg.noise_learn_s

    def single_sample_ok(self) -> bool:
        """One sample may confirm: a slow sensor whose ground residuals are learned."""
        c = self.cfg
        return (c.single_sample_sigmas > 0.0
                and self.sample_period_s >= c.single_sample_period_s
                and self.scatter_learned)

    def _new_streak(self, t_s: float, reach_m: float, sign: int) -> None:
        if self._streak:
            self._end_sighting()
        c = self.cfg
        i = 0 if sign > 0 else 1
        gap_s = t_s - self._seen_t_s[i]
        held = self._pending = False
        if gap_s <= c.hold_window_s:
            if gap_s * c.approach_speed_mps >= c.hold_reach_m:
                # long enough for a moving runner to have brought it hold_reach_m nearer:
                # held if it is no nearer - and, when that sighting was approaching, no
                # farther either: it has come nearer since, so a deviation beyond where it
                # was is the next feature coming into view (a second kerb 4 m on)
                edge_m = self._seen_edge_m[i]
                held = reach_m >= edge_m - c.hold_reach_m and (
                    self._seen_held[i] or reach_m <= edge_m + c.hold_reach_m)
            else:
                held = self._seen_held[i]   # the same sighting, interrupted by a sample
                self._pending = held and self._seen_pending[i]   # ... still waiting
        else:
            # nothing like it a stride ago: it came into view, unless the sweep has not
            # been watched for a stride yet (just switched on: wait for the next sighting)
            held = t_s - self._watch_t0_s < c.first_look_s
            self._pending = held
            self._pending_t0_s = t_s
        self._held = held or self._still
        self._streak = self._strong = self._very_strong = 0
        self._least_m = self._edge_m = math.inf
        self._changed_in_streak = False
        self._streak_t_s = t_s

    def _resolve_pending(self, t_s: float) -> None:
        """A deviation seen since the start that stays in view a whole hold_window_s
        without a stride's sweep to judge it by (no second sighting) is warned: in doubt
        a hazard."""
        if self._pending and t_s - self._pending_t0_s >= self.cfg.hold_window_s:
            self._pending = False
            self._held = self._still

    def _end_sighting(self) -> None:
        """The streak ends: remember it to compare the next one of its sign with, when
        it passed the threshold twice (once for a slow sensor): one noisy sample is
        no sighting."""
        if self._strong >= (1 if self.sample_period_s >= self.cfg.single_sample_period_s else 2):
            i = 0 if self._streak > 0 else 1
            self._seen_t_s[i] = self._streak_end_t_s
            self._seen_edge_m[i] = self._edge_m
            self._seen_held[i] = self._held
            self._seen_pending[i] = self._pending

    def _learn(self, h: float, t_s: float, span_s: float, judged: bool = False,
               from_t_s: float = -math.inf) -> None:
        """Learn the ground's level from readings spanning at least ``span_s`` (counted
        from ``from_t_s`` at the earliest; ``judged``: the readings were judged against
        the mounted height meanwhile, so the sweep has been watched since the first)."""
        learning = self._learning
        if not learning:
            self._learn_t_s = t_s
        learning.append(h)
        c = self.cfg
        if (len(learning) >= c.learn_samples
                and t_s - max(self._learn_t_s, from_t_s) >= span_s):
            # A level is what the whole window agrees on: when the medians of its
            # quarters differ by a step's threshold the level moved under it (a staircase
            # climbed or descended while learning, the hip moving with each step) - keep
            # the newest quarter and learn on; learned mid-staircase, the level the runner
            # stands on at its end would read as a step the whole sweep long.
            if self._level_moved(learning, min(c.drop_m, c.rise_m)):
                self._moved_windows += 1
                del learning[:len(learning) - max(len(learning) // 4, 1)]
                self._learn_t_s = t_s - 0.25 * (t_s - self._learn_t_s)
                return
            learning.sort()
            level_m = learning[len(learning) // 2]
            if abs(level_m - self.mount_height_m) > c.learn_offset_max_m:
                # not the runner's own level: a staircase or bank in view (in bright sun
                # what first comes into range is what is near); judged against the
                # mounted height meanwhile
                learning.clear()
                return
            self.baseline_m = level_m
            self._moved_windows = 0
            if self._first_level and not judged:
                # deviations from the ground are told from here; a level learned again
                # on the run (a step crossed, a grade's end) is no new start: the sweep
                # has been watched all along and a step coming into view is judged at once
                self._watch_t0_s = t_s
            self._first_level = False
            learning.clear()
            self.fit.clear()
            self._last_learn_t_s = t_s
            self._ordinary_t_s = self._share_t_s = t_s
            self._ordinary_share = 1.0

    @staticmethod
    def _level_moved(heights: list[float], threshold_m: float) -> bool:
        """Do the medians of the quarters of ``heights`` (oldest first) span
        ``threshold_m`` or more? (Only while learning, not per reading.)"""
        n = len(heights)
        lo, hi = math.inf, -math.inf
        for q in range(4):
            part = sorted(heights[q * n // 4:max((q + 1) * n // 4, q * n // 4 + 1)])
            mid = part[len(part) // 2]
            lo, hi = min(lo, mid), max(hi, mid)
        return hi - lo >= threshold_m

    def judge(self, t_s: float) -> AlertState:
        c = self.cfg
        # Confirmed by confirm_samples in a row, or - for a slow sensor whose samples
        # are far apart - by two that span confirm_s. The confirming samples must not
        # all be one number: under a moving runner the ground range always changes,
        # a stuck sensor repeats itself.
        streak = abs(self._streak)
        # Two samples past the threshold - but all of them past twice the threshold when
        # the sensor sees the ground less than strict_validity of the time (near its
        # range limit, in bright sun): its valid readings are then a biased sample (only
        # the strides' steep-beam phases), good for a wall or a deep hole, not a 5 cm root.
        # (a "nothing within range" bound is not such a sample: it is judged as is)
        validity = 1.0 if self._beyond else self.validity
        if validity >= self.cfg.strict_validity:
            # ... and at least half of the streak: a long run of near-threshold samples
            # is a biased ground level (a slope being learned), not a step
            strong = self._strong >= min(2, c.confirm_samples) and 2 * self._strong >= streak
        else:
            strong = self._very_strong >= c.confirm_samples
        confirmed = self._changed_in_streak and strong and not self._held and (
            streak >= c.confirm_samples
            or (streak >= 2 and self._last_t_s_seen - self._streak_t_s >= c.confirm_s))
        # one sample of a slow sensor: past the threshold (twice it when the ground is
        # seen less than strict_validity of the time, as above) and far outside the
        # ground's own scatter (abs: a drop and a rise are judged alike)
        one = self._very_strong if validity < self.cfg.strict_validity else self._strong
        if not confirmed and streak >= 1 and one >= 1 and not self._held and self.single_sample_ok():
            confirmed = (self._sample_changed
                         and abs(self.deviation_m) >= c.single_sample_sigmas * self.noise_m)
        # two in a row, both past the threshold and far outside the ground's scatter: a
        # fast sensor whose spot the stride sweeps across a hole in 20 ms (at 4.5 m/s,
        # 3.5 m back) has a third sample on the hole's grazing-lit far wall
        if (not confirmed and streak >= 2 and self._strong >= 2 and self._changed_in_streak
                and not self._held
                and validity >= self.cfg.strict_validity and c.pair_sigmas > 0.0
                and self.scatter_learned and self._least_m >= c.pair_sigmas * self.noise_m):
            confirmed = True
        if self._blocked:
            raw = self._rise
        elif confirmed:
            raw = self._drop if self._streak > 0 else self._rise
        else:
            raw = CLEAR
        self.state = self.hold.update(raw, t_s)
        return self.state

    def reset(self) -> None:
        """Forget everything (the sensor was in fault): learn the ground afresh. Its
        share of valid readings starts again from zero too: a sensor back from a blind
        spell in the sun must not learn the first thing it sees (a kerb's top, 15 cm
        up) as the ground - until it has seen enough, it judges against the mount."""
        self.relearn()
        self._first_level = True
        self.hold.reset()
        self.state = CLEAR
        self.validity = 0.0
        self.returns = 0.0
        self._validity_t_s = None
        self._seen_t_s[0] = self._seen_t_s[1] = -math.inf

    def relearn(self) -> None:
        """Forget the ground level (after a mode change or a long gap)."""
        self.baseline_m = None
        self._learning.clear()
        self._streak = 0
        self._blocked_since_t_s = None
        self._blocked = False
        self.noise_m = 0.0
        self._noise_s = 0.0
        self.fit.clear()
        self._held = self._pending = False
        self._step_t_s[0] = self._step_t_s[1] = self._near_side_t_s = -math.inf
        self._crossing = 0
        self._chain_on = False
