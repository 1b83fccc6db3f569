"""Serial console protocol (device side), independent of any port: bytes in, replies out.

``LineFramer`` cuts the byte stream into ASCII lines (ending ``\\n``, ``\\r\\n`` or a bare
``\\r``); ``ConsoleProtocol`` answers each line. Commands: help, version, get, set, save,
defaults, status, stream (``HELP_LINES``). Every command ends with one ``OK ...`` or
``ERR <code> <message>`` line (``ERROR_CODES``, stable), replies end with ``\\r\\n``, and
a bad line never changes the config. The full protocol is in the README's "Serial
console" section; ``pi_app.serial_console.SerialConsole`` runs it on a port.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from pi_app import __version__
from pi_app.config import FIELDS, RESTART, SCHEMA, SENSOR_FIELDS, Config
from pi_app.config.mount import (MountKey, describe_range, mount_keys, mount_value,
                                 parse_mount_key, with_mount)
from pi_app.config_store import save_config
from pi_app.exc import ConfigError

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
MAX_LINE_BYTES = 256
E_UNKNOWN_COMMAND, E_UNKNOWN_KEY, E_BAD_VALUE, E_SAVE_FAILED = 1, 2, 3, 4
E_LINE_TOO_LONG, E_NOT_PRINTABLE, E_USAGE, E_UNAVAILABLE = 5, 6, 7, 8
E_CONFIRM = 9
ERROR_CODES = {1: "unknown command", 2: "unknown key", 3: "bad value", 4: "save failed",
               5: "line too long", 6: "not printable", 7: "usage", 8: "unavailable",
               9: "confirm"}
#: ``defaults`` keeps these: how this device is built and wired, not how it judges hazards.
KEPT_BY_DEFAULTS = ("device.mode", "i2c.bus", "alert.buzzer_pin", "alert.motor_pin",
                    "alert.motor_right_pin", "alert.button_pin", "alert.haptic", "alert.actuator", "alert.tonal",
                    "serial.port", "serial.baudrate")
#: The console's own link: a change cuts this session off after the next start, so
#: ``set`` wants the trailing word CONFIRM_WORD.
LINK_KEYS = ("serial.port", "serial.baudrate")
CONFIRM_WORD = "confirm"
HELP_LINES = (
    "help [KEY]       this list, or one setting",
    "version          firmware and protocol version",
    "get [KEY]        one setting, or all as KEY=VALUE lines",
    "set KEY VALUE    validate and apply (not saved; help KEY says live or next start)",
    "                 sensors.<id>.mount_height_m|pitch_deg|yaw_deg: a sensor's mount",
    "set KEY VALUE confirm  serial.port/baudrate: accept that after save+restart",
    "                 the console moves there and this session is cut off (else ERR 9)",
    "save             write the current settings to the config file",
    "defaults         factory settings, keeping sensors and wiring (not saved)",
    "status           level, sensors, faults, loop rate",
    "stream on|off    telemetry lines 'DATA ...' every serial.stream_period_s",
    "errors: " + ", ".join(f"{c} {m}" for c, m in ERROR_CODES.items()),
)
_TERMINATORS = re.compile(rb"[\r\n]")
_NOT_PRINTABLE = re.compile(rb"[^\x20-\x7e\t]")


def err(code: int, message: str) -> str:
    return f"ERR {code} {message}"


def format_value(value) -> str:
    """A config value as typed back by ``set`` (floats round-trip exactly)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def format_pairs(pairs) -> str:
    """``key=value`` tokens; None = ``none``, whitespace in values becomes ``_``."""
    tokens = []
    for key, value in pairs.items():
        if value is None:
            text = "none"
        elif isinstance(value, float):
            text = f"{value:.6g}"
        else:
            text = format_value(value)
        tokens.append(f"{key}={'_'.join(text.split()) or '-'}")
    return " ".join(tokens)


class LineFramer:
    """Cuts a byte stream into lines; yields None once for each over-long line."""

    def __init__(self, max_len: int = MAX_LINE_BYTES) -> None:
        self.max_len = max_len
        self._buf = bytearray()
        self._discarding = False  # inside an over-long line: drop up to its end

    def feed(self, data: bytes) -> list[bytes | None]:
        out: list[bytes | None] = []
        *complete, tail = _TERMINATORS.split(data)
        for part in complete:
            if self._discarding:
                self._discarding = False
            elif len(self._buf) + len(part) > self.max_len:
                out.append(None)
            elif self._buf or part:
                out.append(bytes(self._buf + part))
            self._buf.clear()
        if not self._discarding:
            self._buf += tail
            if len(self._buf) > self.max_len:
                out.append(None)
                self._discarding = True
        if self._discarding:
            self._buf.clear()
        return out


