"""Sway-free position and drift of a treadmill runner's back.

The back sways fore-aft a few cm with every step, and the sway's speed (+-0.5 m/s for
+-3 cm) dwarfs a drift toward the deck's rear edge (0.1-0.3 m/s), so the drift must be
read through the sway. A mean over exactly one step period removes it, whatever its
shape and phase: ``StrideComb`` measures the step period from the readings and gives
that mean and how it moves. Until it has a period ``period_s`` is None and the caller
falls back to its own smoothing. The ``deck.*`` settings reach it through
``configure(cfg.deck)``; why other windows fail: docs/notes.md.
"""

from __future__ import annotations

import math

# Step periods of running cadences, from a slow jog's 85 steps/min to a sprint's 220:
# the sway's period is looked for between them.
MIN_STEP_PERIOD_S = 0.27
MAX_STEP_PERIOD_S = 0.70
# The grid: a bin every BIN_S (a thirteenth of the shortest step period), RING_BINS of
# them kept (5.1 s: the longest period_window_s, 4 s, plus room for the bins that close
# while a measurement is under way).
BIN_S = 0.02
RING_BINS = 256
# Multiply-adds of the period measurement done per bin closed: ~9000 in all, so it is
# done within ~25 bins (0.5 s; the ring has room for 80 more) and no cycle of the loop
# carries more than a few hundred.
WORK_PER_BIN = 400


