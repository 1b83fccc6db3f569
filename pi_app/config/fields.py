"""One setting of the schema: ``Field`` parses text typed on the console, checks a value
read from TOML (type, finiteness, range or choices, a text rule) and says why it refuses
one, in a line that names the key. ``show`` quotes values and keys in such lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from pi_app.exc import ConfigError

#: ``Field.applies``: the loop takes the value at its next cycle ...
LIVE = "live"
#: ... or the value is read once when the device starts (after ``save`` and a restart).
RESTART = "restart"

#: ``Field.unit`` of a ratio or a count: it has no unit, by design (None = not stated).
DIMENSIONLESS = ""

# How much of a value or key a message quotes (a file may hold a 4000-digit number).
SHOW_CHARS = 40

#: What a value of each type is called in messages ("... is a string, not a number").
TYPE_NAMES = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
GOT_NAMES = {**TYPE_NAMES, float: "a decimal number", list: "a list", dict: "a table"}


def show(value: Any) -> str:
    """A value as messages quote it: one short line of printable ASCII."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = ascii(value) if isinstance(value, str) else repr(value)
    if not text.isascii() or not text.isprintable():
        text = ascii(text)
    return text if len(text) <= SHOW_CHARS else text[:SHOW_CHARS - 3] + "..."


def show_key(text: str) -> str:
    """A key read from a file as messages quote it (quoted when it is unusual)."""
    plain = text.isascii() and text.isprintable() and " " not in text and len(text) <= SHOW_CHARS
    return text if plain else show(text)


def got_name(value: Any) -> str:
    """What ``value`` is, as messages say it ("a decimal number", "a list")."""
    return GOT_NAMES.get(type(value), type(value).__name__)


def device_path_problem(text: str) -> str | None:
    """Why ``text`` is not a serial device path a config may name (None = it is).

    Only paths under /dev/: a pyserial URL (``spy://`` writes a file, ``socket://`` opens
    a network socket) is accepted from ``backsight run --serial-port`` only."""
    if "://" in text:
        return (f"{show(text)} is a URL; a config names a device under /dev/ "
                f"(URLs only with backsight run --serial-port)")
    if not text.isprintable() or any(c.isspace() for c in text):
        return f"{show(text)} has spaces or control characters"
    if not text.startswith("/dev/") or text == "/dev/" or text.endswith("/"):
        return f"{show(text)} is not a device path under /dev/"
    if ".." in text.split("/"):
        return f"{show(text)} contains '..'"
    return None


@dataclass(frozen=True)
class Field:
    """One scalar setting, addressed by its dotted key.

    ``unit``: its SI-style unit ("s", "m/s", "deg"), or DIMENSIONLESS for a ratio or a
    count (bool and str fields need none).
    ``applies``: LIVE (the loop takes it at once) or RESTART (read at start-up only).
    ``check_text``: for str fields, a further rule returning why a text is refused."""

    key: str
    type: type
    default: Any
    unit: str | None = None
    doc: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple = ()
    applies: str = LIVE
    check_text: Callable[[str], str | None] | None = field(default=None, compare=False, repr=False)

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[1]

    def describe_range(self) -> str:
        if self.choices:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.type is bool:
            return "true or false"
        if self.type is str:
            return "a device path under /dev/" if self.check_text is device_path_problem else "text"
        lo = "-inf" if self.min is None else f"{self.min:g}"
        hi = "inf" if self.max is None else f"{self.max:g}"
        return f"{lo}..{hi}" + (f" {self.unit}" if self.unit else "")

    def describe_applies(self) -> str:
        return "applies live" if self.applies == LIVE else "applies at the next start"

    def parse(self, text: str) -> Any:
        """Parse a value typed on the serial console (or given as a string)."""
        text = text.strip()
        if self.type is bool:
            low = text.lower()
            if low in ("1", "true", "on", "yes"):
                return self.validate(True)
            if low in ("0", "false", "off", "no"):
                return self.validate(False)
            raise ConfigError(f"{self.key}: {show(text)} is not a boolean (true/false)")
        if self.type in (int, float):
            try:
                value = int(text, 0) if self.type is int else float(text)
            except ValueError:
                raise ConfigError(f"{self.key}: {show(text)} is not a number "
                                  f"(allowed {self.describe_range()})") from None
            return self.validate(value)
        return self.validate(text)

    def problem(self, value: Any) -> str | None:
        """Why ``value`` (as read from TOML or parsed) is refused; None = it is fine."""
        t = self.type
        if t is float and type(value) is int:
            try:
                value = float(value)
            except OverflowError:
                return f"{show(value)} is outside the allowed range {self.describe_range()}"
        if not isinstance(value, t) or (t is not bool and isinstance(value, bool)):
            return f"{show(value)} is {got_name(value)}, not {TYPE_NAMES[t]}"
        if t is float and not math.isfinite(value):
            return f"{show(value)} is not a finite number"
        if self.choices and value not in self.choices:
            return f"{show(value)} is not allowed ({self.describe_range()})"
        if t in (int, float):
            if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
                return f"{show(value)} is outside the allowed range {self.describe_range()}"
        if t is str and self.check_text is not None:
            return self.check_text(value)
        return None

    def validate(self, value: Any) -> Any:
        """Check type and range; return the value in its canonical type."""
        why = self.problem(value)
        if why is not None:
            raise ConfigError(f"{self.key}: {why}")
        return float(value) if self.type is float else value
