"""System checks of ``backsight doctor``, read from files below a root directory so an
SD card image or a test tree can be checked as well as the running Pi: boot config,
the service user's groups, gpiozero's pin library, the serial port, the service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pi_app.doctor.findings import FAIL, OK, WARN, Finding

HARDWARE_I2C_BUS = 1              # i2c_arm: the BCM283x controller on GPIO2/3
BACKSIGHT_OVERLAY_BUS = 3         # the bit-banged bus firmware/backsight-overlay.dts creates
REQUIRED_GROUPS = {"i2c": "/dev/i2c-*", "gpio": "/dev/gpiochip*, /dev/gpiomem", "dialout": "the serial port"}
_ON = ("", "on", "true", "yes", "okay")
_I2C_PARAMS = ("i2c_arm", "i2c", "i2c1")        # aliases in the Pi's base device tree
_UART_DEVICES = re.compile(r"^/dev/(serial[01]|ttyAMA\d+|ttyS\d+)$")


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return None


def board_model(root: Path) -> str | None:
    """The device-tree model string ("Raspberry Pi 4 Model B Rev 1.4"), None if absent."""
    for rel in ("proc/device-tree/model", "sys/firmware/devicetree/base/model"):
        text = read_text(root / rel)
        if text is not None:
            return text.rstrip("\0").strip()
    return None


@dataclass
class BootConfig:
    """The parts of config.txt (and cmdline.txt beside it) that matter here. Later
    lines win; lines under ``[none]`` are ignored; other section filters are taken as
    applying (approximation: the model filters are not evaluated)."""

    path: Path
    dtparams: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    overlays: list = field(default_factory=list)
    cmdline: str | None = None

    @classmethod
    def read(cls, root: Path) -> "BootConfig | None":
        for rel in ("boot/firmware/config.txt", "boot/config.txt"):
            text = read_text(root / rel)
            if text is not None:
                boot = cls(root / rel)
                boot._parse(text)
                boot.cmdline = read_text((root / rel).parent / "cmdline.txt")
                return boot
        return None

    def _parse(self, text: str) -> None:
        active = True
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("["):
                active = line.lower() != "[none]"
                continue
            if not line or not active or "=" not in line:
                continue
            key, value = (part.strip() for part in line.split("=", 1))
            if key == "dtparam":
                for param in value.split(","):
                    name, _, arg = param.partition("=")
                    self.dtparams[name.strip()] = arg.strip()
            elif key == "dtoverlay":
                if value:
                    self.overlays.append(value)
            else:
                self.settings[key] = value

    @property
    def i2c_enabled(self) -> bool:
        return any(self.dtparams.get(p, "off").lower() in _ON for p in _I2C_PARAMS if p in self.dtparams)

    @property
    def i2c_baudrate(self) -> int | None:
        value = self.dtparams.get("i2c_arm_baudrate") or self.dtparams.get("i2c_baudrate")
        return int(value) if value and value.isdigit() else None

    def makes_i2c_bus(self, number: int) -> bool:
        """Whether this config creates I2C bus ``number``: bus 1 is the hardware
        controller (``dtparam=i2c_arm=on``), others come from an i2c-gpio overlay with
        ``bus=N`` (or, for bus 3, the backsight overlay)."""
        if number == HARDWARE_I2C_BUS:
            return self.i2c_enabled
        gpio_bus = self.overlay("i2c-gpio")
        if gpio_bus is not None and f"bus={number}" in gpio_bus.split(","):
            return True
        return number == BACKSIGHT_OVERLAY_BUS and self.overlay("backsight") is not None

    def overlay(self, name: str) -> str | None:
        """The last ``dtoverlay=name[,params]`` line's value, or None."""
        hits = [o for o in self.overlays if o.split(",", 1)[0] == name]
        return hits[-1] if hits else None

    def console_on(self, device: str) -> str | None:
        """The ``console=`` argument of cmdline.txt that sits on ``device`` (or None)."""
        names = {Path(device).name, "serial0"} if _UART_DEVICES.match(device) else {Path(device).name}
        for arg in (self.cmdline or "").split():
            if arg.startswith("console=") and arg[8:].split(",")[0] in names:
                return arg
        return None


#: where a Raspberry Pi OS root keeps Python modules: Debian packages, the service's venv
_SITE_DIRS = ("usr/lib/python3/dist-packages", "usr/local/lib/python3*/dist-packages",
              "opt/backsight/venv/lib/python3*/site-packages")


def module_in_root(root: Path, name: str) -> bool:
    """Whether module ``name`` ("lgpio", "RPi.GPIO") is installed in the system below
    ``root`` (an image cannot be imported from, so look for its files)."""
    rel = name.replace(".", "/")
    for site in _SITE_DIRS:
        for base in root.glob(site):
            if (base / rel).is_dir() or (base / f"{rel}.py").exists() or any(base.glob(f"{rel}.*.so")) \
                    or any(base.glob(f"{rel}.so")):
                return True
    return False


