"""The device loop: one thread, one cycle = poll due sensors -> filter/detect ->
arbitrate -> command outputs, on an injected clock with deadline scheduling.

Nothing in a cycle raises for a bad reading: drivers return Readings with a status,
the health monitor judges them, and a dead sensor is re-initialised with back-off by
a cheap call that does not hold up the others. A new configuration from the serial
console is handed over with ``apply_config`` and swapped in between two cycles.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field

from pi_app.closeable import Closeable
from pi_app.detect import AlertState, CLEAR, Level
from pi_app.detect.arbiter import Arbiter
from pi_app.detect.health import SensorHealth

log = logging.getLogger(__name__)

#: ``status`` says ``stalled=1`` when the loop has not cycled for this many periods
#: (systemd's watchdog restarts a loop stuck for WatchdogSec; this shows it sooner)
STALL_PERIODS = 5


class ConfigHandover:
    """One configuration handed to the loop from another thread.

    The loop swaps it in before its next cycle and then sets ``done``; ``error`` is
    None when it was applied, else why it was refused (the loop kept the old one).
    ``wait(timeout_s)`` returns True once the loop has decided.
    """

    def __init__(self, cfg) -> None:
        self.cfg = cfg
        self.error: str | None = None
        self.done = threading.Event()

    def wait(self, timeout_s: float) -> bool:
        return self.done.wait(timeout_s)

    def finish(self, error: str | None) -> None:
        self.error = error
        self.done.set()


@dataclass
class SensorSlot:
    """A fitted range sensor in the loop.

    ``restart`` re-initialises the driver after a fault (returns True when it works
    again); it may re-address a replugged chip. ``detector`` has ``update(reading,
    pitch_deg, bounce_m)``, ``evaluate(t_s)``, ``configure(cfg)``.
    """

    id: str
    role: str
    driver: object
    detector: object
    health: SensorHealth
    restart: object = None
    next_poll_t_s: float = 0.0
    last_reading: object = None
    faulted: bool = False
    extra: dict = field(default_factory=dict)


class CooperativeClock:
    """The clock given to a sensor being re-initialised: while its driver waits (boot,
    first measurement), the loop keeps cycling for every other sensor and the outputs.
    Outside a restart it is the loop's clock."""

    def __init__(self, loop: "DeviceLoop") -> None:
        self._loop = loop

    def now_s(self) -> float:
        return self._loop.clock.now_s()

    def sleep(self, duration_s: float) -> None:
        self.sleep_until(self.now_s() + duration_s)

    def sleep_until(self, t_s: float) -> None:
        loop = self._loop
        clock = loop.clock
        while True:
            now_s = clock.now_s()
            if now_s >= t_s:
                return
            if loop._restarting is None:
                clock.sleep_until(t_s)
                return
            if now_s >= loop._next_cycle_t_s:
                loop.step()
                continue
            clock.sleep_until(min(t_s, loop._next_cycle_t_s))


