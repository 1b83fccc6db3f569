"""Why ``/dev/i2c-N`` is missing, and the fix, in one line.

The kernel makes the node only when config.txt enables the bus (``dtparam=i2c_arm=on``
for bus 1, an ``i2c-gpio`` overlay for others) AND the ``i2c-dev`` module is loaded,
which nothing does at boot unless a modules-load.d file, /etc/modules or the kernel
command line names it. Standard library only and a few small file reads, so ``backsight
run`` can put the same words in its status and journal as ``backsight doctor``::

    missing_bus_hint(1)   # "/dev/i2c-1 does not exist: the i2c-dev module is not loaded ..."
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pi_app.doctor.findings import FAIL, OK, WARN, Finding
from pi_app.doctor.system import HARDWARE_I2C_BUS, BootConfig, is_pi_system, read_text

MODULE = "i2c_dev"                 # as /proc/modules and /sys/module spell it
INSTALLED_CONF = "/etc/modules-load.d/backsight-i2c.conf"
# systemd-modules-load's search path, first wins for files of the same name
_MODULES_LOAD_DIRS = ("etc/modules-load.d", "run/modules-load.d", "usr/local/lib/modules-load.d",
                      "usr/lib/modules-load.d", "lib/modules-load.d")
# Debian's list, read by systemd-modules-load too (raspi-config's do_i2c writes it)
_DEBIAN_MODULES = "etc/modules"
_CMDLINES = ("proc/cmdline", "boot/firmware/cmdline.txt", "boot/cmdline.txt")
_BUILTIN = "kernel/drivers/i2c/i2c-dev.ko"
_BOOT_CONF_FIX = f"echo i2c-dev | sudo tee {INSTALLED_CONF} (sudo scripts/install.sh writes it)"


def _module_name(word: str) -> str:
    return word.strip().replace("-", "_")


def _listed(text: str) -> bool:
    """A modules-load.d file (or /etc/modules) names i2c-dev on a line of its own."""
    for line in text.splitlines():
        line = line.strip()
        if line and line[0] not in "#;" and _module_name(line.split()[0]) == MODULE:
            return True
    return False


@dataclass(frozen=True)
class I2cDevModule:
    """Whether the kernel module is there now and at every boot, read below ``root``.

    ``loaded`` None = unknown (the root has no /proc or /sys: an SD card image);
    ``loaded_by`` names what loads it at boot ("built into the kernel" counts), or None.
    """

    loaded: bool | None
    loaded_by: str | None

    @classmethod
    def read(cls, root: str | Path = "/") -> "I2cDevModule":
        root = Path(root)
        builtin = _builtin(root)
        return cls(True if builtin else _loaded(root), "built into the kernel" if builtin else _loaded_by(root))


def _loaded(root: Path) -> bool | None:
    if (root / "sys/module" / MODULE).is_dir():
        return True
    modules = read_text(root / "proc/modules")
    if modules is not None:
        return any(line.split(" ", 1)[0] == MODULE for line in modules.splitlines())
    return False if (root / "sys/module").is_dir() else None


def _loaded_by(root: Path) -> str | None:
    seen: set[str] = set()
    for rel in _MODULES_LOAD_DIRS:
        directory = root / rel
        try:
            names = sorted(p.name for p in directory.glob("*.conf"))
        except OSError:
            continue
        for name in names:
            if name in seen:
                continue                 # masked by a file of the same name earlier in the path
            seen.add(name)
            if _listed(read_text(directory / name) or ""):
                return f"/{rel}/{name}"
    if _listed(read_text(root / _DEBIAN_MODULES) or ""):
        return f"/{_DEBIAN_MODULES}"
    for rel in _CMDLINES:
        for arg in (read_text(root / rel) or "").split():
            key, _, value = arg.partition("=")
            if key in ("modules-load", "rd.modules-load") and MODULE in map(_module_name, value.split(",")):
                return f"modules-load= in /{rel}"
    return None


def _builtin(root: Path) -> bool:
    """i2c-dev compiled into the kernel (no module to load). The running kernel's list
    when it is there, else any kernel's below ``root`` (an image)."""
    release = os.uname().release
    lists = [root / base / release / "modules.builtin" for base in ("lib/modules", "usr/lib/modules")]
    lists = [p for p in lists if p.is_file()] or [*root.glob("lib/modules/*/modules.builtin"),
                                                 *root.glob("usr/lib/modules/*/modules.builtin")]
    return any(_BUILTIN in (read_text(p) or "").split() for p in lists)


@dataclass(frozen=True)
class MissingBus:
    """What is wrong when ``/dev/i2c-<bus>`` does not exist, and the fix."""

    what: str
    fix: str

    @classmethod
    def diagnose(cls, bus: int, root: str | Path = "/") -> "MissingBus":
        module = I2cDevModule.read(root)
        boot = BootConfig.read(Path(root))
        bus_off = boot is not None and not boot.makes_i2c_bus(bus)
        causes = []
        if bus_off:
            causes.append(f"{boot.path} lacks dtparam=i2c_arm=on" if bus == HARDWARE_I2C_BUS
                          else f"{boot.path} creates no bus {bus}")
        causes.append(_module_state(module))
        fixes = []
        if bus_off:
            fixes.append("add dtparam=i2c_arm=on to config.txt (sudo raspi-config nonint do_i2c 0)"
                         if bus == HARDWARE_I2C_BUS else
                         f"add the dtoverlay=i2c-gpio,bus={bus},... line of firmware/config.txt.fragment "
                         "to config.txt")
        elif module.loaded is not True:
            fixes.append("sudo modprobe i2c-dev now")
        if module.loaded_by is None:
            fixes.append(f"for every boot: {_BOOT_CONF_FIX}")
        if bus_off:
            fixes.append("reboot")
        if not fixes:
            fixes.append("reboot if config.txt changed since boot, else dmesg | grep -i i2c "
                         "says why the bus did not come up")
        return cls(f"/dev/i2c-{bus} does not exist: " + "; ".join(c for c in causes if c), ", ".join(fixes))

    def line(self) -> str:
        return f"{self.what}; fix: {self.fix}"


def _module_state(module: I2cDevModule) -> str:
    by = module.loaded_by
    if module.loaded is True:
        return "i2c-dev is loaded" + ("" if by else " but nothing loads it at boot")
    if module.loaded is False:
        return "the i2c-dev module is not loaded" + (f" ({by} loads it at boot)" if by else
                                                     " and nothing loads it at boot")
    return f"{by} loads i2c-dev at boot" if by else "nothing loads the i2c-dev module at boot"


def missing_bus_hint(bus: int, root: str | Path = "/") -> str:
    """One line naming ``/dev/i2c-<bus>``, why it is missing and the fix; never raises
    for unreadable files (they count as absent)."""
    return MissingBus.diagnose(bus, root).line()


def check_module(doctor) -> list[Finding]:
    """``backsight doctor``: i2c-dev must load at every boot, not only after a modprobe."""
    if not is_pi_system(doctor):
        return []
    module = I2cDevModule.read(doctor.root)
    if module.loaded_by is not None:
        return [Finding(OK, f"the i2c-dev module loads at boot ({module.loaded_by})")]
    now = " (it is loaded now, by hand)" if module.loaded else ""
    return [Finding(WARN if module.loaded else FAIL,
                    f"nothing loads the i2c-dev module at boot{now}: /dev/i2c-* will be missing "
                    "after a reboot", _BOOT_CONF_FIX)]
