"""InvenSense MPU-6050 IMU driver (register map RM-MPU-6000A).

Used for tilt compensation of the down-angled sensors and for posture coaching. Chip
frame as mounted on the belt (ISO 8855 style): x = the runner's forward (chest side,
opposite to the direction of travel when running backwards), y = the runner's left,
z = up. ``MPU6050.pitch_deg(sample)`` is the trunk's forward lean from gravity:
atan2(-ax, az), + = bent over, 0 = upright; it is right only when the hip is not
accelerating much (average it over a stride).
"""

from __future__ import annotations

import math
import struct
from typing import NamedTuple

from pi_app.exc import ChipIdError, ConfigError, SensorError
from pi_app.sensors import chips
from pi_app.sensors.base import I2CDriver

_SMPLRT_DIV = 0x19
_CONFIG = 0x1A
_GYRO_CONFIG = 0x1B
_ACCEL_CONFIG = 0x1C
_ACCEL_XOUT_H = 0x3B          # 14 bytes: accel XYZ, temp, gyro XYZ (big-endian int16)
_PWR_MGMT_1 = 0x6B
_WHO_AM_I = chips.MPU6050.chip_id.register

_WHO_AM_I_VALUE = chips.MPU6050.chip_id.value[0]
_CLKSEL_PLL_XGYRO = 0x01      # awake, clocked from the X gyro PLL (more stable than 8 MHz)
_SLEEP = 0x40
_SLEEP_MASK = 0x40

ACCEL_RANGES_G = {2: 0, 4: 1, 8: 2, 16: 3}                  # -> AFS_SEL
GYRO_RANGES_DPS = {250: 0, 500: 1, 1000: 2, 2000: 3}        # -> FS_SEL
ACCEL_LSB_PER_G = (16384.0, 8192.0, 4096.0, 2048.0)
GYRO_LSB_PER_DPS = (131.0, 65.5, 32.8, 16.4)
DLPF_BANDWIDTH_HZ = {260: 0, 184: 1, 94: 2, 44: 3, 21: 4, 10: 5, 5: 6}   # accel bandwidth

_WIRING_HINT = "check the wiring: VCC, GND, SDA/SCL and the AD0 pin (low = 0x68, high = 0x69)"


class ImuSample(NamedTuple):
    """One IMU sample: ``t_s`` clock time, ``accel_g`` (x, y, z) in g, ``gyro_dps``
    (x, y, z) in degrees/s, ``temp_c`` chip temperature in deg C. Chip frame: see module."""

    t_s: float
    accel_g: tuple[float, float, float]
    gyro_dps: tuple[float, float, float]
    temp_c: float


#: the 14-byte burst from ACCEL_XOUT_H: accel x/y/z, temperature, gyro x/y/z, each a
#: signed 16-bit big-endian word
_BURST = struct.Struct(">7h")


