"""The reference docs say what the code does: docs/config.md is generated from the
config schema, its example kits start on simulated hardware and every key `get`
reports has a row; docs/scenarios.md
names every key the scenario reader accepts and its examples run as they promise;
and no file points at a document that is not in the repository."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from pi_app.sensors.chips import chip as catalogue_chip
from gpiozero.pins.mock import MockFactory, MockPWMPin

from helpers.expect import check_expect
from pi_app.clock import SimClock
from pi_app.config import FIELDS, Config
from pi_app.config.mount import parse_mount_key
from pi_app.device import build_device
from pi_app.serial_protocol import ConsoleProtocol
from pi_app.sim import devices as sim_devices
from pi_app.sim import scenario as scenario_module
from pi_app.sim.rig import run_scenario
from pi_app.sim.schema import Key
from pi_app.sim.simbus import SimBus

ROOT = Path(__file__).resolve().parents[2]
CONFIG_MD = ROOT / "docs" / "config.md"
SCENARIOS_MD = ROOT / "docs" / "scenarios.md"
REGENERATE = ".venv/bin/python -m pi_app.config.doc > docs/config.md"
TOML_BLOCK = re.compile(r"```toml\n(.*?)```", re.S)


def toml_blocks(path: Path) -> list[dict]:
    return [tomllib.loads(b) for b in TOML_BLOCK.findall(path.read_text(encoding="utf-8"))]


# --- docs/config.md ----------------------------------------------------------------------
def test_the_config_reference_is_the_generators_output():
    out = subprocess.run([sys.executable, "-m", "pi_app.config.doc"], capture_output=True,
                         text=True, cwd=ROOT, check=True).stdout
    assert out == CONFIG_MD.read_text(encoding="utf-8"), \
        f"docs/config.md is stale: regenerate it with `{REGENERATE}`"


def test_the_config_reference_has_a_row_for_every_setting_with_its_default_and_range():
    text = CONFIG_MD.read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in text.splitlines()
            if line.startswith("| `")}
    for key, f in FIELDS.items():
        assert key in rows, f"docs/config.md has no row for {key}"
        assert f.describe_range() in rows[key], (key, rows[key])
        assert f.describe_applies().removeprefix("applies ") in rows[key], (key, rows[key])


def _fit_chips(bus: SimBus, cfg: Config, pin_factory) -> None:
    """Put each configured chip where the configuration says it is: behind its mux
    channel, at its address, or at its boot address with its XSHUT line; and the
    haptic driver when the configuration asks for one."""
    if cfg.alert.haptic == "drv2605":
        bus.attach(sim_devices.DRV2605Device())
    muxes = {}
    for s in cfg.sensors:
        kwargs = {}
        if s.xshut_pin is not None:
            kwargs["xshut_pin"] = pin_factory.pin(s.xshut_pin)
        chip = getattr(sim_devices, catalogue_chip(s.kind).emulator)(**kwargs)
        target = bus
        if s.mux_address is not None:
            if s.mux_address not in muxes:
                muxes[s.mux_address] = bus.attach(sim_devices.TCA9548ADevice(), s.mux_address)
            target = muxes[s.mux_address].channel(s.mux_channel)
        if s.xshut_pin is not None or s.address is None:
            target.attach(chip)
        else:
            target.attach(chip, s.address)


@pytest.mark.parametrize("index", range(len(toml_blocks(CONFIG_MD))))
def test_every_example_kit_in_the_config_reference_starts_on_simulated_hardware(index):
    """Each [[sensors]] example is wired on a SimBus as it describes; the real
    bring-up (XSHUT re-addressing, mux channels) must start every sensor."""
    cfg = Config.from_dict(toml_blocks(CONFIG_MD)[index], f"docs/config.md example {index}")
    clock = SimClock()
    bus = SimBus(clock)
    pins = MockFactory(pin_class=MockPWMPin)
    _fit_chips(bus, cfg, pins)
    device = build_device(cfg, bus, clock, pin_factory=pins)
    try:
        assert device.errors == {}, device.selftest_report()
        assert len(device.loop.channels) == sum(s.role != "imu" for s in cfg.sensors)
        assert device.loop.imu is not None
    finally:
        device.close()
        pins.close()


def test_the_config_reference_shows_every_optional_part():
    kits = [Config.from_dict(data) for data in toml_blocks(CONFIG_MD)]
    assert any(cfg.alert.haptic == "drv2605" and cfg.alert.actuator == "lra" for cfg in kits)
    assert any(cfg.alert.button_pin >= 0 for cfg in kits)
    sensors = [s for cfg in kits for s in cfg.sensors]
    assert any(s.kind == "vl53l1x" and s.xshut_pin is not None and s.address not in (None, 0x29)
               for s in sensors)
    assert any(s.kind == "tfluna" and s.role == "surface" for s in sensors)
    assert any(s.kind == "mb1242" for s in sensors)
    assert any(s.mux_address is not None for s in sensors)


# --- docs/scenarios.md -------------------------------------------------------------------
def scenario_tables() -> dict[str, dict]:
    """The scenario reader's tables of allowed keys, by the name they have in a file
    ("" = the top level): found in pi_app.sim.scenario as dicts of schema.Key."""
    found = {name: t for name, t in vars(scenario_module).items()
             if isinstance(t, dict) and t and all(isinstance(v, Key) for v in t.values())}
    top_name = next(n for n, t in found.items() if "duration_s" in t)
    out = {"": found.pop(top_name)}
    for key, spec in out[""].items():
        if spec.type in (dict, list):
            match = [n for n in found if n.strip("_").lower() in (key, key.removesuffix("s"))]
            assert len(match) == 1, f"which table is [{key}]? {sorted(found)}"
            out[key] = found.pop(match[0])
    assert not found, f"tables no file key leads to: {sorted(found)}"
    return out


def doc_sections(text: str) -> dict[str, str]:
    """``## [name]`` / ``## [[name]]`` sections by name; "" = ``## Top level``."""
    out = {}
    for part in re.split(r"^## ", text, flags=re.M)[1:]:
        heading, _, body = part.partition("\n")
        m = re.fullmatch(r"\[{1,2}(\w+)\]{1,2}", heading.strip())
        if m:
            out[m.group(1)] = body
        elif heading.strip() == "Top level":
            out[""] = body
    return out


