"""``scripts/dev.sh`` installs only when pyproject.toml (or the extras asked) changed
since the last install, or the package does not import: a second call runs offline.

The venv's python is a stub that logs its arguments, so the test sees exactly what
dev.sh asks of it (``-m pip install``, the import check, the command) without pip."""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STUB = """#!/bin/sh
echo "$*" >> "$STUB_LOG"
if [ "$1" = "-c" ] && [ -n "$STUB_BROKEN" ]; then exit 1; fi
exit 0
"""
PIP = "-m pip install -q --disable-pip-version-check -e"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "dev.sh", tmp_path / "scripts" / "dev.sh")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(STUB)
    python.chmod(0o755)
    return tmp_path


def dev(project: Path, *args: str, **env: str) -> list[str]:
    """Run dev.sh; the stub python's calls, one per line."""
    log = project / "calls.log"
    log.unlink(missing_ok=True)
    done = subprocess.run(["bash", str(project / "scripts" / "dev.sh"), *args],
                          env={**os.environ, "STUB_LOG": str(log), **env},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return log.read_text().splitlines() if log.exists() else []


def stamp(project: Path) -> str:
    return (project / ".venv" / ".backsight-installed").read_text()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_installs_once_then_runs_without_pip(project):
    first = dev(project, "test", "-q")
    assert first[-2:] == [f"{PIP} .[test]", "-m pytest -q"]
    assert stamp(project) == f"{sha256(project / 'pyproject.toml')} test\n"
    before = stamp(project)
    again = dev(project, "test", "-q")
    assert again == ["-c import pi_app,pytest,hypothesis", "-m pytest -q"]    # no pip
    assert stamp(project) == before
    # the test extras include everything the demo needs
    assert dev(project, "demo", "--speed", "2") == ["-c import pi_app",
                                                   "-m pi_app demo --speed 2"]


def test_demo_installs_without_extras_and_test_then_adds_them(project):
    assert dev(project, "demo")[-2:] == [f"{PIP} .", "-m pi_app demo"]
    assert stamp(project).endswith(" \n")
    assert f"{PIP} .[test]" in dev(project, "test")
    assert not [c for c in dev(project, "demo") if "pip" in c]


def test_a_changed_pyproject_or_a_broken_install_installs_again(project):
    dev(project, "test")
    with open(project / "pyproject.toml", "a") as f:
        f.write("\n# a new dependency\n")
    assert f"{PIP} .[test]" in dev(project, "test")
    assert stamp(project).startswith(sha256(project / "pyproject.toml"))
    assert not [c for c in dev(project, "test") if "pip" in c]
    assert f"{PIP} .[test]" in dev(project, "test", STUB_BROKEN="1")   # import fails


def test_an_unknown_command_is_a_usage_error_before_anything_runs(project):
    log = project / "calls.log"
    done = subprocess.run(["bash", str(project / "scripts" / "dev.sh"), "tset"],
                          env={**os.environ, "STUB_LOG": str(log)}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "usage: scripts/dev.sh demo|test" in done.stderr
    assert not log.exists()
