"""MaxBotix MB1242 (I2CXL-MaxSonar-EZ4) ultrasonic ranger driver.

The chip has no registers: write 0x51 to start a range, read 2 bytes (cm, high byte
first) when it is done (MaxBotix advise ~80 ms, and 100 ms between ranges). While it
ranges it NACKs everything (errno 121), so a NACK soon after a range command means
"busy", not "gone". A healthy sensor only reports 20-765 cm (765 = NO_TARGET); anything
else is a corrupted read (OUT_OF_RANGE), which the health monitor counts as implausible.
The sensor stretches SCL, which the Pi's hardware I2C mishandles above low clock rates:
run the bus at <= 50 kHz or put the sensor on a bit-banged ``i2c-gpio`` bus and pass
that bus here. Its address 0x70 collides with a TCA9548A's default: move one of them.
"""

from __future__ import annotations

import errno

from smbus2 import i2c_msg

from pi_app.exc import ChipIdError, ConfigError, SensorError, SensorTimeout
from pi_app.sensors import chips
from pi_app.sensors.base import RangeSensor, RangeStatus, Reading

_RANGE_COMMAND = 0x51
_ADDR_UNLOCK_1 = 0xAA
_ADDR_UNLOCK_2 = 0xA5
INVALID_8BIT_ADDRESSES = frozenset((0, 80, 164, 170))   # datasheet: ignored by the sensor
MIN_RANGE_CM, MAX_RANGE_CM = chips.MB1242_RANGE_CM   # 0-20 cm read 20; no echo reads 765
START_POLL_S = 0.01

_WIRING_HINT = ("check the wiring: V+ (3-5.5 V), GND, SDA (pin 4) / SCL (pin 5), and that the bus "
                "supports clock stretching (i2c-gpio overlay or <= 50 kHz)")


SPEED_OF_SOUND_MPS = 343.0  # dry air at 20 degC


