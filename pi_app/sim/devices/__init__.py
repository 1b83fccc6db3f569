"""Register-level chip emulators for SimBus (filled in as chips are added)."""

from pi_app.sim.devices.base import RegisterDevice, SimDevice, fixed_range
from pi_app.sim.devices.drv2605 import DRV2605Device
from pi_app.sim.devices.mb1242 import MB1242Device
from pi_app.sim.devices.mpu6050 import MPU6050Device
from pi_app.sim.devices.tca9548a import TCA9548ADevice
from pi_app.sim.devices.tfluna import TFLunaDevice
from pi_app.sim.devices.vl53l1x import VL53L1XDevice

__all__ = ["RegisterDevice", "SimDevice", "fixed_range", "DRV2605Device", "MB1242Device", "MPU6050Device",
           "TCA9548ADevice", "TFLunaDevice", "VL53L1XDevice"]
