"""Re-run the device loop on a recording: a real-world miss becomes a repeatable test.

A recording (``pi_app.record``) holds every input the loop used: the configuration,
each sensor's health clocks, the announcements, and per cycle its time, the readings
fed, the IMU samples, the mute button and each re-initialisation's outcome. ``replay``
builds the same loop (channels, detectors, IMU tracker, coaches, arbiter) and steps it
at the recorded instants, each driver handing back what the live driver returned in
that cycle, so the replayed alerts are the recorded ones, to the same time. With other
thresholds (``cfg``) it shows what they would have done on the same inputs.

Version 1 recordings (no cycle times) replay approximately: one cycle per loop
period, each sensor's readings handed back as the clock passes their time.
"""

from __future__ import annotations

import math

from pi_app.channel import Channel
from pi_app.clock import SimClock
from pi_app.config import Config, SensorConfig
from pi_app.detect.announce import Announcer
from pi_app.detect.health import SensorHealth
from pi_app.detect.imu import ImuTracker
from pi_app.exc import ConfigError
from pi_app.loop import DeviceLoop
from pi_app.sensors.mpu6050 import ImuSample

#: the longest stretch a version 1 recording is replayed over: a day of running is
#: about 4 million loop cycles (a damaged time stamp must not run for ever)
MAX_SPAN_S = 86400.0


class SilentOutputs:
    """Outputs that only remember the last command (replay, benchmarks)."""

    current = None

    def command(self, state, t_s: float) -> None:
        self.current = state

    def close(self) -> None:
        pass


class ReplayClock(SimClock):
    """The recorded clock: ``set`` moves it to a recorded instant."""

    def set(self, t_s: float) -> None:
        self._t_s = t_s


class CycleDriver:
    """A recorded range sensor: ``read()`` hands back what the live driver returned in
    the current cycle (None when it returned nothing), once."""

    def __init__(self) -> None:
        self.pending = None

    def read(self):
        reading, self.pending = self.pending, None
        return reading

    def close(self) -> None:
        pass


class CycleImu:
    """A recorded IMU in the shape of the MPU-6050 driver: this cycle's sample, and the
    outcome of each re-initialisation (``start``) in turn."""

    def __init__(self) -> None:
        self.pending: ImuSample | None = None
        self.starts: list[bool] = []

    def read_motion(self) -> ImuSample | None:
        sample, self.pending = self.pending, None
        return sample

    def start(self) -> None:
        if not (self.starts and self.starts.pop(0)):
            raise OSError("the IMU did not start again (as recorded)")

    def close(self) -> None:
        pass


class ReplayButton:
    """The mute button as recorded."""

    def __init__(self) -> None:
        self.is_muted = False

    def muted(self, t_s: float) -> bool:
        return self.is_muted

    def close(self) -> None:
        pass


