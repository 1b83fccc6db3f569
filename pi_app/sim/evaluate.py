"""Ground truth and scoring of a simulated run (the ``backsight sim --json`` object).

Hazards (``hazards(scenario, world)``, noise-free, from the world model):
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
feature - the surface sensor; the deck - the deck sensor) hits this hazard (``SensorView.hit`` names it; ground steps own the lowered or
raised ground after them) at a range within the chip's ``min_range_m`` ..
``optics.max_range_m`` (kind, distance mode, timing budget, the scenario's sunlight)
while the sensor is in action (not inside a blind, unplug or stuck fault window).
Searched on a ``GRID_S`` grid up to contact, refined by bisection. None = never.

Scoring (``evaluate``), from ``alerts`` = every change of the commanded output:
- window of a hazard: ``[t_detectable - TOLERANCE_S, t_contact]`` (the tolerance
  allows for beam-edge effects and sampling).
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
  the time is one false alarm, and its time shows in ``alarm_time_s``). A hazard contacted only just
  after the run (within ``CONTACT_HORIZON_S``) still justifies warnings at its end.
- summary: counts per outcome, false alarms, lead ratio (``lead_s / limit_lead_s``
  per contacted hazard with a positive limit, 0 for a miss) min and mean, the
  shortest lead, and the time spent at warning or danger.
Warnings "before" a hazard that is never contacted (a near miss) are false alarms:
the ground truth knows only contacts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pi_app.sim.optics import chip_optics, max_range_m
from pi_app.sim.world import RUNNER_HALF_WIDTH_M

TOLERANCE_S = 0.3
GRACE_S = 1.0
CONTACT_HORIZON_S = 3.0
GRID_S = 0.005
REFINE_STEPS = 8          # bisections of a grid step: 5 ms / 256 ~ 0.02 ms
CONTACT_M = 0.20          # treadmill: this near the console or the rear edge is contact
HIT_SHARE = 0.9
USEFUL_LEAD_S = 2.0
ALARM_LEVELS = ("warning", "danger")
NOT_ALARMS = ("posture", "rest", "fault")
#: sensors that can detect a hazard of each kind: anything on the path is seen by the
#: level rear sensor or the down-angled one; a ground feature only by the ground sensor
#: (a wide rear beam "sees" lowered ground far away, which no detector can use)
DETECTING_ROLES = {"obstacle": ("obstacle", "surface"), "surface": ("surface",),
                   "deck": ("deck",)}
#: warning kinds that count for a hazard of each kind: on the path, "obstacle" and
#: "surface" both tell the runner to stop and look (the arbiter shows only one of them)
WARNING_KINDS = {"obstacle": ("obstacle", "surface"), "surface": ("surface", "obstacle"),
                 "deck": ("deck",)}


@dataclass(frozen=True)
class Hazard:
    id: str
    kind: str                           # "obstacle" | "surface" | "deck"
    t_detectable_s: float | None
    t_contact_s: float | None           # within the run
    t_contact_ext_s: float | None = None  # within the run + CONTACT_HORIZON_S
    sensor: str | None = None           # the sensor that can first see it

    def window(self, grace_s: float = 0.0):
        """``(start_s, end_s)`` in which a warning is about this hazard, or None."""
        if self.t_detectable_s is None or self.t_contact_ext_s is None:
            return None
        return self.t_detectable_s - TOLERANCE_S, self.t_contact_ext_s + grace_s


# --- ground truth --------------------------------------------------------------------
def _refine(cond, lo: float, hi: float) -> float:
    """Bisection between ``lo`` (cond False) and ``hi`` (cond True)."""
    for _ in range(REFINE_STEPS):
        mid = (lo + hi) / 2.0
        if cond(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _first(cond, t_end_s: float, step_s: float = GRID_S):
    """First time in [0, t_end] where ``cond(t)`` holds (grid search, then bisection
    between the last False and the first True grid points), or None."""
    n = int(math.ceil(t_end_s / step_s - 1e-9))
    prev = None
    for i in range(n + 1):
        t = min(i * step_s, t_end_s)
        if cond(t):
            return t if prev is None else _refine(cond, prev, t)
        prev = t
    return None


def _crossing(gap, t_end_s: float):
    """First time ``gap(t)`` goes from < 0 to >= 0 (None if it starts >= 0)."""
    if gap(0.0) >= 0.0:
        return None
    return _first(lambda t: gap(t) >= 0.0, t_end_s)


def _obstacle_contact(world, index: int, obstacle, t_end_s: float):
    """First time the runner's body meets the box's footprint (from in front of it)."""
    if world.footprint(index, 0.0)[0] <= world.runner_x_m(0.0):
        return None                                   # not ahead of the runner

    def touching(t):
        x0, x1, y0, y1 = world.footprint(index, t)
        return x0 <= world.runner_x_m(t) <= x1 and y0 <= RUNNER_HALF_WIDTH_M \
            and y1 >= -RUNNER_HALF_WIDTH_M

    # small enough steps that even a thin, fast box cannot be jumped over
    closing_mps = max(v for _, v in world.scenario.runner.speed_profile) + abs(obstacle.speed_mps)
    step_s = min(GRID_S, 0.4 * obstacle.depth_m / max(closing_mps, 0.1))
    return _first(touching, t_end_s, step_s)


def _out_of_action(scenario, sensor_id: str) -> tuple:
    """Intervals in which a sensor cannot see: blind, unplugged (until its duration or a
    replug) or stuck."""
    out = []
    faults = sorted((f for f in scenario.faults if f.sensor == sensor_id), key=lambda f: f.t_s)
    for i, f in enumerate(faults):
        if f.kind not in ("blind", "unplug", "stuck"):
            continue
        end = math.inf if f.duration_s is None else f.t_s + f.duration_s
        if f.kind == "unplug" and f.duration_s is None:
            end = next((g.t_s for g in faults[i + 1:] if g.kind == "replug"), math.inf)
        out.append((f.t_s, end))
    return tuple(out)


def _first_sightings(scenario, world, sensor, targets: set, t_end_s: float) -> dict:
    """``{target_id: first time the sensor sees it in its valid range and in action}``
    for the targets seen by ``t_end_s``."""
    view = world.view(sensor.id)
    mode = sensor.distance_mode or "long"
    lo_m = chip_optics(sensor.kind, mode).min_range_m
    hi_m = max_range_m(sensor.kind, sunlight=scenario.sunlight, distance_mode=mode,
                       timing_budget_ms=sensor.timing_budget_ms or 100.0)
    dead = _out_of_action(scenario, sensor.id)

    def seen(t):
        d, target = view.hit(t)
        if target is None or not lo_m <= d <= hi_m or any(a <= t < b for a, b in dead):
            return None
        return target

    found, prev = {}, None
    n = int(math.ceil(t_end_s / GRID_S - 1e-9))
    for i in range(n + 1):
        t = min(i * GRID_S, t_end_s)
        target = seen(t)
        if target in targets and target not in found:
            found[target] = t if prev is None else \
                _refine(lambda u, x=target: seen(u) == x, prev, t)
            if len(found) == len(targets):
                break
        prev = t
    return found


def _contacts(scenario, world):
    """``(id, kind, target_id, t_contact within the run + horizon | None)`` per hazard."""
    horizon = scenario.duration_s + CONTACT_HORIZON_S
    if scenario.mode == "treadmill":
        length = scenario.treadmill.deck_length_m
        p = world.runner_x_m
        yield "console", "deck", "runner", _first(lambda t: p(t) <= CONTACT_M, horizon)
        yield "rear-edge", "deck", "runner", _first(lambda t: p(t) >= length - CONTACT_M,
                                                    horizon)
        if max(v for _, v in scenario.treadmill.position_profile) > length:
            yield "off-deck", "deck", "runner", _first(lambda t: p(t) > length, horizon)
        return
    for i, o in enumerate(scenario.obstacles):
        t = _obstacle_contact(world, i, o, horizon)
        static_across = o.speed_mps == 0.0 and o.vy_mps == 0.0 \
            and abs(o.y_m) < o.width_m / 2 + RUNNER_HALF_WIDTH_M and o.x_m > world.runner_x_m(0.0)
        if t is not None or static_across:
            yield o.id, "obstacle", o.id, t
    for g in scenario.ground:
        if g.kind != "slope":
            yield g.id, "surface", g.id, _crossing(lambda t, x=g.x_m: world.runner_x_m(t) - x,
                                                   horizon)


def hazards(scenario, world) -> list[Hazard]:
    """Noise-free ground truth for every hazard of the scenario (see module doc)."""
    found = list(_contacts(scenario, world))
    # the time up to which each target matters: its contact, else the end of the run
    ends: dict[str, float] = {}
    for _, _, target, t_ext in found:
        end = t_ext if t_ext is not None else scenario.duration_s
        ends[target] = max(ends.get(target, 0.0), end)
    sightings = []   # (sensor id, role, {target: t})
    for s in scenario.sensors:
        targets = {tg for _, kind, tg, _ in found if s.role in DETECTING_ROLES[kind]}
        if targets:
            t_end = max(ends[tg] for tg in targets)
            sightings.append((s.id, s.role, _first_sightings(scenario, world, s, targets, t_end)))
    out = []
    for hid, kind, target, t_ext in found:
        t_contact = t_ext if t_ext is not None and t_ext <= scenario.duration_s else None
        search_end = t_ext if t_ext is not None else scenario.duration_s
        t_det, sensor = None, None
        for sid, role, seen in sightings:
            t = seen.get(target)
            if role in DETECTING_ROLES[kind] and t is not None and t <= search_end \
                    and (t_det is None or t < t_det):
                t_det, sensor = t, sid
        out.append(Hazard(hid, kind, t_det, t_contact, t_ext, sensor))
    return out


# --- scoring -------------------------------------------------------------------------
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
    """The DESIGN.md ``backsight sim --json`` object for one run. ``alerts``: every
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


def check_expect(scenario, result: dict) -> list[str]:
    """Ways ``result`` (from ``evaluate``) breaks the scenario's ``[expect]`` table."""
    e, s, problems = scenario.expect, result["summary"], []
    contacts = s["hit"] + s["late"] + s["missed"]
    for name, actual, limit, exact in (("hazards", s["hazards"], e.hazards, True),
                                       ("contacts", contacts, e.contacts, True),
                                       ("false_alarms_max", s["false_alarms"], e.false_alarms_max, False),
                                       ("missed_max", s["missed"], e.missed_max, False)):
        if limit is not None and (actual != limit if exact else actual > limit):
            problems.append(f"{scenario.name}: expect.{name} = {limit}, got {actual}")
    return problems


def _r(x):
    return None if x is None else round(x, 3)
