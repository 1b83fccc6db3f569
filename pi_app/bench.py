"""Benchmarks of the device loop (``backsight bench``).

``run_all`` measures the CPU time of one loop cycle over 1, 3 and 5 sensors with their
readings replayed from a simulated run (the cost of our own code, not the simulator's),
the same with the real drivers on SimBus emulators, the naive fixed-distance policy for
comparison, the decision latency, the simulator's speed-up, peak memory, and start-up
time as a ratio to a bare interpreter measured alongside (machine-independent). On a Pi
each I2C transaction adds bus time that cannot be measured here. ``load_baseline``
reads a saved ``--json`` result for ``--compare`` (checked before anything is
measured); ``compare_lines`` gives now/then per figure with better/worse/same.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from pi_app.clock import SimClock
from pi_app.config import Config, SensorConfig
from pi_app.exc import BacksightError, ConfigError
from pi_app.sim.simbus import SimBus

SENSOR_COUNTS = (1, 3, 5)
CYCLES = 3000
MAX_CYCLES = 100_000    # six measured runs of this many cycles take minutes already
XSHUT_PINS = (17, 27, 22, 5, 6)


def _bench_config(n: int) -> Config:
    sensors = [SensorConfig(f"s{i}", "vl53l1x", "obstacle", address=0x30 + i,
                            xshut_pin=XSHUT_PINS[i]) for i in range(n)]
    return Config.defaults().with_sensors(sensors).with_value("alert.haptic", "pwm")


def _target(i: int):
    """A target approaching sensor i at 2.5 m/s from 4 m, again every 2 s."""
    def source(t_s: float):
        d = 4.0 - 2.5 * ((t_s + 0.3 * i) % 2.0)
        return d if d > 0.05 else None
    return source


def _percentiles(samples_ns) -> dict:
    s = sorted(samples_ns)
    if not s:
        return {"p50": None, "p99": None}
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] / 1000.0
    return {"p50": round(pick(0.50), 2), "p99": round(pick(0.99), 2)}


class _TimedOutputs:
    """Wraps outputs to time from the last reading to the command (decision latency).
    Everything else (``buzzer``, ``haptic``, ``pattern`` ...) is the wrapped outputs'
    own, so the device sees working outputs, as it would on a Pi."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.read_ns = None
        self.latencies_ns = []

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def command(self, state, t_s) -> None:
        if self.read_ns is not None:
            self.latencies_ns.append(time.perf_counter_ns() - self.read_ns)
            self.read_ns = None
        self.inner.command(state, t_s)

    def reconfigure(self, cfg) -> None:
        self.inner.reconfigure(cfg)

    def close(self) -> None:
        self.inner.close()


class _TimedDriver:
    def __init__(self, inner, timer: _TimedOutputs) -> None:
        self.inner = inner
        self.timer = timer

    def read(self):
        r = self.inner.read()
        if r is not None:
            self.timer.read_ns = time.perf_counter_ns()
        return r

    def close(self) -> None:
        self.inner.close()


def _device(n: int, policy: str):
    from pi_app.alert.outputs import AlertOutputs
    from pi_app.device import build_device
    from pi_app.sim.devices import VL53L1XDevice

    clock = SimClock()
    bus = SimBus(clock)
    pins = MockFactory(pin_class=MockPWMPin)
    cfg = _bench_config(n)
    for i in range(n):
        bus.attach(VL53L1XDevice(range_source=_target(i), seed=i, xshut_pin=pins.pin(XSHUT_PINS[i])))
    timer = _TimedOutputs(AlertOutputs(cfg, clock=clock, pin_factory=pins))
    device = build_device(cfg, bus, clock, pin_factory=pins, policy=policy, outputs=timer)
    for slot in device.loop.channels:
        slot.driver = _TimedDriver(slot.driver, timer)
    return device, clock, timer, pins


def _run_cycles(loop, clock, cycles: int) -> list[int]:
    out = []
    step = loop.step
    period = loop.period_s
    for _ in range(cycles):
        t0 = time.process_time_ns()
        step()
        out.append(time.process_time_ns() - t0)
        clock.advance(period)
    return out


