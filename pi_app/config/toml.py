"""TOML text in and out, with the standard library alone: ``tomllib`` reads (wrapped so
that any parser failure is one ``ConfigError``), and ``render`` writes a config, with a
comment per key (doc, unit, range, when it applies) when asked; the standard library
has no TOML writer.
"""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING, Any

from pi_app.config.schema import FIELDS, SECTIONS
from pi_app.config.sensors import REQUIRED_SENSOR_KEYS, SENSOR_FIELDS, VL53L1X_ONLY_KEYS
from pi_app.exc import ConfigError

if TYPE_CHECKING:
    from pi_app.config.core import Config

#: How much of tomllib's own message a refusal quotes.
PARSER_MESSAGE_CHARS = 120


# --- writing --------------------------------------------------------------------------
def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (escaped so that it reads back the same)."""
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, float):
        return repr(value)  # shortest round-trip form; inf/nan never get here (validated)
    return str(value)


def render(cfg: Config, comments: bool) -> str:
    """``cfg`` as a TOML document; ``comments`` adds a line per key and a header."""
    lines: list[str] = []
    if comments:
        lines += ["# backsight configuration: every setting with its default.",
                  "# Change a value here or live on the serial console (set KEY VALUE, then save).",
                  "# 'applies live' = the running device takes it at once; 'at the next start' ="
                  " after a restart.", ""]
    for section, names in SECTIONS.items():
        lines.append(f"[{section}]")
        for name in names:
            f = FIELDS[f"{section}.{name}"]
            if comments:
                rng = f.describe_range()
                unit = f" [{f.unit}]" if f.unit and not rng.endswith(f.unit) else ""
                lines.append(f"# {f.doc or name}{unit}; {rng}; {f.describe_applies()}")
            lines.append(f"{name} = {toml_value(cfg.values[f.key])}")
        lines.append("")
    if comments:
        lines += ["# [[sensors]]: one table per fitted sensor; read at start-up (applies at the next",
                  "# start). Keys (optional unless marked required):"]
        lines += [f"#   {k}{' (required)' if k in REQUIRED_SENSOR_KEYS else ''}: {spec.doc}"
                  + (f"; {spec.lo:g}..{spec.hi:g}" if spec.lo is not None else "")
                  for k, spec in SENSOR_FIELDS.items()]
    for s in cfg.sensors:
        lines.append("[[sensors]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in s.__dict__.items() if v is not None
                  and (s.kind == "vl53l1x" or k not in VL53L1X_ONLY_KEYS)]
        lines.append("")
    return "\n".join(lines)


# --- reading ----------------------------------------------------------------------------
def decode_config_bytes(raw: bytes) -> tuple[str, list[str]]:
    """The text of a config file, and one problem per line that is not UTF-8 (its bad
    bytes read as U+FFFD, so the rest of the file still loads)."""
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    problems = []
    for number, line in enumerate(raw.split(b"\n"), 1):  # no UTF-8 sequence holds 0x0A
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(f"line {number}: not UTF-8 (byte 0x{line[exc.start]:02x}), read as U+FFFD")
    return raw.decode("utf-8", "replace"), problems


def parse_config_text(text: str, source: str) -> dict:
    """``tomllib.loads`` that raises only ``ConfigError``: also for what tomllib lets
    through (RecursionError from deep nesting, ValueError from a 5000-digit integer...)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        why = str(exc)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file, not a crash
        why = f"{type(exc).__name__}: {exc}"
    why = " ".join(why.split())
    raise ConfigError(f"{source}: not valid TOML ({why[:PARSER_MESSAGE_CHARS]})")
