"""Benewake TF-Luna LiDAR driver, I2C mode (pin 5 tied to GND before power-up).

Registers are 8-bit, values little-endian (Benewake product manual, I2C register table).
The chip has no ID register: it is identified by its read-only signature 0x3C-0x3F =
"LUNA", or on firmware without it by SLAVE_ADDR holding our address and a legal 500/n
frame rate; ``firmware_version`` keeps 0x0A-0x0C. A frame is new when TICK changed, so
``read()`` gives one Reading per frame and None in between. A weak or overexposed
amplitude reads LOW_AMPLITUDE, under 20 cm or over 800 cm UNRELIABLE (manual 6.9), and
beyond 900 cm with a good amplitude OUT_OF_RANGE: a healthy chip never reports that, so
the health monitor counts it as implausible.
"""

from __future__ import annotations

from pi_app.exc import ChipIdError, ConfigError, SensorError, SensorTimeout
from pi_app.sensors import chips
from pi_app.sensors.base import RangeSensor, RangeStatus, Reading

_DIST_LOW = 0x00              # DIST, AMP, TEMP, TICK: 8 bytes from here
_TICK_LOW = 0x06
_VERSION_REVISION = 0x0A      # revision, minor, major
_SAVE = 0x20
_SHUTDOWN_REBOOT = 0x21
_SLAVE_ADDR = 0x22
_MODE = 0x23
_ENABLE = 0x25
_FPS_LOW = 0x26
_SIGNATURE = chips.TFLUNA.chip_id.register

_SAVE_SETTINGS = 0x01
_REBOOT = 0x02
_MODE_CONTINUOUS = 0x00
_ENABLE_ON = 0x01
_ENABLE_OFF = 0x00
SIGNATURE = chips.TFLUNA.chip_id.value

AMP_MIN_VALID = 100           # datasheet: Amp < 100 -> unreliable
RESET_TICK_JUMP_MS = 1000     # a TICK step this large between polls = the chip rebooted
#: manual 6.4: Amp 0xFFFF = receiver overexposed, above 32768 = ambient light overexposure
AMP_OVEREXPOSED_MIN = 0x8000
#: what the chip calls reliable: the datasheet range (0.2-8 m, 90 % reflectivity, indoors)
RELIABLE_MIN_M = chips.TFLUNA.optics_for().min_range_m
RELIABLE_MAX_M = chips.TFLUNA.optics_for().max_dark_m
OUTPUT_MAX_CM = 900           # manual 6.9: distance output limited to [0, 900] cm by default
FLASH_WRITE_S = 0.1           # manual: wait ~100 ms after a write before the next step
REBOOT_DEADLINE_S = 1.5
POLL_S = 0.02

_WIRING_HINT = ("check the wiring: 5 V, GND, SDA/SCL (pins 2/3) and that pin 5 was tied to GND "
                "at power-up (I2C mode)")