def measure_cycles(n: int, policy: str, cycles: int = CYCLES) -> dict:
    """Cycle CPU with SimBus, then replayed (our code only), for n sensors."""
    from pi_app.replay import ReplayDriver

    device, clock, timer, pins = _device(n, policy)
    try:
        loop = device.loop
        recorded = {s.id: [] for s in loop.channels}
        for slot in loop.channels:
            def read(inner_read=slot.driver.read, sink=recorded[slot.id]):
                r = inner_read()
                if r is not None:
                    sink.append(r)
                return r
            slot.driver.read = read
        with_bus = _run_cycles(loop, clock, cycles)
        latency = list(timer.latencies_ns)
        # Replay the same readings through a fresh device: our code's own cost.
        device2, clock2, timer2, pins2 = _device(n, policy)
        try:
            for slot in device2.loop.channels:
                slot.driver = ReplayDriver(recorded[slot.id], clock2)
            clock2.sleep_until(clock.now_s() - cycles * loop.period_s)
            replayed = _run_cycles(device2.loop, clock2, cycles)
        finally:
            device2.close()
            pins2.close()
    finally:
        device.close()
        pins.close()
    return {"cycle": _percentiles(replayed), "with_bus": _percentiles(with_bus),
            "latency": _percentiles(latency)}


def measure_speedup(name: str = "wall-approach") -> float:
    """Simulated seconds per CPU second of this process for a whole scenario (the
    default belt kit): one core's worth, whatever else the machine is doing."""
    from pi_app.sim.rig import SimRig
    from pi_app.sim.scenario import load_scenario

    sc = load_scenario(name)
    rig = SimRig(sc)
    try:
        t0 = time.process_time()
        rig.run()
        cpu_s = time.process_time() - t0
    finally:
        rig.close()
    return round(sc.duration_s / cpu_s, 1) if cpu_s > 0 else float("inf")


#: fresh interpreters per start-up figure; the median of this many ignores a busy
#: moment or two and the whole measurement stays a few seconds
STARTUP_RUNS = 7

_DEVICE_UP_CODE = """
from pi_app.sim.rig import SimRig
from pi_app.sim.scenario import load_scenario
SimRig(load_scenario({name!r})).close()
"""

_RSS_CODE = """
import resource
from pi_app.sim.rig import SimRig
from pi_app.sim.scenario import load_scenario
rig = SimRig(load_scenario({name!r}))
rig.run()
rig.close()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
"""


def help_command() -> list[str]:
    """``backsight --help`` as installed beside this interpreter (the console script),
    else ``python -m pi_app --help``."""
    script = Path(sys.executable).with_name("backsight")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script), "--help"]
    return [sys.executable, "-m", "pi_app", "--help"]


#: the directory that holds the ``pi_app`` being measured: a ``python -c`` child puts its
#: working directory first on sys.path, so it runs there and times this code, not
#: whatever ``pi_app`` the caller's directory happens to hold (another checkout)
SOURCE_ROOT = Path(__file__).resolve().parents[1]


def _child(argv: list[str]) -> str:
    """Run one fresh process; its stdout, or ``BacksightError`` with its last words."""
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          cwd=SOURCE_ROOT)
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BacksightError(f"start-up measurement failed: {argv[0]} exited with "
                             f"{done.returncode}: {said}")
    return done.stdout


def _wall_ms(argv: list[str]) -> float:
    """Wall time of one fresh process, from spawn to exit."""
    t0 = time.perf_counter()
    _child(argv)
    return (time.perf_counter() - t0) * 1000.0


