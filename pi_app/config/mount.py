"""Mount geometry as console keys: ``sensors.<id>.mount_height_m``, ``.pitch_deg`` and
``.yaw_deg`` of each fitted range sensor, so a builder can calibrate the belt or the
handrail clamp over serial (``set sensors.ground.pitch_deg -30``, then ``save``).

Values are checked against the ``[[sensors]]`` key ranges and the new ``Config`` is
built with ``with_sensors``, so every cross-field rule still holds. The sensors and
their detectors are built at start-up, so a change applies at the next start.
Standard library only, like the rest of this package.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

from pi_app.config.core import Config
from pi_app.config.fields import show
from pi_app.config.sensors import SENSOR_FIELDS, SensorConfig
from pi_app.exc import ConfigError

#: the [[sensors]] keys the console may change: where and how a sensor is mounted
MOUNT_KEYS = ("mount_height_m", "pitch_deg", "yaw_deg")
PREFIX = "sensors."
#: how the docs and ``help`` spell a mount key of any sensor
PATTERN = PREFIX + "<id>."


class MountKey(NamedTuple):
    """``sensors.<sensor_id>.<name>``, one mount setting of one fitted sensor."""

    sensor_id: str
    name: str

    @property
    def key(self) -> str:
        return f"{PREFIX}{self.sensor_id}.{self.name}"


def parse_mount_key(key: str) -> MountKey | None:
    """The ``MountKey`` ``key`` spells, or None when it is not of that form."""
    if not key.startswith(PREFIX):
        return None
    sensor_id, _, name = key[len(PREFIX):].rpartition(".")
    if not sensor_id or name not in MOUNT_KEYS:
        return None
    return MountKey(sensor_id, name)


def mounted_sensors(cfg: Config) -> tuple[SensorConfig, ...]:
    """The sensors with a mount to calibrate: every range sensor (not the IMU)."""
    return tuple(s for s in cfg.sensors if s.role != "imu")


def mount_keys(cfg: Config) -> list[MountKey]:
    """Every mount key of ``cfg``, sensor by sensor in the order they are fitted."""
    return [MountKey(s.id, name) for s in mounted_sensors(cfg) for name in MOUNT_KEYS]


def describe_range(name: str) -> str:
    """The allowed values of mount setting ``name``, as ``help`` and the docs say them."""
    spec = SENSOR_FIELDS[name]
    unit = name.rsplit("_", 1)[1]
    above = " (above 0)" if name == "mount_height_m" else ""
    return f"{spec.lo:g}..{spec.hi:g} {unit}{above}"


def _sensor(cfg: Config, mk: MountKey) -> SensorConfig:
    for s in mounted_sensors(cfg):
        if s.id == mk.sensor_id:
            return s
    fitted = ", ".join(s.id for s in mounted_sensors(cfg)) or "none"
    raise ConfigError(f"unknown key {show(mk.key)} (sensors with a mount: {fitted})")


def mount_value(cfg: Config, mk: MountKey) -> float:
    """The configured value of ``mk``; ``ConfigError`` if no such sensor is fitted."""
    return getattr(_sensor(cfg, mk), mk.name)


def with_mount(cfg: Config, mk: MountKey, text: str) -> Config:
    """A new ``Config`` with ``mk`` set to the number ``text``; ``ConfigError`` (one
    line naming the key) if the sensor is not fitted or the value is not allowed."""
    sensor = _sensor(cfg, mk)
    spec = SENSOR_FIELDS[mk.name]
    try:
        value = float(text.strip())
    except ValueError:
        raise ConfigError(f"{mk.key}: {show(text.strip())} is not a number "
                          f"(allowed {describe_range(mk.name)})") from None
    if not math.isfinite(value) or not spec.lo <= value <= spec.hi or \
            (mk.name == "mount_height_m" and value == 0.0):
        raise ConfigError(f"{mk.key}: {show(value)} is outside {describe_range(mk.name)}")
    sensors = tuple(replace(s, **{mk.name: value}) if s is sensor else s for s in cfg.sensors)
    return cfg.with_sensors(sensors)
