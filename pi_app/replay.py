"""Re-run the detectors on a recording: a real-world miss becomes a repeatable test.

Each recorded sensor gets a ``ReplayDriver`` that hands back its recorded readings as
the simulated clock passes their times; the IMU samples feed the same ``ImuTracker``;
then the unchanged loop, detectors and arbiter run on a ``SimClock``, one cycle per loop
period from the first reading to the last: a recording spanning more than
``MAX_SPAN_S`` (a damaged time stamp, or days of data) is refused rather than run.
"""

from __future__ import annotations

from pi_app.clock import SimClock
from pi_app.config import Config, SensorConfig
from pi_app.exc import ConfigError
from pi_app.detect.health import SensorHealth
from pi_app.detect.imu import ImuTracker
from pi_app.channel import Channel
from pi_app.loop import DeviceLoop

#: the longest stretch replayed: a day of running is about 4 million loop cycles
MAX_SPAN_S = 86400.0


class ReplayDriver:
    """Returns recorded readings in order once the clock reaches their time."""

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
    """Recorded IMU samples, in the shape of the MPU-6050 driver's ``read_motion``."""

    def __init__(self, samples, clock) -> None:
        self._samples = samples
        self._i = 0
        self.clock = clock

    def read_motion(self):
        from types import SimpleNamespace

        s = self._samples
        last = None
        while self._i < len(s) and s[self._i][0] <= self.clock.now_s():
            last = s[self._i]
            self._i += 1
        if last is None:
            return None
        return SimpleNamespace(t_s=last[0], accel_g=last[1], gyro_dps=last[2])

    def close(self) -> None:
        pass


class SilentOutputs:
    """Outputs that only remember the last command (replay, benchmarks)."""

    current = None

    def command(self, state, t_s: float) -> None:
        self.current = state

    def close(self) -> None:
        pass


def replay(recording, *, policy: str = "backsight", cfg: Config | None = None):
    """Run the loop over a recording; returns the loop (``loop.alerts`` etc.)."""
    from pi_app.device import make_detector

    if cfg is None:
        cfg = Config.from_dict(recording.config, "recording") if recording.config else Config.defaults()
    clock = SimClock()
    known = {s.id: s for s in cfg.sensors}
    per_sensor: dict[str, list] = {}
    for sid, reading in recording.readings:
        per_sensor.setdefault(sid, []).append(reading)
    channels = []
    for sid, readings in per_sensor.items():
        sc = known.get(sid) or SensorConfig(sid, "vl53l1x", "obstacle")
        channels.append(Channel(sc, ReplayDriver(readings, clock), SensorHealth(sid, cfg, role=sc.role),
                                lambda s, c: make_detector(s, c, policy), cfg))
    imu = ImuTracker(ReplayImu(recording.imu, clock), cfg=cfg) if recording.imu else None
    loop = DeviceLoop(cfg, channels, SilentOutputs(), clock, imu=imu)
    times = [r.t_s for rs in per_sensor.values() for r in rs[-1:]]
    end_s = max(times, default=0.0) + loop.period_s  # beyond the data every sensor would look dead
    if times:
        start_s = min(rs[0].t_s for rs in per_sensor.values())
        if end_s - start_s > MAX_SPAN_S:
            raise ConfigError(f"the recording's readings span {end_s - start_s:.0f} s, more than "
                              f"the {MAX_SPAN_S:.0f} s a replay runs (a damaged time stamp?)")
        clock.sleep_until(start_s)
    loop.run(until_s=end_s)
    return loop
