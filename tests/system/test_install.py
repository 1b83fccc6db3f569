"""scripts/install.sh and uninstall.sh against a temporary root (``--root DIR``).

The real venv (pip installing into /opt/backsight/venv) is slow and needs the network,
so every run here uses ``--no-venv``; the default config is rendered with this test's
own interpreter (``PYTHON``). Nothing here touches the machine running the tests:
under --root the scripts edit DIR/etc/passwd etc. and only record host commands.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pi_app.config import load_config

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "scripts" / "install.sh"
UNINSTALL = ROOT / "scripts" / "uninstall.sh"
BEGIN = "# >>> backsight >>>"
END = "# <<< backsight <<<"
ORIGINAL_CONFIG = (
    "# stock Raspberry Pi OS config.txt (trimmed)\n"
    "#dtparam=i2c_arm=on\n"
    "dtparam=audio=on\n"
    "[cm4]\n"
    "otg_mode=1\n"
    "[all]\n"
    "arm_64bit=1"                       # no newline at the end, as hand-edited files often are
)

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")


def env(**extra):
    e = dict(os.environ, PYTHON=sys.executable)
    e.update(extra)
    return e


def run(script, *args, **extra_env):
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True,
                          env=env(**extra_env), timeout=120)


def make_root(tmp_path: Path, boot: str = "boot/firmware") -> Path:
    root = tmp_path / "root"
    (root / boot / "overlays").mkdir(parents=True)
    (root / boot / "config.txt").write_text(ORIGINAL_CONFIG)
    (root / boot / "cmdline.txt").write_text("console=tty1 root=PARTUUID=0-02 rootwait\n")
    (root / "etc").mkdir()
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000::/home/pi:/bin/bash\n")
    (root / "etc/group").write_text("root:x:0:\ndialout:x:20:pi\ngpio:x:997:pi\npi:x:1000:\n")
    (root / "etc/shadow").write_text("root:*:19000:0:99999:7:::\npi:*:19000:0:99999:7:::\n")
    (root / "etc/gshadow").write_text("root:*::\ndialout:*::pi\ngpio:!::pi\npi:!::\n")
    return root


def snapshot(root: Path, *, mtimes: bool = True) -> dict:
    """Every path with its content, mode, owner (and mtime): what 'changes nothing' means."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            content = os.readlink(p) if p.is_symlink() else (p.read_bytes() if p.is_file() else None)
            out[str(p.relative_to(root))] = (content, st.st_mode, st.st_uid, st.st_gid,
                                             None if p.is_dir() or not mtimes else st.st_mtime_ns)
    return out


def group_members(root: Path, group: str) -> list[str]:
    for line in (root / "etc/group").read_text().splitlines():
        name, _, _, members = line.split(":")
        if name == group:
            return members.split(",") if members else []
    raise KeyError(group)


def test_install_twice_changes_nothing_the_second_time(tmp_path):
    root = make_root(tmp_path)
    first = run(INSTALL, "--root", str(root), "--no-venv", "--realtime")
    assert first.returncode == 0, first.stderr
    before = snapshot(root)
    second = run(INSTALL, "--root", str(root), "--no-venv", "--realtime")
    assert second.returncode == 0, second.stderr
    assert snapshot(root) == before
    assert "already has the backsight block" in second.stdout

    text = (root / "boot/firmware/config.txt").read_text()
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    block = text[text.index(BEGIN):text.index(END)]
    assert "dtparam=i2c_arm=on" in block.splitlines()
    assert text.startswith(ORIGINAL_CONFIG + "\n")          # original kept, block appended
    assert (root / "boot/firmware/config.txt.backsight-orig").read_text() == ORIGINAL_CONFIG


