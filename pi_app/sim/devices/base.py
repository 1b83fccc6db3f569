"""Base classes for chip emulators on ``SimBus``.

An emulator sees raw I2C transactions: ``i2c_write(address, data)`` for a write
message and ``i2c_read(address, length)`` for a read message. ``RegisterDevice``
models the common register-file chip: the first byte(s) of a write set the register
index, further bytes are written with auto-increment, and a read continues from the
index, which persists between transactions (as on the real chips).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left

from pi_app.sim.simbus import nack

#: a one-byte read's answer per value, made once
_BYTE = tuple(bytes((value,)) for value in range(256))


def fixed_range(distance_m: float | None = 1.0):
    """A range source for a fixed target ``distance_m`` ahead (None = nothing)."""

    def source(t_s: float) -> float | None:
        return distance_m

    return source


class SimDevice:
    """One chip on a SimBus. ``present`` False = it does not acknowledge (unplugged,
    unpowered, held in reset by XSHUT)."""

    DEFAULT_ADDRESS = 0x00

    def __init__(self, *, seed: int = 0) -> None:
        self.bus = None
        self.address = self.DEFAULT_ADDRESS
        self.present = True
        self.rng = random.Random(seed)

    # wiring
    def connect(self, bus, address: int) -> None:
        self.bus = bus
        self.address = address

    def disconnect(self) -> None:
        self.bus = None

    def answers(self, address: int) -> bool:
        return address == self.address

    def acks(self, address: int) -> bool:
        """True when the chip acknowledges ``address`` now: ``present and answers``
        (asked of every chip on the bus at each transaction; a subclass that overrides
        ``answers`` gets ``_present_and_answers``)."""
        return self.present and address == self.address

    def _present_and_answers(self, address: int) -> bool:
        return self.present and self.answers(address)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "answers" in cls.__dict__ and "acks" not in cls.__dict__:
            cls.acks = SimDevice._present_and_answers

    def now_s(self) -> float:
        return self.bus.clock.now_s() if self.bus is not None else 0.0

    # power
    def power_off(self) -> None:
        """Unplugged or held in reset: stops answering and loses volatile state."""
        self.present = False

    def power_on(self) -> None:
        """Plugged back in or released from reset: power-on state, default address."""
        self.reset()
        self.present = True

    def reset(self) -> None:
        """Return to the datasheet power-on state (subclasses extend)."""
        self.address = self.DEFAULT_ADDRESS

    # transactions
    def i2c_write(self, address: int, data: bytes) -> None:
        raise NotImplementedError

    def i2c_read(self, address: int, length: int) -> bytes:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at 0x{self.address:02X}{'' if self.present else ' (absent)'}>"


class RegisterDevice(SimDevice):
    """A chip with a register file addressed by ``INDEX_BYTES`` big-endian index bytes.

    Subclasses override ``read_register``/``write_register`` for registers with side
    effects and may call ``update()`` to advance internal state to the bus time. A
    subclass that overrides ``read_register`` lists the registers it computes in
    ``COMPUTED_READS``: a read that touches none of them is copied straight out of
    ``regs`` (the other registers read as stored); without the list every byte goes
    through ``read_register``.
    """

    INDEX_BYTES = 1
    REGISTER_SPACE = 0x100
    #: the chip NACKs every transaction before this clock time (booting)
    _nack_until_s = -math.inf
    #: registers whose value ``read_register`` computes or whose read has a side effect
    #: (None = any of them may)
    COMPUTED_READS: frozenset | None = frozenset()
    _computed_sorted: tuple | None = ()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "read_register" in cls.__dict__ and "COMPUTED_READS" not in cls.__dict__:
            cls.COMPUTED_READS = None
        computed = cls.COMPUTED_READS
        cls._computed_sorted = None if computed is None else tuple(sorted(computed))

    def __init__(self, *, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.regs = bytearray(self.REGISTER_SPACE)
        self.index = 0
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.regs[:] = bytes(self.REGISTER_SPACE)
        self.index = 0
        self._updated_s = math.nan

    def update(self, now_s: float) -> None:
        """Advance measurements etc. to ``now_s``; called before a transaction. It must
        be a no-op when called again at the same ``now_s`` with no register written in
        between: a transaction at the instant of the last update, after nothing but an
        index write (a register read's first half), skips it."""

    def read_register(self, register: int) -> int:
        return self.regs[register % self.REGISTER_SPACE]

    def write_register(self, register: int, value: int) -> None:
        self.regs[register % self.REGISTER_SPACE] = value

    def i2c_write(self, address: int, data: bytes) -> None:
        bus = self.bus                                    # self.now_s(), written out
        now_s = bus.clock.now_s() if bus is not None else 0.0
        if now_s < self._nack_until_s:
            raise nack(address)
        if now_s != self._updated_s:
            self.update(now_s)
            self._updated_s = now_s
        n_index = self.INDEX_BYTES
        if len(data) <= n_index:
            if len(data) == n_index:                      # the index alone: a read follows
                self.index = data[0] if n_index == 1 else int.from_bytes(data, "big")
                return
            if data:
                raise nack(address)  # half an index: the chip NACKs the stray byte
            return  # a quick write: just an ACK
        self._updated_s = math.nan                        # registers change: update again
        index = int.from_bytes(data[:n_index], "big")
        for value in data[n_index:]:
            self.write_register(index, value)
            index = (index + 1) % self.REGISTER_SPACE
        self.index = index

    def i2c_read(self, address: int, length: int) -> bytes:
        bus = self.bus
        now_s = bus.clock.now_s() if bus is not None else 0.0
        if now_s < self._nack_until_s:
            raise nack(address)
        if now_s != self._updated_s:
            self.update(now_s)
            self._updated_s = now_s
        index = self.index
        if length == 1 and index < self.REGISTER_SPACE:   # a status poll: one register
            reads = self.COMPUTED_READS
            value = self.regs[index] if reads is not None and index not in reads \
                else self.read_register(index) & 0xFF
            self.index = (index + 1) % self.REGISTER_SPACE
            return _BYTE[value]
        end = index + length
        computed = self._computed_sorted
        if end <= self.REGISTER_SPACE and computed is not None:
            i = bisect_left(computed, index)
            if i == len(computed) or computed[i] >= end:  # nothing computed in the range
                self.index = end % self.REGISTER_SPACE
                return bytes(self.regs[index:end])
        out = bytearray(length)
        for i in range(length):
            out[i] = self.read_register(index) & 0xFF
            index = (index + 1) % self.REGISTER_SPACE
        self.index = index
        return bytes(out)
