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
from pathlib import Path

import pytest

from pi_app.config import load_config

ROOT = Path(__file__).resolve().parents[1]
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
