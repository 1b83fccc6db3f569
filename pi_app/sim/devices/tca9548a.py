"""TI TCA9548A 8-channel I2C switch, at the wire level (datasheet SCPS207, 8.5).

One control register, no index: a write stores the command byte (if several bytes come,
the last one counts), a read returns it. Bit n enables downstream channel n; several may
be enabled at once; power-up / RESET state 0 = no channel. Address 0x70-0x77 (A2..A0).
On SimBus the switch answers its own address and forwards a transaction to a device on
an enabled channel that answers it (``TCA9548ADevice``).
"""

from __future__ import annotations

import errno

from pi_app.sensors import chips
from pi_app.sim.devices.base import SimDevice
from pi_app.sim.simbus import nack

CHANNELS = 8


class _StoppedClock:
    """Time for a channel whose switch is not on a bus yet."""

    def now_s(self) -> float:
        return 0.0


_STOPPED = _StoppedClock()


class MuxChannel:
    """Downstream bus ``number`` of a TCA9548A: emulators attach here as on a SimBus."""

    def __init__(self, mux: "TCA9548ADevice", number: int) -> None:
        self._mux = mux
        self.number = number
        self._devices: list = []

    @property
    def clock(self):
        """The upstream bus clock (downstream devices call ``self.bus.clock.now_s()``)."""
        bus = self._mux.bus
        return bus.clock if bus is not None else _STOPPED

    @property
    def enabled(self) -> bool:
        return bool(self._mux.mask >> self.number & 1)

    @property
    def devices(self) -> tuple:
        return tuple(self._devices)

    def attach(self, device, address: int | None = None):
        """Connect an emulator to this channel; ``address`` None = its default."""
        device.connect(self, device.DEFAULT_ADDRESS if address is None else address)
        self._devices.append(device)
        return device

    def detach(self, address: int) -> None:
        """Remove the emulator at ``address`` on this channel (KeyError if none)."""
        for device in self._devices:
            if device.address == address or device.answers(address):
                self._devices.remove(device)
                device.disconnect()
                return
        raise KeyError(f"no device at 0x{address:02X} on channel {self.number}")

    def device_at(self, address: int):
        """The emulator that would acknowledge ``address`` on this channel, or None."""
        for device in self._devices:
            if device.acks(address):
                return device
        return None

    def __repr__(self) -> str:
        return f"<MuxChannel {self.number} of {self._mux!r}: {len(self._devices)} devices>"


class TCA9548ADevice(SimDevice):
    """A TCA9548A at 0x70. ``mask`` is the control register; ``channel(n)`` the n-th bus.

    The switch claims a downstream address when a device on an enabled channel answers
    it, and forwards the transaction there; downstream emulators see the upstream bus
    clock. If devices on two enabled channels answer the same address, both are driven,
    as on the wire: both receive writes, an ACK from either is an ACK, and read data is
    the wired-AND (open-drain) of what each sends. Not modelled: the channel switching
    only at the STOP condition (SimBus has no STOP)."""

    DEFAULT_ADDRESS = chips.TCA9548A.default_address

    def __init__(self, *, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.mask = 0
        self._strap_address = self.DEFAULT_ADDRESS
        self._channels = tuple(MuxChannel(self, n) for n in range(CHANNELS))

    def channel(self, number: int) -> MuxChannel:
        if not 0 <= number < CHANNELS:
            raise ValueError(f"TCA9548A channel must be 0..7, got {number}")
        return self._channels[number]

    def connect(self, bus, address: int) -> None:
        lowest, highest = chips.TCA9548A.addresses
        if not lowest <= address <= highest:
            raise ValueError(f"a TCA9548A answers at 0x{lowest:02X}..0x{highest:02X} (A2..A0), "
                             f"not 0x{address:02X}")
        super().connect(bus, address)
        self._strap_address = address

    def reset(self) -> None:
        """Power-up or the RESET pin: no channel selected; the pin-strapped address stays."""
        super().reset()
        self.address = self._strap_address
        self.mask = 0

    # --- routing ----------------------------------------------------------------------
    def _targets(self, address: int) -> list:
        mask = self.mask
        targets = []
        for channel in self._channels:
            if mask >> channel.number & 1:
                device = channel.device_at(address)
                if device is not None:
                    targets.append(device)
        return targets

    def answers(self, address: int) -> bool:
        return address == self.address or bool(self.mask and self._targets(address))

    def i2c_write(self, address: int, data: bytes) -> None:
        if address == self.address:
            if data:
                self.mask = data[-1]
            return
        targets = self._targets(address)
        if len(targets) == 1:
            targets[0].i2c_write(address, data)
            return
        acked = False
        for device in targets:
            try:
                device.i2c_write(address, data)
                acked = True
            except OSError as exc:
                if exc.errno != errno.EREMOTEIO:
                    raise
        if not acked:
            raise nack(address)

    def i2c_read(self, address: int, length: int) -> bytes:
        if address == self.address:
            return bytes((self.mask,)) * length
        targets = self._targets(address)
        if len(targets) == 1:
            return targets[0].i2c_read(address, length)
        wired = None
        for device in targets:
            try:
                data = device.i2c_read(address, length)
            except OSError as exc:
                if exc.errno != errno.EREMOTEIO:
                    raise
                continue
            wired = data if wired is None else bytes(a & b for a, b in zip(wired, data))
        if wired is None:
            raise nack(address)
        return wired
