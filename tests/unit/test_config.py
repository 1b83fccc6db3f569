"""The config schema: defaults, text parsing as typed on the console, validation that
names the key, immutability, TOML round trip."""

from __future__ import annotations

import math
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pi_app.config import FIELDS, SCHEMA, Config, SensorConfig, load_config
from pi_app.exc import ConfigError
from pi_app.serial_protocol import format_value


def test_every_default_is_valid_for_its_own_field():
    for f in SCHEMA:
        assert f.validate(f.default) == f.default, f.key
    Config.defaults().check()


def test_sections_are_attributes():
    cfg = Config.defaults()
    assert cfg.obstacle.warning_ttc_s == FIELDS["obstacle.warning_ttc_s"].default
    assert cfg.serial.baudrate == 115200
    with pytest.raises(AttributeError, match="no config section"):
        cfg.nosuchsection


def test_with_value_parses_text_and_leaves_the_original_alone():
    cfg = Config.defaults()
    new = cfg.with_value("obstacle.warning_ttc_s", " 3.0 ")
    assert new.obstacle.warning_ttc_s == 3.0
    assert cfg.obstacle.warning_ttc_s == 2.5
    assert new != cfg and new.with_value("obstacle.warning_ttc_s", 2.5) == cfg


@pytest.mark.parametrize("key, text, expected", [
    ("alert.tonal", "true", True), ("alert.tonal", "off", False), ("alert.tonal", "YES", True),
    ("alert.buzzer_pin", "22", 22), ("alert.button_pin", "-1", -1),
    ("obstacle.confirm_samples", "3", 3), ("device.mode", "treadmill", "treadmill"),
    ("obstacle.danger_ttc_s", "1", 1.0),
])
def test_console_text_is_parsed_to_the_field_type(key, text, expected):
    value = Config.defaults().with_value(key, text).get(key)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("key, text, words", [
    ("obstacle.warning_ttc_s", "30", "outside the allowed range"),
    ("obstacle.warning_ttc_s", "fast", "not a number"),
    ("obstacle.warning_ttc_s", "nan", "not a finite number"),
    ("obstacle.warning_ttc_s", "inf", "not a finite number"),
    ("alert.tonal", "maybe", "not a boolean"),
    ("alert.buzzer_pin", "1.5", "not a number"),
    ("alert.buzzer_pin", "99", "outside the allowed range"),
    ("device.mode", "bike", "not allowed"),
    ("obstacle.warning_ttc_s", "4.5", "danger_ttc_s < warning_ttc_s <= caution_ttc_s"),
    ("deck.console_danger_m", "0.5", "danger margins"),
])
def test_bad_values_are_refused_with_the_key_named(key, text, words):
    with pytest.raises(ConfigError, match=words) as info:
        Config.defaults().with_value(key, text)
    assert key.split(".")[0] in str(info.value)


def test_unknown_key_is_refused():
    with pytest.raises(ConfigError, match="unknown key"):
        Config.defaults().with_value("obstacle.warnign_ttc_s", "3")
    with pytest.raises(ConfigError, match="unknown key"):
        Config.defaults().get("nope")


def test_toml_round_trip_keeps_values_and_sensors(tmp_path):
    cfg = (Config.defaults().with_value("obstacle.warning_ttc_s", "3.3")
           .with_value("alert.output", "haptic")
           .with_sensors([SensorConfig("rear", "vl53l1x", "obstacle", address=0x30, xshut_pin=17),
                          SensorConfig("deck", "tfluna", "deck", mux_address=0x70, mux_channel=2)]))
    path = tmp_path / "c.toml"
    path.write_text(cfg.to_toml())
    assert load_config(path) == cfg


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([f for f in SCHEMA if f.type is float and f.min is not None]), st.data())
def test_console_formatted_floats_round_trip_exactly(f, data):
    value = data.draw(st.floats(min_value=f.min, max_value=f.max, allow_nan=False))
    try:
        cfg = Config.defaults().with_value(f.key, value)
    except ConfigError:  # a cross-field rule refused it; not what this test is about
        return
    again = Config.defaults().with_value(f.key, format_value(cfg.get(f.key)))
    assert again.get(f.key) == value and math.isfinite(again.get(f.key))


@pytest.mark.parametrize("text, words", [
    ("[obstacel]\nwarning_ttc_s = 3.0\n", "[obstacel] unknown section"),
    ("[obstacle]\nwarning_ttc_s = \"3\"\n", "obstacle.warning_ttc_s '3' is a string, not a number"),
    ("[obstacle]\nconfirm_samples = true\n", "obstacle.confirm_samples true is a boolean, not an integer"),
    ("[[sensors]]\nid = \"rear\"\nkind = \"lidar\"\nrole = \"obstacle\"\n", "sensors[0].kind 'lidar'"),
    ("[[sensors]]\nid = \"rear\"\nkind = \"vl53l1x\"\n", "sensors[0].role missing"),
    ("[[sensors]]\nid = \"re ar\"\nkind = \"vl53l1x\"\nrole = \"obstacle\"\n", "sensors[0].id 're ar'"),
    ("[[sensors]]\nid = \"rear\"\nkind = \"vl53l1x\"\nrole = \"obstacle\"\nyaw_deg = nan\n",
     "sensors[0].yaw_deg nan is outside -180..180"),
    ("obstacle = 3\n", "[obstacle] must be a table"),
    ("[obstacle]\nwarning_ttc_s = 4.5\n", "obstacle.warning_ttc_s=4.5"),
    (b"[device]\n# caf\xe9\nmode = \"belt\"\n", "line 2: not UTF-8 (byte 0xe9)"),
    (b"a = " + b"[" * 20000, "not valid TOML (RecursionError"),
    (b"[obstacle]\nconfirm_samples = " + b"7" * 5000 + b"\n", "not valid TOML (ValueError"),
    (b"[obstacle\n", "not valid TOML"),
])
def test_load_errors_are_one_config_error_line_naming_the_file_and_the_key(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ConfigError) as info:  # never RecursionError, ValueError, UnicodeError...
        load_config(path)
    assert words in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_load_of_a_missing_file_says_so(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")


def test_strict_load_of_a_directory_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_toml_strings_round_trip_whatever_the_text(text):
    from pi_app.config.toml import toml_string

    assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text


def test_to_toml_needs_no_third_party_writer_and_round_trips_every_type():
    cfg = (Config.defaults().with_value("alert.tonal", "on").with_value("obstacle.confirm_samples", 4)
           .with_value("device.loop_period_s", 0.0021).with_value("alert.button_pin", -1))
    assert Config.from_dict(tomllib.loads(cfg.to_toml())) == cfg


def test_a_written_sensor_table_holds_only_the_keys_its_chip_uses():
    """distance_mode and timing_budget_ms mean something to a VL53L1X only: a file a
    builder edits must not suggest they tune a TF-Luna or the IMU."""
    tables = Config.defaults().to_toml().split("[[sensors]]")[1:]
    by_kind = {t.split('kind = "')[1].split('"')[0]: t for t in tables}
    assert "distance_mode" in by_kind["vl53l1x"] and "timing_budget_ms" in by_kind["vl53l1x"]
    for kind in ("tfluna", "mpu6050"):
        assert "distance_mode" not in by_kind[kind] and "timing_budget_ms" not in by_kind[kind]
