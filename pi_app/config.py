"""Configuration: one schema of every setting (unit, default, allowed range, doc),
an immutable ``Config`` built from it, and TOML loading with errors that name the key.

The loop reads ``cfg.obstacle.warning_ttc_s`` etc. (plain attribute access on
immutable sections, cheap on the hot path). The serial console changes a value with
``cfg.with_value("obstacle.warning_ttc_s", "3.0")``, which validates and returns a new
``Config``; the old one is untouched, so a bad ``set`` can never change anything.
"""

from __future__ import annotations

import math
import tomllib
from collections import namedtuple
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pi_app.exc import ConfigError

DEFAULT_CONFIG_PATH = Path("/etc/backsight/config.toml")


@dataclass(frozen=True)
class Field:
    """One scalar setting, addressed by its dotted key."""

    key: str
    type: type
    default: Any
    unit: str = ""
    doc: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple = ()

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
        lo = "-inf" if self.min is None else f"{self.min:g}"
        hi = "inf" if self.max is None else f"{self.max:g}"
        return f"{lo}..{hi}" + (f" {self.unit}" if self.unit else "")

    def parse(self, text: str) -> Any:
        """Parse a value typed on the serial console (or given as a string)."""
        text = text.strip()
        if self.type is bool:
            low = text.lower()
            if low in ("1", "true", "on", "yes"):
                return self.validate(True)
            if low in ("0", "false", "off", "no"):
                return self.validate(False)
            raise ConfigError(f"{self.key}: {text!r} is not a boolean (true/false)")
        if self.type in (int, float):
            try:
                value = int(text, 0) if self.type is int else float(text)
            except ValueError:
                raise ConfigError(f"{self.key}: {text!r} is not a number "
                                  f"(allowed {self.describe_range()})") from None
            return self.validate(value)
        return self.validate(text)

    def validate(self, value: Any) -> Any:
        """Check type and range; return the value in its canonical type."""
        t = self.type
        if t is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, t) or (t is not bool and isinstance(value, bool)):
            raise ConfigError(f"{self.key}: expected {t.__name__}, got {value!r} "
                              f"({type(value).__name__})")
        if t is float and not math.isfinite(value):
            raise ConfigError(f"{self.key}: {value!r} is not a finite number")
        if self.choices and value not in self.choices:
            raise ConfigError(f"{self.key}: {value!r} is not allowed ({self.describe_range()})")
        if t in (int, float):
            if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
                raise ConfigError(f"{self.key}: {value!r} is outside the allowed range "
                                  f"{self.describe_range()}")
        return value


