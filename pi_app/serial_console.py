"""Serial console (device side): the protocol of ``pi_app.serial_protocol`` on a port.

``SerialConsole`` runs in its own daemon thread on ``/dev/serial0`` (GPIO UART),
``/dev/ttyGS0`` (USB gadget), a pty or any pyserial URL (``loop://``, ``socket://``),
115200 8N1, and hands every validated change to the loop through ``apply_config`` (the
loop swaps it in between two cycles). It never holds up the device: a port that cannot
be opened yet or disappears is retried with back-off, a write nobody reads times out and
is dropped, and a flood of input is answered later, in order, within a line rate and a
CPU share (``LineBudget``, ``CpuShare``), so the loop sharing its GIL is not slowed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

import serial

from pi_app.clock import MonotonicClock
from pi_app.exc import ConfigError, DeviceClosed
from pi_app.serial_protocol import (ERROR_CODES, KEPT_BY_DEFAULTS, MAX_LINE_BYTES,
                                    ConsoleProtocol, LineFramer)

__all__ = ["SerialConsole", "LineBudget", "CpuShare", "ConsoleProtocol", "LineFramer",
           "ERROR_CODES", "KEPT_BY_DEFAULTS", "MAX_LINE_BYTES"]
log = logging.getLogger(__name__)

#: the shortest rest the budget takes: a shorter sleep costs about as much as it saves
_MIN_REST_S = 0.0005
#: float rounding in elapsed x rate: a token short by less than this is a whole one
_ROUNDING = 1e-9


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ConfigError(f"serial console: {name} must be > 0, got {value!r}")


class LineBudget:
    """Token bucket: on average at most ``rate_per_s`` lines a second, ``burst`` at once.

    Time is ``clock.now_s()`` (the console's injected clock), so with a ``SimClock`` a
    test decides exactly how many lines may pass: ``burst`` + ``rate_per_s`` x elapsed.
    """

    def __init__(self, rate_per_s: float, burst: int, clock) -> None:
        _check_positive("max_lines_per_s", rate_per_s)
        if not isinstance(burst, int) or burst < 1:
            raise ConfigError(f"serial console: burst_lines must be a whole number >= 1, "
                              f"got {burst!r}")
        self.rate_per_s = float(rate_per_s)
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._t_s = clock.now_s()

    def take(self) -> bool:
        """Spend one line of the budget; False (nothing spent) if none is left now."""
        self._refill()
        if self._tokens < 1.0 - _ROUNDING:
            return False
        self._tokens -= 1.0
        return True

    def wait_s(self) -> float:
        """Clock seconds until one more line may pass (0 = now)."""
        self._refill()
        return max(0.0, (1.0 - self._tokens) / self.rate_per_s)

    def _refill(self) -> None:
        now_s = self._clock.now_s()
        if now_s > self._t_s:
            earned = (now_s - self._t_s) * self.rate_per_s
            self._tokens = min(float(self.burst), self._tokens + earned)
            self._t_s = now_s


class CpuShare:
    """Keeps the calling thread's CPU time to ``share`` of real time.

    A credit of CPU seconds fills at ``share`` per second of real time up to ``burst_s``
    and ``charge()`` takes what the thread used since the last call. Once it is spent,
    ``wait_s()`` asks for a rest until it is full again: the thread works in runs of
    about ``burst_s / (1 - share)`` and another thread waiting for the GIL gets it
    within one run. Build it in the thread it measures (``cpu_s`` defaults to
    ``time.thread_time``); both clocks are real, never simulated, and injectable.
    """

    def __init__(self, share: float, burst_s: float, *, cpu_s=time.thread_time,
                 wall_s=time.monotonic) -> None:
        _check_positive("cpu_share", share)
        if share > 1:
            raise ConfigError(f"serial console: cpu_share must be <= 1 (one core), got {share!r}")
        _check_positive("cpu_burst_s", burst_s)
        self.share = float(share)
        self.burst_s = float(burst_s)
        self._cpu_s = cpu_s
        self._wall_s = wall_s
        self._credit_s = self.burst_s
        self._last_cpu_s = cpu_s()
        self._last_wall_s = wall_s()

    def charge(self) -> None:
        """Account the CPU used (and the real time passed) since the last call."""
        cpu_s, wall_s = self._cpu_s(), self._wall_s()
        earned_s = max(0.0, wall_s - self._last_wall_s) * self.share
        used_s = cpu_s - self._last_cpu_s
        self._credit_s = min(self.burst_s, self._credit_s + earned_s) - used_s
        self._last_cpu_s, self._last_wall_s = cpu_s, wall_s

    def wait_s(self) -> float:
        """Real seconds to rest before working again (0 = go on)."""
        self.charge()
        if self._credit_s > 0:
            return 0.0
        return (self.burst_s - self._credit_s) / self.share


class SerialConsole:
    """The device's serial console thread.

    ``port``: pyserial URL or device path. ``get_config()`` returns the loop's current
    ``Config``; ``apply_config(cfg)`` hands it a new one. ``status()`` returns a dict
    (or a line) for ``status``; ``stream_source()`` likewise for ``stream on`` (falls
    back to ``status``). ``config_path``: where ``save`` writes (None = ``save`` fails).
    ``clock``: times the telemetry stream and the line budget (default: monotonic).

    The work budget: at most ``max_lines_per_s`` lines a second (``LineBudget``) and at
    most ``cpu_share`` of a core, in runs of about ``cpu_burst_s`` (``CpuShare``). The
    console reads no more than ``read_chunk_bytes`` at a time and nothing more until it
    has answered what it read, so input beyond the budget waits in the kernel's buffer
    and the host's writes block: every line is still answered, in order, only later;
    the console discards nothing. (A port without flow control, like the GPIO UART, has
    no back-pressure: input the kernel's buffer cannot hold is lost there, as with any
    device answering slower than its host sends.) Reads time out every
    ``read_timeout_s`` so ``close()`` returns promptly. Why these defaults:

    - ``max_lines_per_s`` = 1000, ``burst_lines`` = 100: a person types under 10 lines
      a second and ``backsight config`` sends one command per reply, so real use never
      waits; a script pasting a whole config (about 60 ``set`` lines) passes in one
      burst. Most lines cost 1-50 us on an x86 core (``get`` of every key: 50 us), so
      the rate alone caps a flood of them at ~5 % of such a core; on a slower Pi core
      (or for a costlier line, like ``save``) the CPU share takes over.
    - ``cpu_share`` = 0.25, ``cpu_burst_s`` = 0.001: at most a quarter of a core, in
      runs of about 1.3 ms, a third of the 4 ms loop period, so the loop, waking on its
      deadline while the console works, gets the GIL back before its next deadline.
    - ``read_chunk_bytes`` = 512: one read and its framing stay well under a run even
      for a chunk of bare newlines (cut into 512 empty lines); at 115200 baud that is
      still only ~23 reads a second.

    ``lines_handled`` counts the lines answered; ``throttled_s`` the real time lines
    waited for the line budget (a flood: ``status`` shows it as ``console.throttled_s``
    once it is not zero; resting for the CPU share alone is routine pacing, not shown).
    """

    def __init__(self, port: str, *, get_config, apply_config, status=None, config_path=None,
                 baudrate: int = 115200, clock=None, stream_source=None,
                 read_timeout_s: float = 0.05, write_timeout_s: float = 0.5,
                 retry_min_s: float = 0.1, retry_max_s: float = 2.0,
                 stall_backoff_s: float = 1.0, join_timeout_s: float = 2.0,
                 max_lines_per_s: float = 1000.0, burst_lines: int = 100,
                 cpu_share: float = 0.25, cpu_burst_s: float = 0.001,
                 read_chunk_bytes: int = 512) -> None:
        self.port = port
        self.baudrate = baudrate
        self.clock = clock or MonotonicClock()
        self._status_source = status
        self.protocol = ConsoleProtocol(get_config, apply_config,
                                        status=None if status is None else self._status,
                                        config_path=config_path, stream_source=stream_source)
        self.read_timeout_s = read_timeout_s
        self.write_timeout_s = write_timeout_s
        self.retry_min_s = retry_min_s
        self.retry_max_s = retry_max_s
        self.stall_backoff_s = stall_backoff_s
        self.join_timeout_s = join_timeout_s
        # checked here, so a bad budget fails at construction and not in the thread
        LineBudget(max_lines_per_s, burst_lines, self.clock)
        CpuShare(cpu_share, cpu_burst_s)
        if not isinstance(read_chunk_bytes, int) or read_chunk_bytes < 1:
            raise ConfigError(f"serial console: read_chunk_bytes must be a whole number >= 1, "
                              f"got {read_chunk_bytes!r}")
        self.max_lines_per_s = max_lines_per_s
        self.burst_lines = burst_lines
        self.cpu_share = cpu_share
        self.cpu_burst_s = cpu_burst_s
        self.read_chunk_bytes = read_chunk_bytes
        self.connected = threading.Event()  # set while the port is open
        self.dropped_writes = 0  # replies/telemetry lost to write timeouts
        self.reconnects = 0
        self.lines_handled = 0
        self.throttled_s = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._serial = None
        self._closed = False
        self._stalled_until_s = float("-inf")

    # --- lifetime ------------------------------------------------------------------
    def start(self) -> "SerialConsole":
        """Start the console thread; returns at once even if the port is not there yet."""
        if self._closed:
            raise DeviceClosed(f"serial console on {self.port} is closed")
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="backsight-serial", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop the thread (bounded wait, logged if it will not die); idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        ser = self._serial
        if ser is not None and hasattr(ser, "cancel_read"):
            try:
                ser.cancel_read()  # wake a blocked read now rather than at its timeout
            except (OSError, serial.SerialException, AttributeError):
                pass
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.join_timeout_s)
            if thread.is_alive():
                log.warning("serial console thread on %s did not stop within %.1f s",
                            self.port, self.join_timeout_s)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "SerialConsole":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("connected" if self.connected.is_set() else "waiting")
        return f"<SerialConsole port={self.port!r} {state}>"

    def _status(self):
        """The status source, plus how long a flood has held the console back."""
        data = self._status_source()
        if not self.throttled_s:
            return data
        throttled_s = round(self.throttled_s, 3)
        if isinstance(data, dict):
            return {**data, "console.throttled_s": throttled_s}
        return f"{data} console.throttled_s={throttled_s}"

    # --- thread --------------------------------------------------------------------
    def _run(self) -> None:
        delay_s = self.retry_min_s
        reported = False
        while not self._stop.is_set():
            try:
                ser = serial.serial_for_url(self.port, baudrate=self.baudrate,
                                            timeout=self.read_timeout_s,
                                            write_timeout=self.write_timeout_s)
            except (serial.SerialException, OSError, ValueError) as exc:
                # ttyGS0 before a USB host attaches, an unplugged adapter: keep trying quietly
                (log.debug if reported else log.warning)(
                    "serial console: cannot open %s (%s); retrying in the background", self.port, exc)
                reported = True
                self._stop.wait(delay_s)
                delay_s = min(delay_s * 2.0, self.retry_max_s)
                continue
            delay_s, reported = self.retry_min_s, False
            self._serve_until_lost(ser)
            if not self._stop.is_set():
                self.reconnects += 1
                self._stop.wait(self.retry_min_s)  # do not spin on a port that fails at once

    def _serve_until_lost(self, ser) -> None:
        self._serial = ser
        self.connected.set()
        log.info("serial console on %s", self.port)
        try:
            self._serve(ser)
        except (serial.SerialException, OSError) as exc:
            log.warning("serial console: %s lost (%s); reconnecting", self.port, exc)
        except Exception:  # a bug must not end the console for good
            log.exception("serial console: unexpected error on %s; reconnecting", self.port)
        finally:
            self.connected.clear()
            self._serial = None
            try:
                ser.close()
            except (OSError, serial.SerialException):
                pass

    def _serve(self, ser) -> None:
        framer = LineFramer(MAX_LINE_BYTES)
        pending: deque[bytes | None] = deque()  # read, framed, not answered yet
        lines = LineBudget(self.max_lines_per_s, self.burst_lines, self.clock)
        cpu = CpuShare(self.cpu_share, self.cpu_burst_s)  # here: it measures this thread
        stream = _TelemetrySchedule()
        protocol = self.protocol
        warned = False
        while not self._stop.is_set():
            if not pending:  # read only what has been answered: the rest waits in the kernel
                self._read(ser, framer, pending)
            replies: list[str] = []
            while pending and lines.take():
                replies.extend(protocol.handle_bytes(pending.popleft()))
                self.lines_handled += 1
                if cpu.wait_s() > 0:
                    break
            line = stream.due(protocol, self.clock.now_s(), self._stalled_until_s)
            if line is not None:
                replies.append(line)
            if replies:
                self._write(ser, replies)
            line_rest_s = lines.wait_s() if pending else 0.0
            rest_s = max(cpu.wait_s(), line_rest_s)
            if rest_s <= 0:
                continue
            # wake for the next telemetry line and to notice close() or a late clock
            rest_s = max(_MIN_REST_S, min(rest_s, self.read_timeout_s))
            if protocol.streaming:
                rest_s = min(rest_s, protocol.current_config().serial.stream_period_s)
            if line_rest_s > 0:  # a flood (pacing one costly command is no news)
                if not warned:
                    warned = True
                    log.warning("serial console: input on %s comes faster than %g lines/s; "
                                "answering it more slowly, in order", self.port,
                                self.max_lines_per_s)
                self.throttled_s += rest_s
            self._stop.wait(rest_s)

    def _read(self, ser, framer: LineFramer, pending: deque) -> None:
        """Wait up to the read timeout for input; frame at most one chunk into ``pending``."""
        timeout_s = self.read_timeout_s
        if self.protocol.streaming:  # return in time for the next DATA line
            timeout_s = min(timeout_s, self.protocol.current_config().serial.stream_period_s)
        if ser.timeout != timeout_s:
            ser.timeout = timeout_s
        data = ser.read(min(max(ser.in_waiting, 1), self.read_chunk_bytes))
        if data:
            pending.extend(framer.feed(data))

    def _write(self, ser, lines: list[str]) -> None:
        data = ("\r\n".join(lines) + "\r\n").encode("ascii", "replace")
        try:
            ser.write(data)
        except serial.SerialTimeoutException:
            # Nobody is reading (a USB host that opened the port and went away): drop it,
            # and pause telemetry so a full buffer does not stall every poll.
            self.dropped_writes += 1
            self._stalled_until_s = self.clock.now_s() + self.stall_backoff_s
            (log.warning if self.dropped_writes == 1 else log.debug)(
                "serial console: write to %s timed out; output dropped", self.port)


class _TelemetrySchedule:
    """When the next ``DATA`` line of ``stream on`` is due: one per
    ``serial.stream_period_s``, the first at once, never a burst to catch up."""

    def __init__(self) -> None:
        self._next_t_s = float("-inf")
        self._was_streaming = False

    def due(self, protocol: ConsoleProtocol, now_s: float, stalled_until_s: float) -> str | None:
        """The line to send now, if one is due (None otherwise or if the source failed)."""
        streaming, was_streaming = protocol.streaming, self._was_streaming
        self._was_streaming = streaming
        if not streaming:
            return None
        if not was_streaming:
            self._next_t_s = now_s
        if now_s < self._next_t_s or now_s < stalled_until_s:
            return None
        period_s = protocol.current_config().serial.stream_period_s
        self._next_t_s += period_s
        if self._next_t_s <= now_s:  # fell behind: space from now, no burst
            self._next_t_s = now_s + period_s
        return protocol.telemetry_line(now_s)
