"""docs/build.md, the walk-through from parts to the first warning, says what the code
does: the healthy doctor report is the doctor's own output on an install.sh image with
the default kit, every setting it quotes has that default, the console replies it shows
are the console's, and every file it links to exists."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pi_app.config import FIELDS, Config
from pi_app.doctor import Doctor, format_findings
from pi_app.serial_protocol import ConsoleProtocol
from test_doctor import default_bus, make_root

REPO = Path(__file__).resolve().parents[2]
BUILD_MD = REPO / "docs" / "build.md"
ZERO_2_W = b"Raspberry Pi Zero 2 W Rev 1.0\0"


def text() -> str:
    return BUILD_MD.read_text(encoding="utf-8")


def healthy_report(tmp_path) -> str:
    """``backsight doctor`` on a Zero 2 W after install.sh, the service running, the
    default kit answering (simulated), as it would print with root = /."""
    root = make_root(tmp_path, boot="dtparam=audio=on\n", group="dialout:x:20:\n", model=ZERO_2_W)
    (root / "etc/passwd").write_text("root:x:0:0::/root:/bin/bash\n")
    done = subprocess.run(["bash", str(REPO / "scripts/install.sh"), "--root", str(root), "--no-venv"],
                          capture_output=True, text=True, env=dict(os.environ, PYTHON=sys.executable),
                          timeout=120)
    assert done.returncode == 0, done.stderr
    (root / "dev").mkdir()
    (root / "dev/ttyS0").touch()
    (root / "dev/serial0").symlink_to("ttyS0")
    states = {"is-active": "active", "is-enabled": "enabled"}

    def systemctl(argv):
        return (0, states[argv[1]]) if argv[0] == "systemctl" and argv[1] in states else None

    bus = default_bus()
    findings = Doctor(lambda n: bus, Config.defaults(), root=root, live=True, run_command=systemctl,
                      find_module=lambda name: name == "lgpio").run()
    return format_findings(findings).replace(str(root), "")


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_the_healthy_doctor_report_is_the_doctors_output(tmp_path):
    report = healthy_report(tmp_path)
    assert "0 failed, 0 warnings" in report
    [shown] = re.findall(r"```text\n(.*?)```", text(), re.S)
    assert shown.strip() == report.strip(), f"docs/build.md shows a stale report; now:\n{report}"


def test_every_setting_quoted_has_that_default():
    quoted = re.findall(r"`([a-z_]+\.[a-z_]+)` = ([\d.]+) (\w+)", text())
    assert len(quoted) >= 7
    for key, value, unit in quoted:
        assert float(value) == FIELDS[key].default and unit == FIELDS[key].unit, key


def test_the_console_replies_shown_are_the_consoles():
    holder = [Config.defaults()]
    proto = ConsoleProtocol(lambda: holder[0], lambda c: holder.__setitem__(0, c))
    pairs = re.findall(r"^\s*\$ \S*backsight config --port \S+ (.+)\n\s*(OK .*)$", text(), re.M)
    assert len(pairs) >= 2
    for command, reply in pairs:
        assert proto.handle_line(command) == [reply], command


def test_every_link_resolves_and_no_address_is_invented():
    body = text()
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", body):
        if "://" not in target:
            assert (BUILD_MD.parent / target).exists(), target
    assert "git clone <URL of your copy of this repository>" in body
    assert "git bundle create" in body and "github.com" not in body


def test_the_build_guide_covers_each_step():
    headings = re.findall(r"^## (.+)$", text(), re.M)
    for word in ("Parts", "Print", "Solder", "Flash", "install", "Wire", "doctor",
                 "self-test", "Wear", "Configure", "first test walk", "without hardware"):
        assert any(word in h for h in headings), word