class Replay:
    """One recording fed through a freshly built loop (``run()``).

    ``cfg``: thresholds to use instead of the recorded ones (the recorded sensors are
    kept, and configuration changes made during the recording are not applied).
    ``divergences`` counts records the replayed loop did not ask for where the live
    one did (e.g. a re-initialisation): zero when the same thresholds are replayed.
    """

    def __init__(self, recording, *, policy: str | None = None, cfg: Config | None = None) -> None:
        from pi_app.device import DetectorMaker, make_coaches

        self.events = recording.events
        self.policy = policy or recording.policy or "backsight"
        self.override = cfg is not None
        self.divergences = 0
        self._i = 0
        self._cycled = False             # the records before the first cycle built the loop
        self.clock = ReplayClock()
        recorded = self._initial_config(recording)
        self.cfg = recorded if cfg is None else cfg.with_sensors(recorded.sensors)
        self.drivers: dict[str, CycleDriver] = {}
        self.announcer = Announcer()
        self.button = ReplayButton()
        self.imu_driver: CycleImu | None = None
        imu = None
        channels = []
        known = {s.id: s for s in self.cfg.sensors}

        detector_for = DetectorMaker(self.cfg, self.policy)

        for event in self._before_first_cycle():
            if event[0] != "h":
                continue
            _, start_t_s, sid, what = event
            if what == "imu":
                self.imu_driver = CycleImu()
                imu = ImuTracker(self.imu_driver, cfg=self.cfg, health=SensorHealth(
                    sid, self.cfg, role="imu", start_t_s=start_t_s))
                continue
            sc = known.get(sid) or SensorConfig(sid, "vl53l1x", "obstacle")
            driver = self.drivers[sid] = CycleDriver()
            channels.append(Channel(sc, driver, SensorHealth(sid, self.cfg, role=sc.role,
                                                            start_t_s=start_t_s),
                                    detector_for, self.cfg, restart=self._restarter(sid)))
        self.loop = DeviceLoop(self.cfg, channels, SilentOutputs(), self.clock, imu=imu,
                               coaches=make_coaches(self.cfg, self.policy), button=self.button,
                               announcer=self.announcer)

    @property
    def alerts(self):
        return self.loop.alerts

    def _initial_config(self, recording) -> Config:
        data = recording.config
        for event in self._before_first_cycle():
            if event[0] == "g":
                data = event[2]
        if data is None:
            return Config.defaults()
        return Config.from_dict(data, "the recording's configuration")

    def _before_first_cycle(self):
        for event in self.events:
            if event[0] == "c":
                return
            yield event

    def run(self) -> "Replay":
        while self._next_cycle(inside_restart=False):
            self.loop.step()
        return self

    def _next_cycle(self, inside_restart: bool) -> bool:
        """Take the records up to the next cycle (configuration changes, announcements),
        move the clock to it and hand its readings to the drivers. False at the end,
        or inside a re-initialisation when its end comes first."""
        events, n = self.events, len(self.events)
        i = self._i
        while i < n:
            event = events[i]
            tag = event[0]
            if tag == "c":
                break
            if tag in ("X", "x"):
                if inside_restart:
                    self._i = i
                    return False
                self.divergences += 1      # the live loop re-initialised; this one did not
            else:
                self._apply(event)
            i += 1
        if i >= n:
            self._i = i
            return False
        self.clock.set(events[i][1])
        self._cycled = True
        i += 1
        while i < n and events[i][0] not in ("c", "g", "X", "x"):
            self._apply(events[i])
            i += 1
        self._i = i
        return True

    def _apply(self, event) -> None:
        tag = event[0]
        if tag == "r":
            driver = self.drivers.get(event[1])
            if driver is not None:
                driver.pending = event[2]
        elif tag == "m":
            if self.imu_driver is not None:
                self.imu_driver.pending = ImuSample(event[1], event[2], event[3], math.nan)
        elif tag == "b":
            self.button.is_muted = event[2]
        elif tag == "n":
            _, start_s, duration_s, state = event
            self.announcer.announce(state, start_s, duration_s)
        elif tag == "y":
            if self.imu_driver is not None:
                self.imu_driver.starts.append(event[3])
        elif tag == "g":
            if self._cycled and not self.override:
                self.loop.apply_config(Config.from_dict(event[2], "a recorded configuration"))

    def _restarter(self, sensor_id: str):
        def restart():
            return self._restart(sensor_id)
        return restart

    def _restart(self, sensor_id: str):
        """The channel's re-initialisation as recorded: the cycles the live loop ran
        meanwhile, then its outcome at the recorded time."""
        events = self.events
        i = self._i
        if not (i < len(events) and events[i][0] == "X" and events[i][2] == sensor_id):
            self.divergences += 1          # this loop re-initialises where the live one did not
            return None
        self._i += 1
        while self._next_cycle(inside_restart=True):
            self.loop.step()
        i = self._i
        if not (i < len(events) and events[i][0] == "x" and events[i][2] == sensor_id):
            self.divergences += 1
            return None
        self._i += 1
        _, t_after_s, _, outcome = events[i]
        self.clock.set(t_after_s)
        if outcome == "error":
            raise OSError(f"{sensor_id} did not start again (as recorded)")
        return self.drivers[sensor_id] if outcome == "ok" else None


