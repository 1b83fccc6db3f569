"""Host side of the serial console: ``backsight config --port URL ACTION`` and ``ConsoleClient``.

    backsight config --port /dev/ttyUSB0 get obstacle.warning_ttc_s
    backsight config --port /dev/ttyACM0 set obstacle.warning_ttc_s 3.0
    backsight config --port socket://pi.local:7000 stream --seconds 10
    echo status | backsight config --port /dev/ttyUSB0 shell

Exit codes: 0 = the device answered OK, 1 = it answered ERR (printed on stderr),
2 = usage error, the port could not be opened, or no reply came in time.
"""

from __future__ import annotations

import collections
import os
import sys

import serial

from pi_app.clock import MonotonicClock
from pi_app.commands.argtypes import positive_float, positive_int
from pi_app.exc import ProtocolError, SerialConsoleError

_READ_TIMEOUT_S = 0.05  # each read returns this soon, so reply deadlines are kept
TELEMETRY_PREFIX = "DATA "


class ConsoleReplyError(ProtocolError):
    """The device answered ``ERR <code> <message>``."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        parts = line.split(None, 2)
        self.line = line
        self.code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        self.message = parts[2] if len(parts) > 2 else ""


class ConsoleClient:
    """Talks to a device's serial console: one command, its reply lines.

    ``port_or_serial``: a pyserial URL / device path (opened here, closed by ``close``),
    or an open serial-like object (``read(n)`` honouring its timeout, ``write(b)``,
    ``in_waiting``). ``timeout_s``: longest wait for a whole reply. Telemetry lines
    (``DATA ...``) are kept apart in ``telemetry`` (the newest 1000).
    """

    def __init__(self, port_or_serial, timeout_s: float = 2.0, *, baudrate: int = 115200,
                 clock=None) -> None:
        self.timeout_s = timeout_s
        self.clock = clock or MonotonicClock()
        self.telemetry: collections.deque[str] = collections.deque(maxlen=1000)
        self._buf = bytearray()
        if isinstance(port_or_serial, (str, os.PathLike)):
            self.port = os.fspath(port_or_serial)
            try:
                self._ser = serial.serial_for_url(self.port, baudrate=baudrate,
                                                  timeout=_READ_TIMEOUT_S, write_timeout=timeout_s)
            except (serial.SerialException, OSError, ValueError) as exc:
                raise SerialConsoleError(f"cannot open {self.port}: {exc}") from None
            self._owns = True
        else:
            self.port = getattr(port_or_serial, "port", None) or repr(port_or_serial)
            self._ser = port_or_serial
            self._owns = False

    def command(self, line: str) -> list[str]:
        """Send one command; return its reply lines, the last being ``OK ...``.

        Raises ``ConsoleReplyError`` (a ``ProtocolError``) for ``ERR``, ``ProtocolError``
        for a line that cannot be sent, ``SerialConsoleError`` if no reply comes in time.
        """
        if not line.strip() or any(not (" " <= ch <= "~" or ch == "\t") for ch in line):
            raise ProtocolError(f"a command is one line of printable ASCII, got {line!r}")
        self._discard_stale()
        try:
            self._ser.write(line.encode("ascii") + b"\n")
        except (serial.SerialException, OSError) as exc:
            raise SerialConsoleError(f"cannot write to {self.port}: {exc}") from None
        deadline_s = self.clock.now_s() + self.timeout_s
        replies: list[str] = []
        while (reply := self._next_line(deadline_s)) is not None:
            if reply.startswith(TELEMETRY_PREFIX):
                self.telemetry.append(reply)
                continue
            replies.append(reply)
            if reply == "OK" or reply.startswith("OK "):
                return replies
            if reply == "ERR" or reply.startswith("ERR "):
                raise ConsoleReplyError(reply)
        raise SerialConsoleError(f"no reply to {line!r} from {self.port} within {self.timeout_s:g} s "
                                 "(is the device running? right port and baud rate?)")

    def get(self, key: str) -> str:
        """One setting's value as text (``get KEY`` answers ``OK KEY=VALUE``)."""
        reply = self.command(f"get {key}")[-1]
        return reply[3:].split("=", 1)[1]

    def read_lines(self, duration_s: float = 0.0) -> list[str]:
        """Every line received within ``duration_s`` (0 = only what is already here)."""
        deadline_s = self.clock.now_s() + duration_s
        lines = []
        while (line := self._next_line(deadline_s)) is not None:
            lines.append(line)
        return lines

    def read_telemetry(self, duration_s: float) -> list[str]:
        """Collect ``DATA`` lines for ``duration_s`` (plus any already received)."""
        deadline_s = self.clock.now_s() + duration_s
        while (line := self._next_line(deadline_s)) is not None:
            if line.startswith(TELEMETRY_PREFIX):
                self.telemetry.append(line)
        lines = list(self.telemetry)
        self.telemetry.clear()
        return lines

    def _discard_stale(self) -> None:
        """Drop a late reply to an earlier command (keeping telemetry) before a new one."""
        while (line := self._next_line(self.clock.now_s())) is not None:
            if line.startswith(TELEMETRY_PREFIX):
                self.telemetry.append(line)

    def _next_line(self, deadline_s: float) -> str | None:
        """The next received line, or None once ``deadline_s`` has passed without one."""
        while True:
            end = self._buf.find(b"\n")
            if end >= 0:
                raw = bytes(self._buf[:end])
                del self._buf[:end + 1]
                line = raw.decode("ascii", "replace").strip()
                if line:
                    return line
                continue
            try:
                waiting = self._ser.in_waiting
                if not waiting and self.clock.now_s() >= deadline_s:
                    return None
                data = self._ser.read(max(1, waiting))  # returns within the port's timeout
            except (serial.SerialException, OSError) as exc:
                raise SerialConsoleError(f"cannot read from {self.port}: {exc}") from None
            self._buf += data

    def close(self) -> None:
        if self._owns and self._ser is not None:
            self._ser.close()
        self._ser = None if self._owns else self._ser

    def __enter__(self) -> "ConsoleClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# --- the `backsight config` sub-command ----------------------------------------------