class MB1242(RangeSensor):
    """MB1242 at ``address`` (0x70). ``range_period_s``: time from a range command to
    reading its result (datasheet: >= 80 ms, 100 ms advised). ``busy_timeout_s``: how
    long NACKs after a range command count as "still ranging" before ``read()`` reports
    BUS_ERROR. No target within 765 cm reads 765 (NO_TARGET); a target closer than
    20 cm reads 20."""

    DEFAULT_ADDRESS = chips.MB1242.default_address

    def __init__(self, bus, address: int = DEFAULT_ADDRESS, *, clock=None,
                 range_period_s: float = chips.MB1242_RANGE_CYCLE_S,
                 busy_timeout_s: float = 0.25) -> None:
        super().__init__(bus, address, clock=clock)
        if not range_period_s > 0:
            raise ConfigError(f"MB1242 range_period_s must be > 0 s, got {range_period_s!r}")
        if not busy_timeout_s > range_period_s:
            raise ConfigError(f"MB1242 busy_timeout_s must exceed range_period_s "
                              f"({range_period_s} s), got {busy_timeout_s!r}")
        self.period_s = float(range_period_s)
        self.busy_timeout_s = float(busy_timeout_s)
        self._started_at_s: float | None = None     # a range is in flight since then

    # --- raw transactions -------------------------------------------------------------
    def _command_range(self, address: int) -> None:
        self._bus.write_byte(address, _RANGE_COMMAND)

    def _read_cm(self, address: int) -> int:
        msg = i2c_msg.read(address, 2)
        self._bus.i2c_rdwr(msg)
        high, low = bytes(msg)
        return high << 8 | low

    def _probe(self, address: int) -> None:
        """The chip has no ID: a range command must be ACKed and a range (20-765 cm)
        must come back before ``busy_timeout_s``."""
        try:
            self._command_range(address)
        except OSError as exc:
            raise SensorError(f"no MB1242 answers at 0x{address:02X} ({exc}); "
                              f"{_WIRING_HINT}") from exc
        started_s = self.clock.now_s()
        self.clock.sleep(self.period_s)
        while True:
            try:
                value_cm = self._read_cm(address)
                break
            except OSError as exc:
                if exc.errno != errno.EREMOTEIO or \
                        self.clock.now_s() - started_s >= self.busy_timeout_s:
                    raise SensorTimeout(f"MB1242 at 0x{address:02X} took a range command but "
                                        f"returned no range within {self.busy_timeout_s} s "
                                        f"({exc}); {_WIRING_HINT}") from exc
                self.clock.sleep(START_POLL_S)
        if not MIN_RANGE_CM <= value_cm <= MAX_RANGE_CM:
            raise ChipIdError(f"device at 0x{address:02X} answered {value_cm} to a range "
                              f"command, not a MaxSonar range ({MIN_RANGE_CM}-{MAX_RANGE_CM} "
                              f"cm); check the address and wiring")

    def start(self) -> None:
        self._check_open()
        self._probe(self.address)
        self._started_at_s = None

    # --- measurements -------------------------------------------------------------------
    def read(self) -> Reading | None:
        """Non-blocking: command a range if none is in flight (-> None); None while it
        runs; then the result. A NACK within ``busy_timeout_s`` of the command is the
        sensor still ranging (None); any other bus failure is a BUS_ERROR Reading."""
        self._check_open()
        now_s = self.clock.now_s()
        if self._started_at_s is None:
            try:
                self._command_range(self.address)
            except OSError:
                return Reading(now_s, None, RangeStatus.BUS_ERROR)
            self._started_at_s = now_s
            return None
        elapsed_s = now_s - self._started_at_s
        if elapsed_s < self.period_s:
            return None
        try:
            value_cm = self._read_cm(self.address)
        except OSError as exc:
            if exc.errno == errno.EREMOTEIO and elapsed_s < self.busy_timeout_s:
                return None
            self._started_at_s = None
            return Reading(now_s, None, RangeStatus.BUS_ERROR)
        # The range was measured when its echo came back, early in the cycle: stamp
        # it then, not now (~100 ms later), or the closing speed and the beam's angle
        # at that moment (the trunk pitches a few degrees per stride) would be wrong.
        measured_s = self._started_at_s + 2.0 * value_cm / 100.0 / SPEED_OF_SOUND_MPS
        # pipeline: start the next range now; if that fails the next call retries
        try:
            self._command_range(self.address)
            self._started_at_s = now_s
        except OSError:
            self._started_at_s = None
        return self._to_reading(min(measured_s, now_s), value_cm)

    @staticmethod
    def _to_reading(t_s: float, value_cm: int) -> Reading:
        if value_cm == MAX_RANGE_CM:
            return Reading(t_s, None, RangeStatus.NO_TARGET)
        if not MIN_RANGE_CM <= value_cm < MAX_RANGE_CM:
            return Reading(t_s, None, RangeStatus.OUT_OF_RANGE)
        return Reading(t_s, value_cm / 100.0)

    def stop(self) -> None:
        """Nothing to switch off: the sensor only ranges when told; forget the range in
        flight."""
        self._started_at_s = None

    # --- configuration ----------------------------------------------------------------
    def set_address(self, new_address: int) -> None:
        """Move the sensor to 7-bit ``new_address`` for good (EEPROM): writes
        [0xAA, 0xA5, new_address << 1], then checks it ranges at the new address."""
        self._check_open()
        lowest, highest = chips.MB1242.addresses
        if not lowest <= new_address <= highest or (new_address << 1) in INVALID_8BIT_ADDRESSES:
            raise ConfigError(f"MB1242 address must be 0x{lowest:02X}..0x{highest:02X} and not "
                              f"0x28, 0x52 or 0x55 (8-bit 80, 164, 170 are refused by the "
                              f"sensor), got {new_address!r}")
        try:
            self._bus.write_i2c_block_data(self.address, _ADDR_UNLOCK_1,
                                           [_ADDR_UNLOCK_2, new_address << 1])
        except OSError as exc:
            raise SensorError(f"MB1242 at 0x{self.address:02X}: address change failed "
                              f"({exc})") from exc
        self._probe(new_address)
        self.address = new_address
        self._started_at_s = None
