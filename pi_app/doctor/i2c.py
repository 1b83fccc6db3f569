"""I2C checks of ``backsight doctor``: scan a bus as ``i2cdetect -y`` does and identify
every configured chip by its ID register at its configured address.

Read-only, except the TCA9548A check, which writes back the mask it just read (skipped
while the service runs, since the service switches channels) and, to look behind a
multiplexer, selects a channel and restores the previous mask afterwards. A bus that
does not exist is explained by ``pi_app.doctor.i2c_dev`` (``missing_bus_hint``).
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import NamedTuple

from pi_app.config import Config
from pi_app.doctor.findings import FAIL, OK, WARN, Finding
from pi_app.doctor.i2c_dev import MissingBus, missing_bus_hint
from pi_app.doctor.system import HARDWARE_I2C_BUS
from pi_app.sensors.chips import (CHIPS, DRV2605, MB1242, MPU6050, PI_I2C_WIRING as WIRING,
                                  TCA9548A, TFLUNA, VL53L1X, XSHUT)

__all__ = ["BusCheck", "CHIPS", "expected_devices", "identify", "missing_bus_hint", "scan"]

SAFE_STRETCH_BAUD = 50_000       # above this the hardware controller breaks MB1242 stretching
# registers beyond the catalogue's ID registers, named as in the datasheets
_DRV2605_STATUS = 0x00                        # bits 7:5 device id
_TFLUNA_VERSION = 0x0A                        # revision, minor, major
_DRV_IDS = {7: "DRV2605L", 3: "DRV2605", 4: "DRV2604", 6: "DRV2604L"}
_MPU_LOOKALIKES = {0x70: "MPU-6500", 0x71: "MPU-9250", 0x73: "MPU-9255", 0x72: "MPU-6880"}


def _hex(value: bytes) -> str:
    return " ".join(f"0x{b:02X}" for b in value)


def identify(bus, kind: str, address: int) -> str | None:
    """Read the chip's ID at ``address``: None = it is a ``kind``, else what was read."""
    if kind == VL53L1X.kind:
        from smbus2 import i2c_msg     # here, so that importing the doctor needs no smbus2

        expected = VL53L1X.chip_id.value
        read = i2c_msg.read(address, len(expected))
        bus.i2c_rdwr(i2c_msg.write(address, VL53L1X.chip_id.register.to_bytes(2, "big")), read)
        model, module = bytes(read)
        return None if bytes(read) == expected else \
            f"model id 0x{model:02X}, module type 0x{module:02X} (a VL53L1X reads {_hex(expected)})"
    if kind == MPU6050.kind:
        who = bus.read_byte_data(address, MPU6050.chip_id.register)
        if bytes([who]) == MPU6050.chip_id.value:
            return None
        return f"WHO_AM_I 0x{who:02X}" + (f", a {_MPU_LOOKALIKES[who]}" if who in _MPU_LOOKALIKES else "") \
            + f" (an MPU-6050 reads {_hex(MPU6050.chip_id.value)})"
    if kind == DRV2605.kind:
        device_id = bus.read_byte_data(address, _DRV2605_STATUS) >> 5
        if device_id in (3, 7):
            return None
        found = _DRV_IDS.get(device_id, f"device id {device_id}")
        return f"{found}, which has no built-in effect library (need DRV2605/DRV2605L, id 3 or 7)"
    if kind == TFLUNA.kind:
        expected = TFLUNA.chip_id.value
        signature = bytes(bus.read_i2c_block_data(address, TFLUNA.chip_id.register, len(expected)))
        return None if signature == expected else \
            f"signature {signature!r} (a TF-Luna reads {expected!r})"
    if kind == TCA9548A.kind:
        mask = bus.read_byte(address)
        bus.write_byte(address, mask)                               # write back what it had
        again = bus.read_byte(address)
        return None if again == mask else f"control register read 0x{mask:02X} then 0x{again:02X}"
    if kind == MB1242.kind:
        bus.read_byte(address)
        return None      # no ID register: answering is all it can show
    raise ValueError(f"unknown chip kind {kind!r}")


def _version(bus, kind: str, address: int) -> str:
    if kind == TFLUNA.kind:
        rev, minor, major = bus.read_i2c_block_data(address, _TFLUNA_VERSION, 3)
        return f" (firmware {major}.{minor}.{rev})"
    return ""


def scan(bus) -> list[int]:
    """Addresses that acknowledge: ``bus.scan()`` when the bus has it (SimBus), else a
    one-byte read at each address 0x03..0x77, as ``i2cdetect -y -r`` does."""
    if hasattr(bus, "scan"):
        return list(bus.scan())
    return [address for address in range(0x03, 0x78) if _answers(bus, address)]