def is_pi_system(doctor) -> bool:
    model = board_model(doctor.root)
    return doctor.boot is not None or (model is not None and "Raspberry Pi" in model)


def not_a_pi(doctor) -> Finding:
    model = board_model(doctor.root) or "no device-tree model"
    return Finding(WARN, f"{doctor.root} is not a Raspberry Pi system ({model}, no config.txt): "
                         "boot, group and serial checks skipped",
                   "run backsight doctor on the Pi, or --root the mounted SD card")


# --- boot config ----------------------------------------------------------------------
def check_boot(doctor) -> list[Finding]:
    boot = doctor.boot
    if boot is None:
        if is_pi_system(doctor):
            return [Finding(FAIL, f"no config.txt under {doctor.root / 'boot/firmware'} or {doctor.root / 'boot'}",
                            "mount the boot partition (it is /boot/firmware on Bookworm)")]
        return [not_a_pi(doctor)]
    out = []
    if boot.i2c_enabled:
        rate = boot.i2c_baudrate
        out.append(Finding(OK, f"I2C enabled in {boot.path} ({rate // 1000 if rate else 100} kHz)"))
    else:
        out.append(Finding(FAIL, f"I2C is disabled: {boot.path} lacks dtparam=i2c_arm=on",
                           "sudo raspi-config nonint do_i2c 0 (or sudo scripts/install.sh), then reboot"))
    for number in doctor.buses:
        if number != HARDWARE_I2C_BUS and not boot.makes_i2c_bus(number):
            out.append(Finding(FAIL, f"i2c.bus = {number} but {boot.path} creates no bus {number}",
                               f"add dtoverlay=i2c-gpio,bus={number},... (firmware/config.txt.fragment), reboot"))
    if boot.dtparams.get("watchdog", "off").lower() not in _ON:
        out.append(Finding(WARN, "hardware watchdog off: a hung Pi stays hung",
                           "add dtparam=watchdog=on (sudo scripts/install.sh does), reboot"))
    return out


# --- account ----------------------------------------------------------------------------
def _table(path: Path) -> dict[str, list[str]] | None:
    text = read_text(path)
    if text is None:
        return None
    return {f[0]: f for f in (line.split(":") for line in text.splitlines()) if len(f) >= 4}


def check_groups(doctor) -> list[Finding]:
    if not is_pi_system(doctor):
        return []
    passwd, groups = _table(doctor.root / "etc/passwd"), _table(doctor.root / "etc/group")
    if passwd is None or groups is None:
        return [Finding(WARN, f"cannot read {doctor.root / 'etc/passwd'} / etc/group", "")]
    user = doctor.user
    if user not in passwd:
        return [Finding(FAIL, f"no user {user!r} to run the service",
                        "sudo scripts/install.sh (creates the system user in groups i2c, gpio, dialout)")]
    primary_gid = passwd[user][3]
    out = []
    for group, needed_for in REQUIRED_GROUPS.items():
        entry = groups.get(group)
        if entry is None:
            out.append(Finding(FAIL, f"group {group} does not exist (needed for {needed_for})",
                               f"sudo groupadd --system {group} && sudo usermod -aG {group} {user}"))
        elif user in entry[3].split(",") or entry[2] == primary_gid:
            out.append(Finding(OK, f"user {user} is in group {group}"))
        else:
            out.append(Finding(FAIL, f"user {user} is not in group {group} (needed for {needed_for})",
                               f"sudo usermod -aG {group} {user}, then restart the service"))
    return out


# --- GPIO -------------------------------------------------------------------------------
def check_pin_factory(doctor) -> list[Finding]:
    forced = doctor.env.get("GPIOZERO_PIN_FACTORY")
    if forced:
        return [Finding(OK, f"gpiozero pin factory forced: GPIOZERO_PIN_FACTORY={forced}")]
    model = board_model(doctor.root)
    if model is None or "Raspberry Pi" not in model:
        return [Finding(WARN, f"not a Raspberry Pi ({model or 'no device-tree model'}): gpiozero has "
                              "no pins here", "use the simulator (backsight run --sim, GPIOZERO_PIN_FACTORY=mock)")]
    have = {name: doctor.find_module(name) for name in ("lgpio", "RPi.GPIO")}
    fix = ("sudo apt install python3-lgpio (the venv sees system packages), or "
           "sudo /opt/backsight/venv/bin/pip install lgpio (the [pi] extra)")
    if "Raspberry Pi 5" in model or "Compute Module 5" in model:
        if have["lgpio"]:
            return [Finding(OK, f"{model}: gpiozero will use lgpio")]
        return [Finding(FAIL, f"{model}: lgpio is not installed and RPi.GPIO does not work on a Pi 5", fix)]
    if have["lgpio"] or have["RPi.GPIO"]:
        chosen = "lgpio" if have["lgpio"] else "RPi.GPIO"   # gpiozero 2 tries lgpio first
        return [Finding(OK, f"{model}: gpiozero will use {chosen}")]
    return [Finding(FAIL, f"{model}: neither RPi.GPIO nor lgpio is installed; gpiozero would fall back "
                          "to its native driver (no PWM for the motor)", fix)]


