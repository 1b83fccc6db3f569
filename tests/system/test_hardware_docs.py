"""hardware/ docs against the code, so they cannot drift: the wiring tables against the
config defaults and the boot config fragment, the SVG against the table, the mounting
trigonometry against a recomputation."""

import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pi_app.config import DEFAULT_SENSORS, FIELDS, SensorConfig
from pi_app.doctor.i2c import CHIPS

REPO = Path(__file__).resolve().parents[2]
HW = REPO / "hardware"
sys.path.insert(0, str(REPO / "scripts"))
from wiring_diagram import markdown_table, short  # noqa: E402

#: BCM GPIO -> physical pin on the 40-pin header (every Pi since the B+)
HEADER = {2: 3, 3: 5, 4: 7, 17: 11, 27: 13, 22: 15, 10: 19, 9: 21, 11: 23, 0: 27, 5: 29, 6: 31,
          13: 33, 19: 35, 26: 37, 14: 8, 15: 10, 18: 12, 23: 16, 24: 18, 25: 22, 8: 24, 7: 26,
          1: 28, 12: 32, 16: 36, 20: 38, 21: 40}
POWER = {"3V3": {1, 17}, "5V": {2, 4}, "GND": {6, 9, 14, 20, 25, 30, 34, 39}}


@pytest.fixture(scope="module")
def pins():
    return markdown_table((HW / "wiring.md").read_text(), "Header pins")


@pytest.fixture(scope="module")
def devices():
    return markdown_table((HW / "wiring.md").read_text(), "I2C devices")


def row(rows, signal):
    [r] = [r for r in rows if r["signal"] == signal]
    return r


def test_every_pin_row_is_consistent_with_the_header(pins):
    for r in pins:
        if r["BCM"] == "-":
            assert int(r["pin"]) in POWER[r["signal"]], r
        else:
            assert HEADER[int(r["BCM"])] == int(r["pin"]), r
    gpios = [r["BCM"] for r in pins if r["BCM"] != "-"]
    assert len(gpios) == len(set(gpios)), "a GPIO is used twice"
    assert len({r["pin"] for r in pins}) == len(pins), "a header pin is used twice"


def test_outputs_match_the_config_defaults(pins):
    for signal, key in (("buzzer", "alert.buzzer_pin"), ("motor left", "alert.motor_pin"),
                        ("motor right", "alert.motor_right_pin")):
        assert int(row(pins, signal)["BCM"]) == FIELDS[key].default, signal
        assert f"`{key}`" in row(pins, signal)["notes"], signal
    assert "left-hip" in row(pins, "motor left")["device"]
    assert "right-hip" in row(pins, "motor right")["device"]
    assert FIELDS["alert.button_pin"].default == -1        # the button is optional...
    assert "alert.button_pin = 23" in row(pins, "button")["notes"]  # ...and documented


def test_xshut_lines_match_the_default_sensors(pins):
    xshut_rows = {int(r["BCM"]): r for r in pins if r["signal"].startswith("XSHUT")}
    for sensor in DEFAULT_SENSORS:
        if sensor.xshut_pin is not None:
            assert f"'{sensor.id}'" in xshut_rows[sensor.xshut_pin]["device"]
    assert 27 in xshut_rows                       # the second VL53L1X's line


def test_i2c_device_table_matches_the_defaults(devices):
    by_name = {r["device"]: r for r in devices}
    for sensor in DEFAULT_SENSORS:
        r = by_name[sensor.id]
        assert r["kind"] == sensor.kind
        assert int(r["address"], 16) == sensor.bus_address
        assert r["bus"] == str(FIELDS["i2c.bus"].default)
    defaults = {s.id: s for s in DEFAULT_SENSORS}
    for r in devices:
        woken_at = CHIPS[r["kind"]].default_address
        if r["device"] in defaults and defaults[r["device"]].address is not None:
            # re-addressed at start-up through its XSHUT line: the notes say from where
            assert f"0x{woken_at:02X}" in r["notes"] and "XSHUT GPIO" in r["notes"], r
            continue
        assert int(r["address"], 16) == woken_at    # every other chip at its datasheet default
        if r["kind"] in ("vl53l1x", "tfluna", "mb1242", "mpu6050"):
            assert SensorConfig("x", r["kind"], "obstacle").bus_address == int(r["address"], 16)