def configure_parser(parser) -> None:
    parser.add_argument("--port", required=True,
                        help="device path or pyserial URL (/dev/ttyUSB0, /dev/ttyACM0, socket://HOST:PORT)")
    parser.add_argument("--baud", type=positive_int, default=115200, help="baud rate (default 115200)")
    parser.add_argument("--timeout", type=positive_float, default=2.0,
                        help="seconds to wait for a reply")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("get", help="one setting, or all").add_argument("key", nargs="?")
    p_set = sub.add_parser("set", help="change a setting now (not saved)")
    p_set.add_argument("key")
    p_set.add_argument("value")
    p_set.add_argument("--confirm", action="store_true",
                       help="accept a serial.port/serial.baudrate change that moves the "
                            "console after save and a restart (the device asks with ERR 9)")
    sub.add_parser("save", help="persist the current settings on the device")
    sub.add_parser("defaults", help="factory settings (keeps sensors and wiring; not saved)")
    sub.add_parser("status", help="level, sensors, faults, loop rate")
    p_stream = sub.add_parser("stream", help="print telemetry lines")
    p_stream.add_argument("--seconds", type=positive_float, default=None,
                          help="stop after this long (default: Ctrl-C)")
    sub.add_parser("shell", help="type commands (or pipe them in), print replies")


def run(args) -> int:
    try:
        client = ConsoleClient(args.port, timeout_s=args.timeout, baudrate=args.baud)
    except SerialConsoleError as exc:
        return _fail(exc)
    with client:
        try:
            if args.action == "shell":
                return shell(client, sys.stdin, sys.stdout)
            if args.action == "stream":
                return _stream(client, args.seconds)
            if args.action == "get":
                line = f"get {args.key}" if args.key else "get"
            elif args.action == "set":
                line = f"set {args.key} {args.value}" + (" confirm" if args.confirm else "")
            else:
                line = args.action
            for reply in client.command(line):
                print(reply)
            return 0
        except ConsoleReplyError as exc:
            print(exc.line, file=sys.stderr)
            return 1
        except (SerialConsoleError, ProtocolError) as exc:
            return _fail(exc)


def _fail(exc: Exception) -> int:
    print(f"backsight config: error: {exc}", file=sys.stderr)
    return 2


def _stream(client: ConsoleClient, seconds: float | None) -> int:
    client.command("stream on")
    try:
        remaining_s = seconds
        while remaining_s is None or remaining_s > 0:
            chunk_s = 0.5 if remaining_s is None else min(0.5, remaining_s)
            for line in client.read_telemetry(chunk_s):
                print(line, flush=True)
            if remaining_s is not None:
                remaining_s -= chunk_s
    except KeyboardInterrupt:
        pass
    finally:
        client.command("stream off")
    for line in client.read_telemetry(0.0):
        print(line)
    return 0


def shell(client: ConsoleClient, stdin, stdout) -> int:
    """Read commands from ``stdin`` until EOF/quit; 1 if any got ERR, 2 if the link failed."""
    interactive = stdin.isatty()
    status = 0
    while True:
        if interactive:
            stdout.write("backsight> ")
            stdout.flush()
        line = stdin.readline()
        if not line or line.strip() in ("quit", "exit"):
            return status
        if not line.strip():
            continue
        try:
            replies = client.command(line.strip())
        except ConsoleReplyError as exc:
            replies, status = [exc.line], 1
        except ProtocolError as exc:
            replies, status = [f"(not sent: {exc})"], 1
        except SerialConsoleError as exc:
            return _fail(exc)
        for reply in [*client.read_telemetry(0.0), *replies]:
            stdout.write(reply + "\n")
        stdout.flush()
