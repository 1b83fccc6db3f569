"""Physical range and beam of each range chip, from the datasheets (REGISTERS.md).

Shared by the emulators (what a chip can report) and the evaluator (when a hazard was
physically detectable), so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChipOptics:
    fov_deg: float          # full cone angle of the beam
    min_range_m: float
    max_dark_m: float       # maximum range, dark, white/high-reflectance target
    max_sun_m: float        # maximum range in strong ambient light (sunlight = 1.0)


OPTICS = {
    # VL53L1X long mode: 3.6 m dark (200 ms budget), 0.73 m strong ambient.
    ("vl53l1x", "long"): ChipOptics(27.0, 0.04, 3.6, 0.73),
    # VL53L1X short mode: 1.36 m dark, 1.35 m strong ambient.
    ("vl53l1x", "short"): ChipOptics(27.0, 0.04, 1.36, 1.35),
    # TF-Luna: 0.2-8 m at 90 % indoors, ~2.5 m at 10 % (and in sunlight, per user reports).
    ("tfluna", None): ChipOptics(2.0, 0.2, 8.0, 2.5),
    # MB1242: 20-765 cm, sunlight does not matter to ultrasound; wide beam.
    ("mb1242", None): ChipOptics(30.0, 0.2, 7.65, 7.65),
}

#: Timing budget at which the datasheet ranges hold (ms); shorter budgets shorten them.
VL53L1X_FULL_RANGE_BUDGET_MS = 100.0


def chip_optics(kind: str, distance_mode: str = "long") -> ChipOptics:
    return OPTICS[(kind, distance_mode if kind == "vl53l1x" else None)]


def budget_range_factor(timing_budget_ms: float) -> float:
    """VL53L1X: fraction of the datasheet range reached with this timing budget.

    Range grows slowly with integration time (collected signal grows with the budget,
    returned signal falls steeply with distance), so the model is a gentle power law:
    (budget / 100 ms)^0.1, capped at 1 -> 33 ms: 0.90, 50 ms: 0.93, 20 ms: 0.85."""
    return min(1.0, (max(timing_budget_ms, 1.0) / VL53L1X_FULL_RANGE_BUDGET_MS) ** 0.1)


def max_range_m(kind: str, *, sunlight: float = 0.0, distance_mode: str = "long",
                timing_budget_ms: float = 100.0) -> float:
    """Longest distance the chip reports as valid under ``sunlight`` (0 dark .. 1 bright sun)."""
    o = chip_optics(kind, distance_mode)
    s = min(max(sunlight, 0.0), 1.0)
    limit_m = o.max_dark_m + (o.max_sun_m - o.max_dark_m) * s
    if kind == "vl53l1x":
        limit_m *= budget_range_factor(timing_budget_ms)
    return limit_m
