"""Configuration: one schema of every setting (unit, default, allowed range, doc, whether
it applies live or at the next start), an immutable ``Config`` built from it, the
cross-field rules, and TOML reading/writing with errors that name the key.

The loop reads ``cfg.obstacle.warning_ttc_s``; the serial console changes a value with
``cfg.with_value("obstacle.warning_ttc_s", "3.0")``, which validates and returns a new
``Config``. ``python3 -m pi_app.config`` prints the default config with a comment per
key; the installer runs it with the system python3, so nothing in this package may
import beyond the standard library. Modules: ``fields``, ``schema*``, ``sensors``,
``rules``, ``document``, ``core``, ``toml``, ``files``, ``holder`` (console <-> loop),
``mount`` (the sensors' mount as console keys).
"""

from pi_app.config.board import GPIO_UART_PORTS, I2C_PINS, STANDARD_BAUDRATES, UART_PINS
from pi_app.config.core import SENSORS_FALLBACK, Config
from pi_app.config.fields import (DIMENSIONLESS, LIVE, RESTART, SHOW_CHARS, Field,
                                  device_path_problem, show, show_key)
from pi_app.config.files import DEFAULT_CONFIG_PATH, documented_defaults_toml, load_config
from pi_app.config.holder import ConfigHolder
from pi_app.config.rules import Violation
from pi_app.config.schema import FIELDS, SCHEMA, SECTIONS
from pi_app.config.sensors import (DEFAULT_SENSORS, SENSOR_FIELDS, SENSOR_ID_CHARS, SENSOR_KINDS,
                                   SENSOR_ROLES, SensorConfig, SensorKey)
from pi_app.config.toml import decode_config_bytes, parse_config_text

__all__ = [
    "Config", "ConfigHolder", "SensorConfig", "Field", "Violation",
    "SCHEMA", "FIELDS", "SECTIONS", "LIVE", "RESTART", "DIMENSIONLESS",
    "DEFAULT_SENSORS", "SENSOR_FIELDS", "SensorKey", "SENSOR_KINDS", "SENSOR_ROLES", "SENSOR_ID_CHARS", "SENSORS_FALLBACK",
    "DEFAULT_CONFIG_PATH", "load_config", "documented_defaults_toml",
    "decode_config_bytes", "parse_config_text",
    "show", "show_key", "SHOW_CHARS", "device_path_problem",
    "I2C_PINS", "UART_PINS", "GPIO_UART_PORTS", "STANDARD_BAUDRATES",
]
