"""Per-sensor filtering: a consistency-gated range track with closing speed.

Readings go through ``RangeTrack.add``; it keeps the last accepted samples in a
fixed ring buffer (no allocation per sample) and estimates the closing speed as the
least-squares slope over the last ``window_s`` seconds.
"""

from __future__ import annotations

import math

#: ``GroundFit`` moves its time origin this often, so that its sums of t and t^2 stay
#: well conditioned over hours (a numerical detail, not a tuning).
REBASE_S = 60.0
#: a track may be extended within arm's reach across this many of its sensor's sample
#: periods (one reading lost between two: a 10 Hz ultrasound hears the ground between
#: two echoes of its target), however short ``near_confirm_s`` is
NEAR_GAP_PERIODS = 2
#: flags of a ``RangeTrack`` candidate: flagged unreliable by the chip; just short of
#: the ground's range (``ObstacleDetector``: it may corroborate, not found a target)
WEAK, GRAZING = 1, 2


class RingSeries:
    """Fixed-size ring of (t_s, value) samples, each with flags; oldest overwritten."""

    __slots__ = ("_t", "_v", "_f", "_size", "_start", "count", "last_sxx")

    def __init__(self, size: int) -> None:
        self._t = [0.0] * size
        self._v = [0.0] * size
        self._f = [0] * size
        self._size = size
        self._start = 0
        self.count = 0
        self.last_sxx = 0.0

    def clear(self) -> None:
        self._start = 0
        self.count = 0

    def append(self, t_s: float, value: float, flag: int = 0) -> None:
        if self.count < self._size:
            i = (self._start + self.count) % self._size
            self.count += 1
        else:
            i = self._start
            self._start = (self._start + 1) % self._size
        self._t[i] = t_s
        self._v[i] = value
        self._f[i] = flag

    def drop_oldest(self, n: int) -> None:
        """Forget the ``n`` oldest samples."""
        n = min(max(n, 0), self.count)
        self._start = (self._start + n) % self._size
        self.count -= n

    def last(self) -> tuple[float, float]:
        i = (self._start + self.count - 1) % self._size
        return self._t[i], self._v[i]

    def interpolate(self, t_s: float) -> float:
        """Value at ``t_s`` by linear interpolation (clamped to the oldest/newest)."""
        size = self._size
        prev_t = prev_v = None
        for k in range(self.count - 1, -1, -1):  # newest first: callers look back a little
            i = (self._start + k) % size
            t, v = self._t[i], self._v[i]
            if t <= t_s:
                if prev_t is None or prev_t == t:
                    return v
                return v + (prev_v - v) * (t_s - t) / (prev_t - t)
            prev_t, prev_v = t, v
        return prev_v if prev_v is not None else 0.0

    def slope(self, since_s: float) -> float | None:
        """Least-squares d(value)/dt over samples with t >= since_s (None if < 2)."""
        n = 0
        st = sv = stt = stv = 0.0
        t0 = None
        size = self._size
        for k in range(self.count):
            i = (self._start + k) % size
            t = self._t[i]
            if t < since_s:
                continue
            if t0 is None:
                t0 = t
            dt = t - t0
            v = self._v[i]
            n += 1
            st += dt
            sv += v
            stt += dt * dt
            stv += dt * v
        if n < 2:
            return None
        den = n * stt - st * st
        if den <= 1e-12:
            return None
        self.last_sxx = den / n  # sum of squared time deviations: slope's sigma = sigma_v / sqrt(sxx)
        return (n * stv - st * sv) / den

    def mean(self, since_s: float) -> float | None:
        n = 0
        total = 0.0
        for k in range(self.count):
            i = (self._start + k) % self._size
            if self._t[i] >= since_s:
                total += self._v[i]
                n += 1
        return total / n if n else None


