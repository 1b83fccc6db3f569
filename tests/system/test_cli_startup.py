"""What a command line costs before it does anything: ``backsight --help`` imports no
sub-command (nor gpiozero, the config schema or the simulator), a named command only
its own module; and ``run`` logs at INFO by default, so its journal has the self-test
and each alert change without ``-v``."""

import json
import subprocess
import sys

import pytest

from pi_app.cli import COMMANDS

HEAVY = ("gpiozero", "pi_app.config", "pi_app.sim", "pi_app.device", "logging", "serial")

PROBE = """
import json, sys
from pi_app.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def imported_by(*argv: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(argv=list(argv))],
                          capture_output=True, text=True, timeout=60)
    return set(json.loads(done.stderr.splitlines()[-1]))


def test_help_imports_no_sub_command_and_nothing_heavy():
    loaded = imported_by("--help")
    assert not {m for m in loaded if m.startswith("pi_app.commands.")}
    assert not {m for m in loaded for heavy in HEAVY if m == heavy or m.startswith(heavy + ".")}


@pytest.mark.parametrize("name", ["demo", "bench", "plot"])
def test_a_command_s_help_imports_only_that_command(name):
    loaded = imported_by(name, "--help")
    others = {module for other, (module, _) in COMMANDS.items() if other != name}
    assert COMMANDS[name][0] in loaded and not others & loaded


def test_run_says_the_self_test_at_info_without_v():
    done = subprocess.run([sys.executable, "-m", "pi_app", "run", "--sim", "stuck-sensor",
                           "--speed", "20", "--duration", "0.5"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert any(line.startswith("INFO pi_app.device: self-test") for line in done.stderr.splitlines())


def test_other_commands_stay_at_warning():
    done = subprocess.run([sys.executable, "-m", "pi_app", "demo", "stuck-sensor", "--speed", "20",
                           "--plain"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not [l for l in done.stderr.splitlines() if l.startswith("INFO ")]