def test_every_key_the_scenario_reader_accepts_is_in_the_scenario_reference():
    sections = doc_sections(SCENARIOS_MD.read_text(encoding="utf-8"))
    tables = scenario_tables()
    assert len(tables) >= 10
    missing = []
    for table, keys in tables.items():
        body = sections.get(table)
        if body is None:
            missing.append(f"section [{table}]")
            continue
        missing += [f"{table or '(top level)'}.{k}" for k in keys if f"| `{k}` |" not in body]
    assert not missing, f"docs/scenarios.md does not describe: {missing}"


def test_the_scenario_reference_names_every_allowed_word_and_limit():
    text = SCENARIOS_MD.read_text(encoding="utf-8")
    m = scenario_module
    words = (m.MODES + m.SENSOR_KINDS + m.SENSOR_ROLES + tuple(m.GROUND_SIGN) + m.FAULT_KINDS)
    assert not [w for w in words if f"`{w}`" not in text and f'`"{w}"`' not in text]
    limits = (m.MAX_SENSORS, m.MAX_VL53L1X, m.MAX_OBSTACLES, m.MAX_GROUND, m.MAX_FAULTS,
              m.MAX_BUTTON_PRESSES, int(m.MAX_DURATION_S))
    assert not [n for n in limits if f"{n:,}" not in text and str(n) not in text]


@pytest.mark.parametrize("index", range(len(toml_blocks(SCENARIOS_MD))))
def test_the_scenario_reference_examples_run_as_their_expect_tables_say(index):
    data = toml_blocks(SCENARIOS_MD)[index]
    sc = scenario_module.parse_scenario(data, "docs/scenarios.md")
    assert sc.expect.hazards is not None
    result = run_scenario(sc)
    assert check_expect(sc, result) == []
    other_seed = run_scenario(replace(sc, seed=sc.seed + 1))
    assert check_expect(sc, other_seed) == []


# --- no references to documents outside the repository ------------------------------------
PRIVATE_DOCS = re.compile(r"\b(DESIGN|DOMAIN|REGISTERS|STYLE)\.md\b|\.\./shared")
CHECKED_SUFFIXES = (".py", ".md", ".toml", ".sh", ".service")


def test_no_tracked_file_refers_to_a_document_outside_the_repository():
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                                check=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    me = Path(__file__).resolve()
    hits = []
    for name in filter(None, listed.split("\0")):
        path = ROOT / name
        if not name.endswith(CHECKED_SUFFIXES) or path.resolve() == me or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace")
                                      .splitlines(), 1):
            if PRIVATE_DOCS.search(line):
                hits.append(f"{name}:{number}: {line.strip()}")
    assert not hits, "references to documents that are not in the repository:\n" + "\n".join(hits)


# --- every setting the console reports is documented ----------------------------------------
def _documented(key: str, text: str) -> bool:
    mk = parse_mount_key(key)
    if mk is not None:
        return f"| `sensors.<id>.{mk.name}` |" in text
    return f"| `{key}` |" in text


@pytest.mark.parametrize("index", [None, *range(len(toml_blocks(CONFIG_MD)))])
def test_every_key_get_reports_is_in_the_config_reference(index):
    """``get`` on the device (the default kit and every example kit): each key it lists
    has a row in docs/config.md, and the mount example there is the console's reply."""
    cfg = Config.defaults() if index is None else Config.from_dict(toml_blocks(CONFIG_MD)[index])
    holder = [cfg]
    proto = ConsoleProtocol(lambda: holder[0], lambda c: holder.__setitem__(0, c))
    text = CONFIG_MD.read_text(encoding="utf-8")
    lines = proto.handle_line("get")
    assert lines[-1].startswith("OK ")
    keys = [line.split("=", 1)[0] for line in lines[:-1]]
    assert any(parse_mount_key(k) for k in keys)
    assert not [k for k in keys if not _documented(k, text)]


def test_the_mount_example_in_the_config_reference_is_what_the_console_answers():
    text = CONFIG_MD.read_text(encoding="utf-8")
    example = re.search(r"^    (set sensors\.\S+ \S+)\n    (OK .*)$", text, re.M)
    holder = [Config.defaults()]
    proto = ConsoleProtocol(lambda: holder[0], lambda c: holder.__setitem__(0, c))
    assert proto.handle_line(example.group(1)) == [example.group(2)]