def test_wiring_matches_the_boot_config_fragment(pins):
    fragment = (REPO / "firmware" / "config.txt.fragment").read_text()
    line = re.search(r"^dtoverlay=i2c-gpio,(.*)$", fragment, re.M).group(1)
    params = dict(p.split("=") for p in line.split(","))
    assert row(pins, "sonar SDA")["BCM"] == params["i2c_gpio_sda"]
    assert row(pins, "sonar SCL")["BCM"] == params["i2c_gpio_scl"]
    low_at_boot = set()
    for numbers, options in re.findall(r"^gpio=([\d,]+)=(\S+)$", fragment, re.M):
        if "dl" in options.split(","):
            low_at_boot |= {int(n) for n in numbers.split(",")}
    for signal in ("buzzer", "motor left", "motor right", "XSHUT rear", "XSHUT second"):
        assert int(row(pins, signal)["BCM"]) in low_at_boot, signal


def test_svg_shows_every_table_row(pins):
    svg = (HW / "wiring.svg").read_text()
    for r in pins:
        label = f"{r['signal']} · pin {r['pin']}" + (f" · GPIO{r['BCM']}" if r["BCM"] != "-" else "")
        assert label in svg, label
        assert short(r["device"]).replace("'", "&#x27;") in svg or short(r["device"]) in svg, r["device"]
    assert f"GPIO{FIELDS['alert.motor_pin'].default} (motor_pin)" in svg
    assert f"GPIO{FIELDS['alert.motor_right_pin'].default} (motor_right_pin)" in svg


@pytest.mark.skipif(importlib.util.find_spec("schemdraw") is None,
                    reason="schemdraw not installed (pip install 'backsight[docs]'); the committed "
                           "SVG is still checked against the table above")
def test_svg_is_up_to_date(tmp_path):
    out = tmp_path / "wiring.svg"
    subprocess.run([sys.executable, str(REPO / "scripts" / "wiring_diagram.py"), "--out", str(out)],
                   check=True, capture_output=True, timeout=120)
    assert out.read_text() == (HW / "wiring.svg").read_text(), \
        "hardware/wiring.svg is stale: run scripts/wiring_diagram.py"


def test_mounting_trigonometry():
    table = markdown_table((HW / "mounting.md").read_text(), "Hip belt (mode = \"belt\")")
    assert len(table) == 5
    h_m, hole_m, bounce_m, swing_deg, speed_mps, beam_deg = 1.0, 0.05, 0.03, 3.0, 3.0, 2.0
    for r in table:
        values = [float(v) for v in r.values()]
        theta = math.radians(values[0])
        expected = [
            h_m / math.tan(theta),                                     # ground distance
            h_m / math.sin(theta),                                     # slant range
            100 * hole_m / math.sin(theta),                            # hole adds, cm
            100 * bounce_m / math.tan(theta),                          # bounce moves spot, cm
            h_m * math.radians(swing_deg) / math.sin(theta) ** 2,      # pitch swing, m
            100 * 2 * (h_m / math.sin(theta)) * math.tan(math.radians(beam_deg / 2)) / math.sin(theta),
            h_m / math.tan(theta) / speed_mps,                         # lead, s
        ]
        assert values[1:] == pytest.approx([round(e, 2 if i in (0, 1, 4, 6) else 1)
                                            for i, e in enumerate(expected)], abs=0.011), r


def test_mounting_states_the_default_ground_pitch():
    [ground] = [s for s in DEFAULT_SENSORS if s.role == "surface"]
    text = (HW / "mounting.md").read_text()
    assert f"The default config uses **{abs(ground.pitch_deg):g}°**" in text
    assert f"mount_height_m = {ground.mount_height_m:g}" in text


def test_bom_names_the_parts():
    bom = (HW / "BOM.md").read_text()
    for part in ("Pi Zero 2 W", "Pi 4", "Pololu 3415", "Adafruit 3967", "SparkFun", "TF-Luna",
                 "MB1242", "GY-521", "Adafruit 2305", "Adafruit 2717", "flyback", "power bank"):
        assert part in bom, part


# --- per-module pin-outs, the buzzer driver and the belt layout ------------------------------
GOES_TO = re.compile(r"^(\w[\w ]*?) \(pin (\d+)\)$")


def module_tables() -> dict[str, list[dict[str, str]]]:
    text = (HW / "wiring.md").read_text()
    section = text.split("## Per module\n", 1)[1].split("\n## ", 1)[0]
    headings = re.findall(r"^### (.+)$", section, re.M)
    return {h: markdown_table(section, h) for h in headings}


def test_every_module_pin_goes_to_the_header_pin_the_pin_table_names(pins):
    tables = module_tables()
    assert {"VL53L1X breakout ('rear')", "TF-Luna ('ground')",
            "MPU-6050 on a GY-521 board ('imu')", "Buzzer", "ERM vibration motors (left and right hip)",
            "Serial console adapter (3.3 V USB-TTL)"} <= set(tables)
    by_signal = {r["signal"]: r for r in pins}
    checked = 0
    for module, rows in tables.items():
        assert rows and all(set(r) == {"module pin", "goes to", "notes"} for r in rows), module
        for r in rows:
            m = GOES_TO.match(r["goes to"])
            if m is None:
                continue
            signal, pin = m.group(1), int(m.group(2))
            if signal in POWER:
                assert pin in POWER[signal], (module, r)
            else:
                assert int(by_signal[signal]["pin"]) == pin, (module, r)
                assert f"GPIO{by_signal[signal]['BCM']}" in r["notes"] or signal.startswith(("SDA", "SCL", "TX", "RX")), (module, r)
            checked += 1
    assert checked >= 25


