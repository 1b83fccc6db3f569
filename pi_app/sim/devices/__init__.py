"""Register-level chip emulators for SimBus (filled in as chips are added)."""

from pi_app.sim.devices.base import RegisterDevice, SimDevice, fixed_range

__all__ = ["RegisterDevice", "SimDevice", "fixed_range"]