class RangeTrack:
    """The nearest target a range sensor follows, with birth confirmation.

    A reading joins the track when it is within ``max_step_m`` (plus the distance the
    estimated closing speed explains) of the last accepted one. Otherwise it is a
    *candidate*: ``confirm_samples`` consecutive mutually consistent candidates (and, for
    a target first seen nearer than ``near_birth_m``, at least ``near_confirm_s`` of
    persistence) replace the track. So one spurious reading never moves the track, and
    a hand flicking through the beam for a few tens of ms never becomes an obstacle, nor
    keeps one alive: a reading nearer than ``near_birth_m`` more than ``near_confirm_s``
    (or two sample periods of a slow sensor) after the track's last one is a candidate
    too (``_near_after_gap``).
    Closing speeds are clipped to ``max_speed_mps``; a two-sample birth implying a
    faster approach than ``max_birth_speed_mps``, or a faster retreat than
    ``max_birth_opening_mps``, waits for a third sample.

    A *weak* reading (one the chip itself flags as unreliable, e.g. a VL53L1X sigma
    fail near its range limit, ten times noisier) may corroborate a candidate, but the
    closing speed is fitted to valid readings only: a track born of weak readings has
    no measured speed (``speed_uncertainty`` at its maximum) until two valid ones came.
    """

    def __init__(self, *, max_step_m: float, confirm_samples: int, near_birth_m: float,
                 near_confirm_s: float, window_s: float, timeout_s: float, max_speed_mps: float,
                 max_birth_speed_mps: float, max_birth_opening_mps: float,
                 birth_noise_m: float = 0.0, sample_period_s: float = 0.0,
                 size: int = 32) -> None:
        self.birth_noise_m = birth_noise_m
        # the longest gap after which a reading within arm's reach still extends the track
        self.near_gap_s = max(near_confirm_s, NEAR_GAP_PERIODS * sample_period_s)
        self.max_speed_mps = max_speed_mps
        self.max_birth_speed_mps = max_birth_speed_mps
        self.max_birth_opening_mps = max_birth_opening_mps
        self.max_step_m = max_step_m
        self.confirm_samples = confirm_samples
        self.near_birth_m = near_birth_m
        self.near_confirm_s = near_confirm_s
        self.window_s = window_s
        self.timeout_s = timeout_s
        self.samples = RingSeries(size)
        self._cand = RingSeries(max(confirm_samples, 2) * 4)
        self._cand_first_t = 0.0
        self.distance_m: float | None = None
        self.closing_mps = 0.0
        self.speed_uncertainty = self.max_speed_mps  # closing-speed sigma per m of range noise
        self.last_t_s = -1e9

    @property
    def active(self) -> bool:
        return self.distance_m is not None

    def reset(self) -> None:
        self._drop_track()
        self._cand.clear()

    def _drop_track(self) -> None:
        """Forget the followed target (candidates for a new one are kept)."""
        self.samples.clear()
        self.distance_m = None
        self.closing_mps = 0.0

    def span_s(self) -> float:
        """Time covered by the track's samples (0 with fewer than two)."""
        s = self.samples
        if s.count < 2:
            return 0.0
        return s._t[(s._start + s.count - 1) % s._size] - s._t[s._start]

    def miss(self, t_s: float) -> None:
        """No valid distance in this reading: drop the track once it has been silent
        too long. Candidates survive a gap (near the range limit a chip interleaves
        valid readings with sigma/signal fails); they expire by age instead."""
        if self.distance_m is not None and t_s - self.last_t_s > self.timeout_s:
            self._drop_track()
        cand = self._cand
        if cand.count and cand.last()[1] < self.near_birth_m:
            cand.clear()  # a near target must persist without a gap: hands flicker

    def add(self, t_s: float, distance_m: float, weak: bool = False, found: bool = True) -> bool:
        """Offer a reading (``weak``: flagged unreliable by the chip; it may only
        corroborate a candidate; ``found`` False: it may extend the track or join
        candidates, but candidates become a track only with one that may found it);
        True when it was accepted into the track."""
        if weak:
            if self.distance_m is None:
                self._offer_candidate(t_s, distance_m, weak=True, found=found)
            return False
        if self.distance_m is not None:
            dt = t_s - self.last_t_s
            expected = self.distance_m - self.closing_mps * dt
            joins = not self._near_after_gap(distance_m, dt) and (
                abs(distance_m - expected) <= self.max_step_m
                or (self.samples.count < 2  # no speed measured yet: any plausible one
                    and self._plausible(self.distance_m, distance_m, dt)))
            if joins:
                self._cand.clear()
                self._accept(t_s, distance_m)
                return True
            if dt > self.timeout_s:
                self._drop_track()
        return self._offer_candidate(t_s, distance_m, found=found)

    def _near_after_gap(self, distance_m: float, gap_s: float) -> bool:
        """Is a reading nearer than ``near_birth_m`` (where hands and arms cross the
        beam) ``gap_s`` after the track's last agreeing one too late to extend it? When
        the gap is longer than ``near_gap_s`` (``near_confirm_s``, or two sample periods
        of a slow sensor): a thing that went unseen that long and reappears within
        arm's reach is no likelier than a hand, which crosses the beam there at every
        step, about 0.3 s apart (just inside the track's timeout: once a track reached
        arm's reach, or was extrapolated there from a person leaving the cone, each
        crossing renewed it), so it must persist as a new near target does."""
        return distance_m < self.near_birth_m and gap_s > self.near_gap_s

    def _offer_candidate(self, t_s: float, distance_m: float, weak: bool = False,
                         found: bool = True) -> bool:
        cand = self._cand
        if cand.count:
            last_t, last_d = cand.last()
            if t_s - last_t > self.timeout_s or \
                    abs(distance_m - last_d) > self.max_step_m + self.max_speed_mps * (t_s - last_t):
                cand.clear()
        if cand.count == 0:
            self._cand_first_t = t_s
        cand.append(t_s, distance_m, (WEAK if weak else 0) | (0 if found else GRAZING))
        if cand.count > 2:
            # The tolerance that chains candidates is wide for a slow sensor (12 m/s over
            # 0.1 s): older ones may be other things (the ground at another pitch angle).
            # Keep the newest ones whose neighbours imply a plausible speed.
            cand.drop_oldest(cand.count - self._plausible_tail())
        if cand.count < self.confirm_samples or not self._may_found():
            return False
        if distance_m < self.near_birth_m and t_s - self._cand_first_t < self.near_confirm_s:
            return False
        if cand.count == 2 and self.confirm_samples <= 2:
            # Two samples implying an implausible speed (faster than a cyclist closing
            # on a sprinter, or something fleeing fast) are more likely two different
            # things - e.g. the ground at two pitch angles: wait for a third.
            first_t, first_d = cand._t[cand._start], cand._v[cand._start]
            if t_s > first_t:
                closing_mps = (first_d - distance_m) / (t_s - first_t)
                if not -self.max_birth_opening_mps <= closing_mps <= self.max_birth_speed_mps:
                    return False
        # Born: the candidates become the track; only valid readings measure its speed.
        self.samples.clear()
        size = cand._size
        for k in range(cand.count):
            i = (cand._start + k) % size
            if not cand._f[i] & WEAK:
                self.samples.append(cand._t[i], cand._v[i])
        cand.clear()
        self._accept(t_s, distance_m, already_added=True)
        return True

    def _plausible_tail(self) -> int:
        """How many of the newest candidates follow each other at plausible speeds."""
        cand = self._cand
        size = cand._size
        newer = (cand._start + cand.count - 1) % size
        for k in range(cand.count - 2, -1, -1):
            i = (cand._start + k) % size
            if not self._plausible(cand._v[i], cand._v[newer], cand._t[newer] - cand._t[i]):
                return cand.count - 1 - k
            newer = i
        return cand.count

    def _plausible(self, older_m: float, newer_m: float, dt_s: float) -> bool:
        """Do two readings ``dt_s`` apart follow each other at a plausible speed for one
        thing (within the birth speeds, plus ``birth_noise_m`` of range noise)?"""
        closing_m = older_m - newer_m
        tol_m = self.birth_noise_m
        return (-self.max_birth_opening_mps * dt_s - tol_m <= closing_m
                <= self.max_birth_speed_mps * dt_s + tol_m)

    def _may_found(self) -> bool:
        """True when a candidate not flagged as grazing is among them."""
        cand = self._cand
        size = cand._size
        for k in range(cand.count):
            if not cand._f[(cand._start + k) % size] & GRAZING:
                return True
        return False

    def _accept(self, t_s: float, distance_m: float, already_added: bool = False) -> None:
        if not already_added:
            self.samples.append(t_s, distance_m)
        self.distance_m = distance_m
        self.last_t_s = t_s
        samples = self.samples
        slope = samples.slope(t_s - self.window_s)
        if slope is None:
            self.closing_mps = 0.0
            self.speed_uncertainty = self.max_speed_mps
        else:
            self.closing_mps = min(max(-slope, -self.max_speed_mps), self.max_speed_mps)
            # closing-speed sigma per metre of range noise: 1 / sqrt(sum (t - mean t)^2)
            self.speed_uncertainty = 1.0 / math.sqrt(samples.last_sxx)


