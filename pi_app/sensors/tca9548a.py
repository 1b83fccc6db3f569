"""TI TCA9548A 8-channel I2C switch driver.

One control register: write a byte to enable channels (bit n = channel n), read it back;
power-up and RESET select no channel. ``channel_bus(n)`` gives an object with the smbus2
``SMBus`` API that selects channel n before every call, so any driver runs behind the
switch unchanged and chips with the same fixed address can sit on different channels.
Every ``TCA9548A`` for the same bus and address shares one cached mask and one lock;
nothing else may write the switch's register on that bus. The default address 0x70
collides with the MB1242's: strap A0-A2 to move the switch.
"""

from __future__ import annotations

import errno
import threading
import weakref

from pi_app.closeable import Closeable
from pi_app.exc import ChipIdError, ConfigError, SensorError
from pi_app.sensors import chips
from pi_app.sensors.base import I2CDriver

CHANNELS = 8
_WIRING_HINT = "check the wiring: VCC, GND, SDA/SCL, RESET (pull-up, not low) and A0-A2 (0x70-0x77)"

#: smbus2 SMBus methods that talk to a chip; each is forwarded on the channel.
SMBUS_IO_METHODS = (
    "write_quick", "read_byte", "write_byte", "read_byte_data", "write_byte_data",
    "read_word_data", "write_word_data", "process_call", "read_block_data",
    "write_block_data", "block_process_call", "read_i2c_block_data",
    "write_i2c_block_data", "i2c_rdwr",
)


class _SwitchState:
    """What one physical switch's register holds (None = unknown) and the lock that
    keeps select + transaction together; shared by all driver objects for that switch."""

    def __init__(self) -> None:
        self.mask: int | None = None
        self.lock = threading.RLock()


_STATES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_STATES_BY_ID: dict = {}                  # for bus objects that cannot be weakly referenced
_STATES_LOCK = threading.Lock()


def _switch_state(bus, address: int) -> _SwitchState:
    with _STATES_LOCK:
        try:
            per_bus = _STATES.setdefault(bus, {})
        except TypeError:
            per_bus = _STATES_BY_ID.setdefault(id(bus), {})
        return per_bus.setdefault(address, _SwitchState())


def _channel_number(channel: int) -> int:
    if not isinstance(channel, int) or not 0 <= channel < CHANNELS:
        raise ConfigError(f"TCA9548A channel must be 0..7, got {channel!r}")
    return channel


class ChannelBus(Closeable):
    """The smbus2 ``SMBus`` API on one downstream channel of a TCA9548A. Every chip
    transaction first makes sure only this channel is selected. ``close()`` closes this
    view, not the upstream bus."""

    def __init__(self, mux: "TCA9548A", channel: int) -> None:
        self._mux = mux
        self.channel = channel
        self.mask = 1 << channel
        self._closed = False

    def _call(self, name: str, args, kwargs):
        if self._closed:
            raise OSError(errno.EBADF, f"TCA9548A channel {self.channel} bus is closed")
        return self._mux._on_channel(self.mask, name, args, kwargs)

    def open(self, bus=None) -> None:
        self._closed = False

    def __repr__(self) -> str:
        return f"<ChannelBus {self.channel} of {self._mux!r}{' closed' if self._closed else ''}>"


def _forwarder(name: str):
    def forward(self, *args, **kwargs):
        return self._call(name, args, kwargs)

    forward.__name__ = name
    forward.__qualname__ = f"ChannelBus.{name}"
    forward.__doc__ = f"smbus2 ``SMBus.{name}`` on this channel (selects it first)."
    return forward


for _name in SMBUS_IO_METHODS:
    setattr(ChannelBus, _name, _forwarder(_name))


class TCA9548A(I2CDriver):
    """TCA9548A at ``address`` (0x70-0x77). ``start()`` checks it answers and selects no
    channel; ``select(*channels)``; ``channel_bus(n)`` for drivers behind the switch.

    The selected mask is cached, so a run of calls on one channel costs one select; after
    any failed transaction the cache is dropped and the next call selects again (the
    switch may have been reset or glitched). The cache and the lock are shared by every
    object for the same bus and address (several sensor bring-ups may each build their
    own), so they never disagree about which channel is live."""

    DEFAULT_ADDRESS = chips.TCA9548A.default_address

    def __init__(self, bus, address: int = DEFAULT_ADDRESS, *, clock=None) -> None:
        lowest, highest = chips.TCA9548A.addresses
        if not lowest <= address <= highest:
            raise ConfigError(f"TCA9548A address must be 0x{lowest:02X}..0x{highest:02X}, "
                              f"got {address!r}")
        super().__init__(bus, address, clock=clock)
        self._state = _switch_state(bus, self.address)
        self._channel_buses: dict[int, ChannelBus] = {}

    @property
    def mask(self) -> int | None:
        """The channel mask last written (None until known, or after a failure)."""
        return self._state.mask

    def start(self) -> None:
        """Check the switch answers and echoes its control register; select no channel."""
        self._check_open()
        try:
            self.set_mask(0x00)
            echoed = self.read_mask()
        except OSError as exc:
            raise SensorError(f"no TCA9548A answers at 0x{self.address:02X} ({exc}); "
                              f"{_WIRING_HINT}") from exc
        if echoed != 0x00:
            raise ChipIdError(f"device at 0x{self.address:02X} is not a TCA9548A: its control "
                              f"register reads 0x{echoed:02X} after writing 0x00; check the "
                              f"address and wiring")

    def set_mask(self, mask: int) -> None:
        """Write the control register (bit n = channel n). Raises OSError on bus failure."""
        self._check_open()
        if not 0 <= mask <= 0xFF:
            raise ConfigError(f"TCA9548A mask must be 0x00..0xFF, got {mask!r}")
        state = self._state
        with state.lock:
            try:
                self._bus.write_byte(self.address, mask)
            except OSError:
                state.mask = None
                raise
            state.mask = mask

    def read_mask(self) -> int:
        """The control register as the chip reports it."""
        self._check_open()
        with self._state.lock:
            return self._bus.read_byte(self.address)

    def select(self, *channels: int) -> None:
        """Enable exactly these channels (none = disconnect all)."""
        mask = 0
        for channel in channels:
            mask |= 1 << _channel_number(channel)
        self.set_mask(mask)

    def channel_bus(self, channel: int) -> ChannelBus:
        """An smbus2-compatible bus for downstream ``channel`` (0..7), shared per channel."""
        self._check_open()
        channel = _channel_number(channel)
        if channel not in self._channel_buses:
            self._channel_buses[channel] = ChannelBus(self, channel)
        return self._channel_buses[channel]

    def _on_channel(self, mask: int, name: str, args, kwargs):
        state = self._state
        with state.lock:
            if self._closed:
                raise OSError(errno.EBADF, f"TCA9548A at 0x{self.address:02X} is closed")
            if state.mask != mask:
                try:
                    self.set_mask(mask)
                except OSError as exc:
                    raise OSError(exc.errno, f"TCA9548A at 0x{self.address:02X} could not "
                                  f"select channel mask 0x{mask:02X}: {exc.strerror}") from exc
            try:
                return getattr(self._bus, name)(*args, **kwargs)
            except OSError:
                state.mask = None                 # re-select before the next call
                raise

    def _on_close(self) -> None:
        """Disconnect every channel (quiet bus), ignoring a vanished switch."""
        try:
            self.set_mask(0x00)
        except OSError:
            pass
