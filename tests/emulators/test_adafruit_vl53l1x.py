"""Adafruit's CircuitPython VL53L1X driver, unchanged, on SimBus through a busio adapter.

A third-party driver written from the same documents is the best check that the
emulator behaves like the chip and not like our own driver expects. ``I2C`` below is
a CircuitPython ``busio.I2C``-style object over any smbus2-compatible bus: every call
becomes one ``i2c_rdwr`` (``writeto_then_readfrom`` is a write and a read with a
repeated start, as on the wire); bus errors come through as ``OSError``, as Blinka's
Linux ``busio`` gives them.
"""

import errno
import threading
import types

import pytest
from smbus2 import i2c_msg

from pi_app.clock import SimClock
from pi_app.sim.devices.vl53l1x import VL53L1XDevice
from pi_app.sim.simbus import SimBus


class I2C:
    """``busio.I2C`` over ``bus`` (anything with the smbus2 ``SMBus`` API and SimBus's
    ``scan``)."""

    def __init__(self, bus) -> None:
        self._bus = bus
        self._lock = threading.Lock()

    # --- locking, as busio requires around transactions ---------------------------------
    def try_lock(self) -> bool:
        return self._lock.acquire(blocking=False)

    def unlock(self) -> None:
        if self._lock.locked():
            self._lock.release()

    # --- transactions -------------------------------------------------------------
    def scan(self) -> list[int]:
        """7-bit addresses that acknowledge."""
        return list(self._bus.scan())

    def writeto(self, address: int, buffer, *, start: int = 0, end: int | None = None) -> None:
        data = bytes(buffer[start:end])
        if not data:
            self._bus.write_quick(address)  # an address-only probe
            return
        self._bus.i2c_rdwr(i2c_msg.write(address, data))

    def readfrom_into(self, address: int, buffer, *, start: int = 0,
                      end: int | None = None) -> None:
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


# --- the adapter on its own -------------------------------------------------------------
def test_busio_adapter_maps_to_i2c_transactions():
    bus = SimBus(SimClock())
    bus.attach(VL53L1XDevice())
    i2c = I2C(bus)
    assert i2c.try_lock() and not i2c.try_lock()
    i2c.unlock()
    out = bytearray(b"\xFF\x01\x0F\xFF")
    i2c.writeto(0x29, out, start=1, end=3)              # index 0x010F only
    into = bytearray(5)
    i2c.readfrom_into(0x29, into, start=1, end=4)
    assert into == b"\x00\xEA\xCC\x10\x00"
    into = bytearray(2)
    i2c.writeto_then_readfrom(0x29, b"\x01\x10", into)
    assert into == b"\xCC\x10"
    i2c.writeto(0x29, b"")                              # address-only probe
    with pytest.raises(OSError) as info:
        i2c.writeto(0x52, b"")
    assert info.value.errno == errno.EREMOTEIO


# --- Adafruit's driver ----------------------------------------------------------------
@pytest.fixture
def sim(monkeypatch):
    """(clock, bus, Adafruit's module) with the module sleeping on simulated time."""
    adafruit_vl53l1x = pytest.importorskip(
        "adafruit_vl53l1x",
        reason="needs the test extra: pip install -e '.[test]' (adafruit-circuitpython-vl53l1x)")
    clock = SimClock()
    # Adafruit's init polls data-ready with time.sleep(0.01): let it sleep on sim time.
    monkeypatch.setattr(adafruit_vl53l1x, "time", types.SimpleNamespace(sleep=clock.sleep))
    return clock, SimBus(clock), adafruit_vl53l1x


def wait_ready(clock, sensor, timeout_s=1.0):
    end_s = clock.now_s() + timeout_s
    while not sensor.data_ready:
        assert clock.now_s() < end_s, "Adafruit driver never saw data ready"
        clock.advance(0.002)


def distances_cm(clock, sensor, n: int) -> list:
    """``n`` results through the Adafruit driver, each waited for and cleared."""
    out = []
    for _ in range(n):
        wait_ready(clock, sensor)
        out.append(sensor.distance)
        sensor.clear_interrupt()
    return out


def test_adafruit_driver_ranges_on_simbus(sim):
    clock, bus, adafruit_vl53l1x = sim
    dev = bus.attach(VL53L1XDevice(lambda t: 0.912))
    i2c = I2C(bus)
    assert i2c.try_lock() and i2c.scan() == [0x29]
    i2c.unlock()

    sensor = adafruit_vl53l1x.VL53L1X(i2c)
    assert sensor.model_info == (0xEA, 0xCC, 0x10)
    assert sensor.distance_mode == 2 and sensor.timing_budget == 50
    assert (dev.distance_mode, dev.timing_budget_ms) == ("long", 50)

    sensor.start_ranging()
    assert all(d == pytest.approx(91.2, abs=1.5) for d in distances_cm(clock, sensor, 5))
    assert not sensor.data_ready                    # cleared, next one not due yet

    sensor.stop_ranging()
    sensor.distance_mode = 1
    sensor.timing_budget = 20
    assert (dev.distance_mode, dev.timing_budget_ms) == ("short", 20)
    sensor.start_ranging()
    wait_ready(clock, sensor)
    assert sensor.distance == pytest.approx(91.2, abs=1.5)


def test_adafruit_driver_reports_none_beyond_range(sim):
    clock, bus, adafruit_vl53l1x = sim
    bus.attach(VL53L1XDevice(lambda t: 5.0))
    sensor = adafruit_vl53l1x.VL53L1X(I2C(bus))
    sensor.start_ranging()
    wait_ready(clock, sensor)
    assert sensor.distance is None


def test_adafruit_set_address_moves_the_chip(sim):
    clock, bus, adafruit_vl53l1x = sim
    bus.attach(VL53L1XDevice())
    i2c = I2C(bus)
    sensor = adafruit_vl53l1x.VL53L1X(i2c)
    sensor.set_address(0x2A)
    assert bus.scan() == [0x2A]
    assert sensor.model_info == (0xEA, 0xCC, 0x10)


def test_adafruit_driver_sees_a_missing_chip(sim):
    _, bus, adafruit_vl53l1x = sim
    with pytest.raises(ValueError, match="0x29"):   # adafruit_bus_device's probe
        adafruit_vl53l1x.VL53L1X(I2C(bus))