def replay(recording, *, policy: str | None = None, cfg: Config | None = None):
    """Run the loop over a recording; returns the ``Replay`` (``.alerts``, ``.loop``)."""
    if any(e[0] == "c" for e in recording.events):
        return Replay(recording, policy=policy, cfg=cfg).run()
    return ApproximateReplay(recording, policy=policy or recording.policy or "backsight",
                             cfg=cfg).run()


class ReplayDriver:
    """Returns recorded readings in order once the clock reaches their time (version 1
    recordings, benchmarks)."""

    def __init__(self, readings, clock) -> None:
        self._readings = readings
        self._i = 0
        self.clock = clock

    def read(self):
        if self._i < len(self._readings) and self._readings[self._i].t_s <= self.clock.now_s():
            self._i += 1
            return self._readings[self._i - 1]
        return None

    def close(self) -> None:
        pass


class ReplayImu:
    """Recorded IMU samples by time, in the shape of the MPU-6050 driver's ``read_motion``."""

    def __init__(self, samples, clock) -> None:
        self._samples = samples
        self._i = 0
        self.clock = clock

    def read_motion(self) -> ImuSample | None:
        s = self._samples
        last = None
        while self._i < len(s) and s[self._i][0] <= self.clock.now_s():
            last = s[self._i]
            self._i += 1
        return None if last is None else ImuSample(*last, math.nan)

    def close(self) -> None:
        pass


class ApproximateReplay:
    """A version 1 recording: one cycle per loop period from the first reading to the
    last (a span over ``MAX_SPAN_S`` is refused), readings handed back by time."""

    divergences = 0

    def __init__(self, recording, *, policy: str, cfg: Config | None) -> None:
        from pi_app.device import DetectorMaker

        if cfg is None:
            cfg = Config.from_dict(recording.config, "recording") if recording.config \
                else Config.defaults()
        self.clock = clock = SimClock()
        known = {s.id: s for s in cfg.sensors}
        self.per_sensor: dict[str, list] = {}
        for sid, reading in recording.readings:
            self.per_sensor.setdefault(sid, []).append(reading)
        channels = []
        detector_for = DetectorMaker(cfg, policy)
        for sid, readings in self.per_sensor.items():
            sc = known.get(sid) or SensorConfig(sid, "vl53l1x", "obstacle")
            channels.append(Channel(sc, ReplayDriver(readings, clock),
                                    SensorHealth(sid, cfg, role=sc.role),
                                    detector_for, cfg))
        imu = ImuTracker(ReplayImu(recording.imu, clock), cfg=cfg) if recording.imu else None
        self.loop = DeviceLoop(cfg, channels, SilentOutputs(), clock, imu=imu)

    @property
    def alerts(self):
        return self.loop.alerts

    def run(self) -> "ApproximateReplay":
        per_sensor, loop = self.per_sensor, self.loop
        times = [rs[-1].t_s for rs in per_sensor.values()]
        end_s = max(times, default=0.0) + loop.period_s  # beyond the data every sensor looks dead
        if times:
            start_s = min(rs[0].t_s for rs in per_sensor.values())
            if end_s - start_s > MAX_SPAN_S:
                raise ConfigError(f"the recording's readings span {end_s - start_s:.0f} s, more "
                                  f"than the {MAX_SPAN_S:.0f} s a replay runs (a damaged time "
                                  f"stamp?)")
            self.clock.sleep_until(start_s)
        loop.run(until_s=end_s)
        return self


def differences(recorded: list, replayed) -> list[str]:
    """Where the replayed alerts (``(t_s, AlertState)``) differ from the recorded ones
    (``(t_s, level, kind, source)``): one line each, empty when identical."""
    out = []
    mine = [(t, s.level.label, s.kind, s.source) for t, s in replayed]
    for k in range(max(len(mine), len(recorded))):
        a = recorded[k] if k < len(recorded) else None
        b = mine[k] if k < len(mine) else None
        if a != b:
            out.append(f"alert {k + 1}: recorded {_describe(a)}, replayed {_describe(b)}")
    return out


def _describe(alert) -> str:
    if alert is None:
        return "none"
    t_s, level, kind, source = alert
    return f"{level} {kind or '-'} from {source or '-'} at {t_s:.4f} s"
