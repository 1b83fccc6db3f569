"""Ground truth and scoring of a simulated run (the ``backsight sim --json`` object).

Hazards (``hazards(scenario, world)``, computed in ``pi_app.sim.truth``, noise-free,
from the world model):
- belt: every ``[[obstacles]]`` box on the runner's path - one whose footprint the
  runner's body (``RUNNER_HALF_WIDTH_M`` either side of the line) meets within the
  run plus ``CONTACT_HORIZON_S``, or a static one across the line - kind "obstacle";
  every ground feature except slopes, kind "surface".
- treadmill: "console" and "rear-edge" always, "off-deck" when the position profile
  leaves the deck; kind "deck".
``t_contact_s``: the reference point reaches the near face of an obstacle (moving
ones close at runner + object speed; a crossing one must be across the line then) or
the start of a ground feature; treadmill: the back is ``<= CONTACT_M`` from the
console, ``>= deck_length_m - CONTACT_M``, or beyond ``deck_length_m`` (off the deck).
None when that does not happen within ``duration_s``.
``t_detectable_s``: the first time a sensor that can see this kind of hazard
(``DETECTING_ROLES``: an obstacle - the obstacle or the surface sensor; a ground
feature - the surface sensor; the deck - the deck sensor) hits this hazard
(``SensorView.hit`` names it; ground steps own the lowered or raised ground after
them) at a range within the chip's ``min_range_m`` ..
``optics.max_range_m`` (kind, distance mode, timing budget, the scenario's sunlight)
while the sensor is in action (not inside a blind, unplug or stuck fault window).
Deck hazards also wait for the final approach (``approach_start_s``): the deck sensor
sees the runner from the start, but no sensor can know that a runner holding steady
mid-deck will leave it until the runner starts toward that edge. The approach starts
at the last time before contact at which the noise-free ``position_profile`` (linear
between its points) was not moving strictly toward the edge (the console: toward a
smaller distance; the rear edge and off-deck: larger): walking back from contact
through the profile's segments while each moves toward the edge, the start of the
earliest one (0 for a drift from t = 0). ``t_detectable_s`` is then the first sighting
at or after it (the later of the two while the runner stays in view). A deck hazard
never contacted, even within ``CONTACT_HORIZON_S``, has no approach: its
``t_detectable_s`` is the first sighting.
Searched on a ``GRID_S`` grid up to contact, refined by bisection. None = never.

Scoring (``evaluate``), from ``alerts`` = every change of the commanded output:
- window of a hazard: ``[t_detectable - TOLERANCE_S, t_contact]`` (the tolerance,
  0.1 s, is one sample of the slowest rear sensor, a 10 Hz MB1242: enough for
  sampling, not enough to credit an alarm that is always on with more lead than the
  physical limit).
- first warning: the first alarm onset inside the window with a matching kind
  (``WARNING_KINDS``: "obstacle" and "surface" both count for anything on the path,
  "deck" for the deck). An onset is a change of the commanded state to warning or
  danger from below, or to a new level or kind (an escalation is a new cue). A
  warning that was already on before the hazard could be seen tells the runner
  nothing new about it and does not count, unless it escalates or changes kind.
- ``lead_s = t_contact - t_first_warning``; ``limit_lead_s = t_contact - t_detectable``.
- outcome: "hit" = warned with ``lead_s >= min(HIT_SHARE * limit_lead_s,
  USEFUL_LEAD_S)``; "late" = warned later than that; "missed" = contact without a
  warning in the window (or never detectable); "no_contact" = no contact in the run.
- false alarms: episodes (maximal intervals at warning or danger, of any hazard kind;
  posture/rest coaching and faults are not alarms) that start in no hazard's
  ``[t_detectable - TOLERANCE_S, t_contact + GRACE_S]`` (an alarm that is on all
  the time is one false alarm, and its time shows in ``alarm_time_s``). A hazard
  contacted only just after the run (within ``CONTACT_HORIZON_S``) still justifies
  warnings at its end.
- summary: counts per outcome, false alarms, lead ratio (``lead_s / limit_lead_s``
  per contacted hazard with a positive limit, 0 for a miss) min and mean, the
  shortest lead, and the time spent at warning or danger.
Warnings "before" a hazard that is never contacted (a near miss) are false alarms:
the ground truth knows only contacts.
"""

from __future__ import annotations

# re-exported: the ground truth is part of this module's contract
from pi_app.sim.truth import (CONTACT_HORIZON_S, CONTACT_M, DETECTING_ROLES,  # noqa: F401
                              TOLERANCE_S, Hazard, hazards)

GRACE_S = 1.0             # alarms this long after a contact are about it
HIT_SHARE = 0.9
USEFUL_LEAD_S = 2.0
ALARM_LEVELS = ("warning", "danger")
NOT_ALARMS = ("posture", "rest", "fault")
#: warning kinds that count for a hazard of each kind: on the path, "obstacle" and
#: "surface" both tell the runner to stop and look (the arbiter shows only one of them)
WARNING_KINDS = {"obstacle": ("obstacle", "surface"), "surface": ("surface", "obstacle"),
                 "deck": ("deck",)}


