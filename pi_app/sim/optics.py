"""What a range chip can report in the simulated world: the datasheet optics of
``pi_app.sensors.chips`` under the scenario's sunlight.

Shared by the emulators (what a chip can report) and the evaluator (when a hazard was
physically detectable), so the two can never disagree. The datasheets give a range in
the dark and one in strong ambient light; in between, the limit is taken to fall
linearly with the sunlight (0 dark .. 1 bright sun).
"""

from __future__ import annotations

from pi_app.sensors.chips import chip_optics, range_factor

__all__ = ["chip_optics", "max_range_m"]


def max_range_m(kind: str, *, sunlight: float = 0.0, distance_mode: str = "long",
                timing_budget_ms: float = 100.0) -> float:
    """Longest distance the chip reports as valid under ``sunlight`` (0 dark .. 1 bright sun)."""
    o = chip_optics(kind, distance_mode)
    s = min(max(sunlight, 0.0), 1.0)
    limit_m = o.max_dark_m + (o.max_sun_m - o.max_dark_m) * s
    return limit_m * range_factor(kind, timing_budget_ms)
