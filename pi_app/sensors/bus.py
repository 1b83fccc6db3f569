"""The I2C bus as the device opens it: ``/dev/i2c-N`` may not be there yet.

A Pi whose ``i2c-dev`` module is not loaded (or whose ``dtparam=i2c_arm=on`` is
missing) has no ``/dev/i2c-1`` at boot. The device must still start, sound the fault
pattern and say why, so ``ReopeningBus`` stands in for ``smbus2.SMBus``: while the
node is missing every transaction fails with ``OSError(ENODEV)``, exactly as an
unplugged chip's would (drivers and health already handle that), and ``try_open()``
- called by the loop about once a second - opens it as soon as it appears; the
sensors then come back through their normal restart path.
"""

from __future__ import annotations

import errno
import logging
from typing import Any, Callable

from pi_app.closeable import Closeable

log = logging.getLogger(__name__)


def smbus2_opener(bus_number: int) -> Callable[[], Any]:
    """The production opener: ``smbus2.SMBus(bus_number)`` (raises OSError when absent)."""
    def open_bus():
        import smbus2

        return smbus2.SMBus(bus_number)
    return open_bus


class ReopeningBus(Closeable):
    """An smbus2-compatible bus that may open late.

    ``opener()`` returns an object with the smbus2 ``SMBus`` methods or raises
    ``OSError``. ``path`` names the bus in messages (``/dev/i2c-1``).
    """

    def __init__(self, opener: Callable[[], Any], path: str) -> None:
        self._opener = opener
        self.path = path
        self._bus: Any = None
        self.last_error: str | None = None
        self.try_open()

    @property
    def is_open(self) -> bool:
        return self._bus is not None

    def try_open(self) -> bool:
        """Open the bus if it is not open; True when it is open afterwards."""
        if self._bus is not None or self._closed:
            return self._bus is not None
        try:
            self._bus = self._opener()
        except OSError as exc:
            self.last_error = exc.strerror or str(exc)
            return False
        self.last_error = None
        return True

    def _target(self):
        bus = self._bus
        if bus is None:
            raise OSError(errno.ENODEV, f"{self.path} is not there")
        return bus

    # --- the smbus2 API the drivers (and doctor's scan) use ---------------------------
    def write_quick(self, i2c_addr: int, force: bool | None = None) -> None:
        return self._target().write_quick(i2c_addr, force=force)

    def read_byte(self, i2c_addr: int, force: bool | None = None) -> int:
        return self._target().read_byte(i2c_addr, force=force)

    def write_byte(self, i2c_addr: int, value: int, force: bool | None = None) -> None:
        return self._target().write_byte(i2c_addr, value, force=force)

    def read_byte_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        return self._target().read_byte_data(i2c_addr, register, force=force)

    def write_byte_data(self, i2c_addr: int, register: int, value: int,
                        force: bool | None = None) -> None:
        return self._target().write_byte_data(i2c_addr, register, value, force=force)

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        return self._target().read_word_data(i2c_addr, register, force=force)

    def write_word_data(self, i2c_addr: int, register: int, value: int,
                        force: bool | None = None) -> None:
        return self._target().write_word_data(i2c_addr, register, value, force=force)

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int,
                            force: bool | None = None) -> list[int]:
        return self._target().read_i2c_block_data(i2c_addr, register, length, force=force)

    def write_i2c_block_data(self, i2c_addr: int, register: int, data,
                             force: bool | None = None) -> None:
        return self._target().write_i2c_block_data(i2c_addr, register, data, force=force)

    def i2c_rdwr(self, *i2c_msgs) -> None:
        return self._target().i2c_rdwr(*i2c_msgs)

    def _close(self) -> None:
        bus, self._bus = self._bus, None
        if bus is not None:
            try:
                bus.close()
            except OSError:
                pass

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("open" if self._bus is not None else "missing")
        return f"<ReopeningBus {self.path} {state}>"


class BusKeeper:
    """Loop hook for a ``ReopeningBus``: while the bus is missing, ``status`` and the
    journal name it and the fix (the words ``backsight doctor`` uses), and it is
    tried again every ``RETRY_S``; when it opens, the note goes and the sensors come
    back through their restart path. Cost per cycle while the bus is open: one
    attribute read."""

    #: opening /dev/i2c-N is one syscall; once a second finds a late i2c-dev promptly
    RETRY_S = 1.0

    def __init__(self, bus: ReopeningBus, bus_number: int, notices: dict, t_s: float,
                 hint=None) -> None:
        self.bus = bus
        self.bus_number = bus_number
        self.notices = notices
        self._hint = hint
        self._next_try_s = t_s + self.RETRY_S
        if not bus.is_open:
            self._say_missing()

    def _say_missing(self) -> None:
        hint = self._hint
        if hint is None:
            from pi_app.doctor.i2c import missing_bus_hint as hint
        note = hint(self.bus_number)
        if self.notices.get("i2c") != note:
            log.error("I2C: %s", note)
        self.notices["i2c"] = note

    def __call__(self, t_s: float) -> None:
        bus = self.bus
        if bus.is_open or t_s < self._next_try_s:
            return
        self._next_try_s = t_s + self.RETRY_S
        if bus.try_open():
            self.notices.pop("i2c", None)
            log.warning("I2C: %s is there now; starting the sensors", bus.path)
