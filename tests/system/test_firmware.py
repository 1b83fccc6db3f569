"""Boot config fragment and the device-tree overlay (compiled with the real dtc)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pi_app.config import DEFAULT_SENSORS, FIELDS

ROOT = Path(__file__).resolve().parents[2]
FRAGMENT = ROOT / "firmware" / "config.txt.fragment"
OVERLAY = ROOT / "firmware" / "backsight-overlay.dts"
I2C1_PINS = {2, 3}
UART_PINS = {14, 15}

dtc = shutil.which("dtc")
needs_dtc = pytest.mark.skipif(
    dtc is None, reason="dtc not installed (Debian package 'device-tree-compiler'; .ci/run installs it)")


def settings() -> list[tuple[str, str]]:
    """(key, value) for each active line, in order."""
    out = []
    for line in FRAGMENT.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("["):
            key, _, value = line.partition("=")
            out.append((key, value))
    return out


def gpio_lines() -> dict[int, set[str]]:
    """BCM pin -> options from gpio=PINS=OPTIONS lines."""
    pins: dict[int, set[str]] = {}
    for key, value in settings():
        if key == "gpio":
            numbers, _, options = value.partition("=")
            for n in numbers.split(","):
                pins.setdefault(int(n), set()).update(options.split(","))
    return pins


def i2c_gpio_params() -> dict[str, str]:
    for key, value in settings():
        if key == "dtoverlay" and value.startswith("i2c-gpio,"):
            return dict(p.split("=") for p in value.split(",")[1:])
    raise AssertionError("no dtoverlay=i2c-gpio line")


def test_fragment_applies_to_every_model():
    lines = [l.strip() for l in FRAGMENT.read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert lines[0] == "[all]"
    assert [l for l in lines if l.startswith("[")] == ["[all]"]


def test_fragment_enables_what_the_device_needs():
    s = settings()
    assert ("dtparam", "i2c_arm=on") in s
    assert ("dtparam", "i2c_arm_baudrate=400000") in s
    assert ("enable_uart", "1") in s
    assert ("dtparam", "watchdog=on") in s
    assert "#dtoverlay=dwc2" in FRAGMENT.read_text()          # documented, off by default
    assert "modules-load=dwc2,g_serial" in FRAGMENT.read_text()


def test_outputs_are_held_low_from_boot():
    pins = gpio_lines()
    for key in ("alert.buzzer_pin", "alert.motor_pin", "alert.motor_right_pin"):
        pin = FIELDS[key].default
        assert {"op", "dl"} <= pins[pin], f"{key} (GPIO{pin}) not driven low at boot"
        assert "pd" in pins[pin]


def test_xshut_lines_hold_the_tof_sensors_in_reset_at_boot():
    pins = gpio_lines()
    xshut = {s.xshut_pin for s in DEFAULT_SENSORS if s.xshut_pin is not None}
    assert xshut, "defaults have an XSHUT line"
    for pin in xshut | {27}:                               # 27: the second VL53L1X (wiring.md)
        assert {"op", "dl"} <= pins[pin]


def test_sonar_bus_pins_are_free():
    params = i2c_gpio_params()
    assert params["bus"] == "3" and params["i2c_gpio_delay_us"] == "2"
    sonar = {int(params["i2c_gpio_sda"]), int(params["i2c_gpio_scl"])}
    taken = I2C1_PINS | UART_PINS | set(gpio_lines()) | {23}   # 23: suggested button
    assert not sonar & taken


@needs_dtc
def test_overlay_compiles_without_warnings(tmp_path):
    out = tmp_path / "backsight.dtbo"
    result = subprocess.run([dtc, "-@", "-I", "dts", "-O", "dtb", "-o", str(out), str(OVERLAY)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr
    back = subprocess.run([dtc, "-I", "dtb", "-O", "dts", str(out)], capture_output=True, text=True,
                          timeout=60).stdout
    # an overlay: references to the base tree's &gpio are left for the firmware to fix up
    assert re.search(r"__fixups__ \{\s*gpio = ", back)
    assert "backsight_sonar = " in back                   # -@ exported the labels
    assert 'compatible = "i2c-gpio";' in back
    for name in ("sonar_sda", "sonar_scl", "sonar_delay_us"):
        assert f"{name} = " in back


def test_overlay_matches_the_fragment():
    text = OVERLAY.read_text()
    params = i2c_gpio_params()
    sda, scl = params["i2c_gpio_sda"], params["i2c_gpio_scl"]
    assert f"brcm,pins = <{sda} {scl}>" in text
    assert f"sda-gpios = <&gpio {sda} 6>" in text and f"scl-gpios = <&gpio {scl} 6>" in text
    assert f"i2c-gpio,delay-us = <{params['i2c_gpio_delay_us']}>" in text
    assert f'i2c{params["bus"]} = "/i2c-backsight-sonar"' in text
