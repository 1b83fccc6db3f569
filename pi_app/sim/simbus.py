"""``SimBus``: the smbus2 ``SMBus`` API over register-level chip emulators.

Every smbus2 call is turned into the I2C transactions it puts on the wire (a write
message, a read message, or a write then a repeated-start read), and each transaction
goes to the emulator that currently answers at that address. Drivers cannot tell
SimBus from ``smbus2.SMBus(1)``. Faults (NACK, bus errors, a stuck bus) are injected
here, at the wire, so drivers and the health monitor meet them as on a Pi.
"""

from __future__ import annotations

import ctypes
import errno
import random

from smbus2.smbus2 import I2C_M_RD

from pi_app.clock import MonotonicClock
from pi_app.closeable import Closeable

#: errno values the Linux i2c-dev driver reports: no ACK, bus error, timeout.
I2C_ERRNOS = (errno.EREMOTEIO, errno.EIO, errno.ETIMEDOUT)
#: the one-byte write message that sets a register index, per index
_INDEX = tuple(bytes((i,)) for i in range(256))


def nack(address: int) -> OSError:
    """The error Linux gives for an address that does not acknowledge (errno 121)."""
    return OSError(errno.EREMOTEIO, f"Remote I/O error (no ACK from 0x{address:02X})")


class SimBus(Closeable):
    """An in-memory I2C bus. ``clock`` (``None`` = the real monotonic clock) is the
    time base the emulators measure with; ``seed`` makes injected faults repeatable."""

    def __init__(self, clock=None, *, seed: int = 0, bus: int | str = "sim") -> None:
        self.clock = clock if clock is not None else MonotonicClock()
        self.bus_id = bus
        self._devices: list = []
        self._rng = random.Random(seed)
        self._error_rates: dict[int, tuple[float, tuple[int, ...]]] = {}
        self._stuck_until_s = -1.0
        self.transactions = 0
        self.failed_transactions = 0
        self.fd = None
        self._closed = False

    # --- wiring ------------------------------------------------------------------
    def attach(self, device, address: int | None = None):
        """Connect an emulator; ``address`` None = the chip's default. Returns it."""
        device.connect(self, device.DEFAULT_ADDRESS if address is None else address)
        self._devices.append(device)
        return device

    def detach(self, address: int) -> None:
        """Remove the emulator answering at ``address`` (KeyError if none)."""
        device = self.device_at(address)
        if device is None:
            raise KeyError(f"no device at 0x{address:02X}")
        self._devices.remove(device)
        device.disconnect()

    def device_at(self, address: int):
        """The emulator that would acknowledge ``address`` now, or None."""
        for device in self._devices:
            if device.acks(address):
                return device
        return None

    @property
    def devices(self) -> tuple:
        return tuple(self._devices)

    def scan(self) -> list[int]:
        """Addresses that acknowledge, as ``i2cdetect`` would list them."""
        return [a for a in range(0x03, 0x78) if self.device_at(a) is not None]

    # --- fault injection ---------------------------------------------------------
    def set_error_rate(self, address: int, rate: float,
                       errnos: tuple[int, ...] = I2C_ERRNOS) -> None:
        """Fail a share ``rate`` (0..1) of transactions to ``address`` with one of
        ``errnos`` (drawn from the bus's seeded generator). 0 turns it off."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"error rate must be within 0..1, got {rate}")
        if rate == 0:
            self._error_rates.pop(address, None)
        else:
            self._error_rates[address] = (rate, tuple(errnos))

    def hold_stuck(self, until_s: float) -> None:
        """A slave holds SDA low until clock time ``until_s``: every transaction times out."""
        self._stuck_until_s = until_s

    # --- transactions ------------------------------------------------------------
    def _device_for(self, address: int):
        self.transactions += 1
        if self._closed:
            raise OSError(errno.EBADF, "SimBus is closed")
        if self._stuck_until_s >= 0 and self.clock.now_s() < self._stuck_until_s:
            self.failed_transactions += 1
            raise OSError(errno.ETIMEDOUT, "Connection timed out (bus stuck)")
        for device in self._devices:        # device_at, written out: every transaction
            if device.acks(address):
                break
        else:
            self.failed_transactions += 1
            raise nack(address)
        fault = self._error_rates.get(address) if self._error_rates else None
        if fault is not None and self._rng.random() < fault[0]:   # also behind a mux
            self.failed_transactions += 1
            code = self._rng.choice(fault[1])
            raise OSError(code, f"{errno.errorcode.get(code, code)} (injected) at 0x{address:02X}")
        return device

    def _write(self, address: int, data: bytes) -> None:
        self._device_for(address).i2c_write(address, bytes(data))

    def _read(self, address: int, length: int) -> bytes:
        data = self._device_for(address).i2c_read(address, length)
        if len(data) != length:
            raise AssertionError(f"emulator returned {len(data)} bytes for a {length}-byte read")
        return data

    def _write_read(self, address: int, data: bytes, length: int) -> bytes:
        self._device_for(address).i2c_write(address, bytes(data))   # _write, written out
        return self._read(address, length)

    # --- smbus2 SMBus API ----------------------------------------------------------
    def open(self, bus) -> None:
        self.bus_id = bus
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._devices)} devices"
        return f"<SimBus {self.bus_id} {state}>"

    def write_quick(self, i2c_addr: int, force=None) -> None:
        self._write(i2c_addr, b"")

    def read_byte(self, i2c_addr: int, force=None) -> int:
        return self._read(i2c_addr, 1)[0]

    def write_byte(self, i2c_addr: int, value: int, force=None) -> None:
        self._write(i2c_addr, bytes([value & 0xFF]))

    def read_byte_data(self, i2c_addr: int, register: int, force=None) -> int:
        self._device_for(i2c_addr).i2c_write(i2c_addr, _INDEX[register & 0xFF])  # _write_read,
        return self._read(i2c_addr, 1)[0]                                          # written out

    def write_byte_data(self, i2c_addr: int, register: int, value: int, force=None) -> None:
        self._write(i2c_addr, bytes([register & 0xFF, value & 0xFF]))

    def read_word_data(self, i2c_addr: int, register: int, force=None) -> int:
        # SMBus words are little-endian on the wire.
        return int.from_bytes(self._write_read(i2c_addr, _INDEX[register & 0xFF], 2), "little")

    def write_word_data(self, i2c_addr: int, register: int, value: int, force=None) -> None:
        self._write(i2c_addr, bytes([register & 0xFF]) + (value & 0xFFFF).to_bytes(2, "little"))

    def process_call(self, i2c_addr: int, register: int, value: int, force=None) -> int:
        self.write_word_data(i2c_addr, register, value)
        return int.from_bytes(self._read(i2c_addr, 2), "little")

    def read_block_data(self, i2c_addr: int, register: int, force=None) -> list[int]:
        self._write(i2c_addr, bytes([register & 0xFF]))
        count = self._read(i2c_addr, 1)[0]
        return list(self._read(i2c_addr, count)) if count else []

    def write_block_data(self, i2c_addr: int, register: int, data, force=None) -> None:
        data = bytes(data)
        if len(data) > 32:
            raise ValueError("Data length cannot exceed 32 bytes")
        self._write(i2c_addr, bytes([register & 0xFF, len(data)]) + data)

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int, force=None) -> list[int]:
        if length > 32:
            raise ValueError("Desired block length over 32 bytes")
        device_for = self._device_for                       # _write_read, written out
        device_for(i2c_addr).i2c_write(i2c_addr, _INDEX[register & 0xFF])
        data = device_for(i2c_addr).i2c_read(i2c_addr, length)
        if len(data) != length:
            raise AssertionError(f"emulator returned {len(data)} bytes for a {length}-byte read")
        return list(data)

    def write_i2c_block_data(self, i2c_addr: int, register: int, data, force=None) -> None:
        data = bytes(data)
        if len(data) > 32:
            raise ValueError("Data length cannot exceed 32 bytes")
        self._write(i2c_addr, bytes([register & 0xFF]) + data)

    def i2c_rdwr(self, *i2c_msgs) -> None:
        """Combined transactions (``smbus2.i2c_msg``); read messages are filled in place."""
        device_for = self._device_for
        for msg in i2c_msgs:
            address = msg.addr
            if msg.flags & I2C_M_RD:
                length = msg.len
                data = device_for(address).i2c_read(address, length)   # _read, written out
                if len(data) != length:
                    raise AssertionError(f"emulator returned {len(data)} bytes for a "
                                         f"{length}-byte read")
                ctypes.memmove(msg.buf, data, length)
            else:   # _write, written out; the slice is bytes(msg), 3x faster
                device_for(address).i2c_write(address, msg.buf[:msg.len])