class Expected(NamedTuple):
    label: str          # "VL53L1X 'rear'"
    kind: str
    address: int
    mux: tuple[int, int] | None = None      # (mux address, channel)
    xshut_pin: int | None = None
    sensor_id: str | None = None


def expected_devices(cfg: Config) -> list[Expected]:
    out = []
    for s in cfg.sensors:
        mux = None if s.mux_address is None else (s.mux_address, s.mux_channel)
        out.append(Expected(f"{CHIPS[s.kind].name} '{s.id}'", s.kind, s.bus_address, mux,
                            s.xshut_pin, s.id))
    if cfg.alert.haptic == "drv2605" and cfg.alert.output in ("haptic", "both"):
        out.append(Expected(f"{DRV2605.name} haptic driver", DRV2605.kind, DRV2605.default_address))
    for mux_address in sorted({s.mux_address for s in cfg.sensors if s.mux_address is not None}):
        out.append(Expected(f"{TCA9548A.name} multiplexer", TCA9548A.kind, mux_address))
    return out


class BusCheck:
    """Checks the chips ``cfg`` expects on a bus. ``boot`` (a BootConfig or None) gives
    the hardware bus clock; ``service_active`` True = the service is using the bus;
    ``root`` is where a missing bus's causes are looked up (pi_app.doctor.i2c_dev)."""

    def __init__(self, bus_factory, cfg: Config, *, boot=None, service_active: bool = False,
                 root: str | Path = "/") -> None:
        self.bus_factory = bus_factory
        self.cfg = cfg
        self.boot = boot
        self.service_active = service_active
        self.root = root

    def check_bus(self, number: int) -> list[Finding]:
        try:
            bus = self.bus_factory(number)
        except FileNotFoundError:
            missing = MissingBus.diagnose(number, self.root)
            return [Finding(FAIL, f"I2C bus {number}: {missing.what}", missing.fix)]
        except PermissionError:
            return [Finding(FAIL, f"I2C bus {number}: no permission to open /dev/i2c-{number}",
                            "run as a member of group i2c (sudo usermod -aG i2c $USER, log in "
                            "again) or with sudo")]
        except OSError as exc:
            return [Finding(FAIL, f"I2C bus {number}: cannot open ({exc})", "check dmesg for I2C errors")]
        try:
            return self._check_devices(bus, number)
        finally:
            close = getattr(bus, "close", None)
            if close is not None:
                close()

    def _check_devices(self, bus, number: int) -> list[Finding]:
        present = scan(bus)
        listed = ", ".join(f"0x{a:02X}" for a in present) or "none"
        findings = [Finding(OK if present else FAIL, f"I2C bus {number}: devices answer at {listed}",
                            "" if present else f"nothing answers: check power and SDA/SCL ({WIRING})")]
        expected = expected_devices(self.cfg)
        explained = {e.address for e in expected if e.mux is None}
        findings += _address_clashes(expected)
        for e in expected:
            if e.mux is None:
                findings += self._check_direct(bus, e, present, explained)
            else:
                findings += self._check_behind_mux(bus, e, present)
        findings += self._check_unknown(bus, set(present) - explained)
        if number == HARDWARE_I2C_BUS and any(CHIPS[e.kind].stretches_clock for e in expected):
            findings.append(self._stretching_warning())
        return findings

    def _probe(self, bus, kind: str, address: int) -> str | None:
        if kind == TCA9548A.kind and self.service_active:
            bus.read_byte(address)   # the service switches channels: only look, never write
            return None
        try:
            return identify(bus, kind, address)
        except OSError as exc:
            if exc.errno == errno.EBUSY:
                return "a kernel driver has claimed this address (i2cdetect shows UU)"
            return f"it stopped answering ({exc})"

    def _check_direct(self, bus, e: Expected, present, explained: set) -> list[Finding]:
        chip = CHIPS[e.kind]
        if e.address in present:
            problem = self._probe(bus, e.kind, e.address)
            if problem is None:
                return [Finding(OK, f"{e.label} at 0x{e.address:02X} identified"
                                    f"{_version(bus, e.kind, e.address)}")]
            return [Finding(FAIL, f"{e.label}: 0x{e.address:02X} answers but is not a {chip.name}: {problem}",
                            "another chip sits at that address: fix the address in config.toml "
                            "or move the other chip")]
        if (chip.sharing == XSHUT and e.address != chip.default_address
                and chip.default_address in present
                and self._probe(bus, e.kind, chip.default_address) is None):
            explained.add(chip.default_address)
            pin = f"GPIO{e.xshut_pin}" if e.xshut_pin is not None else "a GPIO (xshut_pin)"
            return [Finding(FAIL, f"{e.label} configured at 0x{e.address:02X} answers at the default "
                                  f"0x{chip.default_address:02X}: XSHUT/re-addressing did not happen",
                            f"backsight run gives each VL53L1X its address at start by releasing XSHUT "
                            f"one sensor at a time: wire XSHUT of '{e.sensor_id}' to {pin}, "
                            "give every other VL53L1X its own XSHUT line, and start the service")]
        fix = f"check the wiring: {chip.wiring}"
        if chip.sharing == XSHUT and e.xshut_pin is not None and not self.service_active:
            fix += (f"; with the service stopped XSHUT (GPIO{e.xshut_pin}) holds it in reset "
                    "(config.txt drives it low at boot): start the service and run doctor again")
        return [Finding(FAIL, f"{e.label} not found at 0x{e.address:02X}", fix)]

    def _check_behind_mux(self, bus, e: Expected, present) -> list[Finding]:
        mux_address, channel = e.mux
        where = f"{e.label} (TCA9548A 0x{mux_address:02X} channel {channel})"
        if mux_address not in present:
            return [Finding(FAIL, f"{where}: the multiplexer does not answer",
                            f"check the wiring: {TCA9548A.wiring}")]
        if self.service_active:
            return [Finding(WARN, f"{where}: not checked while the service runs (it owns the channel "
                                  "selection)", "sudo systemctl stop backsight; backsight doctor")]
        try:
            previous = bus.read_byte(mux_address)
            bus.write_byte(mux_address, 1 << channel)
            try:
                answers = _answers(bus, e.address)
                problem = self._probe(bus, e.kind, e.address) if answers else "missing"
            finally:
                bus.write_byte(mux_address, previous)
        except OSError as exc:
            problem = f"the multiplexer failed ({exc})"
        if problem is None:
            return [Finding(OK, f"{where} at 0x{e.address:02X} identified")]
        if problem == "missing":
            return [Finding(FAIL, f"{where} not found at 0x{e.address:02X}",
                            f"check the wiring on channel {channel} (SD{channel}/SC{channel}): "
                            f"{CHIPS[e.kind].wiring}")]
        return [Finding(FAIL, f"{where}: 0x{e.address:02X} is not a {CHIPS[e.kind].name}: {problem}",
                        "fix the address or channel in config.toml")]

    def _check_unknown(self, bus, addresses) -> list[Finding]:
        findings = []
        for address in sorted(addresses):
            guess = next((kind for kind, chip in CHIPS.items()
                          if chip.default_address == address and chip.identifiable
                          and self._probe(bus, kind, address) is None), None)
            what = f"an unconfigured {CHIPS[guess].name}" if guess else "an unknown device"
            findings.append(Finding(WARN, f"{what} answers at 0x{address:02X}",
                                    "add it as a [[sensors]] entry in /etc/backsight/config.toml, "
                                    "or disconnect it if it does not belong to backsight"))
        return findings

    def _stretching_warning(self) -> Finding:
        baud = self.boot.i2c_baudrate if self.boot is not None else None
        speed = f"{baud // 1000} kHz" if baud else "the default 100 kHz"
        level = OK if baud is not None and baud <= SAFE_STRETCH_BAUD else WARN
        return Finding(level, f"MB1242 on the hardware I2C bus at {speed}: the Pi's controller "
                              "mishandles its clock stretching (corrupt ranges, EIO errors)",
                       "" if level == OK else
                       "move it to the bit-banged bus (dtoverlay=i2c-gpio,bus=3,... in "
                       "firmware/config.txt.fragment) and set i2c.bus = 3, or lower "
                       "dtparam=i2c_arm_baudrate to 50000 (slows every sensor)")


def _answers(bus, address: int) -> bool:
    try:
        bus.read_byte(address)
    except OSError as exc:
        return exc.errno == errno.EBUSY   # claimed by a kernel driver: there, but not ours to probe
    return True


def _address_clashes(expected: list[Expected]) -> list[Finding]:
    seen: dict[tuple, str] = {}
    findings = []
    for e in expected:
        key = (e.mux, e.address)
        if key in seen:
            findings.append(Finding(FAIL, f"{e.label} and {seen[key]} are both configured at "
                                          f"0x{e.address:02X} on the same bus",
                                    "give one of them another address (VL53L1X: address =, "
                                    "MB1242: its address-change command, TCA9548A: A0-A2 pins)"))
        seen[key] = e.label
    return findings
