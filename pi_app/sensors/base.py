"""What every range sensor driver returns, and the small base they share."""

from __future__ import annotations

import enum
from typing import NamedTuple

from pi_app.clock import MonotonicClock
from pi_app.closeable import Closeable
from pi_app.exc import DeviceClosed


class RangeStatus(enum.IntEnum):
    """Status of one measurement. Values 0-7 follow ST's VL53L1X ULD table; the rest
    are backsight's own for other chips and for bus trouble."""

    VALID = 0
    SIGMA_FAIL = 1          # measurement too noisy
    SIGNAL_FAIL = 2         # return signal too weak (no target in range, sunlight)
    MIN_RANGE = 3           # target closer than the sensor's minimum range
    PHASE_OUT_OF_BOUNDS = 4
    HARDWARE_FAIL = 5
    WRAP_AROUND = 7
    NO_TARGET = 8           # no echo / beyond the maximum range
    LOW_AMPLITUDE = 9       # TF-Luna amplitude < 100 or 0xFFFF (saturated)
    OUT_OF_RANGE = 10       # a value no healthy chip reports (garbage): not believable
    BUS_ERROR = 11          # the I2C transaction failed (errno in the log, not here)
    OTHER = 12              # any other chip status
    UNRELIABLE = 13         # a distance the chip itself calls unreliable (TF-Luna
                            # under 20 cm or over 800 cm): believable, not usable


class Reading(NamedTuple):
    """One measurement.

    ``t_s``: clock time the driver saw the result (seconds, driver's clock).
    ``distance_m``: metres, or ``None`` when the measurement is not valid (see ``status``).
    ``status``: a ``RangeStatus``.
    ``raw_m``: for an invalid status that still carries the chip's distance (VL53L1X
    sigma fail near its range limit), that distance in metres - weak evidence that
    detectors may use to corroborate, never alone. None otherwise.
    """

    t_s: float
    distance_m: float | None
    status: RangeStatus = RangeStatus.VALID
    raw_m: float | None = None


class I2CDriver(Closeable):
    """Base for chip drivers: holds bus, address and clock; ``close()`` is idempotent,
    the driver is a context manager and says ``closed`` in its repr."""

    DEFAULT_ADDRESS = 0x00

    def __init__(self, bus, address: int | None = None, *, clock=None) -> None:
        self._bus = bus
        self.address = self.DEFAULT_ADDRESS if address is None else int(address)
        self.clock = clock if clock is not None else MonotonicClock()

    def _check_open(self) -> None:
        if self._closed:
            raise DeviceClosed(f"{type(self).__name__} at 0x{self.address:02X} is closed")

    def _close(self) -> None:
        try:
            self._on_close()
        finally:
            self._bus = None

    def _on_close(self) -> None:
        """Put the chip in a quiet state; subclasses override. Must not raise for a
        vanished chip (close runs during shutdown)."""

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"address=0x{self.address:02X}"
        return f"<{type(self).__name__} {state}>"


class RangeSensor(I2CDriver):
    """A range sensor: ``start()``, ``read() -> Reading | None``, ``stop()``, ``close()``.

    ``read()`` returns ``None`` when no new measurement is ready yet, and never raises
    for a bad measurement or a failed bus transaction: those come back as a Reading
    with ``distance_m=None`` and a status, for the health monitor to judge.
    ``period_s`` is how often a new measurement can be expected.
    """

    period_s: float         # set by each driver from its settings

    def start(self) -> None:
        raise NotImplementedError

    def read(self) -> Reading | None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def _on_close(self) -> None:
        try:
            self.stop()
        except OSError:
            pass