class StrideComb:
    """Step period, sway-free position and drift from one sensor's readings.

    ``add(t_s, value)`` takes each reading; ``estimate(t_s)`` gives
    ``(position_m, drift_mps)``, or None without a period or enough history.

    - The readings are resampled onto a grid of ``BIN_S`` bins: the mean of the readings
      in each bin, bins without one (a 10 Hz sensor) interpolated between neighbours.
    - Every ``period_every_s`` the step period is measured from the grid's
      autocorrelation over the last ``period_window_s``, less a ``detrend_s`` moving mean
      (a drift is not a period): the shortest lag between ``MIN_STEP_PERIOD_S`` and
      ``MAX_STEP_PERIOD_S`` whose peak is at least ``min_correlation``, three times what
      noise alone gives, and at least ``near_best_share`` of the best peak. ``period_s`` is
      the median of the last ``period_median_of`` found; it is kept when the readings
      stop looking periodic, until ``clear()``.
    - The position is the mean over the last period, extrapolated to now; the drift is
      its change over ``drift_window_s``, or over a longer window for a noisy or slow
      sensor: long enough to be steadier than ``drift_noise_mps``.

    The grid lives in preallocated rings and costs a few additions per reading; the
    autocorrelation is spread over the readings that arrive meanwhile
    (``WORK_PER_BIN``), so no cycle of the loop carries it whole.
    """

    __slots__ = ("drift_window_s", "drift_noise_mps", "max_drift_window_s", "period_window_s",
                 "detrend_s", "period_every_s", "period_median_of", "min_correlation",
                 "near_best_share", "max_gap_s", "period_s", "window_s", "_val", "_cum",
                 "_reads", "_n", "_k_last", "_open_k", "_open_sum", "_open_count",
                 "_next_period_k", "_found", "_job")

    def __init__(self, deck) -> None:
        self._val = [0.0] * RING_BINS
        self._cum = [0.0] * RING_BINS
        self._reads = [0] * RING_BINS     # readings that fell into bins up to this one
        self._found: list[tuple[float, float]] = []
        self.configure(deck)
        self.clear()

    def configure(self, deck) -> None:
        """Take the ``deck`` settings (``cfg.deck``); what was learned is kept."""
        self.drift_window_s = deck.drift_window_s
        self.drift_noise_mps = deck.drift_noise_mps
        self.max_drift_window_s = deck.max_drift_window_s
        self.period_window_s = deck.period_window_s
        self.detrend_s = deck.detrend_s
        self.period_every_s = deck.period_every_s
        self.period_median_of = deck.period_median_of
        self.min_correlation = deck.min_correlation
        self.near_best_share = deck.near_best_share
        self.max_gap_s = deck.max_gap_s

    def clear(self) -> None:
        """Forget the readings and the gait."""
        self.period_s: float | None = None
        self.window_s = self.drift_window_s  # the drift is read over this long
        self._found.clear()         # the latest (period, drift window) found, oldest first
        self._clear_grid()

    def _clear_grid(self) -> None:
        """Forget the readings (the gait found so far stays)."""
        self._n = 0                 # closed bins held (<= RING_BINS)
        self._k_last = -1           # absolute index of the newest closed bin
        self._open_k = None         # absolute index of the bin being filled
        self._open_sum = 0.0
        self._open_count = 0
        self._next_period_k = 0
        self._job = None            # the period measurement under way

    # -- feeding ----------------------------------------------------------------------
    def add(self, t_s: float, value: float) -> None:
        k = int(t_s / BIN_S)
        ok = self._open_k
        if ok is None or k < ok:
            self._restart(k)
        elif k > ok:
            if (k - ok) * BIN_S > self.max_gap_s:
                self._restart(k)
            else:
                closed = self._open_sum / self._open_count
                self._push(closed, self._open_count)
                for j in range(1, k - ok):           # bins no reading fell into
                    self._push(closed + (value - closed) * j / (k - ok), 0)
                self._open_k, self._open_sum, self._open_count = k, 0.0, 0
                if k >= self._next_period_k and self._job is None:
                    self._next_period_k = k + int(self.period_every_s / BIN_S)
                    self._job = self._period_job()
                self._advance((k - ok) * WORK_PER_BIN)
        self._open_sum += value
        self._open_count += 1

    def _restart(self, k: int) -> None:
        self._clear_grid()          # the gait has not changed
        self._open_k = k
        # a first look as soon as two of the longest periods are in (then every 0.5 s)
        self._next_period_k = k + int(math.ceil(MAX_STEP_PERIOD_S / BIN_S)) * 2 + 2

    def _push(self, value: float, readings: int) -> None:
        k = self._k_last + 1 if self._n else self._open_k
        size = RING_BINS
        i = k % size
        held = self._n > 0
        self._val[i] = value
        self._cum[i] = (self._cum[(k - 1) % size] if held else 0.0) + value
        self._reads[i] = (self._reads[(k - 1) % size] if held else 0) + readings
        self._k_last = k
        if self._n < size:
            self._n += 1

    # -- period -------------------------------------------------------------------------
    def _advance(self, budget: int) -> None:
        """Run the period job for about ``budget`` multiply-adds (the loop's cycle must
        never wait for a whole autocorrelation)."""
        job = self._job
        while job is not None and budget > 0:
            try:
                budget -= next(job)
            except StopIteration:
                self._job = job = None

    def _period_job(self):
        """Generator: measures the step period and the drift window on the bins up to
        the newest closed one when it starts, yielding the work done every few dozen
        operations (bins closed meanwhile are not touched: the ring holds ``RING_BINS``)."""
        size, val, cum, bin_s = RING_BINS, self._val, self._cum, BIN_S
        end = self._k_last
        n = min(self._n - 1, int(self.period_window_s / bin_s))
        lo = int(MIN_STEP_PERIOD_S / bin_s)
        hi = int(math.ceil(MAX_STEP_PERIOD_S / bin_s))
        found = None
        if n >= 2 * hi:
            k0 = end - n + 1
            # high-pass: less the mean over detrend_s around each bin (a drift, or its
            # start or end, is not a period; the sway passes nearly whole)
            h = int(self.detrend_s / bin_s / 2)
            res = [0.0] * n
            energy = 0.0
            for j in range(n):
                a, b = max(j - h, 1), min(j + h, n - 1)     # bins k0 + a .. k0 + b
                mean = (cum[(k0 + b) % size] - cum[(k0 + a - 1) % size]) / (b - a + 1)
                r = res[j] = val[(k0 + j) % size] - mean
                energy += r * r
            yield n
            # bins interpolated between slow readings are not independent
            share = min(1.0, (self._reads[end % size] - self._reads[(k0 - 1) % size]) / n)
            if energy > 0.0:
                acf = [0.0] * (hi + 2)
                for lag in range(lo - 1, hi + 2):
                    m = n - lag
                    acf[lag] = sum(res[j] * res[j + lag] for j in range(m)) / energy * n / m
                    yield m
                # white noise correlates to ~1/sqrt(pairs) at any lag: 3 times that
                peaks = [lag for lag in range(lo, hi + 1)
                         if acf[lag] >= acf[lag - 1] and acf[lag] >= acf[lag + 1]
                         and acf[lag] >= max(self.min_correlation,
                                             3.0 / math.sqrt(max(share * (n - lag), 1.0)))]
                if peaks:
                    best = max(acf[p] for p in peaks)
                    lag = next(p for p in peaks if acf[p] >= self.near_best_share * best)
                    y0, y1, y2 = acf[lag - 1], acf[lag], acf[lag + 1]
                    den = y0 - 2.0 * y1 + y2
                    shift = 0.5 * (y0 - y2) / den if den < 0.0 else 0.0
                    found = (lag + max(-0.5, min(0.5, shift))) * bin_s
        if found is not None:
            window_s = yield from self._measure_window(found / bin_s, end, n)
            history = self._found
            history.append((found, window_s))
            if len(history) > self.period_median_of:
                del history[0]
            self.period_s = sorted(p for p, _ in history)[len(history) // 2]
            self.window_s = max(w for _, w in history)

    def _measure_window(self, q: float, end: int, n: int):
        """Generator returning the shortest drift window (from ``drift_window_s`` up, in
        steps of half of it, to ``max_drift_window_s``) over which the drift of the
        ``n`` bins up to ``end`` is steadier than ``drift_noise_mps``: measured, not
        modelled, as the second differences of one-period means a window apart (a
        steady drift cancels; the median, so the start or end of a drift does not
        count). A slow sensor's means carry more than its noise: with 3 readings a
        step, where they fall in the sway beats slowly against it. (The caller keeps
        the longest of the last few: a median of ~10 steps is itself noisy.)"""
        mean = self._mean
        window_s = self.drift_window_s
        while True:
            lag = window_s / BIN_S
            d2 = []
            for k in range(end - n + int(q + 2.0 * lag) + 3, end + 1):
                d2.append(abs(mean(k, q) - 2.0 * mean(k - lag, q) + mean(k - 2.0 * lag, q)))
                if len(d2) % 16 == 0:
                    yield 16 * 12
            if not d2:
                break
            d2.sort()
            # median |N(0, s)| = 0.6745 s; white noise: var(2nd diff) = 3 var(1st diff)
            sigma_mps = d2[len(d2) // 2] / 0.6745 / math.sqrt(3.0) / window_s
            if sigma_mps <= self.drift_noise_mps or window_s >= self.max_drift_window_s:
                break
            window_s = min(window_s * 1.5, self.max_drift_window_s)
        return window_s

    def _mean(self, end: float, q: float) -> float:
        return (self._sum_to(end) - self._sum_to(end - q)) / q

    # -- estimates ------------------------------------------------------------------------
    def _sum_to(self, x: float) -> float:
        """Sum of the grid up to fractional bin index ``x`` (bin k spans (k-1, k])."""
        k = math.floor(x)
        frac = x - k
        size = RING_BINS
        return self._cum[k % size] + frac * self._val[(k + 1) % size]

    def estimate(self, t_s: float):
        """``(position_m, drift_mps)`` now, or None without a period or enough history."""
        period_s = self.period_s
        if period_s is None or not self._n:
            return None
        q = period_s / BIN_S
        window_s = self.window_s
        lag = window_s / BIN_S
        if q + lag + 2.0 > self._n:       # both means must lie in the bins held
            return None
        end = self._k_last
        mean_now = self._mean(end, q)
        mean_then = self._mean(end - lag, q)
        drift_mps = (mean_now - mean_then) / window_s
        centre_s = (end + 1) * BIN_S - period_s / 2.0
        return mean_now + drift_mps * (t_s - centre_s), drift_mps
