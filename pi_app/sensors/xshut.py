"""Several VL53L1X on one I2C bus, told apart by their XSHUT lines.

Every VL53L1X wakes at the same default address and forgets a new address when powered
off or held in XSHUT, so they are brought up one at a time: all XSHUT lines low, then
each in turn released, booted, moved to its own address and checked there. A replugged
sensor (back at the default address) is fixed with ``readdress``, pulsing only its own
XSHUT.

    bank = assign_addresses(bus, [(17, 0x30), (27, 0x31)], pin_factory=factory)
    bank.close()   # releases the GPIOs (the sensors then stay on, per the pull-ups)
"""

from __future__ import annotations

from gpiozero import DigitalOutputDevice

from pi_app.clock import MonotonicClock
from pi_app.closeable import Closeable
from pi_app.exc import ConfigError, SensorError
from pi_app.sensors import chips
from pi_app.sensors.vl53l1x import (
    BOOT_TIMEOUT_S, change_address, check_identity, wait_for_boot)

VL53L1X_BOOT_ADDRESS = chips.VL53L1X.default_address
#: How long XSHUT is held low to be sure the chip is in reset (datasheet: it is a
#: hardware standby; a few hundred microseconds is enough, 2 ms leaves margin).
XSHUT_HOLD_S = 0.002


class XshutBank(Closeable, dict):
    """XSHUT outputs by BCM pin number (``{pin: DigitalOutputDevice}``), plus the
    address each sensor was given (``addresses``). ``close()`` is idempotent."""

    def __init__(self, pins, *, pin_factory=None) -> None:
        super().__init__()
        self.addresses: dict[int, int] = {}
        try:
            for pin in pins:
                self[pin] = DigitalOutputDevice(pin, initial_value=False, pin_factory=pin_factory)
        except Exception:
            self.close()
            raise

    def _close(self) -> None:
        for output in self.values():
            output.close()

    def __repr__(self) -> str:
        if self._closed:
            return "<XshutBank closed>"
        pins = ", ".join(f"GPIO{pin}->0x{self.addresses[pin]:02X}" if pin in self.addresses
                         else f"GPIO{pin}" for pin in self)
        return f"<XshutBank {pins}>"


def _check_free(bus, address: int, why: str) -> None:
    if answers(bus, address):
        raise SensorError(f"a device already answers at 0x{address:02X} {why}")


def answers(bus, address: int) -> bool:
    """Probe like i2cdetect: a one-byte read that the chip must ACK."""
    try:
        bus.read_byte(address)
    except OSError:
        return False
    return True


def _bring_up(bus, xshut: DigitalOutputDevice, new_address: int, clock) -> None:
    """Release one held sensor and move it from its boot address to ``new_address``."""
    label = f"VL53L1X on XSHUT {xshut.pin}"
    xshut.on()
    try:
        wait_for_boot(bus, VL53L1X_BOOT_ADDRESS, clock, BOOT_TIMEOUT_S)
        check_identity(bus, VL53L1X_BOOT_ADDRESS)
    except SensorError as exc:
        raise type(exc)(f"{label}: {exc}") from exc
    if new_address != VL53L1X_BOOT_ADDRESS:
        change_address(bus, VL53L1X_BOOT_ADDRESS, new_address)
    try:
        check_identity(bus, new_address)
    except OSError as exc:
        raise SensorError(f"{label} does not answer at its new address "
                          f"0x{new_address:02X} ({exc})") from exc


def assign_addresses(bus, assignments, *, pin_factory=None, clock=None) -> XshutBank:
    """Give each VL53L1X its own address. ``assignments``: ``[(xshut_pin, address), ...]``
    (BCM pin numbers, 7-bit addresses). Returns the XSHUT outputs, all released (high);
    keep the bank open while the sensors are in use. Raises SensorError (naming the
    pin or address) on a clash, a sensor that does not boot, or a wrong chip."""
    assignments = [(int(pin), int(address)) for pin, address in assignments]
    _check_unique(assignments)
    clock = clock if clock is not None else MonotonicClock()
    bank = XshutBank([pin for pin, _ in assignments], pin_factory=pin_factory)
    try:
        clock.sleep(XSHUT_HOLD_S)       # all held in reset from here on
        _check_free(bus, VL53L1X_BOOT_ADDRESS,
                    "with every XSHUT low (a VL53L1X without an XSHUT line, or another chip)")
        for pin, address in assignments:
            if address != VL53L1X_BOOT_ADDRESS:
                _check_free(bus, address, f"before the VL53L1X on GPIO{pin} moves there")
            _bring_up(bus, bank[pin], address, clock)
            bank.addresses[pin] = address
    except Exception:
        bank.close()
        raise
    return bank


def readdress(bus, xshut: DigitalOutputDevice, new_address: int, *, clock=None) -> None:
    """Re-address one sensor that came back at its boot address after a replug or power cycle:
    pulse its XSHUT (reset to a known state), then move it to ``new_address``."""
    clock = clock if clock is not None else MonotonicClock()
    xshut.off()
    clock.sleep(XSHUT_HOLD_S)
    _check_free(bus, VL53L1X_BOOT_ADDRESS,
                "while this sensor is held in XSHUT: re-address the others first")
    _bring_up(bus, xshut, int(new_address), clock)


def _check_unique(assignments) -> None:
    pins = [pin for pin, _ in assignments]
    addresses = [address for _, address in assignments]
    if len(set(pins)) != len(pins):
        raise ConfigError(f"XSHUT pins must differ, got {pins}")
    if len(set(addresses)) != len(addresses):
        raise ConfigError("VL53L1X addresses must differ, got "
                          + ", ".join(f"0x{a:02X}" for a in addresses))