def test_install_writes_units_user_config_and_enables(tmp_path):
    root = make_root(tmp_path)
    result = run(INSTALL, "--root", str(root), "--no-venv")
    assert result.returncode == 0, result.stderr
    for rel, src in (("etc/systemd/system/backsight.service", "systemd/backsight.service"),
                     ("etc/udev/rules.d/99-backsight.rules", "systemd/99-backsight.rules"),
                     ("etc/systemd/system.conf.d/backsight-watchdog.conf", "systemd/watchdog.conf")):
        assert (root / rel).read_bytes() == (ROOT / src).read_bytes()
    assert not (root / "etc/systemd/system/backsight.service.d").exists()  # no --realtime
    wants = root / "etc/systemd/system/multi-user.target.wants/backsight.service"
    assert os.readlink(wants) == "/etc/systemd/system/backsight.service"

    passwd = (root / "etc/passwd").read_text().splitlines()
    user = [l for l in passwd if l.startswith("backsight:")]
    assert len(user) == 1
    _, _, uid, gid, _, home, shell = user[0].split(":")
    assert int(uid) < 1000 and home == "/var/lib/backsight" and shell == "/usr/sbin/nologin"
    for group in ("i2c", "gpio", "dialout"):
        assert "backsight" in group_members(root, group)
    assert group_members(root, "dialout") == ["pi", "backsight"]  # existing members kept
    assert "backsight:!:::::::" in (root / "etc/shadow").read_text().splitlines()

    cfg = root / "etc/backsight/config.toml"
    assert load_config(cfg).alert.buzzer_pin == 18          # rendered defaults, valid TOML
    log = (root / "opt/backsight/install.log").read_text()
    assert "not run (--root): systemctl daemon-reload" in log
    assert "--no-venv" in log
    if shutil.which("dtc"):
        assert (root / "boot/firmware/overlays/backsight.dtbo").stat().st_size > 0


def test_existing_config_is_never_overwritten(tmp_path):
    root = make_root(tmp_path)
    (root / "etc/backsight").mkdir()
    mine = "[alert]\nbuzzer_pin = 12\n"
    (root / "etc/backsight/config.toml").write_text(mine)
    assert run(INSTALL, "--root", str(root), "--no-venv").returncode == 0
    assert (root / "etc/backsight/config.toml").read_text() == mine
    assert run(UNINSTALL, "--root", str(root)).returncode == 0
    assert (root / "etc/backsight/config.toml").read_text() == mine  # not ours to delete


def test_an_old_block_is_replaced_in_place(tmp_path):
    root = make_root(tmp_path, boot="boot")                  # pre-Bookworm layout
    cfg = root / "boot/config.txt"
    cfg.write_text(f"dtparam=audio=on\n{BEGIN}\ndtparam=i2c_arm=off\n{END}\nhdmi_force_hotplug=1\n")
    result = run(INSTALL, "--root", str(root), "--no-venv")
    assert result.returncode == 0, result.stderr
    lines = cfg.read_text().splitlines()
    assert lines[0] == "dtparam=audio=on" and lines[-1] == "hdmi_force_hotplug=1"
    assert "dtparam=i2c_arm=off" not in lines and "dtparam=i2c_arm=on" in lines
    assert sum(l.startswith(BEGIN) for l in lines) == 1