class ConsoleProtocol:
    """The line handler: one line in, reply lines out; never raises, never blocks."""

    def __init__(self, get_config, apply_config, *, status=None, config_path=None,
                 stream_source=None) -> None:
        self._get_config = get_config
        self._apply_config = apply_config
        self._status = status
        self.config_path = None if config_path is None else Path(config_path)
        self._stream_source = stream_source
        self.streaming = False
        self._pending = None  # (config the loop had, config handed over) until it swaps
        self._saved = get_config()  # as loaded at start or last saved
        self._commands = {"help": self._help, "version": self._version, "get": self._get,
                          "set": self._set, "save": self._save, "defaults": self._defaults,
                          "status": self._status_cmd, "stream": self._stream}

    def current_config(self) -> Config:
        """The latest config, including one handed to the loop that it has not swapped yet."""
        live = self._get_config()
        if self._pending is not None:
            before, handed = self._pending
            if live is before:
                return handed
            self._pending = None
        return live

    def handle_bytes(self, line: bytes | None) -> list[str]:
        """One framed line (None = it was too long) -> reply lines."""
        if line is None:
            return [err(E_LINE_TOO_LONG, f"line too long (max {MAX_LINE_BYTES} bytes), discarded")]
        if _NOT_PRINTABLE.search(line):
            return [err(E_NOT_PRINTABLE, "not printable ASCII, discarded")]
        return self.handle_line(line.decode("ascii"))

    def handle_line(self, text: str) -> list[str]:
        parts = text.split(None, 1)
        if not parts:
            return []
        handler = self._commands.get(parts[0].lower())
        if handler is None:
            return [err(E_UNKNOWN_COMMAND, f"unknown command {parts[0][:32]!r} (try help)")]
        try:
            return handler(parts[1].strip() if len(parts) > 1 else "")
        except Exception as exc:  # a callback failed: report it, keep the console alive
            log.exception("serial console: %r failed", text[:64])
            return [err(E_UNAVAILABLE, f"internal error: {type(exc).__name__}")]

    # --- commands ----------------------------------------------------------------
    def _help(self, rest: str) -> list[str]:
        if rest:
            f = FIELDS.get(rest)
            mk = parse_mount_key(rest) if f is None else None
            if mk is not None:
                return self._help_mount(mk)
            if f is None:
                return [err(E_UNKNOWN_KEY, f"unknown key {rest[:64]!r}")]
            return [f"OK {f.key}: {f.doc} ({f.describe_range()}; default {format_value(f.default)}; "
                    f"{f.describe_applies()})"]
        return [*HELP_LINES, "OK"]

    def _version(self, rest: str) -> list[str]:
        if rest:
            return [err(E_USAGE, "usage: version")]
        return [f"OK backsight {__version__} protocol {PROTOCOL_VERSION}"]

    def _get(self, rest: str) -> list[str]:
        cfg = self.current_config()
        if not rest:
            lines = [f"{f.key}={format_value(cfg.get(f.key))}" for f in SCHEMA]
            lines += [f"{mk.key}={format_value(mount_value(cfg, mk))}" for mk in mount_keys(cfg)]
            return lines + [f"OK {len(lines)} keys"]
        if " " in rest or "\t" in rest:
            return [err(E_USAGE, "usage: get [KEY]")]
        mk = parse_mount_key(rest)
        if mk is not None:
            try:
                return [f"OK {rest}={format_value(mount_value(cfg, mk))}"]
            except ConfigError as exc:
                return [err(E_UNKNOWN_KEY, str(exc))]
        if rest not in FIELDS:
            return [err(E_UNKNOWN_KEY, f"unknown key {rest[:64]!r} (get lists all)")]
        return [f"OK {rest}={format_value(cfg.get(rest))}"]

    def _set(self, rest: str) -> list[str]:
        args = rest.split(None, 1)
        if len(args) != 2:
            return [err(E_USAGE, "usage: set KEY VALUE")]
        key, value = args
        mk = parse_mount_key(key)
        if mk is not None:
            return self._set_mount(mk, value)
        if key not in FIELDS:
            return [err(E_UNKNOWN_KEY, f"unknown key {key[:64]!r} (get lists all)")]
        confirmed = False
        words = value.rsplit(None, 1)
        if key in LINK_KEYS and len(words) == 2 and words[1].lower() == CONFIRM_WORD:
            value, confirmed = words[0], True
        cfg = self.current_config()
        try:
            new_cfg = cfg.with_value(key, value)
        except ConfigError as exc:
            return [err(E_BAD_VALUE, str(exc))]
        new_value = format_value(new_cfg.get(key))
        if key in LINK_KEYS and new_cfg.get(key) != cfg.get(key) and not confirmed:
            return [err(E_CONFIRM, self._cut_off_warning(key, new_value))]
        refused = self._hand_over(new_cfg)
        if refused:
            return refused
        later = " (applies at the next start, after save)" if FIELDS[key].applies == RESTART else ""
        return [f"OK {key}={new_value}{later}"]

    def _set_mount(self, mk: MountKey, value: str) -> list[str]:
        """A sensor's mount: checked, handed over, applied when the sensors are built."""
        cfg = self.current_config()
        try:
            mount_value(cfg, mk)
        except ConfigError as exc:
            return [err(E_UNKNOWN_KEY, str(exc))]
        try:
            new_cfg = with_mount(cfg, mk, value)
        except ConfigError as exc:
            return [err(E_BAD_VALUE, str(exc))]
        refused = self._hand_over(new_cfg)
        if refused:
            return refused
        return [f"OK {mk.key}={format_value(mount_value(new_cfg, mk))} "
                f"(applies at the next start, after save)"]

    def _help_mount(self, mk: MountKey) -> list[str]:
        cfg = self.current_config()
        try:
            value = mount_value(cfg, mk)
        except ConfigError as exc:
            return [err(E_UNKNOWN_KEY, str(exc))]
        return [f"OK {mk.key}: sensor {mk.sensor_id!r} {SENSOR_FIELDS[mk.name].doc} "
                f"({describe_range(mk.name)}; now {format_value(value)}; "
                f"applies at the next start)"]

    def _cut_off_warning(self, key: str, new_value: str) -> str:
        serial = self.current_config().serial
        now = f"{serial.port} at {serial.baudrate} baud"
        after = f"{new_value} at {serial.baudrate} baud" if key == "serial.port" \
            else f"{serial.port} at {new_value} baud"
        return (f"confirm: after save and a restart the console moves from {now} to {after} "
                f"and this session is cut off; to accept: set {key} {new_value} {CONFIRM_WORD}")

    def _save(self, rest: str) -> list[str]:
        if rest:
            return [err(E_USAGE, "usage: save")]
        if self.config_path is None:
            return [err(E_SAVE_FAILED, "no config file (start the device with --config FILE)")]
        cfg = self.current_config()
        try:
            save_config(cfg, self.config_path)
        except (OSError, ConfigError) as exc:
            log.error("serial console: saving %s failed: %s", self.config_path, exc)
            return [err(E_SAVE_FAILED, f"cannot write {self.config_path}: {exc}")]
        self._saved = cfg
        return [f"OK saved {self.config_path}"]

    def _defaults(self, rest: str) -> list[str]:
        if rest:
            return [err(E_USAGE, "usage: defaults")]
        cfg = self.current_config()
        values = dict(Config.defaults().values)
        values.update({key: cfg.get(key) for key in KEPT_BY_DEFAULTS})
        new_cfg = Config(values, cfg.sensors, cfg.source)
        try:
            new_cfg.check()
        except ConfigError as exc:
            return [err(E_BAD_VALUE, f"defaults: {exc}")]
        return self._hand_over(new_cfg) or [
            "OK defaults applied (sensors and wiring kept; not saved until save)"]

    def _status_cmd(self, rest: str) -> list[str]:
        if rest:
            return [err(E_USAGE, "usage: status")]
        if self._status is None:
            return [err(E_UNAVAILABLE, "no status source on this device")]
        unsaved = int(self.current_config() != self._saved)
        return [" ".join(filter(None, ("OK", self._format_source(self._status), f"unsaved={unsaved}")))]

    def _stream(self, rest: str) -> list[str]:
        if rest.lower() not in ("on", "off", ""):
            return [err(E_USAGE, "usage: stream on|off")]
        if rest.lower() == "on":
            if self._stream_source is None and self._status is None:
                return [err(E_UNAVAILABLE, "no telemetry source on this device")]
            self.streaming = True
        elif rest:
            self.streaming = False
        return [f"OK stream {'on' if self.streaming else 'off'}"]

    # --- helpers -------------------------------------------------------------------
    def telemetry_line(self, t_s: float) -> str | None:
        """One ``DATA`` line from the stream source (or status); None if it failed."""
        source = self._stream_source or self._status
        try:
            return f"DATA t_s={t_s:.3f} {self._format_source(source)}".rstrip()
        except Exception:
            log.exception("serial console: telemetry source failed")
            return None

    @staticmethod
    def _format_source(source) -> str:
        data = source()
        text = format_pairs(data) if isinstance(data, dict) else str(data)
        return " ".join(text.split())  # one line, whatever the source returned

    def _hand_over(self, new_cfg: Config) -> list[str]:
        """Give ``new_cfg`` to the loop; [] if it took it, else the ERR 3 reply (the
        loop refused it with ``ConfigError`` and kept its config: nothing is pending)."""
        before = self._get_config()
        try:
            self._apply_config(new_cfg)
        except ConfigError as exc:
            log.warning("serial console: the loop refused the new config: %s", exc)
            return [err(E_BAD_VALUE, str(exc))]
        self._pending = (before, new_cfg)
        return []