class TFLuna(RangeSensor):
    """TF-Luna at ``address`` (0x10). ``frame_rate_hz``: frames per second, 500/n Hz
    (250, 166, 125, 100, ... 1). ``read()``: a Reading per new frame, None if no new frame.
    Attributes after a read: ``amplitude``, ``temperature_c``."""

    DEFAULT_ADDRESS = chips.TFLUNA.default_address

    def __init__(self, bus, address: int = DEFAULT_ADDRESS, *, clock=None,
                 frame_rate_hz: int = 100) -> None:
        super().__init__(bus, address, clock=clock)
        if frame_rate_hz not in chips.TFLUNA_FRAME_RATES_HZ:
            raise ConfigError(f"TF-Luna frame_rate_hz must be 500/n Hz (250, 166, 125, 100, "
                              f"83, ..., 1), got {frame_rate_hz!r}")
        self.frame_rate_hz = int(frame_rate_hz)
        base_hz = chips.TFLUNA_BASE_RATE_HZ
        self.period_s = (base_hz // self.frame_rate_hz) / base_hz
        self.firmware_version: tuple[int, int, int] | None = None
        self.amplitude: int | None = None
        self.temperature_c: float | None = None
        self._last_tick: int | None = None
        self.resets_seen = 0  # chip reboots noticed (and settings re-applied) while running

    # --- identification -------------------------------------------------------------
    def _identify(self, address: int) -> None:
        bus = self._bus
        try:
            signature = bytes(bus.read_i2c_block_data(address, _SIGNATURE, 4))
            revision, minor, major = bus.read_i2c_block_data(address, _VERSION_REVISION, 3)
            slave_addr = bus.read_byte_data(address, _SLAVE_ADDR)
            fps_low, fps_high = bus.read_i2c_block_data(address, _FPS_LOW, 2)
        except OSError as exc:
            raise SensorError(f"no TF-Luna answers at 0x{address:02X} ({exc}); "
                              f"{_WIRING_HINT}") from exc
        legacy = slave_addr == address and (fps_low | fps_high << 8) in chips.TFLUNA_FRAME_RATES_HZ
        if signature != SIGNATURE and not (legacy and (major, minor, revision) != (0, 0, 0)):
            raise ChipIdError(f"device at 0x{address:02X} is not a TF-Luna: signature "
                              f"{signature!r} (expected {SIGNATURE!r}); check the address "
                              f"and wiring ({_WIRING_HINT})")
        self.firmware_version = (major, minor, revision)

    def start(self) -> None:
        """Check the chip, then continuous mode, output on, at ``frame_rate_hz``."""
        self._check_open()
        self._identify(self.address)
        try:
            self._write_settings()
        except OSError as exc:
            raise SensorError(f"TF-Luna at 0x{self.address:02X} refused its settings "
                              f"({exc}); {_WIRING_HINT}") from exc
        self._last_tick = self._current_tick()

    def _write_settings(self) -> None:
        self._bus.write_byte_data(self.address, _MODE, _MODE_CONTINUOUS)
        self._bus.write_i2c_block_data(self.address, _FPS_LOW,
                                       list(self.frame_rate_hz.to_bytes(2, "little")))
        self._bus.write_byte_data(self.address, _ENABLE, _ENABLE_ON)

    def _reapply_settings(self) -> None:
        try:
            self._write_settings()
            self.resets_seen += 1
        except OSError:
            pass  # the next reset check (or the health monitor) tries again

    def _current_tick(self) -> int | None:
        """TICK now, so that only frames measured after this moment count as new."""
        try:
            low, high = self._bus.read_i2c_block_data(self.address, _TICK_LOW, 2)
        except OSError:
            return None
        return low | high << 8

    # --- measurements ---------------------------------------------------------------
    def read(self) -> Reading | None:
        """The newest frame as a Reading, None if TICK has not moved since the last call,
        or a Reading with ``distance_m=None`` and BUS_ERROR when the bus failed."""
        self._check_open()
        t_s = self.clock.now_s()
        try:
            frame = self._bus.read_i2c_block_data(self.address, _DIST_LOW, 8)
        except OSError:
            return Reading(t_s, None, RangeStatus.BUS_ERROR)
        tick = frame[6] | frame[7] << 8
        if tick == self._last_tick:
            return None
        if self._last_tick is not None and (tick - self._last_tick) & 0xFFFF > RESET_TICK_JUMP_MS:
            # TICK counts ms since power-on; a jump this large between two polls a few
            # ms apart means the chip rebooted (a power blip too short to look dead)
            # and fell back to its default frame rate: give it our settings again.
            self._reapply_settings()
        self._last_tick = tick
        distance_cm = frame[0] | frame[1] << 8
        amplitude = frame[2] | frame[3] << 8
        self.amplitude = amplitude
        temp = frame[4] | frame[5] << 8
        self.temperature_c = (temp - 0x10000 if temp & 0x8000 else temp) / 100.0
        if amplitude < AMP_MIN_VALID or amplitude >= AMP_OVEREXPOSED_MIN:
            return Reading(t_s, None, RangeStatus.LOW_AMPLITUDE)
        if distance_cm > OUTPUT_MAX_CM:
            return Reading(t_s, None, RangeStatus.OUT_OF_RANGE)
        distance_m = distance_cm / 100.0
        if not RELIABLE_MIN_M <= distance_m <= RELIABLE_MAX_M:
            return Reading(t_s, None, RangeStatus.UNRELIABLE)
        return Reading(t_s, distance_m)

    def stop(self) -> None:
        """Turn the laser off (ENABLE <- 0); ``start()`` turns it back on."""
        if self._bus is not None:
            self._bus.write_byte_data(self.address, _ENABLE, _ENABLE_OFF)

    # --- configuration ----------------------------------------------------------------
    def set_address(self, new_address: int) -> None:
        """Move the chip to ``new_address`` (0x08-0x77) for good: write SLAVE_ADDR, save
        to flash, reboot, then wait (deadline ``REBOOT_DEADLINE_S`` on the injected clock)
        until it answers there. Raises SensorTimeout if it never does."""
        self._check_open()
        lowest, highest = chips.TFLUNA.addresses
        if not lowest <= new_address <= highest:
            raise ConfigError(f"TF-Luna address must be 0x{lowest:02X}..0x{highest:02X}, "
                              f"got {new_address!r}")
        old = self.address
        try:
            self._bus.write_byte_data(old, _SLAVE_ADDR, new_address)
            self._bus.write_byte_data(old, _SAVE, _SAVE_SETTINGS)
            self.clock.sleep(FLASH_WRITE_S)
            self._bus.write_byte_data(old, _SHUTDOWN_REBOOT, _REBOOT)
        except OSError as exc:
            raise SensorError(f"TF-Luna at 0x{old:02X}: address change failed ({exc})") from exc
        deadline_s = self.clock.now_s() + REBOOT_DEADLINE_S
        while True:
            self.clock.sleep(POLL_S)
            try:
                self._identify(new_address)
                break
            except ChipIdError:
                raise
            except SensorError as exc:
                if self.clock.now_s() >= deadline_s:
                    raise SensorTimeout(f"TF-Luna moved from 0x{old:02X} but does not answer "
                                        f"at 0x{new_address:02X} after {REBOOT_DEADLINE_S} s "
                                        f"({exc})") from exc
        self.address = new_address
        self._last_tick = self._current_tick()