class DeviceLoop(Closeable):
    ALERTS_KEPT = 100_000  # ~2.5 days of a busy trail at ~1,700 changes an hour
    def __init__(self, cfg, slots, outputs, clock, *, imu=None, coaches=(), button=None,
                 notifier=None, recorder=None, period_s: float | None = None) -> None:
        self.cfg = cfg
        self.slots = list(slots)
        self.outputs = outputs
        self.clock = clock
        self.imu = imu
        self.coaches = list(coaches)
        self.button = button
        self.notifier = notifier
        self.recorder = None
        self.attach_recorder(recorder)
        self.arbiter = Arbiter(cfg)
        self.period_s = period_s or cfg.device.loop_period_s
        self.state = CLEAR
        # every change of the commanded state (the sim JSON's `alerts`); bounded so a
        # device running for weeks does not grow: a recording keeps them all
        self.alerts: deque[tuple[float, AlertState]] = deque(maxlen=self.ALERTS_KEPT)
        self.cycles = 0
        self.overruns = 0
        self._pending: ConfigHandover | None = None
        self.config_refusals = 0
        self._restarting: SensorSlot | None = None
        self._next_cycle_t_s = 0.0
        self.cooperative_clock = CooperativeClock(self)
        self.notices: dict[str, str] = {}  # shown by `status` (self-test, config problems)
        self._started_t_s = clock.now_s()
        self._last_cycle_t_s: float | None = None
        self.thread_ident: int | None = None  # the thread in run() (None = not running)
        self.hooks: list = []  # callables of t_s run before each cycle (sim fault injection)
        self._stop = threading.Event()
        self._states: list[AlertState] = [CLEAR] * (2 * len(self.slots) + len(self.coaches) + 1)

    def attach_recorder(self, recorder) -> None:
        """Record raw readings, IMU samples and commanded alerts (None = stop)."""
        self.recorder = recorder
        if self.imu is not None:
            self.imu.on_sample = None if recorder is None else recorder.imu

    # --- configuration handed over from other threads ------------------------------
    def apply_config(self, cfg) -> ConfigHandover:
        """Called from any thread; the loop swaps ``cfg`` in before its next cycle.
        A config handed over before the loop took the previous one replaces it (the
        previous handover is marked done: the newer one includes its change)."""
        handover = ConfigHandover(cfg)
        previous, self._pending = self._pending, handover
        if previous is not None:
            previous.finish(None)
        return handover

    def _swap_config(self) -> None:
        """Apply the pending config to every part; whatever goes wrong, the loop keeps
        the config it had (re-applied to every part), logs why and runs on."""
        handover, self._pending = self._pending, None
        if handover is None:
            return
        old = self.cfg
        try:
            self._configure_parts(handover.cfg)
        except Exception as exc:  # noqa: BLE001 - a config must never end the loop
            error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
            self.config_refusals += 1
            log.error("configuration refused, keeping the previous one: %s", error)
            try:
                self._configure_parts(old)
            except Exception:  # noqa: BLE001
                log.exception("re-applying the previous configuration failed")
            handover.finish(error)
            return
        log.info("configuration updated")
        handover.finish(None)

    def _configure_parts(self, cfg) -> None:
        self.cfg = cfg
        self.period_s = cfg.device.loop_period_s
        self.arbiter.configure(cfg)
        for slot in self.slots:
            slot.detector.configure(cfg)
            slot.health.configure(cfg)
        for coach in self.coaches:
            coach.configure(cfg)
        if self.imu is not None and self.imu.health is not None:
            self.imu.health.configure(cfg)
        if hasattr(self.outputs, "reconfigure"):
            self.outputs.reconfigure(cfg)

    # --- one cycle -------------------------------------------------------------------
    def step(self) -> AlertState:
        if self._pending is not None:
            self._swap_config()
        t_s = self.clock.now_s()
        for hook in self.hooks:
            hook(t_s)
        pitch_deg = bounce_m = 0.0
        imu = self.imu
        if imu is not None:
            imu.poll(t_s)
            if imu.fresh(t_s):
                pitch_deg = imu.pitch_at(t_s)
                bounce_m = imu.bounce_m
            else:
                pitch_deg = None  # fitted but not settled or stale: detectors that need it wait
        states = self._states
        i = 0
        for slot in self.slots:
            health = slot.health
            if slot is not self._restarting and t_s >= slot.next_poll_t_s:
                # A sensor that stopped answering is not read but re-initialised: even if
                # it answers again, a replugged chip has lost its settings (a TF-Luna is
                # back at 100 Hz), which only a restart puts back.
                reading = slot.driver.read() if health.reason != "no answer" else None
                if reading is not None:
                    slot.last_reading = reading
                    health.note(reading, t_s)
                    if not slot.faulted:
                        if imu is not None and pitch_deg is not None and reading.t_s < t_s:
                            # stamped in the past (ultrasonic echo): the beam's angle then
                            slot.detector.update(reading, imu.pitch_at(reading.t_s),
                                                 imu.bounce_at(reading.t_s))
                        else:
                            slot.detector.update(reading, pitch_deg, bounce_m)
                    if self.recorder is not None:
                        self.recorder.reading(slot.id, reading)
            states[i + 1] = fault = health.evaluate(t_s)
            if fault is CLEAR:
                states[i] = slot.detector.evaluate(t_s)
                slot.faulted = False
            else:
                # What a faulted sensor says is not evidence; forget it once, so a
                # held warning from its last readings does not come back on recovery.
                if not slot.faulted:
                    slot.detector.reset()
                    slot.faulted = True
                states[i] = CLEAR
            i += 2
        for coach in self.coaches:
            states[i] = coach.update(self, t_s)
            i += 1
        states[i] = imu.fault_state(t_s) if imu is not None else CLEAR
        muted = self.button is not None and self.button.muted(t_s)
        state = self.arbiter.decide(states, t_s, muted)
        self._command(state, t_s)
        self.cycles += 1
        self._last_cycle_t_s = t_s
        if self.notifier is not None:
            # only this live loop pings: a stuck loop stops them and systemd restarts it
            self.notifier.watchdog(t_s)  # sends at half WatchdogSec, cheap otherwise
        self._next_cycle_t_s = t_s + self.period_s
        if self._restarting is None:
            # Last in the cycle: a restart's waits run whole cycles for the other
            # sensors (see CooperativeClock), so re-initialising one never stalls them.
            for slot in self.slots:
                health = slot.health
                if health.reason == "no answer" and slot.restart is not None and health.retry_due(t_s):
                    self._try_restart(slot)
        return state

    def _try_restart(self, slot: SensorSlot) -> None:
        self._restarting = slot
        try:
            ok = slot.restart()
        except OSError as exc:  # SensorError is an OSError too
            log.debug("re-initialising %s failed: %s", slot.id, exc)
            return
        finally:
            self._restarting = None
        if ok:
            slot.health.revived(self.clock.now_s())
            log.warning("sensor %s is answering again", slot.id)

    def _command(self, state: AlertState, t_s: float) -> None:
        prev = self.state
        if state is not prev and (state.level != prev.level or state.kind != prev.kind
                                  or state.source != prev.source):
            self.alerts.append((t_s, state))
            if self.recorder is not None:
                self.recorder.alert(t_s, state)
        self.state = state
        self.outputs.command(state, t_s)

    # --- running -----------------------------------------------------------------------
    def run(self, until_s: float | None = None) -> None:
        """Cycle with deadline scheduling until ``stop()`` or clock time ``until_s``."""
        clock = self.clock
        next_t_s = clock.now_s()
        self.thread_ident = threading.get_ident()
        try:
            self._run(clock, next_t_s, until_s)
        finally:
            self.thread_ident = None

    def _run(self, clock, next_t_s: float, until_s: float | None) -> None:
        while not self._stop.is_set():
            if until_s is not None and clock.now_s() >= until_s:
                break
            self.step()
            next_t_s += self.period_s
            now_s = clock.now_s()
            if now_s > next_t_s:  # overran: skip missed slots instead of bunching up
                self.overruns += 1
                next_t_s = now_s
            clock.sleep_until(next_t_s)

    def stop(self) -> None:
        self._stop.set()

    def status(self) -> dict:
        """A snapshot for the serial console's ``status`` (read from another thread):
        level, uptime, loop rate, overruns, ``stalled`` (no cycle for STALL_PERIODS
        periods), notices (self-test, config, bus, outputs) and each sensor's health."""
        now_s = self.clock.now_s()
        uptime_s = now_s - self._started_t_s
        last_s = self._last_cycle_t_s
        since_cycle_s = None if last_s is None else now_s - last_s
        stalled = (since_cycle_s if since_cycle_s is not None else uptime_s) > STALL_PERIODS * self.period_s
        out = {"level": self.state.level.label, "kind": self.state.kind,
               "source": self.state.source, "uptime_s": round(uptime_s, 1),
               "cycles": self.cycles, "overruns": self.overruns,
               "loop_hz": round(self.cycles / uptime_s, 1) if uptime_s > 0 else None,
               "stalled": int(stalled),
               "mode": self.cfg.device.mode}
        if stalled:
            out["last_cycle_s_ago"] = None if since_cycle_s is None else round(since_cycle_s, 3)
        out.update(self.notices)
        for slot in self.slots:
            r = slot.last_reading
            d = None if r is None or r.distance_m is None else round(r.distance_m, 3)
            out[f"{slot.id}.distance_m"] = d
            out[f"{slot.id}.health"] = slot.health.reason or "ok"
        return out

    def _close(self) -> None:
        """Outputs off and drivers closed."""
        self.stop()
        for closeable in [self.outputs, *(s.driver for s in self.slots), self.imu, self.button]:
            if closeable is None or not hasattr(closeable, "close"):
                continue
            try:
                closeable.close()
            except OSError as exc:
                log.warning("closing %r: %s", closeable, exc)
