"""InvenSense MPU-6050 6-axis IMU, register level (register map RM-MPU-6000A rev 4.2).

``MPU6050Device`` answers as the register map says: WHO_AM_I, sleep at power-up (data
reads 0 until woken), one consistent sample per burst read of 0x3B..0x48, the full-scale,
DLPF and sample-rate settings, DATA_RDY_INT, and the product specification's noise.
Chip frame for the belt (and handrail) mount, ISO 8855 style: x = the runner's forward
(the way the chest faces, away from the rear sensors), y = the runner's left, z = up
when standing straight; a forward lean (``pitch_deg`` in scenarios, + = bent over) is
a positive rotation about y (``motion_from_pitch``).
"""

from __future__ import annotations

import math
import struct

from pi_app.sensors import chips
from pi_app.sim.devices.base import RegisterDevice

_SMPLRT_DIV = 0x19
_CONFIG = 0x1A
_GYRO_CONFIG = 0x1B
_ACCEL_CONFIG = 0x1C
_INT_STATUS = 0x3A
_ACCEL_XOUT_H = 0x3B
_TEMP_OUT_H = 0x41
_GYRO_XOUT_H = 0x43
_GYRO_ZOUT_L = 0x48
_PWR_MGMT_1 = 0x6B
_WHO_AM_I = chips.MPU6050.chip_id.register

_PWR_MGMT_1_RESET = 0x40            # SLEEP set at power-up
_DEVICE_RESET = 0x80
_SLEEP = 0x40
_DATA_RDY_INT = 0x01
WHO_AM_I_VALUE = chips.MPU6050.chip_id.value[0]

ACCEL_LSB_PER_G = (16384.0, 8192.0, 4096.0, 2048.0)
GYRO_LSB_PER_DPS = (131.0, 65.5, 32.8, 16.4)
ACCEL_BANDWIDTH_HZ = (260, 184, 94, 44, 21, 10, 5, 260)     # DLPF_CFG 0..7 (7 reserved)
GYRO_BANDWIDTH_HZ = (256, 188, 98, 42, 20, 10, 5, 256)
ACCEL_NOISE_G_PER_RTHZ = 400e-6
GYRO_NOISE_DPS_PER_RTHZ = 0.005
CHIP_TEMP_C = 30.0
_READ_ONLY = set(range(_INT_STATUS, _GYRO_ZOUT_L + 1)) | {_WHO_AM_I}
_SAMPLE = struct.Struct(">7h")      # ACCEL_XOUT_H .. GYRO_ZOUT_L, signed big-endian
#: noise sigma per DLPF_CFG: the noise densities over each bandwidth
_ACCEL_SIGMA_G = tuple(ACCEL_NOISE_G_PER_RTHZ * math.sqrt(bw) for bw in ACCEL_BANDWIDTH_HZ)
_GYRO_SIGMA_DPS = tuple(GYRO_NOISE_DPS_PER_RTHZ * math.sqrt(bw) for bw in GYRO_BANDWIDTH_HZ)

Motion = tuple[tuple[float, float, float], tuple[float, float, float]]


def motion_from_pitch(pitch_deg: float, pitch_rate_dps: float,
                      vertical_accel_g: float = 0.0) -> Motion:
    """(accel_g, gyro_dps) in the chip frame for a trunk leaning ``pitch_deg`` forward,
    pitching at ``pitch_rate_dps``, while the hip accelerates ``vertical_accel_g`` upward
    (the bounce of each step). The accelerometer measures specific force: gravity's
    reaction (1 g up) plus the vertical acceleration, seen through the tilted chip: at
    rest (-sin theta, 0, cos theta) g, and the gyro reads +d(theta)/dt about y."""
    theta = math.radians(pitch_deg)
    up_g = 1.0 + vertical_accel_g
    return ((-up_g * math.sin(theta), 0.0, up_g * math.cos(theta)),
            (0.0, pitch_rate_dps, 0.0))


def _at_rest(t_s: float) -> Motion:
    return (0.0, 0.0, 1.0), (0.0, 0.0, 0.0)


