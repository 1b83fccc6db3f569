"""Config files: where the device's lives, the strict loader tools use (the first
mistake raises one ``ConfigError`` naming the file and the key), and the documented
default file the installer writes. The device's forgiving start-up loader and the
atomic ``save`` are in ``pi_app.config_store``.
"""

from __future__ import annotations

from pathlib import Path

from pi_app.config.core import Config
from pi_app.config.toml import decode_config_bytes, parse_config_text
from pi_app.exc import ConfigError

DEFAULT_CONFIG_PATH = Path("/etc/backsight/config.toml")


def documented_defaults_toml() -> str:
    """The default config as TOML with a comment line per key (what the installer writes)."""
    return Config.defaults().to_toml(comments=True)


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