def _segments(alerts, end_s: float):
    """``[(t0, t1, level, kind)]`` of the commanded state; CLEAR before the first alert."""
    items = sorted(alerts, key=lambda a: a["t_s"])
    out, t0, level, kind = [], 0.0, "clear", None
    for a in items:
        t = float(a["t_s"])
        if t > t0:
            out.append((t0, t, level, kind))
        t0, level, kind = max(t0, t), a["level"], a.get("kind")
    out.append((t0, max(end_s, t0), level, kind))
    return out


def _is_alarm(level, kind) -> bool:
    return level in ALARM_LEVELS and kind not in NOT_ALARMS


def onsets(segments) -> list[tuple[float, str, str]]:
    """``(t_s, level, kind)`` each time the commanded state becomes a new alarm: from
    below warning, or a new level or kind (an escalation is a new cue; a change of
    source alone is not)."""
    out, prev = [], ("clear", None)
    for t0, _, level, kind in segments:
        if _is_alarm(level, kind) and (level, kind) != prev:
            out.append((t0, level, kind))
        prev = (level, kind)
    return out


def first_warning(onset_list, kinds, start_s: float, end_s: float):
    """First alarm onset in [start_s, end_s] with a kind in ``kinds`` (None = never)."""
    for t, _, kind in onset_list:
        if start_s <= t <= end_s and kind in kinds:
            return t
    return None


def judge(h: Hazard, onset_list, duration_s: float) -> dict:
    """One row of ``hazards`` in the JSON object."""
    row = {"id": h.id, "kind": h.kind, "t_detectable_s": _r(h.t_detectable_s),
           "t_contact_s": _r(h.t_contact_s), "t_first_warning_s": None, "lead_s": None,
           "limit_lead_s": None, "outcome": "no_contact"}
    window = h.window()
    kinds = WARNING_KINDS[h.kind]
    if h.t_contact_s is None:
        if window is not None:
            row["t_first_warning_s"] = _r(first_warning(onset_list, kinds, window[0],
                                                        min(window[1], duration_s)))
        return row
    row["outcome"] = "missed"
    if window is None:
        return row
    row["limit_lead_s"] = _r(h.t_contact_s - h.t_detectable_s)
    t_warn = first_warning(onset_list, kinds, window[0], h.t_contact_s)
    if t_warn is None:
        return row
    lead_s = h.t_contact_s - t_warn
    needed_s = min(HIT_SHARE * (h.t_contact_s - h.t_detectable_s), USEFUL_LEAD_S)
    row.update(t_first_warning_s=_r(t_warn), lead_s=_r(lead_s),
               outcome="hit" if lead_s >= needed_s - 1e-9 else "late")
    return row


def alarm_episodes(segments) -> list[tuple[float, float]]:
    """Maximal intervals at warning or danger (hazard kinds only)."""
    episodes = []
    for t0, t1, level, kind in segments:
        if not _is_alarm(level, kind):
            continue
        if episodes and episodes[-1][1] >= t0:
            episodes[-1] = (episodes[-1][0], max(t1, episodes[-1][1]))
        else:
            episodes.append((t0, t1))
    return episodes


def count_false_alarms(segments, hazard_list) -> int:
    """Alarm episodes that start in no hazard's window (+ ``GRACE_S`` after contact)."""
    windows = [w for w in (h.window(GRACE_S) for h in hazard_list) if w is not None]
    return sum(1 for e0, _ in alarm_episodes(segments)
               if not any(a <= e0 <= b for a, b in windows))


def summarize(rows, false_alarms: int, segments) -> dict:
    counts = {k: sum(1 for r in rows if r["outcome"] == k)
              for k in ("hit", "late", "missed", "no_contact")}
    ratios = []
    for r in rows:
        if r["outcome"] in ("hit", "late") and r["limit_lead_s"]:
            ratios.append(r["lead_s"] / r["limit_lead_s"])
        elif r["outcome"] == "missed":
            ratios.append(0.0)
    leads = [r["lead_s"] for r in rows if r["lead_s"] is not None]
    return {"hazards": len(rows), **counts, "false_alarms": false_alarms,
            "lead_ratio_min": _r(min(ratios)) if ratios else None,
            "lead_ratio_mean": _r(sum(ratios) / len(ratios)) if ratios else None,
            "lead_s_min": _r(min(leads)) if leads else None,
            "alarm_time_s": _r(sum(e1 - e0 for e0, e1 in alarm_episodes(segments)))}


def evaluate(scenario, world, alerts, policy: str, seed: int, *, hazard_list=None) -> dict:
    """The ``backsight sim --json`` object (docs/design.md) for one run. ``alerts``: every
    change of the commanded output, ``{"t_s", "level", "kind", "source"}`` dicts.
    ``hazard_list`` may pass precomputed ``hazards(scenario, world)``."""
    hz = hazards(scenario, world) if hazard_list is None else hazard_list
    segments = _segments(alerts, scenario.duration_s)
    onset_list = onsets(segments)
    rows = [judge(h, onset_list, scenario.duration_s) for h in hz]
    false_alarms = count_false_alarms(segments, hz)
    return {"scenario": scenario.name, "policy": policy, "seed": seed,
            "duration_s": scenario.duration_s, "alerts": list(alerts), "hazards": rows,
            "false_alarms": false_alarms, "summary": summarize(rows, false_alarms, segments)}


def _r(x):
    return None if x is None else round(x, 3)