F = Field
SCHEMA: tuple[Field, ...] = (
    F("device.mode", str, "belt", doc="belt (hip belt, moving) or treadmill (handrail mount)",
      choices=("belt", "treadmill")),
    F("device.loop_period_s", float, 0.004, "s", "period of the polling loop", 0.002, 0.1),
    F("i2c.bus", int, 1, "", "I2C bus number (/dev/i2c-N)", 0, 31),

    F("obstacle.caution_ttc_s", float, 4.0, "s", "CAUTION when time to contact falls to this", 0.5, 15.0),
    F("obstacle.warning_ttc_s", float, 2.5, "s", "WARNING when time to contact falls to this", 0.3, 10.0),
    F("obstacle.danger_ttc_s", float, 1.2, "s", "DANGER when time to contact falls to this", 0.1, 5.0),
    F("obstacle.caution_distance_m", float, 1.5, "m", "CAUTION when nearer than this, even if not closing", 0.1, 8.0),
    F("obstacle.warning_distance_m", float, 0.9, "m", "WARNING when nearer than this, even if not closing", 0.1, 8.0),
    F("obstacle.danger_distance_m", float, 0.5, "m", "DANGER when nearer than this", 0.05, 5.0),
    F("obstacle.min_closing_speed_mps", float, 0.4, "m/s", "closing speeds below this are noise, not approach", 0.0, 5.0),
    F("obstacle.speed_window_s", float, 0.3, "s", "span of recent samples used for the closing speed", 0.05, 2.0),
    F("obstacle.range_noise_m", float, 0.03, "m", "range noise near the sensor's limit (sets how far a fresh closing speed is trusted)", 0.0, 0.5),
    F("obstacle.max_step_m", float, 0.4, "m", "a jump larger than this between samples needs confirmation", 0.05, 5.0),
    F("obstacle.confirm_samples", int, 2, "", "agreeing samples needed to accept a jump", 1, 10),
    F("obstacle.near_birth_m", float, 0.6, "m", "a target first seen nearer than this (hands, arms) must persist near_confirm_s", 0.0, 2.0),
    F("obstacle.near_confirm_s", float, 0.12, "s", "persistence needed for a target that appears near without approach history", 0.0, 1.0),
    F("obstacle.first_sight_speed_mps", float, 1.5, "m/s", "while running (IMU bounce), a new target's first reading warns if the runner alone (at least this fast: a jog) reaches it within warning_ttc_s; 0 = wait for a second reading", 0.0, 5.0),
    F("obstacle.first_sight_bounce_m", float, 0.01, "m", "IMU bounce that means running, not standing (no IMU = never)", 0.0, 0.2),
    F("obstacle.track_timeout_s", float, 0.3, "s", "a track with no agreeing reading for this long is dropped", 0.05, 3.0),
    F("obstacle.ground_margin_deg", float, 0.5, "deg", "readings at least as far as the ground would be with the beam this much steeper are the ground", 0.0, 10.0),
    F("obstacle.hold_s", float, 0.5, "s", "a level is held at least this long before it may drop", 0.0, 5.0),

    F("surface.drop_m", float, 0.05, "m", "warn for a hole/kerb at least this deep", 0.02, 0.5),
    F("surface.rise_m", float, 0.05, "m", "warn for a root/kerb at least this high", 0.02, 0.5),
    F("surface.occlusion_m", float, 0.3, "m", "a ground reading this much too near is something in the beam (a hand), not the ground", 0.1, 2.0),
    F("surface.blocked_confirm_s", float, 0.12, "s", "a ground reading occlusion_m too near for this long is something in the way (a bench, a low wall), not a hand: warn", 0.03, 2.0),
    F("surface.confirm_s", float, 0.05, "s", "or: two deviating samples this far apart confirm (slow sensors)", 0.0, 1.0),
    F("surface.confirm_samples", int, 3, "", "consecutive deviating samples before a warning", 1, 20),
    F("surface.single_sample_period_s", float, 0.02, "s", "a sensor sampling this slowly sees a short root once: one sample may confirm (see single_sample_sigmas)", 0.0, 1.0),
    F("surface.single_sample_sigmas", float, 6.0, "", "one sample of a slow sensor confirms when this many RMS residuals of the learned ground past it (and past the threshold); 0 = never", 0.0, 50.0),
    F("surface.pair_sigmas", float, 5.0, "", "two samples in a row confirm when each is past the threshold and this many RMS residuals of the learned ground; 0 = never", 0.0, 50.0),
    F("surface.baseline_tau_s", float, 0.2, "s", "time constant of the learned ground (its level and how it changes with time and with the spot's reach)", 0.02, 10.0),
    F("surface.relearn_after_s", float, 1.5, "s", "a deviation lasting this long is a new ground level", 0.2, 10.0),
    F("surface.hold_s", float, 0.6, "s", "a surface warning is held at least this long", 0.0, 5.0),

    F("deck.deck_length_m", float, 1.5, "m", "treadmill deck length from the console end", 0.8, 3.0),
    F("deck.console_warning_m", float, 0.45, "m", "WARNING when the runner's back is nearer the console than this", 0.2, 1.5),
    F("deck.console_danger_m", float, 0.3, "m", "DANGER when nearer the console than this", 0.1, 1.0),
    F("deck.rear_warning_m", float, 0.45, "m", "WARNING when nearer the deck's rear edge than this", 0.1, 1.5),
    F("deck.rear_danger_m", float, 0.3, "m", "DANGER when nearer the rear edge than this", 0.05, 1.0),
    F("deck.warning_ttc_s", float, 2.5, "s", "WARNING when a drift would reach the console/rear contact line within this", 0.3, 10.0),
    F("deck.danger_ttc_s", float, 1.2, "s", "DANGER when a drift would reach a contact line within this", 0.1, 5.0),
    F("deck.contact_margin_m", float, 0.2, "m", "distance from the console / rear edge that counts as contact", 0.05, 0.5),
    F("deck.min_drift_mps", float, 0.08, "m/s", "drifts slower than this are ordinary wandering", 0.0, 1.0),
    F("deck.hold_s", float, 0.5, "s", "a deck warning is held at least this long", 0.0, 5.0),
    F("deck.lost_after_s", float, 0.3, "s", "no sight of the runner for this long = left the deck", 0.05, 3.0),
    F("deck.smoothing_s", float, 0.6, "s", "while no step period is seen: window of the least-squares line that judges drift", 0.1, 3.0),
    F("deck.drift_window_s", float, 0.15, "s", "the drift is how far the sway-free (one-step mean) position moved in this long", 0.04, 0.6),
    F("deck.drift_noise_mps", float, 0.01, "m/s", "a noisy sensor's drift window grows until the drift's noise is below this", 0.002, 0.1),

    F("health.stale_after_s", float, 0.2, "s", "a sensor with no valid reading for this long is in fault", 0.05, 5.0),
    F("health.blind_after_s", float, 0.5, "s", "a ground sensor with no valid range this long cannot see the ground", 0.05, 10.0),
    F("health.stuck_samples", int, 30, "", "identical distances in a row that mean a stuck sensor (noise makes it near impossible for a live one)", 5, 10000),
    F("health.fault_signal_s", float, 0.25, "s", "the fault pattern starts within this", 0.05, 5.0),
    F("health.retry_backoff_s", float, 0.1, "s", "first wait before re-initialising a failed sensor", 0.05, 30.0),
    F("health.retry_backoff_max_s", float, 0.8, "s", "longest wait between re-initialisations", 0.1, 120.0),

    F("alert.output", str, "both", doc="what tells the runner", choices=("buzzer", "haptic", "both")),
    F("alert.buzzer_pin", int, 18, "BCM", "GPIO of the buzzer", 0, 27),
    F("alert.tonal", bool, False, doc="drive a passive buzzer with TonalBuzzer pitches"),
    F("alert.volume", float, 1.0, "", "buzzer duty (0..1, PWM buzzers only)", 0.0, 1.0),
    F("alert.haptic", str, "pwm", doc="haptic driver", choices=("pwm", "drv2605", "none")),
    F("alert.motor_pin", int, 13, "BCM", "GPIO of the PWM vibration motor transistor", 0, 27),
    F("alert.actuator", str, "erm", doc="DRV2605 actuator: erm (coin/pager motor) or lra", choices=("erm", "lra")),
    F("alert.steady_mute_s", float, 3.0, "s", "a steady obstacle that is not closing goes quiet after this", 0.5, 60.0),
    F("alert.button_pin", int, -1, "BCM", "mute/profile button GPIO, -1 = none", -1, 27),
    F("alert.mute_s", float, 10.0, "s", "a short button press mutes this long (never DANGER)", 1.0, 120.0),

    F("posture.enabled", bool, True, doc="nudge when the trunk leans forward too long (belt mode)"),
    F("posture.max_pitch_deg", float, 20.0, "deg", "forward lean above this counts as bent over", 5.0, 60.0),
    F("posture.hold_s", float, 5.0, "s", "leaning this long gives a nudge", 1.0, 120.0),
    F("posture.repeat_s", float, 20.0, "s", "while still leaning, nudge again at most this often", 5.0, 600.0),
    F("rest.enabled", bool, False, doc="remind to rest in long runs"),
    F("rest.interval_min", float, 50.0, "min", "running time before a rest reminder", 5.0, 240.0),
    F("rest.pause_min", float, 5.0, "min", "a stop this long counts as a rest and restarts the running time", 0.5, 60.0),

    F("serial.port", str, "/dev/serial0", doc="console port: device path or pyserial URL"),
    F("serial.baudrate", int, 115200, "baud", "console speed", 1200, 4000000),
    F("serial.stream_period_s", float, 0.2, "s", "shortest time between two telemetry lines", 0.02, 10.0),
)
del F