class GroundFit:
    """The ground's height under a down-angled sensor's spot as a plane in time and
    reach: ``h = level + trend * (t - now) + slope * (reach - reach_now)``.

    Two things move the ground under the spot. The runner carries the whole profile
    past it (a grade's start: the height changes with time), and the stride's pitch
    swing sweeps the spot 0.6-1.2 m back and forth (on a grade the height changes with
    reach, at the step frequency - too fast for a level that follows time only: +-3 cm
    of "roughness" on 5 %). A weighted least-squares fit with exponential forgetting
    (``tau_s``) on both explains both; what neither explains is a step, a hole or a root.
    Running sums, no allocation per sample; times are kept relative to a moving origin
    so the sums stay well conditioned over hours.
    """

    __slots__ = ("tau_s", "min_weight", "ridge_t_s", "ridge_reach_m", "slope", "_t0", "_w", "_st",
                 "_sr", "_stt", "_str", "_srr", "_sh", "_sth", "_srh", "_last_t_s")

    def __init__(self, tau_s: float, *, min_weight: float, ridge_t_s: float,
                 ridge_reach_m: float) -> None:
        self.tau_s = tau_s
        self.min_weight = min_weight        # samples' worth of weight before it predicts
        self.ridge_t_s = ridge_t_s          # pulls the trend toward 0 as if the samples spanned this
        self.ridge_reach_m = ridge_reach_m  # ... and the reach slope as if the spot swept this
        self.slope = 0.0  # d height / d reach at the last prediction
        self.clear()

    def clear(self) -> None:
        self._t0 = None
        self._w = self._st = self._sr = self._stt = self._str = self._srr = 0.0
        self._sh = self._sth = self._srh = 0.0
        self._last_t_s = 0.0

    @property
    def ready(self) -> bool:
        return self._w >= self.min_weight

    def add(self, t_s: float, reach_m: float, height_m: float, weight: float = 1.0) -> None:
        if self._t0 is None:
            self._t0 = self._last_t_s = t_s
        elif t_s - self._t0 > REBASE_S:
            self._rebase(t_s)
        keep = math.exp(-max(t_s - self._last_t_s, 0.0) / self.tau_s)
        self._last_t_s = t_s
        t = t_s - self._t0
        w = weight
        self._w = self._w * keep + w
        self._st = self._st * keep + w * t
        self._sr = self._sr * keep + w * reach_m
        self._stt = self._stt * keep + w * t * t
        self._str = self._str * keep + w * t * reach_m
        self._srr = self._srr * keep + w * reach_m * reach_m
        self._sh = self._sh * keep + w * height_m
        self._sth = self._sth * keep + w * t * height_m
        self._srh = self._srh * keep + w * reach_m * height_m

    def predict(self, t_s: float, reach_m: float) -> float | None:
        """The fitted height at ``t_s`` and ``reach_m`` (None until ``ready``)."""
        if not self.ready:
            return None
        w = self._w
        # centred second moments (weighted), with the ridge priors on both slopes
        mt, mr, mh = self._st / w, self._sr / w, self._sh / w
        ctt = self._stt / w - mt * mt + self.ridge_t_s ** 2
        crr = self._srr / w - mr * mr + self.ridge_reach_m ** 2
        ctr = self._str / w - mt * mr
        cth = self._sth / w - mt * mh
        crh = self._srh / w - mr * mh
        det = ctt * crr - ctr * ctr
        trend = (cth * crr - crh * ctr) / det
        slope = self.slope = (crh * ctt - cth * ctr) / det
        return mh + trend * (t_s - self._t0 - mt) + slope * (reach_m - mr)

    def _rebase(self, t_s: float) -> None:
        d = t_s - self._t0
        w = self._w
        self._stt += -2.0 * d * self._st + d * d * w
        self._str -= d * self._sr
        self._sth -= d * self._sh
        self._st -= d * w
        self._t0 = t_s