def test_uninstall_restores_the_root_exactly(tmp_path):
    root = make_root(tmp_path)
    original = snapshot(root, mtimes=False)   # account files are rewritten, so their mtimes move
    original_config = (root / "boot/firmware/config.txt").read_bytes()
    config_mtime_ns = (root / "boot/firmware/config.txt").stat().st_mtime_ns
    assert run(INSTALL, "--root", str(root), "--no-venv", "--realtime").returncode == 0
    result = run(UNINSTALL, "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert (root / "boot/firmware/config.txt").read_bytes() == original_config
    assert (root / "boot/firmware/config.txt").stat().st_mtime_ns == config_mtime_ns
    assert snapshot(root, mtimes=False) == original


def test_uninstall_without_backup_removes_the_block(tmp_path):
    root = make_root(tmp_path)
    assert run(INSTALL, "--root", str(root), "--no-venv").returncode == 0
    (root / "boot/firmware/config.txt.backsight-orig").unlink()
    assert run(UNINSTALL, "--root", str(root)).returncode == 0
    text = (root / "boot/firmware/config.txt").read_text()
    assert BEGIN not in text and END not in text
    assert text == ORIGINAL_CONFIG + "\n"                    # only the added newline remains


def test_refuses_on_a_machine_that_is_not_a_pi(tmp_path):
    model = tmp_path / "model"
    model.write_bytes(b"Generic x86 PC\0")
    result = run(INSTALL, "--no-venv", BACKSIGHT_MODEL_FILES=str(model))
    assert result.returncode != 0
    assert "not a Raspberry Pi" in result.stderr and "Generic x86 PC" in result.stderr
    assert "--root" in result.stderr


def test_refuses_when_there_is_no_model_file(tmp_path):
    result = run(INSTALL, BACKSIGHT_MODEL_FILES=str(tmp_path / "absent"))
    assert result.returncode != 0 and "not a Raspberry Pi" in result.stderr


def test_root_without_a_boot_config_is_a_clear_error(tmp_path):
    root = make_root(tmp_path)
    (root / "boot/firmware/config.txt").unlink()
    result = run(INSTALL, "--root", str(root), "--no-venv")
    assert result.returncode != 0 and "no config.txt" in result.stderr


def test_help_and_unknown_options():
    assert "--root DIR" in run(INSTALL, "--help").stdout
    bad = run(INSTALL, "--frobnicate")
    assert bad.returncode != 0 and "unknown option --frobnicate" in bad.stderr


def test_root_venv_needs_the_image_python_and_changes_nothing_without_it(tmp_path):
    root = make_root(tmp_path)
    before = snapshot(root)
    result = run(INSTALL, "--root", str(root))              # no --no-venv
    assert result.returncode != 0 and "usr/bin/python3 missing" in result.stderr
    assert snapshot(root) == before


# --- --root must name a root file system; "/" however spelled is this machine -------------
NOT_A_PI = b"Generic x86 PC\0"


@pytest.fixture
def shared_dir():
    """A directory an unprivileged user can read (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="backsight-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def run_unprivileged(script, *args, **extra_env):
    """Run as nobody when the tests run as root: a script that wrongly took "/" for an
    image would then fail to write instead of changing this machine."""
    drop = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.fail("running as root without setpriv (util-linux): cannot run this safely")
        drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    return subprocess.run([*drop, "bash", str(script), *args], capture_output=True, text=True,
                          env=env(**extra_env), timeout=120)


@pytest.mark.parametrize("script", [INSTALL, UNINSTALL], ids=["install", "uninstall"])
@pytest.mark.parametrize("spelling", ["//", "/./", "///", "/tmp/..", "link"])
def test_a_root_that_resolves_to_slash_gets_this_machines_checks(shared_dir, script, spelling):
    # A non-Pi model file stops a run against this machine before it changes anything:
    # the proof that "/" was recognised however it is written.
    model = shared_dir / "model"
    model.write_bytes(NOT_A_PI)
    model.chmod(0o644)
    if spelling == "link":
        (shared_dir / "link").symlink_to("/")
        spelling = str(shared_dir / "link") + "/"
    result = run_unprivileged(script, "--root", spelling, "--no-venv" if script == INSTALL else "--purge",
                              BACKSIGHT_MODEL_FILES=str(model))
    assert result.returncode != 0
    assert "not a Raspberry Pi" in result.stderr and "Generic x86 PC" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("script", [INSTALL, UNINSTALL], ids=["install", "uninstall"])
def test_a_root_without_passwd_and_group_is_refused_untouched(tmp_path, script):
    not_a_root = tmp_path / "somewhere"
    (not_a_root / "boot/firmware").mkdir(parents=True)
    (not_a_root / "boot/firmware/config.txt").write_text(ORIGINAL_CONFIG)
    before = snapshot(not_a_root)
    result = run(script, "--root", str(not_a_root), *(["--no-venv"] if script == INSTALL else []))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"{script.name}: --root {not_a_root}: {not_a_root} has no etc/passwd and etc/group, "
        "so it is not a root file system"]
    assert snapshot(not_a_root) == before
    missing = run(script, "--root", str(tmp_path / "absent"))
    assert missing.returncode != 0 and "no such directory" in missing.stderr


def test_root_spelled_through_a_symlink_and_slashes_is_the_same_root(tmp_path):
    root = make_root(tmp_path)
    (tmp_path / "image").symlink_to(root)
    assert run(INSTALL, "--root", str(root), "--no-venv").returncode == 0
    before = snapshot(root)
    again = run(INSTALL, f"--root={tmp_path}/./image//", "--no-venv")
    assert again.returncode == 0, again.stderr
    assert snapshot(root) == before                       # the same tree, nothing new
    assert run(UNINSTALL, "--root", f"{tmp_path}//image/").returncode == 0
    assert not (root / "etc/systemd/system/backsight.service").exists()


# --- the installed config.toml ----------------------------------------------------------
def stdlib_python(tmp_path: Path) -> Path:
    """A python3 that sees only the standard library (no venv site-packages, so no
    tomli_w), like the system python3 on a fresh Pi; PYTHONPATH still works."""
    wrapper = tmp_path / "python3-stdlib"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def test_installed_config_is_real_toml_with_every_default(tmp_path):
    import tomllib

    from pi_app.config import SCHEMA, Config

    python = stdlib_python(tmp_path)
    done = subprocess.run([str(python), "-m", "pi_app.config"], capture_output=True, text=True,
                          env=env(PYTHONPATH=str(ROOT)), timeout=60)
    if done.returncode != 0 or not done.stdout.strip():
        pytest.fail("`python3 -m pi_app.config` does not print the default config with the standard "
                    f"library alone (rc {done.returncode}: {done.stderr.strip()[-200:]!r}); install.sh "
                    "renders /etc/backsight/config.toml with it: this test waits for that feature")
    root = make_root(tmp_path)
    result = run(INSTALL, "--root", str(root), "--no-venv", PYTHON=str(python))
    assert result.returncode == 0, result.stderr
    cfg = root / "etc/backsight/config.toml"
    assert f"wrote {cfg}" in result.stdout
    data = tomllib.loads(cfg.read_text())
    for field in SCHEMA:
        section, _, name = field.key.partition(".")
        assert name in data.get(section, {}), f"{field.key} missing from the installed config.toml"
    assert load_config(cfg).to_dict() == Config.defaults().to_dict()


@pytest.mark.parametrize("renderer", [
    "echo 'ModuleNotFoundError: No module named tomllib' >&2; exit 1",   # fails
    'case "$*" in *pi_app.config*) echo "not = [toml" ;; *) exec "$REAL" "$@" ;; esac',  # bad TOML
    'case "$*" in *pi_app.config*) : ;; *) exec "$REAL" "$@" ;; esac',  # prints nothing
], ids=["fails", "not-toml", "empty"])
def test_a_config_that_cannot_be_rendered_stops_before_any_change(tmp_path, renderer):
    root = make_root(tmp_path)
    fake = tmp_path / "python3"
    fake.write_text(f"#!/bin/sh\n{renderer}\n")
    fake.chmod(0o755)
    before = snapshot(root)
    result = run(INSTALL, "--root", str(root), "--no-venv", PYTHON=str(fake), REAL=sys.executable)
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert "cannot render the default config" in line and "nothing was changed" in line
    assert "wrote" not in result.stdout
    assert snapshot(root) == before


def test_an_existing_config_needs_no_renderer(tmp_path):
    root = make_root(tmp_path)
    (root / "etc/backsight").mkdir()
    (root / "etc/backsight/config.toml").write_text("[alert]\nbuzzer_pin = 12\n")
    result = run(INSTALL, "--root", str(root), "--no-venv", PYTHON="/bin/false")
    assert result.returncode == 0, result.stderr
    assert "keeping existing" in result.stdout


# --- drop-ins and kernel module -----------------------------------------------------------
def test_reinstall_without_realtime_removes_the_drop_in(tmp_path):
    root = make_root(tmp_path)
    dropin = root / "etc/systemd/system/backsight.service.d/realtime.conf"
    assert run(INSTALL, "--root", str(root), "--no-venv", "--realtime").returncode == 0
    assert dropin.read_bytes() == (ROOT / "systemd/realtime.conf").read_bytes()
    plain = run(INSTALL, "--root", str(root), "--no-venv")
    assert plain.returncode == 0, plain.stderr
    assert not dropin.parent.exists()
    assert "removed /etc/systemd/system/backsight.service.d/realtime.conf" in plain.stdout
    before = snapshot(root)
    again = run(INSTALL, "--root", str(root), "--no-venv")
    assert "realtime" not in again.stdout and snapshot(root) == before


def test_install_makes_i2c_dev_load_at_boot_and_uninstall_takes_it_away(tmp_path):
    from pi_app.doctor.i2c_dev import I2cDevModule

    root = make_root(tmp_path)
    assert I2cDevModule.read(root).loaded_by is None
    assert run(INSTALL, "--root", str(root), "--no-venv").returncode == 0
    assert I2cDevModule.read(root).loaded_by == "/etc/modules-load.d/backsight-i2c.conf"
    assert "not run (--root): modprobe i2c-dev" in (root / "opt/backsight/install.log").read_text()
    assert run(UNINSTALL, "--root", str(root)).returncode == 0
    assert I2cDevModule.read(root).loaded_by is None
    assert not (root / "etc/modules-load.d").exists()        # install made the directory


# --- uninstall keeps what the user wrote ----------------------------------------------------
def test_uninstall_keeps_config_txt_lines_added_after_install(tmp_path):
    root = make_root(tmp_path)
    cfg = root / "boot/firmware/config.txt"
    assert run(INSTALL, "--root", str(root), "--no-venv").returncode == 0
    cfg.write_text("# my note\n" + cfg.read_text() + "dtoverlay=gpio-fan,gpiopin=14\n")
    result = run(UNINSTALL, "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert cfg.read_text() == "# my note\n" + ORIGINAL_CONFIG + "\ndtoverlay=gpio-fan,gpiopin=14\n"
    backup = root / "boot/firmware/config.txt.backsight-orig"
    assert backup.read_text() == ORIGINAL_CONFIG
    assert f"kept {backup}" in result.stdout and "every other line is kept" in result.stdout


def test_uninstall_keeps_a_tuned_config_unless_purged(tmp_path):
    root = make_root(tmp_path)
    assert run(INSTALL, "--root", str(root), "--no-venv").returncode == 0
    cfg = root / "etc/backsight/config.toml"
    tuned = cfg.read_text() + "\n# tuned on the track\n"
    cfg.write_text(tuned)
    result = run(UNINSTALL, "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert cfg.read_text() == tuned
    assert "kept /etc/backsight/config.toml" in result.stdout and "--purge" in result.stdout
    assert "backsight" not in (root / "etc/group").read_text()   # user and group still go

    assert run(INSTALL, "--root", str(root), "--no-venv").returncode == 0
    assert cfg.read_text() == tuned                              # a reinstall picks it up
    purged = run(UNINSTALL, "--root", str(root), "--purge")
    assert purged.returncode == 0, purged.stderr
    assert not (root / "etc/backsight").exists() and "removed /etc/backsight" in purged.stdout


def test_uninstall_removes_an_untouched_default_config(tmp_path):
    root = make_root(tmp_path)
    assert run(INSTALL, "--root", str(root), "--no-venv").returncode == 0
    result = run(UNINSTALL, "--root", str(root))
    assert "removed /etc/backsight/config.toml" in result.stdout
    assert not (root / "etc/backsight").exists()


# --- the [pi] extra -------------------------------------------------------------------------
def _pi_extra(tmp_path, importable: set[str]) -> str:
    fake = tmp_path / "python"
    cases = "".join(f'  "import {m}") exit 0 ;;\n' for m in importable)
    fake.write_text(f'#!/bin/sh\ncase "$2" in\n{cases}esac\nexit 1\n')
    fake.chmod(0o755)
    done = subprocess.run(["bash", "-c", f'die() {{ exit 9; }}; . "{ROOT}/scripts/lib-install.sh"; pi_extra "$0"',
                           str(fake)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("importable, extra", [
    ({"lgpio"}, ""),                      # python3-lgpio from the OS: no second copy
    ({"lgpio", "RPi.GPIO"}, ""),
    ({"RPi.GPIO"}, "[pi]"),               # RPi.GPIO alone fails on a Pi 5: add lgpio
    (set(), "[pi]"),
])
def test_pi_extra_only_when_the_os_lacks_lgpio(tmp_path, importable, extra):
    assert _pi_extra(tmp_path, importable) == extra


# Distributions that install the import package RPi.GPIO (rpi-lgpio is a drop-in for it);
# two of them in one environment overwrite each other's files.
RPI_GPIO_PROVIDERS = {"rpi-gpio", "rpi-lgpio"}
PI_MACHINES = ("aarch64", "armv7l", "armv6l")


def _extras() -> dict[str, list]:
    import tomllib

    from packaging.requirements import Requirement

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return {name: [Requirement(r) for r in reqs] for name, reqs in extras.items()}


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


def test_no_extra_installs_two_providers_of_rpi_gpio():
    for extra, reqs in _extras().items():
        providers = [r.name for r in reqs if _canonical(r.name) in RPI_GPIO_PROVIDERS]
        assert len(providers) <= 1, f"[{extra}] installs {providers}: both provide RPi.GPIO"


def test_pi_extra_is_lgpio_on_raspberry_pi_platforms_only():
    [req] = _extras()["pi"]
    assert _canonical(req.name) == "lgpio"
    for system, machine, wanted in [*(("linux", m, True) for m in PI_MACHINES),
                                    ("linux", "x86_64", False), ("darwin", "arm64", False),
                                    ("win32", "AMD64", False)]:
        assert req.marker.evaluate({"sys_platform": system, "platform_machine": machine}) is wanted, machine
