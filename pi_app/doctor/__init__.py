"""``backsight doctor``: find out why the device does not work, and say how to fix it.

    findings = Doctor(smbus2.SMBus, cfg).run()          # on the Pi
    findings = Doctor(lambda n: sim_bus, cfg, root=image_dir).run()

Each ``Finding(level, what, fix)`` has level "ok", "warn" or "fail". Checks: every I2C
bus scanned and every configured chip identified by its ID register at its configured
address (``pi_app.doctor.i2c``); the i2c-dev kernel module, now and at boot
(``pi_app.doctor.i2c_dev``); boot config, the service user's groups, gpiozero's pin
library, the serial port and the systemd service, read below ``root``
(``pi_app.doctor.system``). ``backsight doctor`` prints them and exits 1 if any failed.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
from functools import partial
from pathlib import Path

from pi_app.config import DEFAULT_CONFIG_PATH, Config, load_config
from pi_app.doctor import i2c_dev, system
from pi_app.doctor.findings import FAIL, OK, WARN, Finding, format_findings
from pi_app.doctor.i2c import BusCheck, expected_devices, identify, scan
from pi_app.sensors.chips import TCA9548A, chip

__all__ = ["Doctor", "Finding", "OK", "WARN", "FAIL", "format_findings", "identify", "scan",
           "configure_parser", "run", "simulated_bus_factory"]

SERVICE_USER = "backsight"


class Doctor:
    """Runs every check.

    ``bus_factory(n)`` opens I2C bus ``n`` (``smbus2.SMBus``, or one returning a SimBus);
    ``cfg`` says what should be there; files are read below ``root``; ``env`` is the
    environment gpiozero would see; ``user`` the service account; ``buses`` the bus
    numbers to scan (default ``cfg.i2c.bus``); ``live`` True = ``root`` is the running
    system, so systemctl and /dev tell the truth (default: root is "/");
    ``run_command(argv) -> (rc, stdout)`` or None when the tool is absent (default:
    subprocess, 5 s timeout); ``find_module(name) -> bool`` (default: importable here
    when live, else present in the root's Python directories).
    """

    def __init__(self, bus_factory, cfg: Config, *, root: str | Path = "/", env=None,
                 user: str = SERVICE_USER, buses=None, live: bool | None = None,
                 run_command=None, find_module=None) -> None:
        self.bus_factory = bus_factory
        self.cfg = cfg
        self.root = Path(root)
        self.env = os.environ if env is None else env
        self.user = user
        self.buses = tuple(buses) if buses else (cfg.i2c.bus,)
        self.live = self.root == Path("/") if live is None else live
        self.run_command = run_command or _run_command
        if find_module is None:
            find_module = _module_available if self.live else partial(system.module_in_root, self.root)
        self.find_module = find_module
        self.boot = system.BootConfig.read(self.root)
        self.service_active = False

    def run(self) -> list[Finding]:
        findings = system.check_service(self)      # first: a running service means read-only I2C
        check = BusCheck(self.bus_factory, self.cfg, boot=self.boot, service_active=self.service_active,
                         root=self.root)
        for number in self.buses:
            findings += check.check_bus(number)
        findings += i2c_dev.check_module(self)
        findings += system.check_boot(self)
        findings += system.check_groups(self)
        findings += system.check_pin_factory(self)
        findings += system.check_serial(self)
        return findings


def _run_command(argv) -> tuple[int, str] | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.returncode, done.stdout.strip()


def _module_available(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


# --- simulated hardware ------------------------------------------------------------------
def simulated_bus_factory(cfg: Config):
    """``(bus_factory, notes)``: each call builds a SimBus with an emulator of every chip
    ``cfg`` expects, at its configured address (as if XSHUT re-addressing had run), on
    its multiplexer channel when it has one. ``notes`` name chips with no emulator."""
    from pi_app.clock import SimClock
    from pi_app.sim.simbus import SimBus

    notes = []

    def emulator(kind):
        try:
            module = importlib.import_module(f"pi_app.sim.devices.{kind}")
            return getattr(module, chip(kind).emulator)()
        except (ImportError, AttributeError):
            notes.append(f"no {kind} emulator in this build: it is left off the simulated bus")
            return None

    def factory(number: int):
        bus = SimBus(SimClock(), bus=number)
        expected = expected_devices(cfg)
        muxes = {e.address: bus.attach(emulator(TCA9548A.kind), e.address)
                 for e in expected if e.kind == TCA9548A.kind}
        for e in expected:
            if e.kind == TCA9548A.kind:
                continue
            device = emulator(e.kind)
            if device is None:
                continue
            target = bus if e.mux is None else muxes[e.mux[0]].channel(e.mux[1])
            target.attach(device, e.address)
        return bus

    factory(cfg.i2c.bus)   # fill in the notes once
    return factory, sorted(set(notes))


# --- command line ------------------------------------------------------------------------
def configure_parser(parser) -> None:
    parser.add_argument("--config", help=f"config file (default {DEFAULT_CONFIG_PATH} if it exists)")
    parser.add_argument("--sim", action="store_true",
                        help="check a simulated bus with the configured chips attached")
    parser.add_argument("--root", default="/", metavar="DIR",
                        help="check the system below DIR (a mounted SD card or a test tree)")
    parser.add_argument("--user", default=SERVICE_USER, help="account the service runs as")
    parser.add_argument("--bus", type=int, action="append", metavar="N",
                        help="I2C bus to scan (repeatable; default: i2c.bus from the config)")


def run(args) -> int:
    if args.config:
        cfg = load_config(args.config)
    elif DEFAULT_CONFIG_PATH.exists():
        cfg = load_config(DEFAULT_CONFIG_PATH)
    else:
        cfg = Config.defaults()
    if args.sim:
        bus_factory, notes = simulated_bus_factory(cfg)
        for note in notes:
            print(f"note: {note}")
    else:
        from smbus2 import SMBus
        bus_factory = SMBus
    findings = Doctor(bus_factory, cfg, root=args.root, user=args.user, buses=args.bus).run()
    print(format_findings(findings))
    return 1 if any(f.level == FAIL for f in findings) else 0