def measure_startup(name: str = "wall-approach", runs: int = STARTUP_RUNS) -> dict:
    """Start-up of fresh interpreters, each figure the median of ``runs`` wall times,
    the three kinds taken in turn so a busy moment touches them alike:

    - ``bare_python_ms``: ``python -c pass`` (this interpreter, its site and .pth files);
    - ``startup_ms``: importing backsight and bringing a simulated device up;
    - ``help_ms``: ``backsight --help``;
    - ``startup_ratio`` / ``help_ratio``: those two over the bare interpreter.

    Each kind runs once untimed first. Byte code is what an installed device starts from:
    with ``PYTHONDONTWRITEBYTECODE`` set and no ``__pycache__`` beside the sources, every
    start compiles them and the ratio reads about 3 higher.
    """
    argvs = {"bare_python_ms": [sys.executable, "-c", "pass"],
             "startup_ms": [sys.executable, "-c", _DEVICE_UP_CODE.format(name=name)],
             "help_ms": help_command()}
    samples: dict[str, list[float]] = {key: [] for key in argvs}
    for argv in argvs.values():
        _child(argv)    # untimed: files into the page cache, byte code written where allowed
    for _ in range(runs):
        for key, argv in argvs.items():
            samples[key].append(_wall_ms(argv))
    out = {key: round(statistics.median(ms), 1) for key, ms in samples.items()}
    bare = statistics.median(samples["bare_python_ms"])
    out["startup_ratio"] = round(statistics.median(samples["startup_ms"]) / bare, 2)
    out["help_ratio"] = round(statistics.median(samples["help_ms"]) / bare, 2)
    return out


def measure_rss(name: str = "wall-approach") -> float:
    """Peak RSS (MB) of a fresh interpreter that ran the scenario."""
    out = _child([sys.executable, "-c", _RSS_CODE.format(name=name)])
    return round(float(out.split()[-1]), 1)


def run_all(cycles: int = CYCLES) -> dict:
    """Every measurement, as ``bench --json`` writes it:

    - ``cycle_us``: CPU time of one loop cycle per sensor count (p50/p99), the sensors'
      readings replayed from a simulated run: polling, tracking, detection, health,
      arbitration and output patterns on mock pins, without the simulator's cost.
    - ``cycle_simbus_us``: the same with the real drivers talking to SimBus emulators.
    - ``naive_cycle_us``: the naive fixed-distance policy in the same run; ``ratio`` =
      ours / naive.
    - ``per_sensor_cycle_us``: ``cycle_us`` p50 for 5 sensors / 5.
    - ``decision_latency_us``: CPU time from a reading returned by the driver to the
      outputs commanded; the loop period adds up to ``device.loop_period_s`` of polling
      delay on top (``poll_delay_max_ms``).
    - ``sim_speedup``: simulated seconds per CPU second for a whole belt scenario.
    - ``bare_python_ms``, ``startup_ms``, ``help_ms``, ``startup_ratio``, ``help_ratio``:
      see ``measure_startup``; ``rss_mb``: peak RSS of a process that ran a scenario.
    """
    if not 1 <= cycles <= MAX_CYCLES:
        raise ValueError(f"cycles must be within 1..{MAX_CYCLES}, got {cycles}")
    result = {"cycle_us": {}, "cycle_simbus_us": {}, "naive_cycle_us": {}, "ratio": {}}
    latency = None
    for n in SENSOR_COUNTS:
        ours = measure_cycles(n, "backsight", cycles)
        naive = measure_cycles(n, "naive", cycles)
        key = str(n)
        result["cycle_us"][key] = ours["cycle"]
        result["cycle_simbus_us"][key] = ours["with_bus"]
        result["naive_cycle_us"][key] = naive["cycle"]
        result["ratio"][key] = round(ours["cycle"]["p50"] / naive["cycle"]["p50"], 2) \
            if naive["cycle"]["p50"] else None
        if n == 1:
            latency = ours["latency"]
    result["per_sensor_cycle_us"] = round(result["cycle_us"]["5"]["p50"] / 5, 2)
    result["decision_latency_us"] = latency
    result["poll_delay_max_ms"] = Config.defaults().device.loop_period_s * 1000.0
    result["sim_speedup"] = measure_speedup()
    result.update(measure_startup())
    result["rss_mb"] = measure_rss()
    result["python"] = sys.version.split()[0]
    return result


