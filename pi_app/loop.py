"""The device loop: one thread, one cycle = poll due sensors -> filter/detect ->
arbitrate -> command outputs, on an injected clock with deadline scheduling.

Nothing in a cycle raises for a bad reading: drivers return Readings with a status,
the health monitor judges them, and a dead sensor is re-initialised with back-off by
a cheap call that does not hold up the others. A new configuration from the serial
console is handed over with ``apply_config`` and swapped in between two cycles.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import deque

from pi_app.closeable import Closeable
from pi_app.detect import AlertState, CLEAR, Level
from pi_app.detect.arbiter import Arbiter
from pi_app.detect.contract import Pose

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
    def __init__(self, cfg, channels, outputs, clock, *, imu=None, coaches=(), button=None,
                 notifier=None, recorder=None, period_s: float | None = None,
                 announcer=None) -> None:
        self.cfg = cfg
        self.channels = list(channels)
        self.outputs = outputs
        self.clock = clock
        self.imu = imu
        self.pose = Pose(imu, cfg)   # the trunk's pitch, bounce, running: updated each cycle
        self.coaches = list(coaches)
        self.announcer = announcer  # start-up and profile chirps (pi_app.detect.announce)
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
        self._restarting = None           # the Channel being re-initialised
        #: called with (old_cfg, new_cfg, t_s) after each config swap (button, profile, ...)
        self.config_listeners: list = []
        self._next_cycle_t_s = 0.0
        self.cooperative_clock = CooperativeClock(self)
        self.notices: dict[str, str] = {}  # shown by `status` (self-test, config problems)
        self._started_t_s = clock.now_s()
        self._last_cycle_t_s: float | None = None
        self.thread_ident: int | None = None  # the thread in run() (None = not running)
        self.hooks: list = []  # callables of t_s run before each cycle (sim fault injection)
        self._stop = threading.Event()
        self._states: list[AlertState] = []   # refilled each cycle: no allocation
        self._muted = False

    def attach_recorder(self, recorder) -> None:
        """Record what the loop uses from here on, so that ``pi_app.replay`` can feed
        it back exactly: the configuration, each sensor's health clocks, announcements
        queued, then per cycle its time and what was read (None = stop). Attach it
        before the first cycle: a replay starts from the state written here."""
        self.recorder = recorder
        imu, announcer = self.imu, self.announcer
        if imu is not None:
            imu.on_sample = None if recorder is None else recorder.imu
            imu.on_restart = None if recorder is None else recorder.imu_restart
        if announcer is not None:
            announcer.on_announce = None if recorder is None else recorder.announce
        if recorder is None:
            return
        t_s = self.clock.now_s()
        recorder.config(t_s, self.cfg)
        for channel in self.channels:
            recorder.start(channel.health.start_t_s, channel.id, "range")
        if imu is not None and imu.health is not None:
            recorder.start(imu.health.start_t_s, imu.health.sensor_id, "imu")
        if announcer is not None:
            for start_s, end_s, state in announcer.pending():
                recorder.announce(start_s, end_s - start_s, state)

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

    def _swap_config(self, t_s: float) -> None:
        """Apply the pending config to every part at the cycle's time ``t_s``; whatever
        goes wrong, the loop keeps the config it had (re-applied to every part), logs
        why and runs on."""
        handover, self._pending = self._pending, None
        if handover is None:
            return
        old = self.cfg
        try:
            self._configure_parts(handover.cfg, t_s)
            for listener in self.config_listeners:
                listener(old, handover.cfg, t_s)
        except Exception as exc:  # noqa: BLE001 - a config must never end the loop
            error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
            self.config_refusals += 1
            log.error("configuration refused, keeping the previous one: %s", error)
            try:
                self._configure_parts(old, t_s)
            except Exception:  # noqa: BLE001
                log.exception("re-applying the previous configuration failed")
            handover.finish(error)
            return
        log.info("configuration updated")
        if self.recorder is not None:
            self.recorder.config(t_s, handover.cfg)
        handover.finish(None)

    def _configure_parts(self, cfg, t_s: float) -> None:
        self.cfg = cfg
        self.period_s = cfg.device.loop_period_s
        self.arbiter.configure(cfg)
        self.pose.configure(cfg)
        for channel in self.channels:
            channel.configure(cfg, t_s)
        for coach in self.coaches:
            coach.configure(cfg)
        if self.imu is not None:
            self.imu.configure(cfg)
        if hasattr(self.outputs, "reconfigure"):
            self.outputs.reconfigure(cfg)

    # --- one cycle -------------------------------------------------------------------
    def step(self) -> AlertState:
        t_s = self.clock.now_s()
        if self._pending is not None:
            self._swap_config(t_s)
        recorder = self.recorder
        if recorder is not None:
            recorder.cycle(t_s)
        for hook in self.hooks:
            hook(t_s)
        imu = self.imu
        if imu is not None:
            imu.poll(t_s)
        pose = self.pose
        pose.update(t_s)
        states = self._states
        states.clear()
        restarting = self._restarting
        for channel in self.channels:
            channel.poll(t_s, pose, recorder, read=channel is not restarting)
            states.append(channel.hazard)
            states.append(channel.fault)
        for coach in self.coaches:
            states.append(coach.update(pose, t_s))
        states.append(imu.fault_state(t_s) if imu is not None else CLEAR)
        if self.announcer is not None:
            states.append(self.announcer.update(pose, t_s))
        muted = self.button is not None and self.button.muted(t_s)
        if muted != self._muted:
            self._muted = muted
            if recorder is not None:
                recorder.muted(t_s, muted)
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
            for channel in self.channels:
                if channel.health.reason is not None and \
                        channel.restart_due(t_s, self._bus_answered):
                    self._try_restart(channel)
        return state

    def _bus_answered(self, t_s: float) -> bool:
        """True when some sensor answered on the bus in the cycle at ``t_s``."""
        return any(channel.answered_t_s == t_s for channel in self.channels)

    def _try_restart(self, channel) -> None:
        recorder = self.recorder
        clock = self.clock
        if recorder is not None:
            recorder.restart_begin(clock.now_s(), channel.id)
        self._restarting = channel
        outcome = "error"
        # The clock read once after the attempt: the health clocks restart from that
        # instant and the recording says it - one reading for both, or a wall clock that
        # moves between two reads makes the replay's next probe come a cycle later.
        end_t_s = functools.cache(clock.now_s)
        try:
            outcome = "ok" if channel.try_restart(end_t_s) else "absent"
        except OSError as exc:  # SensorError is an OSError too
            log.debug("re-initialising %s failed: %s", channel.id, exc)
        finally:
            self._restarting = None
            if recorder is not None:
                recorder.restart_end(end_t_s(), channel.id, outcome)
        if outcome == "ok":
            log.warning("sensor %s is answering again", channel.id)

    def _command(self, state: AlertState, t_s: float) -> None:
        prev = self.state
        if state is not prev and (state.level != prev.level or state.kind != prev.kind
                                  or state.source != prev.source or state.side != prev.side):
            self.alerts.append((t_s, state))
            if self.recorder is not None:
                self.recorder.alert(t_s, state)
            if log.isEnabledFor(logging.INFO):   # one line per change, never per cycle
                log.info("alert %s", self._describe(state))
        self.state = state
        self.outputs.command(state, t_s)

    def _describe(self, state: AlertState) -> str:
        """``warning obstacle from rear (2.31 m, contact in 1.9 s)``: for the journal."""
        words = [state.level.label]
        if state.kind and state.kind != state.level.label:
            words.append(state.kind)
        if state.source:
            words.append(f"from {state.source}" + (f", {state.side}" if state.side else ""))
        facts = [state.detail] if state.detail else []
        for channel in self.channels:
            if channel.id != state.source:
                continue
            r = channel.last_reading
            if r is not None and r.distance_m is not None:
                facts.append(f"{r.distance_m:.2f} m")
            ttc_s = getattr(channel.detector, "ttc_s", None)
            if ttc_s is not None:
                facts.append(f"contact in {ttc_s:.1f} s")
        return " ".join(words) + (f" ({', '.join(facts)})" if facts else "")

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
        quiet_s = uptime_s if since_cycle_s is None else since_cycle_s
        stalled = quiet_s > STALL_PERIODS * self.period_s
        out = {"level": self.state.level.label, "kind": self.state.kind,
               "source": self.state.source, "side": self.state.side,
               "uptime_s": round(uptime_s, 1),
               "cycles": self.cycles, "overruns": self.overruns,
               "loop_hz": round(self.cycles / uptime_s, 1) if uptime_s > 0 else None,
               "stalled": int(stalled),
               "mode": self.cfg.device.mode}
        if stalled:
            out["last_cycle_s_ago"] = None if since_cycle_s is None else round(since_cycle_s, 3)
        out.update(self.notices)
        for channel in self.channels:
            r = channel.last_reading
            d = None if r is None or r.distance_m is None else round(r.distance_m, 3)
            out[f"{channel.id}.distance_m"] = d
            out[f"{channel.id}.health"] = (channel.health.reason or "ok") if channel.used else "unused"
        return out

    def _close(self) -> None:
        """Outputs off and drivers closed."""
        self.stop()
        for closeable in [self.outputs, *(c.driver for c in self.channels), self.imu, self.button]:
            if closeable is None or not hasattr(closeable, "close"):
                continue
            try:
                closeable.close()
            except OSError as exc:
                log.warning("closing %r: %s", closeable, exc)
