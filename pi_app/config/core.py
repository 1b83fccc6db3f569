"""``Config``: the immutable configuration the loop reads (``cfg.obstacle.warning_ttc_s``:
plain attribute access on immutable sections, cheap on the hot path).

Every way of making one (``with_value``, ``with_sensors``, a file, ``defaults``) ends
in the cross-field rules, so a ``Config`` always holds; a change returns a new one and
leaves the old untouched, so a bad ``set`` can never change anything. ``from_dict``
refuses a document at its first mistake (tools, recordings); ``salvage`` keeps every
valid key and names each bad one (the device at start).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pi_app.config.document import read_document
from pi_app.config.fields import show
from pi_app.config.rules import Violation, rules
from pi_app.config.schema import FIELDS, SCHEMA, SECTION_TYPES, SECTIONS, default_values
from pi_app.config.sensors import DEFAULT_SENSORS, SensorConfig
from pi_app.config.toml import render
from pi_app.exc import ConfigError

#: Appended to the last problem of a refused [[sensors]] table in ``Config.salvage``.
SENSORS_FALLBACK = " (so the whole [[sensors]] table falls back to the defaults)"


@dataclass(frozen=True)
class Config:
    """Immutable configuration. Sections are attributes (``cfg.obstacle.warning_ttc_s``)."""

    values: dict = field(repr=False)
    sensors: tuple[SensorConfig, ...] = DEFAULT_SENSORS
    source: str = field(default="<defaults>", compare=False)

    def __post_init__(self) -> None:
        for section, names in SECTIONS.items():
            obj = SECTION_TYPES[section](*(self.values[f"{section}.{n}"] for n in names))
            object.__setattr__(self, section, obj)

    def __getattr__(self, name: str):  # only reached for unknown sections
        raise AttributeError(f"no config section {name!r}")

    # constructors
    @classmethod
    def defaults(cls) -> "Config":
        return cls(default_values())

    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>") -> "Config":
        """Build from a nested mapping as read from TOML; the first bad key, section,
        sensor entry or broken rule raises ``ConfigError`` naming ``source`` and it."""
        doc = read_document(data)
        for problem in doc.problems + doc.sensor_problems:
            raise ConfigError(f"{source}: {problem}")
        values = default_values()
        values.update(doc.values)
        cfg = cls(values, DEFAULT_SENSORS if doc.sensors is None else doc.sensors, source)
        for v in cfg.violations():
            raise ConfigError(f"{source}: {v.message}")
        return cfg

    @classmethod
    def salvage(cls, data: Any, source: str = "<dict>") -> tuple["Config", list[str]]:
        """The best config ``data`` describes, and one line per thing left out.

        Every valid key is used; a bad key is named and its default used. A bad
        [[sensors]] entry makes the whole sensors table fall back to the defaults (a
        dropped sensor would silently stop watching). A broken cross-field rule puts the
        keys it names that ``data`` set back to their defaults; if it still fails, the
        sections it names. The result always passes ``check()``."""
        doc = read_document(data)
        problems = list(doc.problems)
        if doc.sensor_problems:
            problems += doc.sensor_problems[:-1] + [doc.sensor_problems[-1] + SENSORS_FALLBACK]
        defaults = default_values()
        values = {**defaults, **doc.values}
        sensors = DEFAULT_SENSORS if doc.sensors is None else doc.sensors
        from_file = set(doc.values) | ({"sensors"} if doc.sensors is not None else set())
        for _ in range(len(SCHEMA) + len(SECTIONS) + 2):  # each round reverts something
            violations = cls(values, sensors, source).violations()
            if not violations:
                return cls(values, sensors, source), problems
            v = violations[0]
            blamed = [k for k in v.keys if k in from_file]
            if not blamed:  # keys the file did not set: their whole sections
                sections = {k.split(".")[0] for k in v.keys}
                blamed = [k for k in defaults if k.split(".")[0] in sections]
                blamed += ["sensors"] if "sensors" in sections else []
            for key in blamed:
                if key == "sensors":
                    sensors = DEFAULT_SENSORS
                else:
                    values[key] = defaults[key]
            from_file.difference_update(blamed)
            problems.append(f"{v.message} ({', '.join(blamed)} back to default)")
        problems.append("the rules still failed: everything back to default")
        return cls(defaults, DEFAULT_SENSORS, source), problems

    # queries
    def get(self, key: str) -> Any:
        if key not in FIELDS:
            raise ConfigError(f"unknown key {show(key)}")
        return self.values[key]

    def keys(self) -> tuple[str, ...]:
        return tuple(FIELDS)

    def violations(self) -> list[Violation]:
        """Every cross-field rule this config breaks (empty = none)."""
        return [v for v in rules(self) if v is not None]

    def check(self) -> None:
        """Cross-field rules: ordered levels, a working output, distinct pins that are
        not the I2C bus's or the console UART's, unique sensor ids. Raises
        ``ConfigError`` with one line naming the keys and their values."""
        for v in rules(self):
            if v is not None:
                raise ConfigError(v.message)

    # changes
    def with_value(self, key: str, value: Any) -> "Config":
        """A new Config with ``key`` set; ``value`` may be text (parsed) or typed."""
        if key not in FIELDS:
            raise ConfigError(f"unknown key {show(key)}")
        f = FIELDS[key]
        parsed = f.parse(value) if isinstance(value, str) and f.type is not str else f.validate(value)
        values = dict(self.values)
        values[key] = parsed
        cfg = Config(values, self.sensors, self.source)
        cfg.check()
        return cfg

    def with_sensors(self, sensors) -> "Config":
        cfg = Config(self.values, tuple(sensors), self.source)
        cfg.check()
        return cfg

    def to_dict(self) -> dict:
        out: dict[str, Any] = {}
        for f in SCHEMA:
            out.setdefault(f.section, {})[f.name] = self.values[f.key]
        out["sensors"] = [
            {k: v for k, v in s.__dict__.items() if v is not None} for s in self.sensors
        ]
        return out

    def to_toml(self, *, comments: bool = False) -> str:
        """This config as TOML (standard library only); ``comments`` adds a line per key
        with its doc, unit, range and when it applies."""
        return render(self, comments)