FIELDS: dict[str, Field] = {f.key: f for f in SCHEMA}
SECTIONS: dict[str, tuple[str, ...]] = {}
for _f in SCHEMA:
    SECTIONS.setdefault(_f.section, ())
    SECTIONS[_f.section] += (_f.name,)
_SECTION_TYPES = {s: namedtuple(s.capitalize() + "Config", names) for s, names in SECTIONS.items()}

SENSOR_KINDS = ("vl53l1x", "tfluna", "mb1242", "mpu6050")
SENSOR_ROLES = ("obstacle", "surface", "deck", "imu")
_DEFAULT_ADDRESSES = {"vl53l1x": 0x29, "tfluna": 0x10, "mb1242": 0x70, "mpu6050": 0x68}


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
        return _DEFAULT_ADDRESSES[self.kind] if self.address is None else self.address


_SENSOR_FIELDS = {
    "id": str, "kind": str, "role": str, "address": int, "mux_address": int,
    "mux_channel": int, "xshut_pin": int, "mount_height_m": float, "pitch_deg": float,
    "yaw_deg": float, "distance_mode": str, "timing_budget_ms": int,
}

DEFAULT_SENSORS = (
    # Level VL53L1X on the belt's back: 27 deg cone, ~3.2 m in the dark at 33 ms, 30 Hz.
    SensorConfig("rear", "vl53l1x", "obstacle", xshut_pin=17,
                 mount_height_m=1.0, pitch_deg=0.0),
    # TF-Luna pitched down: a 2 deg beam samples one ground spot ~2.1 m behind the heels
    # at 250 Hz, where a 27 deg VL53L1X cone would only see its nearest (lower) edge.
    SensorConfig("ground", "tfluna", "surface", mount_height_m=1.0, pitch_deg=-25.0),
    SensorConfig("imu", "mpu6050", "imu"),
)


