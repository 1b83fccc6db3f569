"""Persisting the configuration so that a power cut can never leave a half-written file.

``save_config`` writes a temp file in the same directory, flushes and fsyncs it, renames
it over the target with ``os.replace`` (atomic on POSIX) and fsyncs the directory, so
after a crash at any instant the file on disk is either the old or the new config.
``load_config_or_defaults`` is what the device calls at start-up: a device that cannot
read its config must still warn its runner, so it never raises. It keeps every good key
and names each bad one (a file that does not parse means the defaults), and copies a
faulty file aside once, as written, so a later ``save`` cannot lose what the user wrote.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from pi_app.config import Config, decode_config_bytes, parse_config_text
from pi_app.exc import ConfigError

log = logging.getLogger(__name__)

FILE_MODE = 0o644
_TMP_SUFFIX = ".tmp"


def _tmp_prefix(path: Path) -> str:
    return f".{path.name}."


def save_config(cfg: Config, path: str | Path) -> None:
    """Write ``cfg`` as TOML to ``path`` atomically (mode 0644); raises ``OSError``.

    The text is parsed back before anything touches the disk, so a file this function
    wrote always loads. On any failure the target is left as it was and the temp file
    is removed (a crash leaves it behind; ``load_config_or_defaults`` cleans it up).
    """
    path = Path(path)
    text = cfg.to_toml()
    Config.from_dict(parse_config_text(text, str(path)), str(path))  # never write what would not load
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=_tmp_prefix(path), suffix=_TMP_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), FILE_MODE)  # mkstemp makes 0600; the umask must not matter
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise
    _fsync_directory(directory)  # the rename itself must reach the disk


def _fsync_directory(directory: Path) -> None:
    dir_fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(dir_fd)
    except OSError as exc:
        # Some filesystems cannot fsync a directory; the rename is then as durable as
        # that filesystem makes it, and the new file is already in place.
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(dir_fd)


def remove_stale_temp_files(path: str | Path) -> list[Path]:
    """Delete temp files a crashed ``save_config`` left next to ``path``; returns them."""
    path = Path(path)
    removed = []
    try:
        candidates = list(path.parent.glob(_tmp_prefix(path) + "*" + _TMP_SUFFIX))
    except OSError:
        return removed
    for tmp in candidates:
        try:
            tmp.unlink()
            removed.append(tmp)
        except OSError as exc:
            log.warning("cannot remove stale temp file %s: %s", tmp, exc)
    if removed:
        log.warning("removed %d temp file(s) left by an interrupted save of %s", len(removed), path)
    return removed


class ConfigNotice(str):
    """What ``load_config_or_defaults`` has to say: the text (for ``status`` and the
    log) plus ``state`` (MISSING, PROBLEMS or BROKEN), ``problems`` (one line each),
    ``kept`` (the copy of the file as written, or None) and ``level`` (the logging
    level the caller should log it at, once)."""

    state: str
    problems: tuple[str, ...]
    kept: Path | None
    level: int

    def __new__(cls, text: str, state: str, problems=(), kept: Path | None = None) -> "ConfigNotice":
        self = super().__new__(cls, text)
        self.state, self.problems, self.kept = state, tuple(problems), kept
        self.level = logging.INFO if state == MISSING else logging.WARNING if state == PROBLEMS \
            else logging.ERROR
        return self


MISSING = "missing"    # no file: the defaults, nothing wrong (``save`` creates it)
PROBLEMS = "problems"  # the file loaded except for the keys named
BROKEN = "broken"      # the file could not be read or parsed at all: the defaults
#: A notice lists at most this many problems ("... and N more"): it is one status line.
LISTED_PROBLEMS = 6


def load_config_or_defaults(path: str | Path) -> tuple[Config, ConfigNotice | None]:
    """The config at ``path`` as far as it is good; never raises.

    Returns ``(cfg, notice)``; ``cfg`` always passes ``check()``. ``notice`` is None
    when the file loaded cleanly, else a ``ConfigNotice`` (a str) the caller logs once
    at ``notice.level`` and shows in ``status``:

    - MISSING: no file; the defaults.
    - PROBLEMS: every valid key is used and every bad one named, as
      ``2 problems: KEY why; KEY why (...)`` (see ``Config.salvage``: a bad [[sensors]]
      entry means the default sensors, a broken rule reverts the keys it names). The
      file is copied aside once (``<name>.broken-<UTC stamp>``), so a later ``save``,
      which writes only the good values, never loses what the user wrote.
    - BROKEN: the file cannot be read or is not TOML at all: the defaults, the file
      copied aside the same way (it stays in place too, so every start reports it).
    """
    path = Path(path)
    try:
        return _load(path)
    except Exception as exc:  # noqa: BLE001 - the device must start whatever happened
        log.exception("loading config %s failed", path)
        return Config.defaults(), ConfigNotice(
            f"config {path} could not be loaded ({type(exc).__name__}); running on defaults", BROKEN)


def _load(path: Path) -> tuple[Config, ConfigNotice | None]:
    remove_stale_temp_files(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config.defaults(), ConfigNotice(
            f"no config file {path}; running on defaults (save writes one)", MISSING)
    except OSError as exc:
        return Config.defaults(), ConfigNotice(
            f"config {path} cannot be read ({exc.strerror or exc}); running on defaults", BROKEN)
    text, problems = decode_config_bytes(raw)
    try:
        data = parse_config_text(text, str(path))
    except ConfigError as exc:
        kept = keep_broken_file(path)
        return Config.defaults(), ConfigNotice(
            f"config {path} is broken ({_without_source(exc, path)}); running on defaults; "
            f"the file was {_where(kept)}", BROKEN, [*problems, str(exc)], kept)
    cfg, more = Config.salvage(data, str(path))
    problems += more
    if not problems:
        return cfg, None
    kept = keep_broken_file(path)
    listed = "; ".join(problems[:LISTED_PROBLEMS])
    if len(problems) > LISTED_PROBLEMS:
        listed += f"; and {len(problems) - LISTED_PROBLEMS} more"
    n = len(problems)
    text = f"{n} problem{'s' if n > 1 else ''}: {listed} (the file as written was {_where(kept)})"
    return cfg, ConfigNotice(text, PROBLEMS, problems, kept)


def _where(kept: Path | None) -> str:
    return f"kept as {kept}" if kept is not None else "not copied aside (see the log)"


def _without_source(exc: ConfigError, path: Path) -> str:
    text = str(exc)
    prefix = f"{path}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def keep_broken_file(path: Path) -> Path | None:
    """Copy a broken config aside once; returns the copy (an earlier identical one if any)."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        log.error("cannot read broken config %s: %s", path, exc)
        return None
    for earlier in sorted(path.parent.glob(path.name + ".broken-*")):
        try:
            if earlier.read_bytes() == content:
                return earlier
        except OSError:
            continue
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.broken-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.broken-{stamp}-{n}")
        n += 1
    try:
        shutil.copy2(path, target)
    except OSError as exc:
        log.error("cannot keep broken config %s as %s: %s", path, target, exc)
        return None
    return target
