"""A CircuitPython ``busio.I2C``-style object over any smbus2-compatible bus.

Lets third-party CircuitPython drivers (through ``adafruit_bus_device``) run on
SimBus, or on ``smbus2.SMBus(1)``, unchanged:

    i2c = I2C(SimBus(clock))
    sensor = adafruit_vl53l1x.VL53L1X(i2c)

Every call becomes one ``i2c_rdwr`` (``writeto_then_readfrom`` is a write and a read
with a repeated start, as on the wire). Bus errors come through as ``OSError``, as
Blinka's Linux ``busio`` gives them.
"""

from __future__ import annotations

import threading

from smbus2 import i2c_msg


class I2C:
    """``busio.I2C`` over ``bus`` (anything with the smbus2 ``SMBus`` API)."""

    def __init__(self, bus) -> None:
        self._bus = bus
        self._lock = threading.Lock()
        self._deinited = False

    # --- locking, as busio requires around transactions ---------------------------------
    def try_lock(self) -> bool:
        return self._lock.acquire(blocking=False)

    def unlock(self) -> None:
        if self._lock.locked():
            self._lock.release()

    def deinit(self) -> None:
        self._deinited = True

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.deinit()

    # --- transactions -------------------------------------------------------------
    def scan(self) -> list[int]:
        """7-bit addresses that acknowledge (SimBus answers directly; a real bus is
        probed with a one-byte read, as ``i2cdetect -r`` does)."""
        scan = getattr(self._bus, "scan", None)
        if scan is not None:
            return list(scan())
        found = []
        for address in range(0x08, 0x78):
            try:
                self._bus.read_byte(address)
            except OSError:
                continue
            found.append(address)
        return found

    def writeto(self, address: int, buffer, *, start: int = 0, end: int | None = None) -> None:
        data = bytes(buffer[start:end])
        if not data:
            self._bus.write_quick(address)  # an address-only probe
            return
        self._bus.i2c_rdwr(i2c_msg.write(address, data))

    def readfrom_into(self, address: int, buffer, *, start: int = 0, end: int | None = None) -> None:
        end = len(buffer) if end is None else end
        msg = i2c_msg.read(address, end - start)
        self._bus.i2c_rdwr(msg)
        buffer[start:end] = bytes(msg)

    def writeto_then_readfrom(self, address: int, buffer_out, buffer_in, *, out_start: int = 0,
                              out_end: int | None = None, in_start: int = 0,
                              in_end: int | None = None) -> None:
        in_end = len(buffer_in) if in_end is None else in_end
        write = i2c_msg.write(address, bytes(buffer_out[out_start:out_end]))
        read = i2c_msg.read(address, in_end - in_start)
        self._bus.i2c_rdwr(write, read)
        buffer_in[in_start:in_end] = bytes(read)