def _sensor_from_dict(raw: Any, where: str) -> SensorConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: each [[sensors]] entry must be a table")
    values = {}
    for key, value in raw.items():
        if key not in _SENSOR_FIELDS:
            raise ConfigError(f"{where}.{key}: unknown key (allowed: {', '.join(_SENSOR_FIELDS)})")
        t = _SENSOR_FIELDS[key]
        if t is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, t) or isinstance(value, bool):
            raise ConfigError(f"{where}.{key}: expected {t.__name__}, got {value!r}")
        values[key] = value
    for key in ("id", "kind", "role"):
        if key not in values:
            raise ConfigError(f"{where}.{key}: missing")
    if values["kind"] not in SENSOR_KINDS:
        raise ConfigError(f"{where}.kind: {values['kind']!r} is not one of {', '.join(SENSOR_KINDS)}")
    if values["role"] not in SENSOR_ROLES:
        raise ConfigError(f"{where}.role: {values['role']!r} is not one of {', '.join(SENSOR_ROLES)}")
    for key, lo, hi in (("address", 0x03, 0x77), ("mux_address", 0x70, 0x77),
                        ("mux_channel", 0, 7), ("xshut_pin", 0, 27),
                        ("timing_budget_ms", 15, 500)):
        if key in values and not lo <= values[key] <= hi:
            raise ConfigError(f"{where}.{key}: {values[key]} is outside {lo}..{hi}")
    if not 0.0 < values.get("mount_height_m", 1.0) <= 3.0:
        raise ConfigError(f"{where}.mount_height_m: must be within 0..3 m")
    if not -90.0 <= values.get("pitch_deg", 0.0) <= 90.0:
        raise ConfigError(f"{where}.pitch_deg: must be within -90..90 deg")
    if values.get("distance_mode", "long") not in ("short", "long"):
        raise ConfigError(f"{where}.distance_mode: must be short or long")
    if ("mux_channel" in values) != ("mux_address" in values):
        raise ConfigError(f"{where}: mux_address and mux_channel go together")
    return SensorConfig(**values)


