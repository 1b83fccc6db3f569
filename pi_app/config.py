"""Configuration: one schema of every setting (unit, default, allowed range, doc, whether
it applies live or at the next start), an immutable ``Config`` built from it, the
cross-field rules, and TOML reading/writing with errors that name the key.

The loop reads ``cfg.obstacle.warning_ttc_s`` etc. (plain attribute access on
immutable sections, cheap on the hot path). The serial console changes a value with
``cfg.with_value("obstacle.warning_ttc_s", "3.0")``, which validates and returns a new
``Config``; the old one is untouched, so a bad ``set`` can never change anything.
Every way of making a config (``with_value``, ``with_sensors``, a file, ``defaults``)
ends in ``Config.check()``, the one place for rules that span several keys.

``Config.from_dict`` refuses a document at its first mistake (tools, recordings);
``Config.salvage`` keeps every valid key and names each bad one (the device at start).
``python3 -m pi_app.config`` prints the default config with a comment per key, using
only the standard library (the installer runs it with the system python3).
"""

from __future__ import annotations

import math
import tomllib
from collections import namedtuple
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

from pi_app.exc import ConfigError

DEFAULT_CONFIG_PATH = Path("/etc/backsight/config.toml")

#: ``Field.applies``: the loop takes the value at its next cycle ...
LIVE = "live"
#: ... or the value is read once when the device starts (after ``save`` and a restart).
RESTART = "restart"

# Raspberry Pi header facts (BCM GPIO numbers). I2C bus 1 is GPIO2 SDA / GPIO3 SCL; bus 0
# is GPIO0 ID_SD / GPIO1 ID_SC, the HAT ID EEPROM pins. Other bus numbers are i2c-gpio
# overlays whose pins config.txt chooses: nothing fixed to check for them.
I2C_PINS = {0: {0: "ID_SD", 1: "ID_SC"}, 1: {2: "SDA", 3: "SCL"}}
# The GPIO UART that the console uses by default: TXD on GPIO14, RXD on GPIO15, reached
# through these device names (serial0 is the Pi's alias for whichever UART is on the header).
UART_PINS = {14: "TXD", 15: "RXD"}
GPIO_UART_PORTS = ("/dev/serial0", "/dev/ttyAMA0", "/dev/ttyS0")
# Rates the Linux tty layer has a constant for (termios B1200..B4000000): a terminal on
# the host can be set to any of them, to an odd rate often not.
STANDARD_BAUDRATES = (1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400,
                      460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000,
                      2500000, 3000000, 3500000, 4000000)
# How much of a value or key a message quotes (a file may hold a 4000-digit number).
SHOW_CHARS = 40

