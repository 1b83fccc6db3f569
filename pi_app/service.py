"""systemd integration: the ``sd_notify`` protocol with the standard library only.

systemd passes a ``Type=notify`` service the address of its notification socket in
``$NOTIFY_SOCKET`` (a path, or an abstract name written with a leading ``@``); the
service sends newline-separated ``KEY=VALUE`` lines (``READY=1``, ``WATCHDOG=1``,
``STATUS=...``, ``STOPPING=1``) as one AF_UNIX datagram. ``backsight run`` calls
``Notifier.ready()`` after the self-test and ``watchdog(now_s)`` every loop cycle; at
most one ping goes out per half watchdog period, so a loop that stops cycling stops
the pings and systemd restarts the service. Outside systemd every call is a no-op.
"""

from __future__ import annotations

import errno
import logging
import os
import socket

log = logging.getLogger(__name__)

#: systemd wants a keep-alive at least every WatchdogSec; sd_watchdog_enabled(3)
#: advises pinging at half the period so one late cycle does not cost a restart.
WATCHDOG_PING_SHARE = 0.5


def notify_address(env=None) -> str | bytes | None:
    """The socket address from ``$NOTIFY_SOCKET`` (None = not started by systemd).

    A leading ``@`` names a Linux abstract socket: the ``@`` becomes a NUL byte.
    """
    value = (os.environ if env is None else env).get("NOTIFY_SOCKET", "")
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + value[1:].encode()
    if not value.startswith("/"):
        log.warning("ignoring NOTIFY_SOCKET=%r: neither a path nor an @abstract name", value)
        return None
    return value


def watchdog_period_s(env=None, pid: int | None = None) -> float | None:
    """The watchdog period systemd expects keep-alives within, in seconds.

    From ``$WATCHDOG_USEC``; None when it is unset, not a positive integer, or when
    ``$WATCHDOG_PID`` names another process (the variables were inherited, e.g. by a
    child of the service, and are not meant for this one). Ping every half of it.
    """
    env = os.environ if env is None else env
    text = env.get("WATCHDOG_USEC", "")
    try:
        usec = int(text)
    except ValueError:
        return None
    if usec <= 0:
        return None
    owner = env.get("WATCHDOG_PID", "")
    if owner:
        try:
            if int(owner) != (os.getpid() if pid is None else pid):
                return None
        except ValueError:
            return None
    return usec / 1e6


class Notifier:
    """Sends sd_notify messages; every method is a no-op when not run by systemd.

    ``address`` None = read ``$NOTIFY_SOCKET`` from ``env`` (default ``os.environ``).
    Methods return True when the datagram went out. Errors are never raised: a
    missing or busy notification socket must not stop the warning loop (the socket is
    non-blocking, so a slow service manager costs one skipped ping, not a stall).
    """

    def __init__(self, address: str | bytes | None = None, *, env=None, pid: int | None = None) -> None:
        self.address = notify_address(env) if address is None else address
        period_s = watchdog_period_s(env, pid)
        #: how often watchdog(now_s) actually sends, in s (None = no watchdog configured)
        self.watchdog_interval_s = None if period_s is None else period_s * WATCHDOG_PING_SHARE
        self._next_ping_s = float("-inf")
        self._sock: socket.socket | None = None
        self._warned = False

    @property
    def enabled(self) -> bool:
        """True when started by systemd with a notification socket."""
        return self.address is not None

    def send(self, *fields: str) -> bool:
        """Send ``KEY=VALUE`` fields as one datagram."""
        if self.address is None:
            return False
        message = "\n".join(fields).encode("utf-8", "replace")
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.setblocking(False)
            self._sock.sendto(message, self.address)
            return True
        except OSError as exc:
            if not self._warned:  # once: this may be called every loop cycle
                self._warned = True
                log.warning("sd_notify to %r failed: %s", self.address,
                            errno.errorcode.get(exc.errno, exc))
            return False

    def ready(self, status: str | None = None) -> bool:
        """Start-up finished (after the self-test): systemd marks the unit active."""
        fields = ["READY=1"]
        if status is not None:
            fields.append("STATUS=" + _one_line(status))
        return self.send(*fields)

    def watchdog(self, now_s: float | None = None) -> bool:
        """Keep-alive. With ``now_s`` (seconds on any monotonic clock) it sends only
        when half the watchdog period has passed since the last ping, so the loop can
        call it every cycle; without, it always sends."""
        if self.address is None:
            return False
        if now_s is not None:
            if self.watchdog_interval_s is None or now_s < self._next_ping_s:
                return False
            self._next_ping_s = now_s + self.watchdog_interval_s
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        """One line shown by ``systemctl status backsight``."""
        return self.send("STATUS=" + _one_line(text))

    def stopping(self) -> bool:
        """Shutdown has begun (systemd then waits TimeoutStopSec for the exit)."""
        return self.send("STOPPING=1")

    def close(self) -> None:
        """Close the socket; may be called more than once."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> "Notifier":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        target = "disabled" if self.address is None else repr(self.address)
        return f"<Notifier {target} watchdog_interval_s={self.watchdog_interval_s}>"


def _one_line(text: str) -> str:
    # Fields are newline-separated: a newline inside STATUS would start a bogus field.
    return " ".join(str(text).split())