@dataclass(frozen=True)
class Config:
    """Immutable configuration. Sections are attributes (``cfg.obstacle.warning_ttc_s``)."""

    values: dict = field(repr=False)
    sensors: tuple[SensorConfig, ...] = DEFAULT_SENSORS
    source: str = field(default="<defaults>", compare=False)

    def __post_init__(self) -> None:
        for section, names in SECTIONS.items():
            obj = _SECTION_TYPES[section](*(self.values[f"{section}.{n}"] for n in names))
            object.__setattr__(self, section, obj)

    def __getattr__(self, name: str):  # only reached for unknown sections
        raise AttributeError(f"no config section {name!r}")

    # constructors
    @classmethod
    def defaults(cls) -> "Config":
        return cls({f.key: f.default for f in SCHEMA})

    @classmethod
    def from_dict(cls, data: dict, source: str = "<dict>") -> "Config":
        """Build from a nested mapping as read from TOML; every key is checked."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: the top level must be a table")
        values = {f.key: f.default for f in SCHEMA}
        sensors = DEFAULT_SENSORS
        for section, body in data.items():
            if section == "sensors":
                if not isinstance(body, list):
                    raise ConfigError(f"{source}: sensors must be an array of tables ([[sensors]])")
                sensors = tuple(_sensor_from_dict(s, f"{source}: sensors[{i}]")
                                for i, s in enumerate(body))
                continue
            if section not in SECTIONS:
                raise ConfigError(f"{source}: unknown section [{section}] "
                                  f"(allowed: {', '.join(SECTIONS)}, sensors)")
            if not isinstance(body, dict):
                raise ConfigError(f"{source}: [{section}] must be a table")
            for name, value in body.items():
                key = f"{section}.{name}"
                if key not in FIELDS:
                    raise ConfigError(f"{source}: unknown key {key}")
                try:
                    values[key] = FIELDS[key].validate(value)
                except ConfigError as exc:
                    raise ConfigError(f"{source}: {exc}") from None
        cfg = cls(values, sensors, source)
        cfg.check()
        return cfg

    # queries
    def get(self, key: str) -> Any:
        if key not in FIELDS:
            raise ConfigError(f"unknown key {key!r}")
        return self.values[key]

    def keys(self) -> tuple[str, ...]:
        return tuple(FIELDS)

    def check(self) -> None:
        """Cross-field rules (levels must be ordered)."""
        o = self.obstacle
        if not o.danger_ttc_s < o.warning_ttc_s <= o.caution_ttc_s:
            raise ConfigError(f"obstacle: need danger_ttc_s < warning_ttc_s <= caution_ttc_s "
                              f"(got {o.danger_ttc_s}, {o.warning_ttc_s}, {o.caution_ttc_s})")
        if not o.danger_distance_m < o.warning_distance_m <= o.caution_distance_m:
            raise ConfigError("obstacle: need danger_distance_m < warning_distance_m <= caution_distance_m")
        d = self.deck
        if d.console_danger_m >= d.console_warning_m or d.rear_danger_m >= d.rear_warning_m:
            raise ConfigError("deck: danger margins must be smaller than warning margins")
        if d.console_warning_m + d.rear_warning_m >= d.deck_length_m:
            raise ConfigError("deck: console_warning_m + rear_warning_m must leave room on the deck")
        ids = [s.id for s in self.sensors]
        if len(set(ids)) != len(ids):
            raise ConfigError("sensors: ids must be unique")

    # changes
    def with_value(self, key: str, value: Any) -> "Config":
        """A new Config with ``key`` set; ``value`` may be text (parsed) or typed."""
        if key not in FIELDS:
            raise ConfigError(f"unknown key {key!r}")
        f = FIELDS[key]
        parsed = f.parse(value) if isinstance(value, str) and f.type is not str else f.validate(value)
        values = dict(self.values)
        values[key] = parsed
        cfg = Config(values, self.sensors, self.source)
        cfg.check()
        return cfg

    def with_sensors(self, sensors) -> "Config":
        return replace(self, sensors=tuple(sensors))

    def to_dict(self) -> dict:
        out: dict[str, Any] = {}
        for f in SCHEMA:
            out.setdefault(f.section, {})[f.name] = self.values[f.key]
        out["sensors"] = [
            {k: v for k, v in s.__dict__.items() if v is not None} for s in self.sensors
        ]
        return out

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict())


def load_config(path: str | Path) -> Config:
    """Read and validate a TOML config file; errors name the file and the key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return Config.from_dict(data, str(path))