_NAMES = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
_GOT = {**_NAMES, float: "a decimal number", list: "a list", dict: "a table"}


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

    ``applies``: LIVE (the loop takes it at once) or RESTART (read at start-up only).
    ``check_text``: for str fields, a further rule returning why a text is refused."""

    key: str
    type: type
    default: Any
    unit: str = ""
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
            got = _GOT.get(type(value), type(value).__name__)
            return f"{show(value)} is {got}, not {_NAMES[t]}"
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


F = Field
SCHEMA: tuple[Field, ...] = (
    F("device.mode", str, "belt", doc="belt (hip belt, moving) or treadmill (handrail mount)",
      choices=("belt", "treadmill")),
    F("device.loop_period_s", float, 0.004, "s", "period of the polling loop", 0.002, 0.1),
    F("i2c.bus", int, 1, "", "I2C bus number (/dev/i2c-N)", 0, 31, applies=RESTART),

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

    F("serial.port", str, "/dev/serial0", doc="console port (a pyserial URL only with backsight run --serial-port)",
      applies=RESTART, check_text=device_path_problem),
    F("serial.baudrate", int, 115200, "baud", "console speed", choices=STANDARD_BAUDRATES,
      applies=RESTART),
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


class _SensorKey(NamedTuple):
    type: type
    doc: str
    lo: float | None = None   # allowed range (None = no bound)
    hi: float | None = None


_SENSOR_FIELDS = {
    "id": _SensorKey(str, "unique name, shown in status and the log (letters, digits, - _ .)"),
    "kind": _SensorKey(str, "chip: " + ", ".join(SENSOR_KINDS)),
    "role": _SensorKey(str, "what it watches: " + ", ".join(SENSOR_ROLES)),
    "address": _SensorKey(int, "I2C address (default: the chip's own)", 0x03, 0x77),
    "mux_address": _SensorKey(int, "TCA9548A address when behind a mux (with mux_channel)", 0x70, 0x77),
    "mux_channel": _SensorKey(int, "TCA9548A channel (with mux_address)", 0, 7),
    "xshut_pin": _SensorKey(int, "BCM GPIO holding a VL53L1X in reset (for re-addressing)", 0, 27),
    "mount_height_m": _SensorKey(float, "height above the ground, m", 0.0, 3.0),
    "pitch_deg": _SensorKey(float, "beam pitch, deg (negative = looking down)", -90.0, 90.0),
    "yaw_deg": _SensorKey(float, "beam yaw, deg", -180.0, 180.0),
    "distance_mode": _SensorKey(str, "VL53L1X only: short or long"),
    "timing_budget_ms": _SensorKey(int, "VL53L1X only: ranging time, ms", 15, 500),
}
SENSOR_ID_CHARS = 32  # status shows "<id>.distance_m=..." on one console line

DEFAULT_SENSORS = (
    # Level VL53L1X on the belt's back: 27 deg cone, ~3.2 m in the dark at 33 ms, 30 Hz.
    SensorConfig("rear", "vl53l1x", "obstacle", xshut_pin=17,
                 mount_height_m=1.0, pitch_deg=0.0),
    # TF-Luna pitched down: a 2 deg beam samples one ground spot ~2.1 m behind the heels
    # at 250 Hz, where a 27 deg VL53L1X cone would only see its nearest (lower) edge.
    SensorConfig("ground", "tfluna", "surface", mount_height_m=1.0, pitch_deg=-25.0),
    SensorConfig("imu", "mpu6050", "imu"),
)


def _sensor_id_ok(text: str) -> bool:
    return 0 < len(text) <= SENSOR_ID_CHARS and all(c.isascii() and (c.isalnum() or c in "-_.")
                                                     for c in text)


def _sensor_from_dict(raw: Any, where: str) -> SensorConfig:
    """One [[sensors]] table; a ConfigError names ``where.key`` and why."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} is not a table (each [[sensors]] entry must be one)")
    values = {}
    for key, value in raw.items():
        spec = _SENSOR_FIELDS.get(key)
        if spec is None:
            raise ConfigError(f"{where}.{show_key(key)} unknown (allowed: {', '.join(_SENSOR_FIELDS)})")
        t = spec.type
        if t is float and type(value) is int:
            value = float(value) if abs(value) < 2 ** 53 else math.inf
        if not isinstance(value, t) or isinstance(value, bool):
            raise ConfigError(f"{where}.{key} {show(value)} is "
                              f"{_GOT.get(type(value), type(value).__name__)}, not {_NAMES[t]}")
        if spec.lo is not None and not spec.lo <= value <= spec.hi:  # NaN fails too
            raise ConfigError(f"{where}.{key} {show(value)} is outside {spec.lo:g}..{spec.hi:g}")
        values[key] = value
    for key in ("id", "kind", "role"):
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


class Violation(NamedTuple):
    """A cross-field rule that does not hold: the keys to blame (``sensors`` = the
    sensors table) and one line naming them with their values."""

    keys: tuple[str, ...]
    message: str


def _ordered(cfg: "Config", keys: tuple[str, ...], need: str) -> Violation | None:
    """``keys[0] < keys[1] <= keys[2]`` (or ``keys[0] < keys[1]`` for two)."""
    v = [cfg.get(k) for k in keys]
    if v[0] < v[1] and (len(v) < 3 or v[1] <= v[2]):
        return None
    got = ", ".join(f"{k}={show(x)}" for k, x in zip(keys, v))
    return Violation(keys, f"{got}: need {need}")


