"""Obstacle detector: time to contact (TTC) from a range track, plus distance floors.

DANGER when nearer than ``danger_distance_m`` or closing with TTC <= ``danger_ttc_s``;
WARNING and CAUTION likewise with their ``warning_*`` / ``caution_*`` settings
(``obstacle.*`` in docs/config.md). A target inside a distance floor that is not
closing is reported with ``detail="steady"`` so the arbiter can quieten it after
``alert.steady_mute_s``. A reading at or beyond the range where the beam meets the
ground is the ground, not an obstacle. How a new target is first judged:
``ObstacleDetector``.
"""

from __future__ import annotations

import math

from pi_app.detect import AlertState, CLEAR, Level
from pi_app.detect.filters import RangeTrack
from pi_app.detect.hold import LevelHold
from pi_app.sensors.base import RangeStatus


def braking_ttc_s(distance_m: float, closing_mps: float, runner_mps: float,
                  braking_mps2: float) -> float:
    """Time to contact with a target ``distance_m`` away closing at ``closing_mps`` when
    ``runner_mps`` of that (the runner's own share, at most all of it) falls at
    ``braking_mps2`` until the runner stops and the rest holds; ``math.inf`` when the
    closing stops short of it. With no braking: ``distance_m / closing_mps``."""
    share_mps = min(runner_mps, closing_mps)
    if braking_mps2 <= 0.0 or share_mps <= 0.0:
        return distance_m / closing_mps if closing_mps > 0.0 else math.inf
    stop_s = share_mps / braking_mps2
    stop_m = closing_mps * stop_s - 0.5 * braking_mps2 * stop_s * stop_s
    if distance_m <= stop_m:  # reached while still braking: d = v t - a t^2 / 2
        root = math.sqrt(max(closing_mps * closing_mps - 2.0 * braking_mps2 * distance_m, 0.0))
        return (closing_mps - root) / braking_mps2
    rest_mps = closing_mps - share_mps
    if rest_mps <= 0.0:
        return math.inf
    return stop_s + (distance_m - stop_m) / rest_mps