def test_the_tf_luna_is_wired_for_i2c(pins):
    rows = module_tables()["TF-Luna ('ground')"]
    [config_pin] = [r for r in rows if r["module pin"].startswith("5 ")]
    assert config_pin["goes to"].startswith("GND (pin ")


def test_the_buzzer_driver_drawing_matches_the_table(pins):
    svg = (HW / "buzzer-driver.svg").read_text()
    buzzer = row(pins, "buzzer")
    assert int(buzzer["BCM"]) == FIELDS["alert.buzzer_pin"].default
    assert f"GPIO{buzzer['BCM']} · pin {buzzer['pin']}" in svg
    for part in ("1 kΩ", "10 kΩ", "2N2222", "1N4148", "5 V (pin 2)"):
        assert part in svg, part
    assert "](buzzer-driver.svg)" in (HW / "wiring.md").read_text()


@pytest.mark.skipif(importlib.util.find_spec("schemdraw") is None,
                    reason="schemdraw not installed (pip install 'backsight[docs]'); the committed "
                           "SVG is still checked against the table above")
def test_buzzer_svg_is_up_to_date(tmp_path):
    out = tmp_path / "buzzer.svg"
    subprocess.run([sys.executable, str(REPO / "scripts" / "wiring_diagram.py"), "--out",
                    str(tmp_path / "wiring.svg"), "--buzzer-out", str(out)],
                   check=True, capture_output=True, timeout=120)
    assert out.read_text() == (HW / "buzzer-driver.svg").read_text(), \
        "hardware/buzzer-driver.svg is stale: run scripts/wiring_diagram.py"


def test_the_belt_layout_is_the_scripts_drawing_of_the_default_kit(tmp_path):
    out = tmp_path / "belt.svg"
    subprocess.run([sys.executable, str(REPO / "scripts" / "belt_diagram.py"), "--out", str(out)],
                   check=True, capture_output=True, timeout=120, cwd=REPO)
    svg = (HW / "belt-layout.svg").read_text()
    assert out.read_text() == svg, "hardware/belt-layout.svg is stale: run scripts/belt_diagram.py"
    [ground] = [s for s in DEFAULT_SENSORS if s.role == "surface"]
    spot_m = ground.mount_height_m / math.tan(math.radians(-ground.pitch_deg))
    assert f"{-ground.pitch_deg:g}° down" in svg
    assert f"meets the ground {spot_m:.1f} m behind the sensor" in svg
    assert "BACK of the runner" in svg and "direction of travel (running backwards)" in svg
    assert "](belt-layout.svg)" in (HW / "mounting.md").read_text()


def bom_total_usd(rows: list[dict[str, str]]) -> tuple[float, float]:
    """Sum of qty x price over BOM rows whose price is a range "lo-hi" (dollars)."""
    lo = hi = 0.0
    for r in rows:
        low, _, high = r["price each ($)"].partition("-")
        lo += int(r["qty"]) * float(low)
        hi += int(r["qty"]) * float(high or low)
    return lo, hi


def test_the_bom_total_is_the_sum_of_its_default_kit_rows():
    text = (HW / "BOM.md").read_text()
    rows = markdown_table(text, "Default kit (hip belt)")
    assert len(rows) >= 15
    lo, hi = bom_total_usd(rows)
    assert f"**Default kit total: ${round(lo)}-{round(hi)}**" in text, (lo, hi)


def test_the_bom_has_a_console_path_tools_and_what_each_option_buys():
    text = (HW / "BOM.md").read_text()
    kit = " ".join(r["part"] for r in markdown_table(text, "Default kit (hip belt)"))
    assert "USB-serial adapter" in kit and "printed belt bracket" in kit
    assert "cad/belt_bracket.stl" in text and "cad/handrail_clamp.stl" in text
    tools = text.split("## Tools and skills\n", 1)[1].split("\n## ", 1)[0]
    assert "Soldering" in tools and "header" in tools
    options = markdown_table(text, "Optional parts: what each buys the runner")
    assert all(r["what it buys the runner"] for r in options)
    parts = " ".join(r["part"] for r in options)
    assert all(name in parts for name in ("MB1242", "DRV2605L", "TCA9548A", "push button"))
