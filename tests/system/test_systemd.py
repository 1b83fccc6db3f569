"""The systemd unit and udev rule, checked with systemd's own tools.

``systemd-analyze verify`` insists that ExecStart's binary exists. The venv at
/opt/backsight does not exist on a build machine, so the unit is verified as a copy in
a temp directory whose ExecStart binary is replaced by /bin/true (arguments kept); every
other line is the shipped file. verify exits 0 even for unknown keys (it only warns),
so "clean" here means exit 0 AND no output at all.
"""

import configparser
import fnmatch
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "backsight.service"
RULES = ROOT / "systemd" / "99-backsight.rules"
REAL_EXEC = "/opt/backsight/venv/bin/backsight"
MAX_EXPOSURE = 3.0

analyze = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    analyze is None, reason="systemd-analyze not installed (Debian package 'systemd'; .ci/run installs it)")


def unit_settings(path: Path = UNIT) -> dict[str, list[str]]:
    """'Section.Key' -> all values (systemd allows repeated keys)."""
    out: dict[str, list[str]] = {}
    section = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.setdefault(f"{section}.{key}", []).append(value)
    return out


def stand_in_copy(tmp_path: Path) -> Path:
    text = UNIT.read_text()
    assert text.count(f"ExecStart={REAL_EXEC} ") == 1
    copy = tmp_path / "backsight.service"
    copy.write_text(text.replace(f"ExecStart={REAL_EXEC} ", "ExecStart=/bin/true "))
    return copy


def run(*args, cwd=None, env=None):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=cwd, env=env)


