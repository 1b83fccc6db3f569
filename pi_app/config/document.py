"""A parsed TOML document read against the schema: the valid values it sets by key,
its sensors, and one line per thing it gets wrong. ``Config.from_dict`` refuses at the
first such line, ``Config.salvage`` keeps the rest; both start here.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pi_app.config.fields import show, show_key
from pi_app.config.schema import FIELDS, SECTIONS
from pi_app.config.sensors import SensorConfig, sensor_from_dict
from pi_app.exc import ConfigError


class Document(NamedTuple):
    """What a parsed TOML document sets: valid values by key, its sensors (None = not
    given or refused), problems with the scalar keys, problems with [[sensors]]."""

    values: dict
    sensors: tuple[SensorConfig, ...] | None
    problems: list
    sensor_problems: list


def read_document(data: Any) -> Document:
    """Read ``data`` (as ``tomllib`` returns it) key by key; never raises."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    sensor_problems: list[str] = []
    sensors = None
    if not isinstance(data, dict):
        return Document(values, None, ["the top level must be a table"], [])
    for section, body in data.items():
        if section == "sensors":
            if not isinstance(body, list):
                sensor_problems.append("sensors must be an array of tables ([[sensors]])")
                continue
            entries = []
            for i, raw in enumerate(body):
                try:
                    entries.append(sensor_from_dict(raw, f"sensors[{i}]"))
                except ConfigError as exc:
                    sensor_problems.append(str(exc))
            sensors = None if sensor_problems else tuple(entries)
            continue
        if section not in SECTIONS:
            problems.append(f"[{show_key(section)}] unknown section "
                            f"(allowed: {', '.join(SECTIONS)}, sensors)")
            continue
        if not isinstance(body, dict):
            problems.append(f"[{section}] must be a table, not {show(body)}")
            continue
        for name, value in body.items():
            key = f"{section}.{name}"
            f = FIELDS.get(key)
            if f is None:
                problems.append(f"{section}.{show_key(name)} unknown")
                continue
            why = f.problem(value)
            if why is None:
                values[key] = f.validate(value)
            else:
                problems.append(f"{key} {why}")
    return Document(values, sensors, problems, sensor_problems)
