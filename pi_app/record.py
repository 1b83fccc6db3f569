"""Recordings: raw readings, IMU samples and commanded alerts, append-only text.

One record per line, comma separated, so a power cut loses at most the lines after the
last flush and a torn last line is simply skipped on reading:

    # backsight-recording 1 {"config": {...}}      header: version + config as JSON
    r,<t_s>,<sensor>,<distance_m or ->,<status>   range reading
    m,<t_s>,<ax>,<ay>,<az>,<gx>,<gy>,<gz>          IMU sample (g, deg/s, chip frame)
    a,<t_s>,<level>,<kind or ->,<source or ->      commanded alert change
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field

from pi_app.closeable import Closeable
from pi_app.exc import ConfigError
from pi_app.sensors.base import RangeStatus, Reading

HEADER = "# backsight-recording 1 "
#: the header's JSON (the whole configuration) is a few kB; a longer first line is not one
MAX_HEADER_CHARS = 1024 * 1024
#: times are the device's monotonic clock (seconds since boot): 30 years of uptime is
#: plenty, and beyond about 1e15 s adding a 20 ms loop period no longer moves the clock
MAX_TIME_S = 1e9


class Recorder(Closeable):
    """Appends records to ``path``. The file is flushed (and fsync'ed) every
    ``flush_period_s`` of recording time and on close, so a running device writes to
    the SD card about once a second, not per cycle."""

    def __init__(self, path, cfg=None, *, flush_period_s: float = 1.0) -> None:
        self.path = str(path)
        self._f = open(self.path, "a", encoding="ascii", buffering=64 * 1024)
        if self._f.tell() == 0:
            meta = {"config": cfg.to_dict() if cfg is not None else None}
            self._f.write(HEADER + json.dumps(meta, separators=(",", ":")) + "\n")
        self.flush_period_s = flush_period_s
        self._next_flush_t_s = 0.0

    def reading(self, sensor_id: str, r: Reading) -> None:
        d = "-" if r.distance_m is None else f"{r.distance_m:.4f}"
        self._f.write(f"r,{r.t_s:.4f},{sensor_id},{d},{int(r.status)}\n")
        self._maybe_flush(r.t_s)

    def imu(self, t_s: float, accel_g, gyro_dps) -> None:
        ax, ay, az = accel_g
        gx, gy, gz = gyro_dps
        self._f.write(f"m,{t_s:.4f},{ax:.4f},{ay:.4f},{az:.4f},{gx:.3f},{gy:.3f},{gz:.3f}\n")

    def alert(self, t_s: float, state) -> None:
        self._f.write(f"a,{t_s:.4f},{state.level.label},{state.kind or '-'},{state.source or '-'}\n")
        self._maybe_flush(t_s)

    def _maybe_flush(self, t_s: float) -> None:
        if t_s >= self._next_flush_t_s:
            self.flush()
            self._next_flush_t_s = t_s + self.flush_period_s

    def flush(self) -> None:
        self._f.flush()
        os.fsync(self._f.fileno())

    def _close(self) -> None:
        try:
            self.flush()
        finally:
            self._f.close()


@dataclass
class Recording:
    config: dict | None
    readings: list = field(default_factory=list)   # (sensor_id, Reading)
    imu: list = field(default_factory=list)        # (t_s, accel_g, gyro_dps)
    alerts: list = field(default_factory=list)     # (t_s, level, kind, source)
    skipped_lines: int = 0

    @property
    def sensor_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for sid, _ in self.readings:
            seen.setdefault(sid)
        return list(seen)


def read_recording(path) -> Recording:
    """Parse a recording; a torn or corrupt line is counted and skipped, not fatal.
    A line whose numbers are not finite or whose time is beyond ``MAX_TIME_S`` is
    damaged like a torn one; a file without the header is not a recording.

    ``ConfigError`` if the file is not a recording; ``OSError`` if it cannot be read."""
    with open(path, encoding="ascii", errors="replace") as f:
        first = f.readline(MAX_HEADER_CHARS)
        if not first.startswith(HEADER):
            raise ConfigError(f"{path}: not a backsight recording (no header line)")
        try:
            meta = json.loads(first[len(HEADER):])
        except ValueError as exc:
            raise ConfigError(f"{path}: corrupt header ({exc})") from None
        except RecursionError:
            raise ConfigError(f"{path}: corrupt header (nested too deeply)") from None
        if not isinstance(meta, dict):
            raise ConfigError(f"{path}: corrupt header (not a JSON object)")
        rec = Recording(meta.get("config"))
        for line in f:
            try:
                _parse_line(rec, line.rstrip("\n").split(","))
            except (ValueError, IndexError):
                rec.skipped_lines += 1
    return rec


def _none(text: str):
    return None if text == "-" else text


def _number(text: str) -> float:
    """A finite number, else ``ValueError`` (the line is damaged)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def _time(text: str) -> float:
    value = _number(text)
    if abs(value) > MAX_TIME_S:
        raise ValueError(f"time out of range: {text!r}")
    return value


def _parse_line(rec: Recording, parts: list[str]) -> None:
    tag = parts[0]
    if tag == "r" and len(parts) == 5:
        d = None if parts[3] == "-" else _number(parts[3])
        rec.readings.append((parts[2], Reading(_time(parts[1]), d, RangeStatus(int(parts[4])))))
    elif tag == "m" and len(parts) == 8:
        v = [_number(x) for x in parts[1:]]
        rec.imu.append((_time(parts[1]), tuple(v[1:4]), tuple(v[4:7])))
    elif tag == "a" and len(parts) == 5:
        rec.alerts.append((_time(parts[1]), parts[2], _none(parts[3]), _none(parts[4])))
    elif parts != [""]:
        raise ValueError("unknown record")