@needs_analyze
def test_unit_verifies_clean(tmp_path):
    result = run(analyze, "verify", "--man=no", str(stand_in_copy(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == "", "systemd-analyze verify warned"


@needs_analyze
def test_unit_with_the_realtime_drop_in_verifies_clean(tmp_path):
    unit = stand_in_copy(tmp_path)
    dropins = tmp_path / "backsight.service.d"
    dropins.mkdir()
    shutil.copy(ROOT / "systemd" / "realtime.conf", dropins / "realtime.conf")
    result = run(analyze, "verify", "--man=no", str(unit))
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


@needs_analyze
def test_verify_would_notice_a_mistake(tmp_path):
    # guards the "no output = clean" rule above against a verify that says nothing
    unit = stand_in_copy(tmp_path)
    unit.write_text(unit.read_text().replace("Nice=-10", "Nice=-10\nNiceness=-10"))
    assert "Unknown key" in run(analyze, "verify", "--man=no", str(unit)).stderr


@needs_analyze
def test_security_exposure_is_low():
    result = run(analyze, "security", "--offline=yes", str(UNIT))
    match = re.search(r"Overall exposure level for backsight\.service:\s*([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= MAX_EXPOSURE


@needs_analyze
def test_system_conf_drop_in_is_valid(tmp_path):
    ini = configparser.ConfigParser()
    ini.read(ROOT / "systemd" / "watchdog.conf")
    seconds = run(analyze, "timespan", ini["Manager"]["RuntimeWatchdogSec"])
    assert seconds.returncode == 0
    # the BCM2835 watchdog cannot count beyond ~15 s
    usec = int(re.search(r"μs:\s*(\d+)", seconds.stdout).group(1))
    assert 0 < usec <= 15_000_000


def test_unit_contract():
    s = unit_settings()
    assert s["Service.Type"] == ["notify"]
    assert s["Service.ExecStart"] == [f"{REAL_EXEC} run --config /etc/backsight/config.toml"]
    assert s["Service.Restart"] == ["always"]
    assert s["Service.User"] == ["backsight"]
    assert set(s["Service.SupplementaryGroups"][0].split()) == {"i2c", "gpio", "dialout"}
    assert s["Service.ConfigurationDirectory"] == ["backsight"]
    assert s["Service.StateDirectory"] == ["backsight"]
    assert "PrivateDevices" not in " ".join(s)  # it would hide /dev/i2c-1
    assert s["Service.DevicePolicy"] == ["closed"]
    allowed = " ".join(s["Service.DeviceAllow"])
    for cls in ("char-i2c", "char-gpiochip", "/dev/gpiomem", "char-ttyAMA", "char-ttyS", "char-ttyGS"):
        assert cls in allowed
    assert s["Service.RestrictAddressFamilies"] == ["AF_UNIX"]
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateNetwork"):
        assert s[f"Service.{key}"] == ["yes"]
    assert s["Service.ProtectSystem"] == ["strict"]


def test_watchdog_leaves_the_loop_room_to_ping():
    s = unit_settings()
    watchdog_s = float(s["Service.WatchdogSec"][0].rstrip("s"))
    # the loop pings every half period (pi_app.service); the worst legitimate cycle is a
    # sensor re-initialisation back-off (health.retry_backoff_max_s, 0.8 s by default)
    from pi_app.config import FIELDS
    assert watchdog_s / 2 > FIELDS["health.retry_backoff_max_s"].default


# Unit-section keys that make a start wait for, or fail with, another unit.
DEPENDENCY_KEYS = ("After", "Before", "BindsTo", "Requires", "Requisite", "Wants", "PartOf",
                   "Upholds", "PropagatesStopTo", "StopPropagatedFrom")


def test_a_missing_i2c_bus_cannot_stop_the_service_from_starting():
    # A bus missing at boot must not fail the start job (Restart= would not retry a
    # dependency failure, and nothing would sound): no dependency on any device unit.
    s = unit_settings()
    for key in DEPENDENCY_KEYS:
        units = " ".join(s.get(f"Unit.{key}", [])).split()
        assert not [u for u in units if u.endswith(".device")], f"{key}= names a device: {units}"
    # ... and once started it is brought back whatever happens, at any rate
    assert s["Service.Restart"] == ["always"] and s["Unit.StartLimitIntervalSec"] == ["0"]
    assert not [line for line in RULES.read_text().splitlines() if 'TAG+="systemd"' in line]


def _udev_glob(pattern: str, value: str) -> bool:
    """udev's match: shell glob, with "|" between alternatives."""
    return any(fnmatch.fnmatchcase(value, alt) for alt in pattern.split("|"))


def udev_assignments(subsystem: str, kernel: str) -> dict[str, str]:
    """GROUP/MODE the rules file gives a device node (later rules override earlier ones)."""
    out: dict[str, str] = {}
    for line in RULES.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pairs = [re.match(r'^([A-Z]+)(==|!=|=|\+=)"(.*)"$', p.strip()).groups() for p in line.split(",")]
        device = {"SUBSYSTEM": subsystem, "KERNEL": kernel}
        if all(_udev_glob(v, device[k]) == (op == "==") for k, op, v in pairs if op in ("==", "!=")):
            out.update({k: v for k, op, v in pairs if op == "="})
    return out


@pytest.mark.parametrize("subsystem, kernel, group", [
    ("i2c-dev", "i2c-1", "i2c"),
    ("i2c-dev", "i2c-3", "i2c"),               # the bit-banged bus
    ("gpio", "gpiochip0", "gpio"),
    ("gpio", "gpiochip4", "gpio"),             # the Pi 5's RP1 header bank on older kernels
    ("bcm2835-gpiomem", "gpiomem", "gpio"),    # Pi <= 4, older kernels
    ("rpi-gpiomem", "gpiomem", "gpio"),        # Pi <= 4, newer kernels
    ("rpi-gpiomem", "gpiomem0", "gpio"),       # Pi 5: /dev/gpiomem0..4
    ("rpi-gpiomem", "gpiomem4", "gpio"),
    ("tty", "ttyGS0", "dialout"),
    ("tty", "ttyAMA0", None),                  # the OS's own rules give it dialout
    ("mem", "mem", None),
    ("misc", "gpiomemx", None),
])
def test_udev_rules_give_the_service_groups_their_devices(subsystem, kernel, group):
    given = udev_assignments(subsystem, kernel)
    if group is None:
        assert given == {}
    else:
        assert given == {"GROUP": group, "MODE": "0660"}


def test_modules_load_file_loads_i2c_dev(tmp_path):
    from pi_app.doctor.i2c_dev import I2cDevModule

    text = (ROOT / "systemd" / "i2c-dev.conf").read_text()
    assert [line for line in text.splitlines() if line and not line.startswith("#")] == ["i2c-dev"]
    (tmp_path / "etc/modules-load.d").mkdir(parents=True)
    (tmp_path / "etc/modules-load.d/backsight-i2c.conf").write_text(text)
    assert I2cDevModule.read(tmp_path).loaded_by == "/etc/modules-load.d/backsight-i2c.conf"


def test_udev_rules_are_well_formed():
    # udevadm verify needs systemd >= 254; check the grammar we use instead:
    # comma-separated KEY==/!=/=/+= "value" pairs.
    pair = re.compile(r'^[A-Z_{}a-z]+(==|!=|\+=|=)"[^"]*"$')
    for line in RULES.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split(",")]
        assert all(pair.match(p) for p in parts), line
        matches = [p for p in parts if re.match(r'^[A-Za-z_]+(==|!=)"', p)]
        actions = [p for p in parts if re.match(r'^[A-Za-z_]+\+?="', p)]
        assert matches and actions and len(matches) + len(actions) == len(parts), line