def _pin_uses(cfg: "Config") -> list[tuple[str, str, int]]:
    """Every GPIO the config drives: (name in messages, key to blame, BCM pin)."""
    a = cfg.alert
    uses = [("alert.buzzer_pin", "alert.buzzer_pin", a.buzzer_pin)]
    if a.haptic == "pwm":
        uses.append(("alert.motor_pin", "alert.motor_pin", a.motor_pin))
    if a.button_pin >= 0:
        uses.append(("alert.button_pin", "alert.button_pin", a.button_pin))
    uses += [(f"sensors[{i}].xshut_pin", "sensors", s.xshut_pin)
             for i, s in enumerate(cfg.sensors) if s.xshut_pin is not None]
    return uses


def _rules(cfg: "Config"):
    """Every cross-field rule, in the order the messages should come."""
    a = cfg.alert
    if a.output == "haptic" and a.haptic == "none":
        yield Violation(("alert.output", "alert.haptic"),
                        "alert.output=haptic with alert.haptic=none: nothing would tell the runner "
                        "(fit a motor or choose the buzzer)")
    yield _ordered(cfg, ("obstacle.danger_ttc_s", "obstacle.warning_ttc_s", "obstacle.caution_ttc_s"),
                   "danger_ttc_s < warning_ttc_s <= caution_ttc_s")
    yield _ordered(cfg, ("obstacle.danger_distance_m", "obstacle.warning_distance_m",
                         "obstacle.caution_distance_m"),
                   "danger_distance_m < warning_distance_m <= caution_distance_m")
    for end in ("console", "rear"):
        yield _ordered(cfg, (f"deck.{end}_danger_m", f"deck.{end}_warning_m"),
                       f"danger margins smaller than warning margins ({end}_danger_m < {end}_warning_m)")
    d = cfg.deck
    if d.console_warning_m + d.rear_warning_m >= d.deck_length_m:
        yield Violation(("deck.console_warning_m", "deck.rear_warning_m", "deck.deck_length_m"),
                        f"deck.console_warning_m={show(d.console_warning_m)} + deck.rear_warning_m="
                        f"{show(d.rear_warning_m)} >= deck.deck_length_m={show(d.deck_length_m)}: "
                        f"the warning margins must leave room on the deck")
    ids = [s.id for s in cfg.sensors]
    for sensor_id in sorted({i for i in ids if ids.count(i) > 1}):
        yield Violation(("sensors",), f"sensors: id {show(sensor_id)} is used twice (ids must be unique)")
    uses = _pin_uses(cfg)
    by_pin: dict[int, list] = {}
    for use in uses:
        by_pin.setdefault(use[2], []).append(use)
    for pin, same in by_pin.items():
        if len(same) > 1:
            names = [f"{name}={pin}" for name, _, _ in same]
            yield Violation(tuple(dict.fromkeys(key for _, key, _ in same)),
                            f"{', '.join(names[:-1])} and {names[-1]}: one GPIO cannot do both")
    bus_pins = I2C_PINS.get(cfg.i2c.bus, {})
    uart = cfg.serial.port in GPIO_UART_PORTS
    for name, key, pin in uses:
        if pin in bus_pins:
            yield Violation((key,), f"{name}={pin}: GPIO{pin} is {bus_pins[pin]} of I2C bus "
                                    f"{cfg.i2c.bus} (i2c.bus={cfg.i2c.bus})")
        elif uart and pin in UART_PINS:
            yield Violation((key,), f"{name}={pin}: GPIO{pin} is the console UART's {UART_PINS[pin]} "
                                    f"(serial.port={cfg.serial.port})")


class _Document(NamedTuple):
    """What a parsed TOML document sets: valid values by key, its sensors (None = not
    given or refused), problems with the scalar keys, problems with [[sensors]]."""

    values: dict
    sensors: tuple | None
    problems: list
    sensor_problems: list


