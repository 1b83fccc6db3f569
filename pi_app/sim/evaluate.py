"""Scoring of a simulated run: the ``backsight sim --json`` object (docs/design.md).

``evaluate`` judges ``alerts`` (every change of the commanded output) against the
noise-free ground truth of ``pi_app.sim.truth``: when each hazard is contacted and when
it first becomes physically detectable. A hazard's window runs from ``TOLERANCE_S``
before it is detectable to contact; its first warning is the first alarm onset of a
matching kind (``WARNING_KINDS``) in the window, or the moment it became detectable
when an alarm of such kinds, started about another hazard, already sounds then and
stays on to contact; it is "hit" with a lead of at least
``min(HIT_SHARE * limit_lead_s, USEFUL_LEAD_S)``, else "late", "missed" or
"no_contact". A false alarm is an alarm episode (warning or danger of a hazard kind)
that starts in no hazard's window stretched by ``GRACE_S`` after contact. A hazard
may be made of pieces (a ``group`` of boxes, a staircase): ``truth`` gives it one
window, so one warning counts for all of them. Every definition in full:
docs/scenarios.md, "Scoring".
"""

from __future__ import annotations

from pi_app.detect.corridor import bearing_pair
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


def alert_segments(alerts, end_s: float):
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


def held_through(segments, episodes, kinds, start_s: float, end_s: float) -> bool:
    """Whether one of ``episodes`` covers [start_s, end_s] with alarms of a kind in
    ``kinds`` only (a change of level, or between those kinds, is no break)."""
    if not any(e0 <= start_s and e1 >= end_s for e0, e1 in episodes):
        return False
    return all(kind in kinds for t0, t1, _, kind in segments if t1 > start_s and t0 < end_s)


def judge(h: Hazard, onset_list, duration_s: float, segments=(), held=()) -> dict:
    """One row of ``hazards`` in the JSON object. ``held``: alarm episodes about some
    hazard (``episodes_about``); one that already sounds when ``h`` can first be seen
    and stays on to its contact (``segments`` say of which kinds) counts from then."""
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
    if held_through(segments, held, kinds, h.t_detectable_s, h.t_contact_s):
        t_warn = h.t_detectable_s if t_warn is None else min(t_warn, h.t_detectable_s)
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


def episodes_about(episodes, hazard_list) -> list[tuple[float, float]]:
    """Those of ``episodes`` (``alarm_episodes``) that start in some hazard's window
    (+ ``GRACE_S`` after contact); each of the others is a false alarm."""
    windows = [w for w in (h.window(GRACE_S) for h in hazard_list) if w is not None]
    return [(e0, e1) for e0, e1 in episodes if any(a <= e0 <= b for a, b in windows)]


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


def true_side(scenario, world, h: Hazard) -> str | None:
    """Where obstacle hazard ``h`` is at contact (or at the run's end), in the runner's
    frame: "left" (wholly at y > 0), "right" (wholly at y < 0), None when it straddles
    the line, is a group or a ground feature."""
    if h.kind != "obstacle":
        return None
    for index, o in enumerate(scenario.obstacles):
        if o.id == h.id:
            t_s = h.t_contact_s if h.t_contact_s is not None else scenario.duration_s
            _, _, y_min, y_max = world.footprint(index, t_s)
            return "left" if y_min > 0.0 else "right" if y_max < 0.0 else None
    return None


OPPOSITE = {"left": "right", "right": "left"}


def judge_side(row: dict, side: str | None, h: Hazard, alerts) -> None:
    """``sides``: the sides the obstacle alarms in ``h``'s window named (None = no
    bearing); ``wrong_side``: one of them is the side opposite to where it is."""
    window = h.window()
    said = set()
    if window is not None:
        end = h.t_contact_s if h.t_contact_s is not None else window[1]
        for a in alerts:
            if (window[0] <= a["t_s"] <= end and a["level"] in ALARM_LEVELS
                    and a.get("kind") == "obstacle"):
                said.add(a.get("side"))
    row["sides"] = sorted(said, key=str)
    row["wrong_side"] = side is not None and OPPOSITE[side] in said


def evaluate(scenario, world, alerts, policy: str, seed: int, *, hazard_list=None,
             sides: bool = False) -> dict:
    """The ``backsight sim --json`` object (docs/design.md) for one run. ``alerts``: every
    change of the commanded output, ``{"t_s", "level", "kind", "source", "side"}`` dicts.
    ``hazard_list`` may pass precomputed ``hazards(scenario, world)``."""
    hz = hazards(scenario, world) if hazard_list is None else hazard_list
    segments = alert_segments(alerts, scenario.duration_s)
    onset_list = onsets(segments)
    episodes = alarm_episodes(segments)
    held = episodes_about(episodes, hz)
    rows = [judge(h, onset_list, scenario.duration_s, segments, held) for h in hz]
    if sides and bearing_pair(scenario.sensors) is not None:   # a kit that can tell sides
        for row, h in zip(rows, hz):
            if h.kind == "obstacle":
                judge_side(row, true_side(scenario, world, h), h, alerts)
    false_alarms = len(episodes) - len(held)
    return {"scenario": scenario.name, "policy": policy, "seed": seed,
            "duration_s": scenario.duration_s, "alerts": list(alerts), "hazards": rows,
            "false_alarms": false_alarms, "summary": summarize(rows, false_alarms, segments)}


def _r(x):
    return None if x is None else round(x, 3)