class ObstacleDetector:
    """TTC and distance levels for one sensor watching for obstacles.

    First sight: a new target is tracked once a second reading agrees. While the IMU's
    bounce says the runner is running (``Pose.running``), the runner alone closes at
    least at ``first_sight_speed_mps``, so a new target's first valid reading beyond
    ``near_birth_m`` warns at once when that speed reaches it within ``warning_ttc_s``;
    the second reading then judges it as usual. What the runner has just lost of their
    speed (``Pose.speed_change_mps``, from the IMU's accelerometer) is taken off that
    speed: a runner braking to a stop no longer closes at a jog.

    Earned speed: a young track knows its closing speed only roughly (two samples 33 ms
    apart near the range limit: +-1 m/s), and judging it on the pessimistic end of that
    made a wall warn for a runner easing to a stop short of it. While the IMU says the
    runner is slowing (lost ``slowing_min_mps``) or not running, a track whose speed is
    not yet measured to ``earned_sigma_mps`` is judged on the closing speed its samples
    prove (estimate minus ``evidence_sigmas`` sigmas) or on the runner's own closing
    speed on a static object (the first-sight speed less what was lost; 0 when not
    running), whichever is faster, never beyond its pessimistic estimate: a static
    object still warns at once, a faster one as soon as its samples show it, a slow one
    only on evidence. A running runner's speed is not known (at least a jog, at most a
    sprint), so then the pessimistic estimate stands. Readings the chip flags as
    unreliable never measure a speed (see ``RangeTrack``); a track that has no measured
    speed yet is judged at the runner's own closing speed, as on first sight.

    Ground rejection: a level beam's lower edge reaches the ground some metres behind the
    runner (further when the trunk leans forward and tilts a rear sensor up); a reading
    at or beyond the expected ground range (from the beam's pitch, with the IMU's when
    fitted) is the ground. One just short of it (``ground_band_deg``) may be the ground
    seen through the pitch estimate's error: it extends a target already followed or
    corroborates a new one, but a new target needs a reading nearer than that.

    Braking: while running, a runner braking steadily (``RunnerMotion.braking_mps2``,
    less ``braking_margin_mps2`` for the IMU's error) closes on a static object ever
    slower and stops ``v^2 / 2a`` on: time to contact under that constant deceleration
    (``braking_ttc_s``) is finite only when the runner reaches it before stopping. Only
    the runner's own share of the closing speed slows, and the runner is sure to supply
    only the first-sight speed less what they have lost (the speed the first-sight rule
    already relies on); the rest may be a walker coming on, and keeps closing after the
    runner stops. A runner who slows a little and still reaches the wall is warned as
    before: the TTC only grows by what the stop would take off. A first sight, or a
    track whose speed is not yet measured to ``earned_sigma_mps``, is judged as before:
    a guess of the closing is not slowed, and the earliest warning must not wait on it.

    Slow sensors: the closing-speed window spans at least ``speed_window_periods`` of the
    sensor's own sample periods, and a track lasts ``timeout_periods`` of them, so a 10 Hz
    ultrasound that hears the ground between two echoes of its target is judged on as
    many echoes as a fast sensor on samples.
    """

    kind = "obstacle"

    def __init__(self, sensor_id: str, cfg, *, mount_height_m: float = 1.0,
                 mount_pitch_deg: float = 0.0, half_fov_deg: float = 13.5,
                 min_range_m: float = 0.0, sample_period_s: float = 0.033,
                 first_sight: bool = True) -> None:
        self.sensor_id = sensor_id
        self.first_sight = first_sight  # False: always wait for a second reading
        self.mount_height_m = mount_height_m
        self.mount_pitch_deg = mount_pitch_deg
        self.half_fov_deg = half_fov_deg
        self.min_range_m = min_range_m
        self.sample_period_s = sample_period_s
        self.track: RangeTrack | None = None
        self.hold = LevelHold(0.0)
        self.ttc_s: float | None = None
        self._pitch_deg = 0.0  # last known trunk pitch (the IMU may miss a sample)
        self._bounce_m = 0.0   # and bounce
        self._running = False
        self._doubtful = False     # the IMU says the runner is slowing or not running
        self._static_mps = 0.0     # the runner's least closing speed on a static object
        self._braking_mps2 = 0.0   # the deceleration of that closing credited to braking
        self._first_sight = False  # this reading is a new target's first sight
        self._grade = None         # the climb the ground sensor measures (Pose.ground_grade)
        self._grade_due = False    # there is a ground sensor to measure it (not yet done)
        self.configure(cfg)
        self._states = {}
        self.state = CLEAR

    def configure(self, cfg) -> None:
        o = cfg.obstacle
        self.cfg = o
        old = self.track
        self.track = RangeTrack(max_step_m=o.max_step_m, confirm_samples=o.confirm_samples,
                                near_birth_m=o.near_birth_m, near_confirm_s=o.near_confirm_s,
                                window_s=self.speed_window_s(),
                                # a slow sensor (ultrasound, 10 Hz) that hears the ground
                                # in between must not lose its target between two echoes
                                timeout_s=max(o.track_timeout_s,
                                              o.timeout_periods * self.sample_period_s),
                                max_speed_mps=o.max_closing_speed_mps,
                                max_birth_speed_mps=o.max_birth_speed_mps,
                                max_birth_opening_mps=o.max_birth_opening_mps,
                                birth_noise_m=o.birth_noise_m,
                                sample_period_s=self.sample_period_s)
        if old is not None and old.active:  # keep following the same target
            self.track.samples = old.samples
            self.track.distance_m = old.distance_m
            self.track.closing_mps = old.closing_mps
            self.track.speed_uncertainty = old.speed_uncertainty
            self.track.last_t_s = old.last_t_s
        self.hold.hold_s = o.hold_s

    def speed_window_s(self) -> float:
        """The closing-speed window: ``speed_window_s``, or ``speed_window_periods`` of this
        sensor's sample periods when that is longer (a 10 Hz ultrasound: 0.6 s)."""
        o = self.cfg
        return max(o.speed_window_s, o.speed_window_periods * self.sample_period_s)

    def reset(self) -> None:
        """Forget the target (the sensor was in fault: what it said is not evidence)."""
        self.track.reset()
        self.hold.reset()
        self.state = CLEAR

    def expected_ground_m(self, beam_pitch_deg: float, bounce_m: float = 0.0,
                          grade: float = 0.0) -> float | None:
        """Slant range at which the beam's lower edge meets level ground (None = never),
        with the sensor ``bounce_m`` above its mount height (the stride's bounce moves
        a grazing ground hit by ~5x as much); ``grade`` > 0: ground climbing behind the
        runner at that rise per metre from under their feet."""
        below_rad = math.radians(self.half_fov_deg - beam_pitch_deg)
        if grade > 0.0:
            # the lower edge's height h - r sin(below) meets the ground's r cos(below) grade
            down = math.sin(below_rad) + math.cos(below_rad) * grade
            return None if down <= 0.01 else (self.mount_height_m + bounce_m) / down
        if below_rad <= 0.01:
            return None
        return (self.mount_height_m + bounce_m) / math.sin(below_rad)

    def feed(self, reading, pose) -> None:
        """Take one reading from the driver (``judge`` then says the held level)."""
        trunk_pitch_deg, bounce_m = pose.at(reading.t_s)
        t_s = reading.t_s
        d = reading.distance_m
        self._running = pose.running
        change_mps = pose.speed_change_mps
        if self._running:
            self._static_mps = max(0.0, self.cfg.first_sight_speed_mps + min(0.0, change_mps))
            motion = getattr(pose.imu, "motion", None)
            braking_mps2 = 0.0 if motion is None else motion.braking_mps2
            self._braking_mps2 = max(0.0, braking_mps2 - self.cfg.braking_margin_mps2)
        else:
            self._static_mps = 0.0
            self._braking_mps2 = 0.0
        self._doubtful = pose.imu is not None and (
            not self._running or change_mps <= -self.cfg.slowing_min_mps)
        if d is None and reading.status == RangeStatus.MIN_RANGE:
            d = self.min_range_m  # closer than the sensor can measure: as near as it gets
        if trunk_pitch_deg is not None:
            self._pitch_deg = trunk_pitch_deg
            self._bounce_m = bounce_m
        self._grade = pose.ground_grade
        self._grade_due = pose.ground_watched   # a ground sensor will measure it
        if d is None:
            raw = reading.raw_m
            if raw is not None and not self.track.active:
                # A sigma-fail reading near the range limit still says "something is
                # there": it may corroborate a candidate (two agreeing readings), but
                # it is too noisy to measure a speed.
                self.track.add(t_s, raw, weak=True, found=self._may_found(raw))
            else:
                self.track.miss(t_s)
        else:
            # At grazing angles the ground's range changes by metres per degree, so the
            # margin is an angle (the IMU's pitch error), not a share of the range.
            ground_m = self.expected_ground_m(self.mount_pitch_deg + self._pitch_deg
                                              - self.cfg.ground_margin_deg, self._bounce_m)
            if ground_m is not None and d >= ground_m:
                self.track.miss(t_s)
            else:
                found = self._may_found(d)
                was_active = self.track.active
                self.track.add(t_s, d, found=found)
                self._first_sight = (found and not was_active and not self.track.active
                                     and self._first_sight_ok(d, reading.status))
                return
        self._first_sight = False

    @property
    def sighted(self) -> bool:
        """The last reading was a new target's first sight that may warn alone."""
        return self._first_sight

    def _may_found(self, d: float) -> bool:
        """May a reading at ``d`` found a new target? Not when it lies just short of the
        ground's expected range (a wide beam's grazing echo seen through the pitch
        estimate's error): a thing standing there is found as it comes nearer, the
        ground stays at its range. Nor where the ground could be if it climbs
        (``_climb_zone``)."""
        beam_deg = self.mount_pitch_deg + self._pitch_deg - self.cfg.ground_margin_deg
        grazing_m = self.expected_ground_m(beam_deg - self.cfg.ground_band_deg, self._bounce_m)
        if grazing_m is not None and d >= grazing_m:
            return False
        return not self._climb_zone(d, beam_deg)

    def _climb_zone(self, d: float, beam_deg: float) -> bool:
        """Is ``d`` a return the rising ground could give? The ground meets the beam's
        lower edge no nearer than where it would if it climbed from the runner's feet at
        the grade the ground sensor measures plus ``grade_margin``; until that sensor
        has measured one, at ``max_grade``, the steepest it may climb (a runner switched
        on at a climb's foot: the level beam meets it before the ground sensor's spot).
        Without a ground sensor the grade is never known and not assumed."""
        o = self.cfg
        if self._grade is not None:
            grade = self._grade + o.grade_margin
        else:
            grade = o.max_grade if self._grade_due else 0.0
        if grade <= 0.0:
            return False
        line_m = self.expected_ground_m(beam_deg, self._bounce_m, grade)
        return line_m is not None and d >= line_m

    def _first_sight_ok(self, d: float, status) -> bool:
        """May this lone valid reading of a new target warn before a second confirms
        it? Only while the runner is running (the IMU's bounce), so that the runner
        closes on it at least ``first_sight_speed_mps`` (less what they have just lost
        of their speed) whatever it does, and only for a target beyond
        ``near_birth_m`` (nearer ones are hands and arms). The braking is not
        discounted here: one reading proves nothing of the runner's share, and the
        earliest warning must not wait on it."""
        o = self.cfg
        static_mps = self._static_mps
        return (self.first_sight and self._running and static_mps > 0.0
                and status == RangeStatus.VALID
                and d >= o.near_birth_m
                and d <= static_mps * o.warning_ttc_s)

    def judge(self, t_s: float) -> AlertState:
        """Level from the current track at ``t_s`` (also called when no reading came)."""
        o = self.cfg
        track = self.track
        level = Level.CLEAR
        steady = False
        self.ttc_s = None
        if track.active:
            d = track.distance_m
            v = track.closing_mps
            closing = v >= o.min_closing_speed_mps
            # Judge on the pessimistic closing speed: the estimate plus one sigma of
            # what the range noise allows. Two samples 33 ms apart know the speed only
            # to +-1 m/s; that must not turn a runner's 2.5 m/s into "caution".
            sigma = o.range_noise_m * track.speed_uncertainty
            v_hi = v + sigma
            judged = closing
            if track.samples.count < 2:
                # Corroborated by a weak reading, no speed measured yet: a static object
                # closes at the runner's own speed (as on first sight).
                v_hi = self._static_mps
                judged = v_hi >= o.min_closing_speed_mps
            elif self._doubtful and sigma > o.earned_sigma_mps:
                # The runner is slowing (or walking) and the speed is not yet measured:
                # faster than its samples prove only up to the runner's own closing
                # speed on a static object.
                v_hi = min(v_hi, max(v - o.evidence_sigmas * sigma, self._static_mps))
                judged = v_hi >= o.min_closing_speed_mps
            # the braking slows a measured closing, not a young track's guess of one
            runner_mps = self._static_mps
            braking_mps2 = (self._braking_mps2 if track.samples.count >= 2
                            and sigma <= o.earned_sigma_mps else 0.0)
            if closing:
                ttc = d / v
                self.ttc_s = ttc
                if braking_mps2 > 0.0:
                    ttc = braking_ttc_s(d, v, runner_mps, braking_mps2)
                # A closing speed from a few samples of a new track is too noisy to
                # call DANGER on (3.20 -> 3.06 m in 35 ms reads as 4 m/s); WARNING is
                # as far as it goes until the samples span half the speed window.
                settled = track.samples.count >= 3 and track.span_s() >= 0.5 * track.window_s
                if ttc <= o.danger_ttc_s and settled:
                    level = Level.DANGER
            if judged and level < Level.DANGER and v_hi > 0.0:
                ttc_hi = braking_ttc_s(d, min(v_hi, track.max_speed_mps), runner_mps,
                                       braking_mps2)
                if ttc_hi <= o.warning_ttc_s:
                    level = Level.WARNING
                elif ttc_hi <= o.caution_ttc_s:
                    level = Level.CAUTION
            if d <= o.danger_distance_m:
                level = Level.DANGER
            elif d <= o.warning_distance_m and level < Level.WARNING:
                level, steady = Level.WARNING, not closing
            elif d <= o.caution_distance_m and level < Level.CAUTION:
                level, steady = Level.CAUTION, not closing
        elif self._first_sight:
            # One valid reading of something new, while running: by the time a second
            # sample confirms it (33 ms) a cyclist closing at 8.5 m/s is 0.3 m nearer.
            # The runner alone closes at >= first_sight_speed_mps: if that reaches it
            # within warning_ttc_s, warn now.
            level = Level.WARNING
        raw = self._state_for(level, "steady" if steady else None)
        self.state = self.hold.update(raw, t_s)
        return self.state

    def _state_for(self, level: Level, detail: str | None) -> AlertState:
        if level == Level.CLEAR:
            return CLEAR
        key = (level, detail)
        state = self._states.get(key)
        if state is None:  # a handful of distinct states: cached, not allocated per cycle
            state = self._states[key] = AlertState(level, self.kind, self.sensor_id, detail)
        return state