class MPU6050(I2CDriver):
    """MPU-6050 at ``address`` (0x68, 0x69 with AD0 high). ``accel_range_g`` 2/4/8/16,
    ``gyro_range_dps`` 250/500/1000/2000, ``dlpf_hz`` low-pass bandwidth 260..5 Hz,
    ``sample_rate_hz`` output rate (1 kHz / integer divider when the DLPF is on)."""

    DEFAULT_ADDRESS = chips.MPU6050.default_address

    def __init__(self, bus, address: int = DEFAULT_ADDRESS, *, clock=None,
                 accel_range_g: int = 4, gyro_range_dps: int = 500, dlpf_hz: int = 44,
                 sample_rate_hz: float = 100.0) -> None:
        super().__init__(bus, address, clock=clock)
        for name, value, table in (("accel_range_g", accel_range_g, ACCEL_RANGES_G),
                                   ("gyro_range_dps", gyro_range_dps, GYRO_RANGES_DPS),
                                   ("dlpf_hz", dlpf_hz, DLPF_BANDWIDTH_HZ)):
            if value not in table:
                raise ConfigError(f"MPU6050 {name} must be one of {sorted(table)}, got {value!r}")
        self._afs_sel = ACCEL_RANGES_G[accel_range_g]
        self._fs_sel = GYRO_RANGES_DPS[gyro_range_dps]
        self._dlpf_cfg = DLPF_BANDWIDTH_HZ[dlpf_hz]
        # sample rate = gyro output rate / (1 + SMPLRT_DIV); 8 kHz only with the DLPF off
        gyro_rate_hz = 8000.0 if self._dlpf_cfg == 0 else 1000.0
        divider = round(gyro_rate_hz / sample_rate_hz) - 1 if sample_rate_hz > 0 else -1
        if not 0 <= divider <= 255:
            raise ConfigError(f"MPU6050 sample_rate_hz must be {gyro_rate_hz:.0f}/n Hz with "
                              f"n = 1..256, got {sample_rate_hz!r}")
        self._smplrt_div = divider
        self._accel_scale = 1.0 / ACCEL_LSB_PER_G[self._afs_sel]
        self._gyro_scale = 1.0 / GYRO_LSB_PER_DPS[self._fs_sel]

    def start(self) -> None:
        """Check WHO_AM_I, wake the chip (PLL clock), set DLPF, rate and ranges."""
        self._check_open()
        bus, address = self._bus, self.address
        try:
            who_am_i = bus.read_byte_data(address, _WHO_AM_I)
        except OSError as exc:
            raise SensorError(f"no MPU-6050 answers at 0x{address:02X} ({exc}); "
                              f"{_WIRING_HINT}") from exc
        if who_am_i != _WHO_AM_I_VALUE:
            raise ChipIdError(f"device at 0x{address:02X} is not an MPU-6050: WHO_AM_I = "
                              f"0x{who_am_i:02X} (expected 0x{_WHO_AM_I_VALUE:02X}; "
                              f"0x70/0x71/0x73 are MPU-6500/"
                              f"9250 family parts); check the address and wiring")
        try:
            bus.write_byte_data(address, _PWR_MGMT_1, _CLKSEL_PLL_XGYRO)
            bus.write_byte_data(address, _CONFIG, self._dlpf_cfg)
            bus.write_byte_data(address, _SMPLRT_DIV, self._smplrt_div)
            bus.write_byte_data(address, _GYRO_CONFIG, self._fs_sel << 3)
            bus.write_byte_data(address, _ACCEL_CONFIG, self._afs_sel << 3)
            power = bus.read_byte_data(address, _PWR_MGMT_1)
        except OSError as exc:
            raise SensorError(f"MPU-6050 at 0x{address:02X} refused its settings ({exc}); "
                              f"{_WIRING_HINT}") from exc
        if power & _SLEEP_MASK:
            raise SensorError(f"MPU-6050 at 0x{address:02X} did not wake up "
                              f"(PWR_MGMT_1 = 0x{power:02X})")

    def read_motion(self) -> ImuSample | None:
        """The latest sample from one 14-byte burst read, or None if the bus failed."""
        self._check_open()
        t_s = self.clock.now_s()
        try:
            raw = self._bus.read_i2c_block_data(self.address, _ACCEL_XOUT_H, 14)
        except OSError:
            return None
        ax, ay, az, temp, gx, gy, gz = _BURST.unpack(bytes(raw))
        a, g = self._accel_scale, self._gyro_scale
        return ImuSample(t_s, (ax * a, ay * a, az * a), (gx * g, gy * g, gz * g),
                         temp / 340.0 + 36.53)

    @staticmethod
    def pitch_deg(sample: ImuSample) -> float:
        """Forward lean of the trunk in degrees from the accelerometer: atan2(-ax, az)
        in the belt frame (x forward, y left, z up); + = bent over, 0 = upright."""
        ax, _, az = sample.accel_g
        return math.degrees(math.atan2(-ax, az))

    def stop(self) -> None:
        """Put the chip to sleep (PWR_MGMT_1 SLEEP)."""
        if self._bus is not None:
            self._bus.write_byte_data(self.address, _PWR_MGMT_1, _SLEEP | _CLKSEL_PLL_XGYRO)

    def _on_close(self) -> None:
        try:
            self.stop()
        except OSError:
            pass
