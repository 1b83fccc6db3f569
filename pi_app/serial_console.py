"""Serial console (device side): the protocol of ``pi_app.serial_protocol`` on a port.

``SerialConsole`` runs in its own daemon thread on ``/dev/serial0`` (GPIO UART),
``/dev/ttyGS0`` (USB gadget), a pty or any pyserial URL (``loop://``, ``socket://``),
115200 8N1. It hands every validated change to the loop through ``apply_config``; the
loop swaps the new immutable config in between two cycles.

Commands, replies and ``ERR`` codes: see ``pi_app.serial_protocol`` (also ``help``).

The console never holds up the device: a port that cannot be opened yet (ttyGS0 with
no USB host, a missing adapter) is retried in the console thread with back-off; a port
that disappears is closed and retried; a write nobody reads times out and is dropped.
Reads time out every ``read_timeout_s`` so ``close()`` returns promptly.
"""

from __future__ import annotations

import logging
import threading

import serial

from pi_app.clock import MonotonicClock
from pi_app.exc import DeviceClosed
from pi_app.serial_protocol import (ERROR_CODES, KEPT_BY_DEFAULTS, MAX_LINE_BYTES,
                                    ConsoleProtocol, LineFramer)

__all__ = ["SerialConsole", "ConsoleProtocol", "LineFramer", "ERROR_CODES", "KEPT_BY_DEFAULTS",
           "MAX_LINE_BYTES"]
log = logging.getLogger(__name__)

_READ_CHUNK_BYTES = 4096


class SerialConsole:
    """The device's serial console thread.

    ``port``: pyserial URL or device path. ``get_config()`` returns the loop's current
    ``Config``; ``apply_config(cfg)`` hands it a new one. ``status()`` returns a dict
    (or a line) for ``status``; ``stream_source()`` likewise for ``stream on`` (falls
    back to ``status``). ``config_path``: where ``save`` writes (None = ``save`` fails).
    ``clock``: times the telemetry stream (default: the monotonic clock).
    """

    def __init__(self, port: str, *, get_config, apply_config, status=None, config_path=None,
                 baudrate: int = 115200, clock=None, stream_source=None,
                 read_timeout_s: float = 0.05, write_timeout_s: float = 0.5,
                 retry_min_s: float = 0.1, retry_max_s: float = 2.0,
                 stall_backoff_s: float = 1.0, join_timeout_s: float = 2.0) -> None:
        self.port = port
        self.baudrate = baudrate
        self.clock = clock or MonotonicClock()
        self.protocol = ConsoleProtocol(get_config, apply_config, status=status,
                                        config_path=config_path, stream_source=stream_source)
        self.read_timeout_s = read_timeout_s
        self.write_timeout_s = write_timeout_s
        self.retry_min_s = retry_min_s
        self.retry_max_s = retry_max_s
        self.stall_backoff_s = stall_backoff_s
        self.join_timeout_s = join_timeout_s
        self.connected = threading.Event()  # set while the port is open
        self.dropped_writes = 0  # replies/telemetry lost to write timeouts
        self.reconnects = 0
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
        protocol = self.protocol
        clock = self.clock
        next_data_t_s = float("-inf")
        was_streaming = False
        while not self._stop.is_set():
            waiting = ser.in_waiting
            data = ser.read(min(max(waiting, 1), _READ_CHUNK_BYTES))
            replies: list[str] = []
            for line in framer.feed(data) if data else ():
                replies.extend(protocol.handle_bytes(line))
            if protocol.streaming:
                now_s = clock.now_s()
                if not was_streaming:
                    next_data_t_s = now_s
                if now_s >= next_data_t_s and now_s >= self._stalled_until_s:
                    line = protocol.telemetry_line(now_s)
                    if line is not None:
                        replies.append(line)
                    period_s = protocol.current_config().serial.stream_period_s
                    next_data_t_s += period_s
                    if next_data_t_s <= now_s:  # fell behind: space from now, no burst
                        next_data_t_s = now_s + period_s
            was_streaming = protocol.streaming
            if replies:
                self._write(ser, replies)

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
