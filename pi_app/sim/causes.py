"""Why a hazard was warned late or missed: each shortfall of an evaluated run sorted into
the first cause that applies, so the docs can count which shortfalls are the sensors'
limits and which are weaknesses still to trace. The span judged runs from the hazard's
first sighting to the last moment a warning would still have been in time.

Causes, first match wins: ``never visible`` (no sensor could see it); ``fault
signalled`` (a FAULT of a sensor it needs - the ground sensor or level sensor, and the
IMU - was signalled in the span: the runner was told); ``glare`` (a ``blind`` fault on
such a sensor: the chip reads an open path); ``other fault`` (another scripted fault,
shorter than the fault signal's bound); ``at the threshold`` (a root, hole or kerb within
``THRESHOLD_BAND_M`` of ``surface.rise_m``/``drop_m``: docs/detection-curve.md);
``within a sample`` (late by less than one sample period); else ``weakness``.
"""

from __future__ import annotations

from collections import Counter

from pi_app.sensors.chips import nominal_period_s
from pi_app.sim.evaluate import HIT_SHARE, USEFUL_LEAD_S, alert_segments
from pi_app.sim.scenario import BUS_FAULT_KINDS, IMU_ID, REAR_ALIAS
from pi_app.sim.truth import DETECTING_ROLES, TOLERANCE_S, fault_spans

NEVER_VISIBLE = "never visible"
FAULT_SIGNALLED = "fault signalled"
GLARE = "glare"
OTHER_FAULT = "other fault"
AT_THRESHOLD = "at the threshold"
WITHIN_SAMPLE = "within a sample"
WEAKNESS = "weakness"
CAUSES = (NEVER_VISIBLE, FAULT_SIGNALLED, GLARE, OTHER_FAULT, AT_THRESHOLD, WITHIN_SAMPLE,
          WEAKNESS)
#: the causes that are limits of the sensors or were signalled to the runner; the rest
#: are the detectors' to fix
BOUNDS = (NEVER_VISIBLE, FAULT_SIGNALLED, GLARE, OTHER_FAULT, WITHIN_SAMPLE)
#: ground features sized near the threshold: docs/detection-curve.md measures roots of
#: 5-6 cm warned in time in 0-67 % of runs, holes of 5 cm in 58-75 %, both reliable
#: only from 2 cm past the 5 cm threshold
THRESHOLD_BAND_M = 0.02
#: ground kinds judged against ``surface.rise_m`` (up) or ``surface.drop_m`` (down)
SMALL_STEP_KINDS = ("hole", "root", "drop", "rise", "kerb_down", "kerb_up")


class ShortfallSorter:
    """Sorts the late and missed hazards of one scenario's evaluated runs."""

    def __init__(self, scenario, drop_m: float, rise_m: float) -> None:
        self.scenario = scenario
        self.drop_m = drop_m
        self.rise_m = rise_m
        self.faults = fault_spans(scenario)
        self.features = {**{g.id: g for g in scenario.ground},
                         **{o.id: o for o in scenario.obstacles}}

    def needed_ids(self, kind: str) -> set[str]:
        """The sensors (and the IMU) a hazard of ``kind`` is seen with."""
        roles = DETECTING_ROLES[kind][:1]         # the role made to watch for it
        ids = {s.id for s in self.scenario.sensors if s.role in roles}
        if kind != "deck":
            ids.add(IMU_ID)
        if kind == "obstacle":
            ids.add(REAR_ALIAS)
        return ids

    def period_s(self, kind: str) -> float:
        roles = DETECTING_ROLES[kind][:1]
        return max((nominal_period_s(s) for s in self.scenario.sensors if s.role in roles),
                   default=0.0)

    def cause(self, row: dict, result: dict) -> str | None:
        """The cause of hazard ``row``'s shortfall in evaluated run ``result``; None
        unless it was late or missed."""
        if row["outcome"] not in ("late", "missed"):
            return None
        limit_s = row["limit_lead_s"]
        if limit_s is None:
            return NEVER_VISIBLE
        needed_s = min(HIT_SHARE * limit_s, USEFUL_LEAD_S)
        t0 = row["t_detectable_s"] - TOLERANCE_S
        t1 = row["t_contact_s"] - needed_s
        ids = self.needed_ids(row["kind"])
        for s0, s1, level, kind in alert_segments(result["alerts"], result["duration_s"]):
            if level == "fault" and s0 < t1 and s1 > t0 and self._signalled(result, s0, ids):
                return FAULT_SIGNALLED
        overlapping = [k for sensor, k, f0, f1 in self.faults
                       if f0 < t1 and f1 > t0 and (sensor in ids or k in BUS_FAULT_KINDS)]
        if "blind" in overlapping:
            return GLARE
        if overlapping:
            return OTHER_FAULT
        if self._at_threshold(row["id"]):
            return AT_THRESHOLD
        if row["outcome"] == "late" and needed_s - row["lead_s"] < self.period_s(row["kind"]):
            return WITHIN_SAMPLE
        return WEAKNESS

    @staticmethod
    def _signalled(result: dict, t_s: float, ids: set[str]) -> bool:
        """Whether the FAULT alert that started at ``t_s`` names a needed sensor."""
        return any(a["level"] == "fault" and abs(a["t_s"] - t_s) < 1e-9
                   and a.get("source") in ids for a in result["alerts"])

    def _at_threshold(self, hazard_id: str) -> bool:
        g = self.features.get(hazard_id)
        if g is None or getattr(g, "kind", None) not in SMALL_STEP_KINDS:
            return False
        threshold_m = self.drop_m if g.depth_m > 0 else self.rise_m
        return abs(g.depth_m) < threshold_m + THRESHOLD_BAND_M


def tally(pairs, drop_m: float, rise_m: float) -> Counter:
    """``Counter`` of ``(hazard kind, outcome, cause)`` over ``(scenario, result)``
    pairs (the backsight policy's results)."""
    counts: Counter = Counter()
    for scenario, result in pairs:
        sorter = ShortfallSorter(scenario, drop_m, rise_m)
        for row in result["hazards"]:
            cause = sorter.cause(row, result)
            if cause is not None:
                counts[(row["kind"], row["outcome"], cause)] += 1
    return counts


def table(counts: Counter) -> str:
    """Markdown: one row per cause, late and missed per hazard kind."""
    kinds = sorted({k for k, _, _ in counts})
    head = "| cause | " + " | ".join(f"{k} late | {k} missed" for k in kinds) + " | all |"
    lines = [head, "| --- |" + " --- |" * (2 * len(kinds) + 1)]
    for cause in CAUSES:
        cells = [counts[(k, o, cause)] for k in kinds for o in ("late", "missed")]
        if any(cells):
            name = cause if cause in BOUNDS else f"**{cause}**"
            lines.append(f"| {name} | " + " | ".join(str(c) for c in cells)
                         + f" | {sum(cells)} |")
    return "\n".join(lines) + "\n"
