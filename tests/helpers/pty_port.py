"""A pseudo-terminal as a null-modem cable: the host end of a serial console run on this
machine, serial-like enough for ``pi_app.host.ConsoleClient``.

Only tests and benchmarks talk to a device this way (on the Pi the host end is a USB
serial adapter), so it is not part of the package.
"""

from __future__ import annotations

import fcntl
import os
import select
import sys
import termios
import tty

import serial

from pi_app.host import _READ_TIMEOUT_S


class PtyPort:
    """The master end of a new pty; the device opens ``slave_path`` like a serial port
    (``backsight run --sim NAME --serial-port <slave_path>``). The slave stays open here in
    raw mode, so nothing is echoed before the device opens it and the link survives the
    device restarting. ``close()`` may be called any number of times.
    """

    def __init__(self, timeout: float = _READ_TIMEOUT_S, write_timeout: float = 2.0) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.slave_path = os.ttyname(self._slave)
        self.port = f"pty:{self.slave_path}"
        self.timeout = timeout
        self.write_timeout = write_timeout
        os.set_blocking(self._master, False)

    @property
    def in_waiting(self) -> int:
        buf = fcntl.ioctl(self._master, termios.FIONREAD, b"\0\0\0\0")
        return int.from_bytes(buf, sys.byteorder)

    def read(self, size: int = 1) -> bytes:
        """Up to ``size`` bytes, as soon as any arrive; b"" after ``timeout``."""
        ready, _, _ = select.select([self._master], [], [], self.timeout)
        if not ready:
            return b""
        try:
            return os.read(self._master, size)
        except BlockingIOError:
            return b""

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [self._master], [], self.write_timeout)
            if not ready:
                raise serial.SerialTimeoutException(f"write to {self.port} timed out")
            view = view[os.write(self._master, view):]
        return len(data)

    def close(self) -> None:
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    def __enter__(self) -> "PtyPort":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
