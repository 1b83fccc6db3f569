"""The rules of ``Config.check``: every way of building a config (``with_value``,
``with_sensors``, a file, the defaults) refuses the same things with one line naming the
keys and their values; which keys apply live; the documented default file."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pi_app.config import (FIELDS, LIVE, RESTART, SCHEMA, Config, SensorConfig,
                           documented_defaults_toml)
from pi_app.exc import ConfigError

REPO = Path(__file__).resolve().parents[2]
BASE = Config.defaults()


def refused(cfg: Config, *changes: tuple[str, object]) -> str:
    """Apply ``changes`` in order; the last must be refused: its message."""
    for key, value in changes[:-1]:
        cfg = cfg.with_value(key, value)
    with pytest.raises(ConfigError) as info:
        cfg.with_value(*changes[-1])
    message = str(info.value)
    assert "\n" not in message
    return message


# --- at least one output that can tell the runner ------------------------------------------
@pytest.mark.parametrize("changes", [
    (("alert.output", "haptic"), ("alert.haptic", "none")),
    (("alert.haptic", "none"), ("alert.output", "haptic")),
])
def test_haptic_output_without_a_haptic_driver_is_refused_in_either_order(changes):
    message = refused(BASE, *changes)
    assert "alert.output=haptic" in message and "alert.haptic=none" in message
    assert "nothing would tell the runner" in message


def test_both_or_buzzer_with_no_haptic_is_fine_the_buzzer_alone_works():
    cfg = BASE.with_value("alert.haptic", "none")
    assert cfg.alert.output == "both"
    assert cfg.with_value("alert.output", "buzzer").alert.haptic == "none"


# --- pins ----------------------------------------------------------------------------------
def test_two_outputs_on_one_pin_are_refused():
    message = refused(BASE, ("alert.buzzer_pin", 13))
    assert "alert.buzzer_pin=13" in message and "alert.motor_pin=13" in message
    message = refused(BASE, ("alert.button_pin", 18))
    assert "alert.buzzer_pin=18" in message and "alert.button_pin=18" in message


def test_the_motor_pin_counts_only_with_a_pwm_motor_and_the_button_only_when_fitted():
    cfg = BASE.with_value("alert.haptic", "drv2605").with_value("alert.motor_pin", 18)
    assert cfg.alert.motor_pin == cfg.alert.buzzer_pin  # unused: no PWM motor
    assert "alert.motor_pin=18" in refused(cfg, ("alert.haptic", "pwm"))
    assert BASE.alert.button_pin == -1 and BASE.with_value("alert.button_pin", 23).alert.button_pin == 23


def test_the_right_motor_pin_is_an_output_pin_whenever_a_motor_is_fitted():
    assert BASE.alert.motor_right_pin == 12 and BASE.alert.motor_pin == 13
    message = refused(BASE, ("alert.motor_pin", 12))
    assert "alert.motor_pin=12" in message and "alert.motor_right_pin=12" in message
    message = refused(BASE, ("alert.haptic", "drv2605"), ("alert.buzzer_pin", 12))
    assert "alert.buzzer_pin=12" in message and "alert.motor_right_pin=12" in message
    assert "GPIO3 is SCL" in refused(BASE, ("alert.motor_right_pin", 3))
    no_motor = BASE.with_value("alert.haptic", "none")        # no motor at all: unused
    assert no_motor.with_value("alert.buzzer_pin", 12).alert.buzzer_pin == 12
    single = BASE.with_value("alert.motor_right_pin", -1)     # one motor: no second pin
    assert single.with_value("alert.buzzer_pin", 12).alert.motor_right_pin == -1


def test_an_xshut_pin_shared_with_an_output_or_another_sensor_is_refused():
    with pytest.raises(ConfigError, match=r"alert.buzzer_pin=18 and sensors\[0\].xshut_pin=18"):
        BASE.with_sensors([SensorConfig("rear", "vl53l1x", "obstacle", xshut_pin=18)])
    with pytest.raises(ConfigError, match=r"sensors\[0\].xshut_pin=5 and sensors\[1\].xshut_pin=5"):
        BASE.with_sensors([SensorConfig("a", "vl53l1x", "obstacle", xshut_pin=5),
                           SensorConfig("b", "vl53l1x", "obstacle", address=0x30, xshut_pin=5)])
    assert "sensors[0].xshut_pin=17" in refused(BASE, ("alert.button_pin", 17))


@pytest.mark.parametrize("key, pin, words", [
    ("alert.button_pin", 2, "GPIO2 is SDA of I2C bus 1"),
    ("alert.buzzer_pin", 3, "GPIO3 is SCL of I2C bus 1"),
    ("alert.motor_pin", 14, "GPIO14 is the console UART's TXD (serial.port=/dev/serial0)"),
    ("alert.button_pin", 15, "GPIO15 is the console UART's RXD"),
])
def test_outputs_and_the_button_stay_off_the_i2c_and_console_uart_pins(key, pin, words):
    message = refused(BASE, (key, pin))
    assert f"{key}={pin}" in message and words in message


def test_the_reserved_pins_follow_the_configured_bus_and_port():
    other_bus = BASE.with_value("i2c.bus", 3)  # an i2c-gpio overlay: its pins are not fixed
    assert other_bus.with_value("alert.button_pin", 2).alert.button_pin == 2
    assert "GPIO0 is ID_SD of I2C bus 0" in refused(BASE, ("alert.button_pin", 0), ("i2c.bus", 0))
    usb = BASE.with_value("serial.port", "/dev/ttyGS0")  # USB gadget console: the UART is free
    cfg = usb.with_value("alert.motor_pin", 14)
    assert "GPIO14 is the console UART's TXD (serial.port=/dev/ttyAMA0)" in \
        refused(cfg, ("serial.port", "/dev/ttyAMA0"))
    assert "sensors[0].xshut_pin=3" in str(pytest.raises(ConfigError, BASE.with_sensors, [
        SensorConfig("rear", "vl53l1x", "obstacle", xshut_pin=3)]).value)


# --- the console port --------------------------------------------------------------------------
@pytest.mark.parametrize("port, words", [
    ("spy:///dev/ttyS0?file=/etc/passwd", "is a URL"),
    ("socket://10.0.0.1:7777", "is a URL"),
    ("loop://", "is a URL"),
    ("ttyUSB0", "not a device path under /dev/"),
    ("/etc/passwd", "not a device path under /dev/"),
    ("/dev/", "not a device path under /dev/"),
    ("", "not a device path under /dev/"),
    ("/dev/../etc/shadow", "contains '..'"),
    ("/dev/tty USB0", "spaces or control characters"),
    ("/dev/tty\x1bUSB0", "spaces or control characters"),
])
def test_serial_port_is_a_device_path_never_a_url(port, words):
    message = refused(BASE, ("serial.port", port))
    assert message.startswith("serial.port: ") and words in message


@pytest.mark.parametrize("port", ["/dev/ttyUSB0", "/dev/ttyGS0", "/dev/serial/by-id/usb-FTDI_A1-if00-port0"])
def test_ordinary_device_paths_are_accepted(port):
    assert BASE.with_value("serial.port", port).serial.port == port


def test_baud_rate_must_be_one_a_host_terminal_can_be_set_to():
    assert "not allowed" in refused(BASE, ("serial.baudrate", 1234))
    assert BASE.with_value("serial.baudrate", "9600").serial.baudrate == 9600


# --- ordering rules name their keys and values --------------------------------------------------
def test_ordering_messages_name_every_key_and_value():
    message = refused(BASE, ("obstacle.warning_ttc_s", 4.5))
    assert message.startswith("obstacle.danger_ttc_s=1.2, obstacle.warning_ttc_s=4.5, "
                              "obstacle.caution_ttc_s=4.0: need")
    message = refused(BASE, ("deck.console_warning_m", 1.2))
    assert "deck.console_warning_m=1.2" in message and "deck.deck_length_m=1.5" in message


def test_duplicate_sensor_ids_are_refused():
    with pytest.raises(ConfigError, match="id 'rear' is used twice"):
        BASE.with_sensors([SensorConfig("rear", "tfluna", "surface"), SensorConfig("rear", "mpu6050", "imu")])


def test_defaults_and_every_field_default_pass_every_rule():
    assert BASE.violations() == []
    BASE.check()


# --- when a key applies ------------------------------------------------------------------------
def test_only_the_bus_and_the_console_link_apply_at_the_next_start():
    assert {f.key for f in SCHEMA if f.applies == RESTART} == {"i2c.bus", "serial.port", "serial.baudrate"}
    assert all(f.applies in (LIVE, RESTART) for f in SCHEMA)
    assert FIELDS["alert.button_pin"].describe_applies() == "applies live"
    assert FIELDS["i2c.bus"].describe_applies() == "applies at the next start"


# --- the installed default file --------------------------------------------------------------------
def test_documented_defaults_parse_to_the_defaults_and_comment_every_key():
    text = documented_defaults_toml()
    data = tomllib.loads(text)
    assert Config.from_dict(data) == BASE
    for f in SCHEMA:
        assert f.name in data[f.section], f.key
    lines = text.splitlines()
    for f in SCHEMA:
        section_at = lines.index(f"[{f.section}]")
        at = next(i for i in range(section_at, len(lines)) if lines[i].startswith(f"{f.name} = "))
        comment = lines[at - 1]
        assert comment.startswith("# ") and f.describe_range() in comment, f.key
        assert f.describe_applies() in comment, f.key


def test_the_default_file_is_printed_by_the_standard_library_alone():
    # -S: no site-packages (no tomli_w, gpiozero...), as the installer's system python3 runs it
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-S", "-m", "pi_app.config"], env=env, cwd="/",
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == documented_defaults_toml()
    check = subprocess.run([sys.executable, "-S", "-c", "import pi_app, pi_app.exc, pi_app.config"],
                           env=env, cwd="/", capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
