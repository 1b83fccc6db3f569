"""MaxBotix MB1242 I2CXL-MaxSonar-EZ4 ultrasonic ranger, at the wire level.

The chip has no registers (MaxBotix I2CXL-MaxSonar-EZ datasheet, "I2C commands"): write
0x51 to range, read 2 bytes (cm, high byte first), write 0xAA 0xA5 and a new address to
move it; while it ranges it NACKs every transaction. Ranges are 20-765 cm at 1 cm, a
closer object reads about 20 and no echo reads 765; ultrasound does not care about
sunlight, and its wide beam is the world model's business (it turns the optics table's
FoV into the distance it passes here). The commands in detail: ``MB1242Device``.
"""

from __future__ import annotations

from pi_app.sensors import chips
from pi_app.sim.devices.base import SimDevice, fixed_range
from pi_app.sim.simbus import nack

RANGE_COMMAND = 0x51
ADDR_UNLOCK_1 = 0xAA
ADDR_UNLOCK_2 = 0xA5
INVALID_8BIT_ADDRESSES = frozenset((0, 80, 164, 170))
PART_INFO = (1242).to_bytes(2, "big")   # stand-in for the unpublished power-up bytes
RANGING_TIME_S = 0.08                   # datasheet: command a range ~80 ms before reading
RESOLUTION_CM = 1
NOISE_SIGMA_CM = 1.0                    # a 1 cm-resolution reading that jitters by ~1 cm
CLOSE_RANGE_SPREAD_CM = 5               # too-close objects read "20-25 cm"

MIN_RANGE_CM, MAX_RANGE_CM = chips.MB1242_RANGE_CM


SPEED_OF_SOUND_MPS = 343.0  # dry air at 20 degC


class MB1242Device(SimDevice):
    """An MB1242 at 0x70. ``range_source(t_s)`` gives the nearest echo in metres (None =
    nothing); the range is sampled when the ping goes out. ``stuck`` True keeps reporting
    the previous range after each new ranging cycle; ``garbage`` True reports values
    beyond the 765 cm scale (766-65535 cm: a corrupted, e.g. clock-stretched, read).

    - Write the single byte 0x51 (81): take a range reading. While it ranges the sensor
      ignores the bus ("I2C communications are ignored"), i.e. every transaction NACKs;
      MaxBotix advise commanding a range ~80 ms before reading, 100 ms between readings.
    - Read 2 bytes: the last range in cm, high byte first. After power-up, before any
      range command, it answers with two "part info" bytes (values not published;
      modelled as the part number 1242, beyond the 765 cm scale so no driver can take it
      for a range).
    - Write [0xAA (170), 0xA5 (165), new 8-bit address]: change address. Odd values are
      rounded down to even; 0, 80, 164 and 170 are invalid and ignored. Stored in
      EEPROM, so it survives power cycles.
    """

    DEFAULT_ADDRESS = chips.MB1242.default_address

    def __init__(self, range_source=None, *, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.range_source = range_source if range_source is not None else fixed_range(1.0)
        self.stuck = False
        self.garbage = False
        self._eeprom_address = self.DEFAULT_ADDRESS
        self._last = PART_INFO
        self._pending = PART_INFO
        self._busy_until_s = -1.0

    # --- wiring and power ---------------------------------------------------------------
    def connect(self, bus, address: int) -> None:
        """Attached at ``address``: a unit programmed to that address earlier (EEPROM)."""
        super().connect(bus, address)
        self._eeprom_address = address

    def reset(self) -> None:
        """Power-up: address from EEPROM, part-info bytes until the first range."""
        super().reset()
        self.address = self._eeprom_address
        self._last = self._pending = PART_INFO
        self._busy_until_s = -1.0

    @property
    def ranging(self) -> bool:
        """True while a ranging cycle runs (the sensor NACKs everything)."""
        return self.now_s() < self._busy_until_s

    # --- transactions ------------------------------------------------------------------
    def _settle(self, address: int) -> None:
        if self.ranging:
            raise nack(address)
        self._last = self._pending

    def i2c_write(self, address: int, data: bytes) -> None:
        self._settle(address)
        if data == bytes((RANGE_COMMAND,)):
            now_s = self.now_s()
            self._busy_until_s = now_s + RANGING_TIME_S
            if self.garbage:
                self._pending = self.rng.randint(MAX_RANGE_CM + 1, 0xFFFF).to_bytes(2, "big")
            elif not self.stuck:
                self._pending = self._measure_cm(now_s).to_bytes(2, "big")
        elif len(data) == 3 and data[0] == ADDR_UNLOCK_1 and data[1] == ADDR_UNLOCK_2:
            new_8bit = data[2] & 0xFE
            if new_8bit not in INVALID_8BIT_ADDRESSES:
                self._eeprom_address = self.address = new_8bit >> 1
        # anything else is acknowledged and ignored

    def i2c_read(self, address: int, length: int) -> bytes:
        self._settle(address)
        # after the two range bytes the sensor stops driving SDA: the master reads 0xFF
        return (self._last + b"\xff" * length)[:length]

    # --- the measurement -----------------------------------------------------------------
    def _measure_cm(self, t_s: float) -> int:
        # The echo that ends the measurement left the target half a round trip after
        # the ping and arrives a round trip after it: range the world at that moment.
        distance_m = self.range_source(t_s)
        if distance_m is not None:
            distance_m = self.range_source(t_s + 2.0 * distance_m / SPEED_OF_SOUND_MPS)
        if distance_m is None or distance_m * 100.0 >= MAX_RANGE_CM:
            return MAX_RANGE_CM
        if distance_m * 100.0 < MIN_RANGE_CM:
            return MIN_RANGE_CM + self.rng.randint(0, CLOSE_RANGE_SPREAD_CM)
        measured_cm = int(round(distance_m * 100.0 + self.rng.gauss(0.0, NOISE_SIGMA_CM)))
        return min(max(measured_cm, MIN_RANGE_CM), MAX_RANGE_CM)