def _read_document(data: Any) -> _Document:
    values: dict[str, Any] = {}
    problems: list[str] = []
    sensor_problems: list[str] = []
    sensors = None
    if not isinstance(data, dict):
        return _Document(values, None, ["the top level must be a table"], [])
    for section, body in data.items():
        if section == "sensors":
            if not isinstance(body, list):
                sensor_problems.append("sensors must be an array of tables ([[sensors]])")
                continue
            entries = []
            for i, raw in enumerate(body):
                try:
                    entries.append(_sensor_from_dict(raw, f"sensors[{i}]"))
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
    return _Document(values, sensors, problems, sensor_problems)


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
            obj = _SECTION_TYPES[section](*(self.values[f"{section}.{n}"] for n in names))
            object.__setattr__(self, section, obj)

    def __getattr__(self, name: str):  # only reached for unknown sections
        raise AttributeError(f"no config section {name!r}")

    # constructors
    @classmethod
    def defaults(cls) -> "Config":
        return cls({f.key: f.default for f in SCHEMA})

    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>") -> "Config":
        """Build from a nested mapping as read from TOML; the first bad key, section,
        sensor entry or broken rule raises ``ConfigError`` naming ``source`` and it."""
        doc = _read_document(data)
        for problem in doc.problems + doc.sensor_problems:
            raise ConfigError(f"{source}: {problem}")
        values = {f.key: f.default for f in SCHEMA}
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
        doc = _read_document(data)
        problems = list(doc.problems)
        if doc.sensor_problems:
            problems += doc.sensor_problems[:-1] + [doc.sensor_problems[-1] + SENSORS_FALLBACK]
        defaults = {f.key: f.default for f in SCHEMA}
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
        return [v for v in _rules(self) if v is not None]

    def check(self) -> None:
        """Cross-field rules: ordered levels, a working output, distinct pins that are
        not the I2C bus's or the console UART's, unique sensor ids. Raises
        ``ConfigError`` with one line naming the keys and their values."""
        for v in _rules(self):
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
        return _toml_document(self, comments)


# --- TOML writing (tomllib reads; the standard library has no writer) ----------------
def _toml_string(text: str) -> str:
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, float):
        return repr(value)  # shortest round-trip form; inf/nan never get here (validated)
    return str(value)


def _toml_document(cfg: Config, comments: bool) -> str:
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
            lines.append(f"{name} = {_toml_value(cfg.values[f.key])}")
        lines.append("")
    if comments:
        lines += ["# [[sensors]]: one table per fitted sensor; read at start-up (applies at the next",
                  "# start). Keys (optional unless marked required):"]
        lines += [f"#   {k}{' (required)' if k in ('id', 'kind', 'role') else ''}: {spec.doc}"
                  + (f"; {spec.lo:g}..{spec.hi:g}" if spec.lo is not None else "")
                  for k, spec in _SENSOR_FIELDS.items()]
    for s in cfg.sensors:
        lines.append("[[sensors]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in s.__dict__.items() if v is not None]
        lines.append("")
    return "\n".join(lines)


def documented_defaults_toml() -> str:
    """The default config as TOML with a comment line per key (what the installer writes)."""
    return Config.defaults().to_toml(comments=True)


# --- reading ------------------------------------------------------------------------
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
    raise ConfigError(f"{source}: not valid TOML ({why[:120]})")


def load_config(path: str | Path) -> Config:
    """Read and validate a TOML config file strictly: the first mistake raises
    ``ConfigError`` (and nothing else) naming the file and the key."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except Exception as exc:  # noqa: BLE001 - MemoryError for a huge file and the like
        raise ConfigError(f"{path}: cannot read ({type(exc).__name__})") from None
    text, problems = decode_config_bytes(raw)
    if problems:
        raise ConfigError(f"{path}: {problems[0]}")
    return Config.from_dict(parse_config_text(text, str(path)), str(path))


if __name__ == "__main__":
    print(documented_defaults_toml(), end="")