# --- serial -----------------------------------------------------------------------------
def check_serial(doctor) -> list[Finding]:
    port = doctor.cfg.serial.port
    if "://" in port:
        return [Finding(OK, f"serial console on {port} (a pyserial URL)")]
    if not is_pi_system(doctor):
        return []
    out = []
    boot = doctor.boot
    uart = bool(_UART_DEVICES.match(port))
    dev = doctor.root / port.lstrip("/")
    if doctor.live or (doctor.root / "dev").is_dir():
        if dev.exists():
            out.append(Finding(OK, f"serial port {port} exists"))
        else:
            fix = ("enable the UART: sudo raspi-config nonint do_serial_hw 0 (enable_uart=1), reboot"
                   if uart else "dtoverlay=dwc2 in config.txt and modules-load=dwc2,g_serial in "
                   "cmdline.txt, reboot, and connect the USB data port" if "ttyGS" in port else
                   "check serial.port in config.toml")
            out.append(Finding(FAIL, f"serial port {port} does not exist", fix))
    if boot is not None and uart and boot.settings.get("enable_uart") != "1":
        out.append(Finding(FAIL, f"the UART is off: {boot.path} lacks enable_uart=1",
                           "sudo raspi-config nonint do_serial_hw 0, then reboot"))
    console = boot.console_on(port) if boot is not None else None
    if console:
        out.append(Finding(FAIL, f"the kernel's serial console still owns {port} ({console} in cmdline.txt)",
                           "sudo raspi-config nonint do_serial_cons 1, then reboot"))
    if boot is not None and "ttyGS" in port and not (boot.overlay("dwc2") and "g_serial" in (boot.cmdline or "")):
        out.append(Finding(WARN, f"{port} needs the USB gadget: dtoverlay=dwc2 and modules-load=dwc2,g_serial",
                           "uncomment #dtoverlay=dwc2 in config.txt, add modules-load=dwc2,g_serial "
                           "after rootwait in cmdline.txt, reboot"))
    return out


# --- service ----------------------------------------------------------------------------
def check_service(doctor) -> list[Finding]:
    """Also sets ``doctor.service_active`` (then the I2C checks do not write)."""
    root = doctor.root
    unit = root / "etc/systemd/system/backsight.service"
    out = []
    if not unit.exists():
        if is_pi_system(doctor):
            out.append(Finding(WARN, f"backsight.service is not installed ({unit} missing)",
                               "sudo scripts/install.sh"))
        return out
    if not (root / "etc/udev/rules.d/99-backsight.rules").exists():
        out.append(Finding(WARN, "udev rule 99-backsight.rules missing: without Raspberry Pi OS's "
                                 "99-com.rules group i2c/gpio/dialout cannot open /dev/i2c-*, "
                                 "/dev/gpiomem* or /dev/ttyGS0", "sudo scripts/install.sh"))
    if not doctor.live:
        enabled = (root / "etc/systemd/system/multi-user.target.wants/backsight.service").is_symlink()
        out.append(Finding(OK if enabled else WARN,
                           f"backsight.service installed in {root}, {'enabled' if enabled else 'not enabled'}",
                           "" if enabled else "sudo systemctl --root=DIR enable backsight.service"))
        return out
    active = doctor.run_command(["systemctl", "is-active", "backsight.service"])
    enabled = doctor.run_command(["systemctl", "is-enabled", "backsight.service"])
    if active is None or not active[1]:
        return out + [Finding(WARN, "service state unknown (systemctl unavailable or systemd not running)", "")]
    state = active[1]
    doctor.service_active = state in ("active", "activating", "reloading")
    if state == "active":
        out.append(Finding(OK, "backsight.service is running"))
    elif state == "failed":
        out.append(Finding(FAIL, "backsight.service has failed", "journalctl -u backsight -b -e"))
    elif state == "activating":
        out.append(Finding(WARN, "backsight.service is starting (self-test) or restarting in a loop",
                           "journalctl -u backsight -b -e"))
    else:
        out.append(Finding(WARN, f"backsight.service is {state}", "sudo systemctl start backsight"))
    if enabled is not None and enabled[1] != "enabled":
        out.append(Finding(WARN, f"backsight.service does not start at boot ({enabled[1] or 'unknown'})",
                           "sudo systemctl enable backsight"))
    return out
