"""The device core never imports the simulator.

What runs on the Pi (sensors, detectors, alerts, the loop, the device, the config and
the serial console) must work without ``pi_app.sim``: read statically with ``ast``,
including imports inside functions and ``importlib.import_module("pi_app.sim...")``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pi_app"
CORE_GLOBS = ("sensors/**/*.py", "detect/**/*.py", "alert/**/*.py", "loop.py", "device.py",
              "config*.py", "config/**/*.py", "serial_*.py")
FORBIDDEN = "pi_app.sim"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, *,
                     is_package: bool = False) -> list[tuple[int, str]]:
    """Every module that ``module`` (with text ``source``) imports, absolute, with its
    line: ``import a.b``, ``from a import b`` (as ``a`` and ``a.b``), relative forms,
    and ``import_module("...")`` with a literal name."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"):
            found.append((node.lineno, node.args[0].value))
    return found


def file_imports(path: Path) -> list[tuple[int, str]]:
    return imported_modules(path.read_text(encoding="utf-8"), module_name(path),
                            is_package=path.name == "__init__.py")


def is_sim(name: str) -> bool:
    return name == FORBIDDEN or name.startswith(FORBIDDEN + ".")


def core_files() -> list[Path]:
    files = {p for pattern in CORE_GLOBS for p in PACKAGE.glob(pattern)}
    return sorted(files)


def test_the_core_is_found():
    names = {module_name(p) for p in core_files()}
    assert {"pi_app.device", "pi_app.loop", "pi_app.sensors.chips",
            "pi_app.sensors.vl53l1x", "pi_app.alert.button"} <= names
    assert not any(is_sim(n) for n in names)


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_module_does_not_import_the_simulator(path):
    bad = [f"line {line}: {name}" for line, name in file_imports(path) if is_sim(name)]
    assert not bad, f"{path.relative_to(PACKAGE.parent)} imports the simulator: {bad}"


@pytest.mark.parametrize("source, expected", [
    ("import pi_app.sim.optics", True),
    ("from pi_app.sim.optics import max_range_m", True),
    ("from pi_app import sim", True),
    ("def f():\n    from pi_app.sim import devices\n", True),
    ("import importlib\nimportlib.import_module('pi_app.sim.devices.vl53l1x')", True),
    ("from ..sim import optics", True),           # relative, from pi_app.sensors
    ("from .. import sim", True),
    ("from pi_app.simple import x", False),
    ("from pi_app.sensors.chips import chip", False),
    ("from . import chips", False),
    ("from .sim import x", False),                # that is pi_app.sensors.sim
])
def test_the_check_sees_every_form_of_import(source, expected):
    names = [name for _, name in imported_modules(source, "pi_app.sensors.probe")]
    assert any(is_sim(n) for n in names) is expected, names


def _module_file(name: str) -> Path | None:
    """The file of ``name`` or of its nearest parent that is a module in this tree."""
    parts = name.split(".")
    while parts:
        base = PACKAGE.parent.joinpath(*parts)
        if (base / "__init__.py").is_file():
            return base / "__init__.py"
        if base.with_suffix(".py").is_file():
            return base.with_suffix(".py")
        parts.pop()
    return None


def sim_imports_reachable_from(roots) -> list[str]:
    """Chains ``pi_app.x <- pi_app.y <- ...`` by which a root reaches ``pi_app.sim``
    through pi_app's own modules."""
    via: dict[Path, Path | None] = {}
    todo = [(root, None) for root in roots]
    chains = []
    while todo:
        path, parent = todo.pop()
        if path in via:
            continue
        via[path] = parent
        for _, name in file_imports(path):
            if not name.startswith("pi_app"):
                continue
            if is_sim(name):
                chain, step = [name], path
                while step is not None:
                    chain.append(module_name(step))
                    step = via[step]
                chains.append(" <- ".join(chain))
                continue
            target = _module_file(name)
            if target is not None and target not in via:
                todo.append((target, path))
    return sorted(set(chains))


def test_nothing_the_core_imports_reaches_the_simulator():
    chains = sim_imports_reachable_from(core_files())
    assert not chains, "\n".join(chains)
