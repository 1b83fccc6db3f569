"""The ``[[sensors]]`` table: one ``SensorConfig`` per fitted sensor (which chip, where
it answers on the bus, what it watches, how it is mounted), its keys with their ranges,
the default kit, and the parser that names ``sensors[i].key`` in every refusal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from pi_app.config.fields import TYPE_NAMES, got_name, show, show_key
from pi_app.exc import ConfigError
# which chips a config may name, and where each answers from the factory (standard library
# only, as ``python3 -m pi_app.config`` runs without site-packages)
from pi_app.sensors.chips import SENSOR_KINDS, default_address

SENSOR_ROLES = ("obstacle", "surface", "deck", "imu")


@dataclass(frozen=True)
class SensorConfig:
    """One fitted sensor: what it is, where it answers, what it watches, how it is mounted."""

    id: str
    kind: str
    role: str
    address: int | None = None          # None = the chip's default address
    mux_address: int | None = None      # TCA9548A address when behind a mux
    mux_channel: int | None = None      # 0..7
    xshut_pin: int | None = None        # BCM GPIO holding a VL53L1X in reset
    mount_height_m: float = 1.0
    pitch_deg: float = 0.0              # negative = looking down
    yaw_deg: float = 0.0
    distance_mode: str = "long"         # VL53L1X only
    timing_budget_ms: int = 33          # VL53L1X only

    @property
    def bus_address(self) -> int:
        return default_address(self.kind) if self.address is None else self.address


class SensorKey(NamedTuple):
    """One key of a ``[[sensors]]`` entry: its type, doc and allowed range."""

    type: type
    doc: str
    lo: float | None = None   # allowed range (None = no bound)
    hi: float | None = None


SENSOR_FIELDS = {
    "id": SensorKey(str, "unique name, shown in status and the log (letters, digits, - _ .)"),
    "kind": SensorKey(str, "chip: " + ", ".join(SENSOR_KINDS)),
    "role": SensorKey(str, "what it watches: " + ", ".join(SENSOR_ROLES)),
    "address": SensorKey(int, "I2C address (default: the chip's own)", 0x03, 0x77),
    "mux_address": SensorKey(int, "TCA9548A address when behind a mux (with mux_channel)", 0x70, 0x77),
    "mux_channel": SensorKey(int, "TCA9548A channel (with mux_address)", 0, 7),
    "xshut_pin": SensorKey(int, "BCM GPIO holding a VL53L1X in reset (for re-addressing)", 0, 27),
    "mount_height_m": SensorKey(float, "height above the ground, m", 0.0, 3.0),
    "pitch_deg": SensorKey(float, "beam pitch, deg (negative = looking down)", -90.0, 90.0),
    "yaw_deg": SensorKey(float, "beam yaw, deg", -180.0, 180.0),
    "distance_mode": SensorKey(str, "VL53L1X only: short or long"),
    "timing_budget_ms": SensorKey(int, "VL53L1X only: ranging time, ms", 15, 500),
}
#: Keys every entry must have.
REQUIRED_SENSOR_KEYS = ("id", "kind", "role")
#: Keys only a VL53L1X uses: a file written for another chip leaves them out.
VL53L1X_ONLY_KEYS = ("distance_mode", "timing_budget_ms")
SENSOR_ID_CHARS = 32  # status shows "<id>.distance_m=..." on one console line

#: Yaw of the two level VL53L1X, each turned this far from straight back (left chip +,
#: right chip -): their 27 deg cones overlap in a +-(13.5 - this) deg wedge straight
#: behind. Chosen in docs/bearing.md ("The yaw"): the smaller it is, the wider the wedge
#: and the sooner "the right chip does not see it" proves a target is beside the path.
REAR_YAW_DEG = 4.0

DEFAULT_SENSORS = (
    # Level VL53L1X on the belt's back: 27 deg cone, ~3.2 m in the dark at 33 ms, 30 Hz.
    SensorConfig("rear", "vl53l1x", "obstacle", xshut_pin=17,
                 mount_height_m=1.0, pitch_deg=0.0),
    # TF-Luna pitched down: a 2 deg beam samples one ground spot ~2.1 m behind the heels
    # at 250 Hz, where a 27 deg VL53L1X cone would only see its nearest (lower) edge.
    SensorConfig("ground", "tfluna", "surface", mount_height_m=1.0, pitch_deg=-25.0),
    SensorConfig("imu", "mpu6050", "imu"),
)

#: The bearing kit: two level VL53L1X on the belt's back, yawed +-REAR_YAW_DEG, each a
#: 27 deg cone, ~3.1 m in the dark at 33 ms, 30 Hz. Which one sees a target gives its
#: side, and a target only one sees is beside the path (pi_app/detect/corridor.py).
#: Both wake at 0x29: XSHUT holds each in reset until it is moved to its own address.
#: Not the default: measured, it costs false alarms and leads (docs/bearing.md).
BEARING_SENSORS = (
    SensorConfig("rear-left", "vl53l1x", "obstacle", address=0x30, xshut_pin=17,
                 mount_height_m=1.0, pitch_deg=0.0, yaw_deg=REAR_YAW_DEG),
    SensorConfig("rear-right", "vl53l1x", "obstacle", address=0x31, xshut_pin=27,
                 mount_height_m=1.0, pitch_deg=0.0, yaw_deg=-REAR_YAW_DEG),
    DEFAULT_SENSORS[1],
    DEFAULT_SENSORS[2],
)

#: a range chip pitched further than this from level watches the ground, not obstacles
#: (the corridor's pair and a scenario's "rear" fault alias both take only level chips)
LEVEL_MAX_PITCH_DEG = 10.0


def _sensor_id_ok(text: str) -> bool:
    return 0 < len(text) <= SENSOR_ID_CHARS and all(c.isascii() and (c.isalnum() or c in "-_.")
                                                     for c in text)


def sensor_from_dict(raw: Any, where: str) -> SensorConfig:
    """One [[sensors]] table; a ConfigError names ``where.key`` and why."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} is not a table (each [[sensors]] entry must be one)")
    values = {}
    for key, value in raw.items():
        spec = SENSOR_FIELDS.get(key)
        if spec is None:
            raise ConfigError(f"{where}.{show_key(key)} unknown (allowed: {', '.join(SENSOR_FIELDS)})")
        t = spec.type
        if t is float and type(value) is int:
            value = float(value) if abs(value) < 2 ** 53 else math.inf
        if not isinstance(value, t) or isinstance(value, bool):
            raise ConfigError(f"{where}.{key} {show(value)} is {got_name(value)}, not {TYPE_NAMES[t]}")
        if spec.lo is not None and not spec.lo <= value <= spec.hi:  # NaN fails too
            raise ConfigError(f"{where}.{key} {show(value)} is outside {spec.lo:g}..{spec.hi:g}")
        values[key] = value
    for key in REQUIRED_SENSOR_KEYS:
        if key not in values:
            raise ConfigError(f"{where}.{key} missing")
    if not _sensor_id_ok(values["id"]):
        raise ConfigError(f"{where}.id {show(values['id'])} must be 1..{SENSOR_ID_CHARS} "
                          f"letters, digits, - _ or .")
    if values["kind"] not in SENSOR_KINDS:
        raise ConfigError(f"{where}.kind {show(values['kind'])} is not one of {', '.join(SENSOR_KINDS)}")
    if values["role"] not in SENSOR_ROLES:
        raise ConfigError(f"{where}.role {show(values['role'])} is not one of {', '.join(SENSOR_ROLES)}")
    if values.get("mount_height_m", 1.0) == 0.0:
        raise ConfigError(f"{where}.mount_height_m must be above 0 m")
    if values.get("distance_mode", "long") not in ("short", "long"):
        raise ConfigError(f"{where}.distance_mode {show(values['distance_mode'])} is not short or long")
    if ("mux_channel" in values) != ("mux_address" in values):
        raise ConfigError(f"{where}: mux_address and mux_channel go together")
    return SensorConfig(**values)