class MPU6050Device(RegisterDevice):
    """An MPU-6050 at 0x68 (0x69 with ``ad0=True``). ``motion_source(t_s)`` returns
    ``((ax, ay, az) g, (gx, gy, gz) dps)`` in the chip frame (default: at rest, level).

    - WHO_AM_I 0x75 reads 0x68 (whatever AD0 is); PWR_MGMT_1 0x6B resets to 0x40: the
      chip sleeps at power-up and its data registers read 0 until it is woken (0x6B <-
      0x00 or a clock source such as 0x01). Bit 7 (DEVICE_RESET) restores every
      register's default.
    - ACCEL_XOUT_H 0x3B .. GYRO_ZOUT_L 0x48: accel X/Y/Z, TEMP, gyro X/Y/Z, signed
      16-bit big-endian; one burst read is one consistent sample. Temp degC = raw / 340
      + 36.53.
    - ACCEL_CONFIG 0x1C bits 4:3 AFS_SEL: +-2/4/8/16 g = 16384/8192/4096/2048 LSB/g.
      GYRO_CONFIG 0x1B bits 4:3 FS_SEL: +-250/500/1000/2000 dps = 131/65.5/32.8/16.4
      LSB/dps.
    - CONFIG 0x1A bits 2:0 DLPF_CFG (bandwidth 260..5 Hz); SMPLRT_DIV 0x19: sample rate
      = gyro output rate (8 kHz with DLPF_CFG 0 or 7, else 1 kHz) / (1 + SMPLRT_DIV).
      INT_STATUS 0x3A bit 0 (DATA_RDY_INT) is set by each new sample, cleared when read.
    - Noise from the product specification: accel 400 ug/sqrt(Hz), gyro 0.005
      dps/sqrt(Hz), integrated over the DLPF bandwidth. Values clip at full scale.
    """

    DEFAULT_ADDRESS = chips.MPU6050.default_address
    COMPUTED_READS = frozenset((_INT_STATUS,))

    def __init__(self, motion_source=None, *, seed: int = 0, ad0: bool = False) -> None:
        self.DEFAULT_ADDRESS = self._strap_address = chips.MPU6050.addresses[int(ad0)]
        self.motion_source = motion_source if motion_source is not None else _at_rest
        self._sample_index = -1
        super().__init__(seed=seed)

    def connect(self, bus, address: int) -> None:
        super().connect(bus, address)
        self._strap_address = address        # AD0 is a pin: resets keep the address

    def reset(self) -> None:
        super().reset()
        self.address = self._strap_address
        self.regs[_PWR_MGMT_1] = _PWR_MGMT_1_RESET
        self.regs[_WHO_AM_I] = WHO_AM_I_VALUE
        self._sample_index = -1

    @property
    def asleep(self) -> bool:
        return bool(self.regs[_PWR_MGMT_1] & _SLEEP)

    def write_register(self, register: int, value: int) -> None:
        if register == _PWR_MGMT_1 and value & _DEVICE_RESET:
            self.reset()
        elif register not in _READ_ONLY:
            self.regs[register] = value

    def read_register(self, register: int) -> int:
        value = self.regs[register]
        if register == _INT_STATUS:
            self.regs[register] = value & ~_DATA_RDY_INT
        return value

    def sample_rate_hz(self) -> float:
        dlpf_cfg = self.regs[_CONFIG] & 0x07
        gyro_rate_hz = 8000.0 if dlpf_cfg in (0, 7) else 1000.0
        return gyro_rate_hz / (1 + self.regs[_SMPLRT_DIV])

    def update(self, now_s: float) -> None:
        if self.regs[_PWR_MGMT_1] & _SLEEP:
            return                           # asleep: data registers hold their last values
        period_s = 1.0 / self.sample_rate_hz()
        index = math.floor(now_s / period_s + 1e-9)
        if index != self._sample_index:
            self._sample_index = index
            self._write_sample(index * period_s)

    def _write_sample(self, t_s: float) -> None:
        (ax, ay, az), (gx, gy, gz) = self.motion_source(t_s)
        regs = self.regs
        dlpf_cfg = regs[_CONFIG] & 0x07
        accel_sigma = _ACCEL_SIGMA_G[dlpf_cfg]
        gyro_sigma = _GYRO_SIGMA_DPS[dlpf_cfg]
        accel_lsb = ACCEL_LSB_PER_G[(regs[_ACCEL_CONFIG] >> 3) & 0x03]
        gyro_lsb = GYRO_LSB_PER_DPS[(regs[_GYRO_CONFIG] >> 3) & 0x03]
        gauss = self.rng.gauss
        # the noise is drawn in register order: accel x, y, z, temperature, gyro x, y, z
        scaled = ((ax + gauss(0.0, accel_sigma)) * accel_lsb,
                  (ay + gauss(0.0, accel_sigma)) * accel_lsb,
                  (az + gauss(0.0, accel_sigma)) * accel_lsb,
                  (CHIP_TEMP_C - 36.53 + gauss(0.0, 0.02)) * 340.0,
                  (gx + gauss(0.0, gyro_sigma)) * gyro_lsb,
                  (gy + gauss(0.0, gyro_sigma)) * gyro_lsb,
                  (gz + gauss(0.0, gyro_sigma)) * gyro_lsb)
        # values clip at full scale (the signed 16-bit range)
        _SAMPLE.pack_into(regs, _ACCEL_XOUT_H,
                          *[r if -32768 <= r <= 32767 else (-32768 if r < 0 else 32767)
                            for r in map(round, scaled)])
        regs[_INT_STATUS] |= _DATA_RDY_INT
