"""Scenario files as tables: a shipped scenario by name or a TOML file by path, read
into the dict ``pi_app.sim.scenario.parse_scenario`` checks.

Reading is where a user's file first meets the program, so every way it can fail - no
such file, a directory, too big, not UTF-8, not TOML, the parser itself failing - is one
``ScenarioError`` naming the file, never a traceback:

    data, source = read_scenario("wall-approach")      # pi_app/scenarios/wall-approach.toml
    data, source = read_scenario("runs/my.toml")
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pi_app.exc import ScenarioError

#: bigger than any scenario at every limit of ``pi_app.sim.scenario`` with comments;
#: read into memory whole
MAX_FILE_BYTES = 4 * 1024 * 1024


#: the package is installed as plain files (never zipped: the installer copies it), so a
#: path beside this module serves; importlib.resources costs ~0.3x a bare start-up
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def shipped_dir() -> Path:
    """Where the shipped scenarios are (``pi_app/scenarios``, inside the package)."""
    return SHIPPED_DIR


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped in ``pi_app/scenarios`` (sorted)."""
    return sorted(p.name[:-5] for p in shipped_dir().iterdir() if p.name.endswith(".toml"))


def read_scenario(name_or_path) -> tuple[dict, str]:
    """``(table, source)`` of a shipped scenario by name (``"wall-approach"``), else of a
    TOML file path; ``source`` is what errors about its keys should name."""
    text = str(name_or_path)
    shipped = shipped_dir().joinpath(f"{text}.toml")
    if "/" not in text and not text.endswith(".toml") and shipped.is_file():
        raw, source = shipped.read_bytes(), f"{text}.toml"
    else:
        raw, source = _read_file(Path(text)), text
    return _toml(raw, Path(source).name), source


def _read_file(path: Path) -> bytes:
    """The bytes of a scenario file, or ``ScenarioError`` saying why not."""
    try:
        if not path.exists():
            raise ScenarioError(f"{path}: no such scenario file or shipped scenario "
                                f"(shipped: {', '.join(shipped_scenarios())})")
        if not path.is_file():
            raise ScenarioError(f"{path}: not a scenario file (a directory or a device?)")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError(f"{path.name}: larger than {MAX_FILE_BYTES // 2**20} MiB: "
                                "not a scenario file")
        return path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _toml(raw: bytes, file: str) -> dict:
    """Parse TOML text; any failure of the parser is a ``ScenarioError`` naming ``file``."""
    try:
        text = raw.decode("utf-8-sig")      # a BOM from a Windows editor is fine
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ScenarioError(f"{file}: line {line}: not UTF-8 text (byte "
                            f"0x{raw[exc.start]:02x}); save the file as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = str(exc)
    except RecursionError:
        problem = "arrays or tables nested too deeply"
    except ValueError as exc:           # e.g. an integer of thousands of digits
        problem = str(exc).split(";")[0]
    except Exception as exc:            # the parser's own failure: still the file's fault
        problem = f"{type(exc).__name__}: {exc}"
    raise ScenarioError(f"{file}: not valid TOML: {problem}")
