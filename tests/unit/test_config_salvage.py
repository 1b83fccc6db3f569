"""A config file with mistakes keeps what is good: ``load_config_or_defaults`` uses every
valid key, names every bad one once, copies the file aside so a later ``save`` loses
nothing, and never raises whatever bytes the file holds (property-based)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pi_app.config import DEFAULT_SENSORS, FIELDS, SCHEMA, SENSORS_FALLBACK, Config, load_config
from pi_app.config_store import (BROKEN, LISTED_PROBLEMS, MISSING, PROBLEMS, load_config_or_defaults,
                                 save_config)
from pi_app.exc import ConfigError

TREADMILL = """\
[device]
mode = "treadmill"

[obstacle]
warning_tc_s = 3.0
caution_ttc_s = 5.0

[deck]
deck_length_m = 1.8
"""


def load_text(tmp_path, text: str | bytes):
    path = tmp_path / "config.toml"
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    return path, *load_config_or_defaults(path)


def kept_copies(tmp_path):
    return list(tmp_path.glob("config.toml.broken-*"))


def test_one_typo_keeps_every_other_setting(tmp_path):
    path, cfg, notice = load_text(tmp_path, TREADMILL)
    assert cfg.device.mode == "treadmill" and cfg.deck.deck_length_m == 1.8  # not belt mode
    assert cfg.obstacle.caution_ttc_s == 5.0 and cfg.obstacle.warning_ttc_s == 2.5
    (kept,) = kept_copies(tmp_path)
    assert notice == f"1 problem: obstacle.warning_tc_s unknown (the file as written was kept as {kept})"
    assert notice.state == PROBLEMS and notice.problems == ("obstacle.warning_tc_s unknown",)
    assert notice.kept == kept and notice.level == logging.WARNING


def test_problems_are_counted_and_named_key_first(tmp_path):
    _, cfg, notice = load_text(tmp_path, "[obstacle]\nwarning_tc_s = 3\n[alert]\nvolume = 1e5000\ntonal = true\n")
    assert notice.startswith("2 problems: obstacle.warning_tc_s unknown; "
                             "alert.volume inf is not a finite number (")
    assert cfg.alert.tonal is True and cfg.alert.volume == 1.0


def test_a_later_save_writes_the_good_values_and_the_copy_keeps_what_was_written(tmp_path):
    path, cfg, _ = load_text(tmp_path, TREADMILL)
    save_config(cfg, path)
    assert load_config(path) == cfg
    (kept,) = kept_copies(tmp_path)
    assert kept.read_text() == TREADMILL
    path.write_text(TREADMILL)  # the same mistakes again: no second copy
    load_config_or_defaults(path)
    assert kept_copies(tmp_path) == [kept]


def test_a_bad_sensor_entry_means_the_default_sensors_and_says_which(tmp_path):
    text = ('[alert]\nbuzzer_pin = 23\n'
            '[[sensors]]\nid = "rear"\nkind = "vl53l1x"\nrole = "obstacle"\n'
            '[[sensors]]\nid = "deck"\nkind = "lidar"\nrole = "deck"\n')
    _, cfg, notice = load_text(tmp_path, text)
    assert cfg.sensors == DEFAULT_SENSORS and cfg.alert.buzzer_pin == 23
    assert notice.problems == ("sensors[1].kind 'lidar' is not one of vl53l1x, tfluna, mb1242, mpu6050"
                               + SENSORS_FALLBACK,)


def test_a_broken_rule_reverts_only_the_keys_the_file_set(tmp_path):
    _, cfg, notice = load_text(tmp_path, "[alert]\noutput = \"haptic\"\nhaptic = \"none\"\nvolume = 0.5\n")
    assert (cfg.alert.output, cfg.alert.haptic, cfg.alert.volume) == ("both", "pwm", 0.5)
    (problem,) = notice.problems
    assert problem.startswith("alert.output=haptic with alert.haptic=none: nothing would tell the runner")
    assert problem.endswith("(alert.output, alert.haptic back to default)")

    _, cfg, notice = load_text(tmp_path, "[alert]\nbutton_pin = 18\nmute_s = 20.0\n")  # the buzzer's pin
    assert (cfg.alert.button_pin, cfg.alert.buzzer_pin, cfg.alert.mute_s) == (-1, 18, 20.0)
    assert notice.problems == ("alert.buzzer_pin=18 and alert.button_pin=18: one GPIO cannot do both "
                               "(alert.button_pin back to default)",)

    _, cfg, notice = load_text(tmp_path, "[obstacle]\nwarning_ttc_s = 4.5\ndanger_ttc_s = 1.0\n")
    assert (cfg.obstacle.warning_ttc_s, cfg.obstacle.danger_ttc_s) == (2.5, 1.2)
    assert "obstacle.warning_ttc_s=4.5" in notice.problems[0]


def test_a_sensor_table_that_breaks_a_rule_falls_back_to_the_default_sensors(tmp_path):
    text = ('[[sensors]]\nid = "rear"\nkind = "vl53l1x"\nrole = "obstacle"\nxshut_pin = 13\n'
            '[[sensors]]\nid = "rear"\nkind = "tfluna"\nrole = "surface"\n')
    _, cfg, notice = load_text(tmp_path, text)
    assert cfg.sensors == DEFAULT_SENSORS and cfg.alert.motor_pin == 13
    assert notice.problems == ("sensors: id 'rear' is used twice (ids must be unique) (sensors back to default)",)


def test_bytes_that_are_not_utf8_are_named_by_line_and_the_rest_loads(tmp_path):
    raw = b'[device]\nmode = "treadmill"\n# caf\xe9 au lait\n[alert]\ntonal = true\n'
    _, cfg, notice = load_text(tmp_path, raw)
    assert cfg.device.mode == "treadmill" and cfg.alert.tonal is True
    assert notice.problems == ("line 3: not UTF-8 (byte 0xe9), read as U+FFFD",)
    assert kept_copies(tmp_path)[0].read_bytes() == raw


def test_a_file_that_does_not_parse_falls_back_wholesale_and_is_kept(tmp_path):
    for raw, why in ((b"a = " + b"[" * 20000, "RecursionError"),
                     (b"[obstacle]\nconfirm_samples = " + b"9" * 5000, "ValueError"),
                     (b'[device]\nmode = "treadmill"\n[obstacle\n', "not valid TOML")):
        path, cfg, notice = load_text(tmp_path, raw)
        assert cfg == Config.defaults() and notice.state == BROKEN and why in notice
        assert notice.level == logging.ERROR and str(path) in notice
        assert any(p.read_bytes() == raw for p in kept_copies(tmp_path))


def test_a_missing_file_is_a_notice_of_its_own(tmp_path):
    cfg, notice = load_config_or_defaults(tmp_path / "nope.toml")
    assert cfg == Config.defaults()
    assert notice.state == MISSING and notice.level == logging.INFO and "nope.toml" in notice
    assert kept_copies(tmp_path) == []


def test_an_unreadable_path_gives_the_defaults_not_a_traceback(tmp_path):
    (tmp_path / "config.toml").mkdir()
    cfg, notice = load_config_or_defaults(tmp_path / "config.toml")
    assert cfg == Config.defaults() and notice.state == BROKEN and "cannot be read" in notice


def test_a_long_list_of_problems_stays_one_short_line(tmp_path):
    text = "[obstacle]\n" + "".join(f"typo_{i} = {i}\n" for i in range(40))
    _, cfg, notice = load_text(tmp_path, text)
    assert len(notice.problems) == 40 and notice.startswith("40 problems: obstacle.typo_0 unknown; ")
    assert f"; and {40 - LISTED_PROBLEMS} more (" in notice and "typo_39" not in notice
    assert "\n" not in notice and notice.isascii()


# --- property-based ----------------------------------------------------------------------------
def _load_bytes(raw: bytes):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "config.toml"
        path.write_bytes(raw)
        return load_config_or_defaults(path)


_TOMLISH = st.lists(st.sampled_from([
    b"[device]\n", b"[alert]\n", b"[obstacle]\n", b"[[sensors]]\n", b"mode = \"treadmill\"\n",
    b"output = \"haptic\"\n", b"haptic = \"none\"\n", b"button_pin = 18\n", b"warning_ttc_s = 9.0\n",
    b"id = \"rear\"\n", b"kind = \"tfluna\"\n", b"role = \"deck\"\n", b"xshut_pin = 13\n", b"\xe9",
    b"volume = 1e999\n", b"x = [[[\n", b"= 1\n", b"\n"]), max_size=12).map(b"".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=400), _TOMLISH))
def test_any_bytes_give_a_config_that_passes_every_rule_and_never_raise(raw):
    cfg, notice = _load_bytes(raw)
    cfg.check()
    assert notice is None or ("\n" not in notice and notice.isascii())
    try:  # the strict loader raises nothing but ConfigError
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "c.toml").write_bytes(raw)
            load_config(Path(d) / "c.toml")
    except ConfigError:
        pass


_VALUES = st.one_of(st.booleans(), st.integers(-100, 5_000_000), st.floats(allow_nan=True),
                    st.sampled_from(["belt", "treadmill", "haptic", "none", "pwm", "/dev/ttyUSB0",
                                     "socket://x:1", "", "/dev/../x"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SCHEMA), _VALUES)
def test_a_valid_config_with_one_key_changed_uses_it_or_names_it(f, value):
    data = Config.defaults().to_dict()
    data[f.section][f.name] = value
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "config.toml"
        path.write_text(_as_toml(data))
        cfg, notice = load_config_or_defaults(path)
    cfg.check()
    if FIELDS[f.key].problem(value) is None and cfg.get(f.key) == value:
        return  # used
    assert notice is not None and any(p.startswith(f.key) or f"{f.key}=" in p for p in notice.problems), \
        (f.key, value, notice)


def _as_toml(data: dict) -> str:
    """Any TOML value for the key under test, whatever its type (to_toml needs valid ones)."""
    import json
    import math

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
        return json.dumps(v) if isinstance(v, str) else str(v)

    lines = []
    for section, body in data.items():
        if section == "sensors":
            for s in body:
                lines += ["[[sensors]]", *(f"{k} = {value(v)}" for k, v in s.items())]
            continue
        lines += [f"[{section}]", *(f"{k} = {value(v)}" for k, v in body.items())]
    return "\n".join(lines) + "\n"
