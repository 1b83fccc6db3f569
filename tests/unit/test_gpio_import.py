"""gpiozero imported through ``pi_app.sensors.gpio``: without the standard-library modules
it only calls later and without the submodules nothing asks for, all of which still work
when asked for. Run in fresh interpreters: the test session imports gpiozero whole."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
import pi_app.sensors.gpio as gpio
deferred = [m for m in ("importlib.metadata", "importlib.resources", "email", "zipfile",
                        "subprocess") if m in sys.modules]
print("loaded:", ",".join(deferred) or "-")
left = [m for m in ("importlib_metadata", "importlib_resources")
        if m in sys.modules] + [m for m in ("subprocess",)
                                if isinstance(sys.modules.get(m), gpio._Deferred)]
print("stand-ins left:", ",".join(left) or "-")
print("boards:", "gpiozero.boards" in sys.modules)
import gpiozero.devices, gpiozero.boards, gpiozero.internal_devices
names = [e.name for e in gpiozero.devices.entry_points(group="gpiozero_pin_factories")]
print("mock factory found:", "mock" in names)
print("font reader:", callable(gpiozero.boards.resources.files))
print("subprocess:", gpiozero.internal_devices.subprocess.CalledProcessError.__module__)
import subprocess
print("real subprocess:", type(subprocess).__name__, hasattr(subprocess, "run"))
"""


def test_gpiozero_defers_what_it_only_calls_later_and_the_calls_still_work():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "loaded: -",
        "stand-ins left: -",
        "boards: False",
        "mock factory found: True",
        "font reader: True",
        "subprocess: subprocess",
        "real subprocess: module True",
    ]


NAMES = """
import pi_app.sensors.gpio
import gpiozero
from gpiozero import Buzzer, TonalBuzzer, PWMOutputDevice, Button, DigitalOutputDevice
from gpiozero import GPIOZeroError, BadPinFactory, Device, LEDBoard, pi_info
import gpiozero.output_devices as out, gpiozero.input_devices as inp, gpiozero.exc as exc
import gpiozero.boards as boards, gpiozero.devices as dev, gpiozero.pins.pi as pi
same = (Buzzer is out.Buzzer, TonalBuzzer is out.TonalBuzzer, PWMOutputDevice is
        out.PWMOutputDevice, Button is inp.Button, DigitalOutputDevice is
        out.DigitalOutputDevice, GPIOZeroError is exc.GPIOZeroError, BadPinFactory is
        exc.BadPinFactory, Device is dev.Device, LEDBoard is boards.LEDBoard,
        pi_info is pi.pi_info)
print(all(same))
try:
    gpiozero.NoSuchThing
except AttributeError:
    print("missing")
"""


def test_every_name_of_the_package_is_the_submodules_own():
    """Taken from the package that skipped its ``__init__``, a name is the object the full
    package would hold: re-exported ones, star-exported exceptions, and an unknown name
    is an AttributeError."""
    done = subprocess.run([sys.executable, "-c", NAMES], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "missing"]