def format_table(r: dict) -> str:
    lines = ["sensors | ours p50/p99 us | naive p50/p99 us | ratio | with SimBus p50 us"]
    for n in (str(k) for k in SENSOR_COUNTS):
        o, v, b = r["cycle_us"][n], r["naive_cycle_us"][n], r["cycle_simbus_us"][n]
        lines.append(f"{n:>7} | {o['p50']:>6} / {o['p99']:<7} | {v['p50']:>6} / {v['p99']:<7} | "
                     f"{r['ratio'][n]:>5} | {b['p50']}")
    lines.append(f"per sensor-cycle: {r['per_sensor_cycle_us']} us   decision latency p50/p99: "
                 f"{r['decision_latency_us']['p50']}/{r['decision_latency_us']['p99']} us "
                 f"(+ up to {r['poll_delay_max_ms']:g} ms polling)")
    lines.append(f"sim speed-up: {r['sim_speedup']}x real time per CPU second   "
                 f"peak RSS: {r['rss_mb']} MB")
    lines.append(f"start-up: {r['startup_ms']} ms = {r['startup_ratio']}x bare python "
                 f"({r['bare_python_ms']} ms)   --help: {r['help_ms']} ms = {r['help_ratio']}x")
    return "\n".join(lines)


#: the figures ``--compare`` divides, each with the direction that is better
LOWER, HIGHER = "lower", "higher"
COMPARED = tuple(
    [(f"{key}.{n}.p50", LOWER) for key in ("cycle_us", "cycle_simbus_us", "naive_cycle_us")
     for n in SENSOR_COUNTS]
    + [("per_sensor_cycle_us", LOWER), ("decision_latency_us.p50", LOWER),
       ("sim_speedup", HIGHER), ("startup_ms", LOWER), ("startup_ratio", LOWER),
       ("help_ms", LOWER), ("help_ratio", LOWER), ("rss_mb", LOWER)])
#: a now/then ratio within this of 1 is "same": a busy machine reads ~10 % slower
SAME_WITHIN = 0.10


_ABSENT = object()


def _figure(result: dict, path: str, absent=None):
    """``result["a"]["b"]`` for ``"a.b"``; ``absent`` where a key is missing."""
    value = result
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return absent
        value = value[part]
    return value


def _usable(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def load_baseline(path) -> dict[str, float]:
    """``{figure: value}`` for every figure of ``COMPARED`` in a saved ``bench --json``
    result (an older file may lack some: ``compare_lines`` says so).

    ``ConfigError`` naming the file and the key if it is not one; ``OSError`` if it
    cannot be read."""
    with open(path, encoding="utf-8") as f:
        try:
            saved = json.load(f)
        except ValueError as exc:       # not JSON, not UTF-8, or a number of 1000s of digits
            raise ConfigError(f"{path}: not a saved `backsight bench --json` result "
                              f"({str(exc).split(';')[0]})") from None
        except RecursionError:
            raise ConfigError(f"{path}: not a saved `backsight bench --json` result "
                              "(nested too deeply)") from None
    if not isinstance(saved, dict) or not isinstance(saved.get("cycle_us"), dict):
        raise ConfigError(f"{path}: not a saved `backsight bench --json` result (no cycle_us)")
    out = {}
    for name, _ in COMPARED:
        value = _figure(saved, name, _ABSENT)
        if value is _ABSENT:
            continue
        if not _usable(value):
            raise ConfigError(f"{path}: {name}: expected a number > 0, got {value!r}")
        out[name] = float(value)
    return out


def compare_lines(result: dict, baseline: dict[str, float]) -> list[str]:
    """One line per figure of ``COMPARED`` measured now:
    ``startup_ms  now/then = 0.91  (120.3 / 132.0 ms) better``."""
    lines = []
    for name, better in COMPARED:
        now, then = _figure(result, name), baseline.get(name)
        if not _usable(now):
            continue
        if then is None:
            lines.append(f"{name:<24} now {now:g}; not in the baseline")
            continue
        ratio = now / then
        if abs(ratio - 1.0) <= SAME_WITHIN:
            word = "same"
        else:
            word = "better" if (ratio < 1.0) == (better == LOWER) else "worse"
        lines.append(f"{name:<24} now/then = {ratio:.2f}  ({now:g} / {then:g})  {word} "
                     f"({better} is better)")
    return lines
