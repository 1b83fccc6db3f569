"""Soak runs: hours of simulated running with faults sprinkled in.

The runner laps a short course (``LapWorld``: the path wraps every ``lap_m``) past a
hole, a root and a wall placed just beyond the wrap, so every lap ends with an obstacle
warning and no collision, and the world stays as cheap at hour 8 as at minute 1.
Faults go in at a quiet point of a lap, one every ``fault_every_laps`` laps, cycling
through ``SOAK_FAULTS``. ``run_soak`` runs the real device on SimRig in chunks and
returns a ``SoakReport``: memory and allocated blocks over time, the loop's simulated
rate, when each fault was signalled and cleared, and the lap hazards missed.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from array import array
from dataclasses import dataclass, field

from pi_app.detect import Level
from pi_app.sim.evaluate import GRACE_S, alert_segments, onsets
from pi_app.sim.scenario import parse_scenario
from pi_app.sim.truth import GRID_S, TOLERANCE_S, hazards
from pi_app.sim.world import World

LAP_M = 60.0
SPEED_MPS = 2.5
WALL_BEYOND_WRAP_M = 0.3     # the wall's near face is this far past the wrap point
FAULT_LAP_PHASE_S = 1.0      # faults start this long into a lap (nothing in view yet)
SIGNAL_WITHIN_S = 0.25       # a fault is signalled within 250 ms (health.fault_signal_s) ...
SLOWEST_SAMPLE_S = 0.033     # the default kit's slowest sensor: rear VL53L1X, 33 ms budget
#: ... a stuck chip once enough identical frames came in; a chip putting out garbage
#: one sample later (the result it measured before the fault is still believable)
LATE_SIGNAL_WITHIN_S = {"stuck": 0.5, "garbage": SIGNAL_WITHIN_S + SLOWEST_SAMPLE_S}
RECOVER_WITHIN_S = 1.0       # ... and cleared within 1 s of the cause going away


@dataclass(frozen=True)
class SoakFault:
    kind: str
    sensor: str | None
    duration_s: float
    signalled_by: str | None     # sensor id whose FAULT shows it, "*" any, None = ridden out
    options: tuple = ()          # extra [[faults]] keys as (key, value)


SOAK_FAULTS = (
    SoakFault("unplug", "rear", 3.0, "rear"),
    SoakFault("i2c_errors", "rear", 3.0, None, (("rate", 0.05),)),
    SoakFault("bus_stuck", None, 0.5, "*"),
    SoakFault("stuck", "ground", 3.0, "ground"),
    SoakFault("garbage", "ground", 2.0, "ground"),
    SoakFault("garbage", "rear", 2.0, "rear"),
    SoakFault("i2c_errors", "imu", 3.0, None, (("rate", 0.05),)),
    SoakFault("unplug", "ground", 2.0, "ground"),
    SoakFault("jitter", None, 3.0, None, (("jitter_s", 0.003),)),
    SoakFault("i2c_errors", "ground", 3.0, None, (("rate", 0.05),)),
)


class LapWorld(World):
    """The scenario's world with the path wrapping every ``lap_m``: the runner covers
    the same course again and again (belt mode, constant speed)."""

    def __init__(self, scenario, lap_m: float = LAP_M) -> None:
        super().__init__(scenario)
        self.lap_m = lap_m

    def runner_x_m(self, t_s: float) -> float:
        return super().runner_x_m(t_s) % self.lap_m


def lap_s(lap_m: float = LAP_M, speed_mps: float = SPEED_MPS) -> float:
    return lap_m / speed_mps


def soak_scenario(duration_s: float, *, fault_every_laps: int = 1, seed: int = 8,
                  lap_m: float = LAP_M, speed_mps: float = SPEED_MPS, faults=SOAK_FAULTS):
    """The soak course as a ``Scenario`` (belt, default kit, faults sprinkled in)."""
    period_s = lap_s(lap_m, speed_mps)
    table = []
    k = 1
    while faults and (k * fault_every_laps) * period_s + FAULT_LAP_PHASE_S + 5.0 < duration_s:
        f = faults[(k - 1) % len(faults)]
        entry = {"t_s": k * fault_every_laps * period_s + FAULT_LAP_PHASE_S, "kind": f.kind,
                 "duration_s": f.duration_s, **dict(f.options)}
        if f.sensor is not None:
            entry["sensor"] = f.sensor
        table.append(entry)
        k += 1
    return parse_scenario({
        "name": "soak", "duration_s": duration_s, "seed": seed, "mode": "belt",
        "runner": {"speed_mps": speed_mps},
        "obstacles": [{"id": "wall", "x_m": lap_m + WALL_BEYOND_WRAP_M, "width_m": 8.0,
                       "height_m": 2.5}],
        "ground": [{"id": "hole", "kind": "hole", "x_m": 0.35 * lap_m, "length_m": 0.4,
                    "depth_m": 0.12},
                   {"id": "root", "kind": "root", "x_m": 0.6 * lap_m, "length_m": 0.15,
                    "depth_m": -0.08}],
        "faults": table}, "<soak>")


@dataclass
class FaultOutcome:
    t_s: float
    end_s: float
    kind: str
    sensor: str | None
    signalled_by: str | None
    signalled_t_s: float | None = None   # first FAULT alert from the expected source
    recovered_t_s: float | None = None   # commanded output out of FAULT after end_s

    @property
    def ok(self) -> bool:
        if self.signalled_by is None:
            return self.signalled_t_s is None
        limit_s = LATE_SIGNAL_WITHIN_S.get(self.kind, SIGNAL_WITHIN_S)
        return (self.signalled_t_s is not None and self.signalled_t_s - self.t_s <= limit_s
                and self.recovered_t_s is not None
                and self.recovered_t_s - self.end_s <= RECOVER_WITHIN_S)


@dataclass
class SoakReport:
    """What ``run_soak`` found.

    - ``memory``: (simulated s, bytes traced by tracemalloc after a garbage collection)
      at every checkpoint from ``trace_from_s`` on (tracing slows Python about 6x, so
      long runs trace only their last part). ``memory_growth_bytes`` = last - second of
      them: the first traced window is settling (objects allocated before tracing
      started and replaced later, as in ring buffers, show up as new once). Only the
      device is measured (``device_traced_bytes``): what this module allocates grows by
      design.
    - ``blocks``: (simulated s, ``sys.getallocatedblocks()``, alerts so far) at every
      checkpoint: cheap, so it covers the whole run, and a leak anywhere shows as a
      steady rise. Two histories that grow by design are moved out first: the mock pins'
      change record is cleared and ``DeviceLoop.alerts`` goes into an ``AlertArchive``;
      ``alerts_per_hour`` says how fast the latter grows.
    - ``cycles_per_window``: loop cycles in each checkpoint window (its simulated rate).
    - ``faults``: a ``FaultOutcome`` per injected fault: when it was signalled (a FAULT
      alert from the expected source) and when the commanded output left FAULT after it.
    - ``laps`` / ``missed``: lap hazards (hole, root, wall) warned of / not warned of;
      ``false_alarms``: onsets of alarms about no lap hazard.
    """

    duration_s: float
    period_s: float
    memory: list = field(default_factory=list)             # (t_s, bytes traced)
    blocks: list = field(default_factory=list)             # (t_s, blocks, len(alerts))
    cycles_per_window: list = field(default_factory=list)  # (t_end_s, cycles)
    faults: list = field(default_factory=list)             # FaultOutcome
    laps: int = 0
    missed: list = field(default_factory=list)             # (lap, hazard id)
    false_alarms: list = field(default_factory=list)       # onset times
    alerts: int = 0                                        # len(loop.alerts) at the end
    wall_s: float = 0.0
    warmup_s: float = 0.0

    @property
    def memory_growth_bytes(self) -> int:
        return self.memory[-1][1] - self.memory[1][1] if len(self.memory) >= 3 else 0

    @property
    def traced_s(self) -> float:
        """Simulated time over which ``memory_growth_bytes`` was measured."""
        return self.memory[-1][0] - self.memory[1][0] if len(self.memory) >= 3 else 0.0

    @property
    def blocks_growth(self) -> int:
        after = [b for t, b, _ in self.blocks if t >= self.warmup_s]
        return after[-1] - after[0] if len(after) >= 2 else 0

    @property
    def alerts_per_hour(self) -> float:
        """How fast ``DeviceLoop.alerts`` grows after the warm-up (it keeps them all)."""
        after = [(t, n) for t, _, n in self.blocks if t >= self.warmup_s]
        if len(after) < 2 or after[-1][0] == after[0][0]:
            return 0.0
        return (after[-1][1] - after[0][1]) * 3600.0 / (after[-1][0] - after[0][0])


def run_soak(duration_s: float, *, fault_every_laps: int = 1, checkpoint_s: float = 60.0,
             warmup_s: float = 120.0, trace_from_s: float | None = None,
             seed: int = 8) -> SoakReport:
    """Run the soak course for ``duration_s`` simulated seconds on SimRig; tracemalloc
    runs from ``trace_from_s`` (None = not at all; at least ``warmup_s``) to the end."""
    from pi_app.sim.rig import SimRig

    scenario = soak_scenario(duration_s, fault_every_laps=fault_every_laps, seed=seed)
    started = time.perf_counter()
    rig = SimRig(scenario, world=LapWorld(scenario))
    loop = rig.loop
    report = SoakReport(duration_s, loop.period_s, warmup_s=warmup_s)
    if trace_from_s is not None:
        trace_from_s = min(max(trace_from_s, warmup_s), duration_s - 2 * checkpoint_s)
    tracing = False
    archive = AlertArchive()
    try:
        t_s = 0.0
        while t_s < duration_s:
            if trace_from_s is not None and not tracing and t_s >= trace_from_s:
                tracing = True
                _checkpoint(rig, archive)
                tracemalloc.start()
                report.memory.append((t_s, device_traced_bytes()))
            t_s = min(t_s + checkpoint_s, duration_s)
            before = loop.cycles
            loop.run(until_s=t_s)
            report.cycles_per_window.append((t_s, loop.cycles - before))
            report.blocks.append((t_s, _checkpoint(rig, archive), len(archive)))
            if tracing:
                report.memory.append((t_s, device_traced_bytes()))
        archive.take(loop)
        alerts = archive.items()
    finally:
        rig.close()
        if tracing:
            tracemalloc.stop()
    report.wall_s = time.perf_counter() - started
    report.alerts = len(alerts)
    report.faults = [judge_fault(f, alerts) for f in scenario.faults]
    _judge_laps(report, scenario, alerts)
    return report


#: Not the device: this module (the soak's bookkeeping) and the measuring itself
_HARNESS = (tracemalloc.Filter(False, __file__), tracemalloc.Filter(False, tracemalloc.__file__))


def device_traced_bytes() -> int:
    """Bytes tracemalloc traces now, except those allocated in this module or by
    tracemalloc."""
    snapshot = tracemalloc.take_snapshot().filter_traces(_HARNESS)
    return sum(stat.size for stat in snapshot.statistics("filename"))


class AlertArchive:
    """``DeviceLoop.alerts`` moved out of the loop as it grows: times in an array of
    doubles, states as indexes into the few distinct AlertStates (~10 bytes each)."""

    def __init__(self) -> None:
        self.times = array("d")
        self.codes = array("H")
        self.states: list = []
        self._index: dict = {}

    def take(self, loop) -> None:
        for t_s, state in loop.alerts:
            code = self._index.get(state)
            if code is None:
                code = self._index[state] = len(self.states)
                self.states.append(state)
            self.times.append(t_s)
            self.codes.append(code)
        loop.alerts.clear()

    def __len__(self) -> int:
        return len(self.times)

    def items(self) -> list:
        return [(t, self.states[c]) for t, c in zip(self.times, self.codes)]


def _checkpoint(rig, archive: AlertArchive) -> int:
    """Move the growing histories out, collect garbage; allocated blocks now."""
    for pin in rig.pin_factory.pins.values():
        pin.clear_states()
    archive.take(rig.loop)
    gc.collect()
    return sys.getallocatedblocks()


def judge_fault(f, alerts) -> FaultOutcome:
    """When fault ``f`` (a scenario Fault) was signalled and recovered from."""
    spec = next(s for s in SOAK_FAULTS if s.kind == f.kind and s.sensor == f.sensor)
    out = FaultOutcome(f.t_s, f.t_s + f.duration_s, f.kind, f.sensor, spec.signalled_by)
    window_end_s = out.end_s + RECOVER_WITHIN_S + 0.5
    for i, (t, s) in enumerate(alerts):
        if t < f.t_s or t > window_end_s:
            continue
        if s.level == Level.FAULT and out.signalled_t_s is None and \
                spec.signalled_by in ("*", s.source, None):
            out.signalled_t_s = t
    if out.signalled_t_s is not None:
        faulted = [i for i, (t, s) in enumerate(alerts)
                   if out.signalled_t_s <= t <= window_end_s and s.level == Level.FAULT]
        nxt = faulted[-1] + 1
        if nxt < len(alerts) and alerts[nxt][1].level != Level.FAULT:
            out.recovered_t_s = alerts[nxt][0]
    return out


def _judge_laps(report: SoakReport, scenario, alerts) -> None:
    """Every lap's hazards warned of; alarm onsets about no hazard are false alarms."""
    period_s = lap_s()
    one_lap = soak_scenario(period_s, faults=())
    found = [h for h in hazards(one_lap, World(one_lap)) if h.window() is not None]
    base = [(h.id, h.window()) for h in found]
    grace = [h.window(GRACE_S) for h in found]  # alarms just after contact are about it
    rows = [{"t_s": t, "level": s.level.label, "kind": s.kind} for t, s in alerts]
    starts = [t for t, _, _ in onsets(alert_segments(rows, report.duration_s))]
    report.laps = int(report.duration_s // period_s)
    for lap in range(report.laps):
        t0 = lap * period_s
        for hid, (a, b) in base:
            if not any(t0 + a <= t <= t0 + b for t in starts):
                report.missed.append((lap, hid))
    for t in starts:
        phase = t % period_s
        if not any(a - GRID_S <= p <= b for a, b in grace
                   for p in (phase, phase + period_s, phase - period_s)):
            report.false_alarms.append(round(t, 3))


def summary(report: SoakReport) -> dict:
    """A JSON-able digest (for printing from the soak test)."""
    rates = [c for _, c in report.cycles_per_window]
    return {"duration_s": report.duration_s, "wall_s": round(report.wall_s, 1),
            "speedup": round(report.duration_s / report.wall_s, 1) if report.wall_s else None,
            "laps": report.laps, "missed": len(report.missed),
            "false_alarms": len(report.false_alarms), "faults": len(report.faults),
            "faults_ok": sum(f.ok for f in report.faults), "alerts": report.alerts,
            "memory_growth_kb": round(report.memory_growth_bytes / 1024, 1),
            "traced_s": report.traced_s,
            "blocks_growth": report.blocks_growth,
            "alerts_per_hour": round(report.alerts_per_hour),
            "cycles_per_window_min": min(rates, default=0),
            "cycles_per_window_max": max(rates, default=0),
            "tolerance_s": TOLERANCE_S}
