"""Recordings: everything the loop used, append-only text, replayed exactly.

One record per line, comma separated, tagged by its first letter (the format is in
docs/design.md, "Recordings and replay"): the configuration (``g``), each sensor's
health clocks (``h``), announcements (``n``), then per cycle its time (``c``), the
readings (``r``), IMU samples (``m``), the mute state (``b``), re-initialisations
(``X``/``x``, ``y``) and alert changes (``a``). Numbers are written in Python's
shortest exact form, so ``backsight replay`` feeds the same loop the same inputs at
the same instants. A power cut loses at most the lines after the last flush; a torn
line is skipped on reading. Version 1 files (readings, IMU samples and alerts,
rounded) are still read; they replay approximately.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field

from pi_app.closeable import Closeable
from pi_app.detect import AlertState, Level
from pi_app.exc import ConfigError
from pi_app.sensors.base import RangeStatus, Reading

MAGIC = "# backsight-recording "
VERSION = 2
#: the header's JSON (the whole configuration) is a few kB; a longer first line is not one
MAX_HEADER_CHARS = 1024 * 1024
#: times are the device's monotonic clock (seconds since boot): 30 years of uptime is
#: plenty, and beyond about 1e15 s adding a 20 ms loop period no longer moves the clock
MAX_TIME_S = 1e9


def _opt(value) -> str:
    return "-" if value is None else repr(float(value))


def _word(value) -> str:
    return "-" if value is None else str(value)


class Recorder(Closeable):
    """Appends records to ``path``. The file is flushed (and fsync'ed) every
    ``flush_period_s`` of recording time and on close, so a running device writes to
    the SD card about once a second, not per cycle. The loop calls the methods below
    (``DeviceLoop.attach_recorder``); ``policy`` names the detectors for the replay."""

    def __init__(self, path, cfg=None, *, policy: str = "backsight",
                 flush_period_s: float = 1.0) -> None:
        self.path = str(path)
        self._f = open(self.path, "a", encoding="ascii", buffering=64 * 1024)
        if self._f.tell() == 0:
            meta = {"config": cfg.to_dict() if cfg is not None else None, "policy": policy}
            self._f.write(f"{MAGIC}{VERSION} {json.dumps(meta, separators=(',', ':'))}\n")
        self.flush_period_s = flush_period_s
        self._next_flush_t_s = 0.0

    def config(self, t_s: float, cfg) -> None:
        self._f.write(f"g,{t_s!r},{json.dumps(cfg.to_dict(), separators=(',', ':'))}\n")

    def start(self, t_s: float, sensor_id: str, what: str) -> None:
        self._f.write(f"h,{t_s!r},{sensor_id},{what}\n")

    def announce(self, start_s: float, duration_s: float, state: AlertState) -> None:
        self._f.write(f"n,{start_s!r},{duration_s!r},{state.level.label},{_word(state.kind)},"
                      f"{_word(state.source)},{_word(state.detail)}\n")

    def cycle(self, t_s: float) -> None:
        self._f.write(f"c,{t_s!r}\n")
        if t_s >= self._next_flush_t_s:
            self.flush()
            self._next_flush_t_s = t_s + self.flush_period_s

    def muted(self, t_s: float, muted: bool) -> None:
        self._f.write(f"b,{t_s!r},{int(muted)}\n")

    def reading(self, sensor_id: str, r: Reading) -> None:
        self._f.write(f"r,{r.t_s!r},{sensor_id},{_opt(r.distance_m)},{int(r.status)},"
                      f"{_opt(r.raw_m)}\n")

    def imu(self, t_s: float, accel_g, gyro_dps) -> None:
        ax, ay, az = accel_g
        gx, gy, gz = gyro_dps
        self._f.write(f"m,{t_s!r},{ax!r},{ay!r},{az!r},{gx!r},{gy!r},{gz!r}\n")

    def imu_restart(self, t_s: float, sensor_id: str, ok: bool) -> None:
        self._f.write(f"y,{t_s!r},{sensor_id},{'ok' if ok else 'error'}\n")

    def restart_begin(self, t_s: float, sensor_id: str) -> None:
        self._f.write(f"X,{t_s!r},{sensor_id}\n")

    def restart_end(self, t_s: float, sensor_id: str, outcome: str) -> None:
        self._f.write(f"x,{t_s!r},{sensor_id},{outcome}\n")

    def alert(self, t_s: float, state: AlertState) -> None:
        self._f.write(f"a,{t_s!r},{state.level.label},{_word(state.kind)},{_word(state.source)},"
                      f"{_word(state.detail)},{_word(state.side)}\n")

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
    """A parsed recording. ``events``: every record after the header in file order, as
    tuples starting with the record's letter (what ``pi_app.replay`` steps through);
    ``readings``, ``imu``, ``alerts``: the same data by kind, for summaries and plots."""

    config: dict | None
    policy: str | None = None
    version: int = VERSION
    readings: list = field(default_factory=list)   # (sensor_id, Reading)
    imu: list = field(default_factory=list)        # (t_s, accel_g, gyro_dps)
    alerts: list = field(default_factory=list)     # (t_s, level, kind, source)
    alert_sides: list = field(default_factory=list)  # each alert's side (None: none, or
    #                                                  a file written before sides)
    events: list = field(default_factory=list)
    skipped_lines: int = 0

    @property
    def sensor_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for sid, _ in self.readings:
            seen.setdefault(sid)
        return list(seen)

    @property
    def cycles(self) -> int:
        return sum(1 for e in self.events if e[0] == "c")


def read_recording(path) -> Recording:
    """Parse a recording; a torn or corrupt line is counted and skipped, not fatal.
    A line whose numbers are not finite or whose time is beyond ``MAX_TIME_S`` is
    damaged like a torn one; a file without the header is not a recording.

    ``ConfigError`` if the file is not a recording; ``OSError`` if it cannot be read."""
    with open(path, encoding="ascii", errors="replace") as f:
        first = f.readline(MAX_HEADER_CHARS)
        if not first.startswith(MAGIC):
            raise ConfigError(f"{path}: not a backsight recording (no header line)")
        version_text, _, meta_text = first[len(MAGIC):].partition(" ")
        if version_text not in ("1", "2"):
            raise ConfigError(f"{path}: recording format {version_text!r} is not one this "
                              f"version reads (1 or 2)")
        try:
            meta = json.loads(meta_text)
        except ValueError as exc:
            raise ConfigError(f"{path}: corrupt header ({exc})") from None
        except RecursionError:
            raise ConfigError(f"{path}: corrupt header (nested too deeply)") from None
        if not isinstance(meta, dict):
            raise ConfigError(f"{path}: corrupt header (not a JSON object)")
        policy = meta.get("policy")
        rec = Recording(meta.get("config"), policy if isinstance(policy, str) else None,
                        int(version_text))
        for line in f:
            try:
                _parse_line(rec, line.rstrip("\n"))
            except (ValueError, IndexError, KeyError, RecursionError):
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


def _opt_number(text: str) -> float | None:
    return None if text == "-" else _number(text)


def _time(text: str) -> float:
    value = _number(text)
    if abs(value) > MAX_TIME_S:
        raise ValueError(f"time out of range: {text!r}")
    return value


def _state(level: str, kind: str, source: str, detail: str) -> AlertState:
    return AlertState(Level[level.upper()], _none(kind), _none(source), _none(detail))


def _parse_line(rec: Recording, line: str) -> None:
    tag = line[:1]
    if tag == "g":                           # JSON has commas: split only the time off
        _, t, body = line.split(",", 2)
        cfg = json.loads(body)
        if not isinstance(cfg, dict):
            raise ValueError("configuration is not an object")
        rec.events.append(("g", _time(t), cfg))
        return
    parts = line.split(",")
    n = len(parts)
    if tag == "c" and n == 2:
        rec.events.append(("c", _time(parts[1])))
    elif tag == "r" and n in (5, 6):
        raw_m = _opt_number(parts[5]) if n == 6 else None
        reading = Reading(_time(parts[1]), _opt_number(parts[3]), RangeStatus(int(parts[4])), raw_m)
        rec.readings.append((parts[2], reading))
        rec.events.append(("r", parts[2], reading))
    elif tag == "m" and n == 8:
        v = [_number(x) for x in parts[2:]]
        sample = (_time(parts[1]), tuple(v[0:3]), tuple(v[3:6]))
        rec.imu.append(sample)
        rec.events.append(("m", *sample))
    elif tag == "a" and n in (5, 6, 7):
        rec.alerts.append((_time(parts[1]), parts[2], _none(parts[3]), _none(parts[4])))
        rec.alert_sides.append(_none(parts[6]) if n == 7 else None)
    elif tag == "b" and n == 3:
        rec.events.append(("b", _time(parts[1]), parts[2] == "1"))
    elif tag == "h" and n == 4 and parts[3] in ("range", "imu"):
        rec.events.append(("h", _time(parts[1]), parts[2], parts[3]))
    elif tag == "n" and n == 7:
        rec.events.append(("n", _time(parts[1]), _number(parts[2]), _state(*parts[3:7])))
    elif tag == "y" and n == 4:
        rec.events.append(("y", _time(parts[1]), parts[2], parts[3] == "ok"))
    elif tag == "X" and n == 3:
        rec.events.append(("X", _time(parts[1]), parts[2]))
    elif tag == "x" and n == 4 and parts[3] in ("ok", "absent", "error"):
        rec.events.append(("x", _time(parts[1]), parts[2], parts[3]))
    elif line:
        raise ValueError("unknown record")
