"""Persisting the configuration so that a power cut can never leave a half-written file.

``save_config`` writes a temp file in the same directory, flushes and fsyncs it, renames
it over the target with ``os.replace`` (atomic on POSIX) and fsyncs the directory, so
after a crash at any instant the file on disk is either the old or the new config.

``load_config_or_defaults`` is what the device calls at start-up: a device that cannot
read its config must still warn its runner, so a broken file falls back to the defaults
with a fault notice, and the broken file is copied aside for inspection (it stays in
place too, so every start keeps reporting the fault until it is fixed or re-saved).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
import time
import tomllib
from pathlib import Path

from pi_app.config import Config, load_config
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
    Config.from_dict(tomllib.loads(text), str(path))  # never write what we could not load
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


def load_config_or_defaults(path: str | Path) -> tuple[Config, str | None]:
    """The config at ``path``, or the defaults; never raises for a bad file.

    Returns ``(cfg, notice)``: ``notice`` is None when the file loaded or does not exist
    (a new device runs on defaults), else a fault message naming the problem and where
    the broken file was kept (``<name>.broken-<UTC timestamp>`` beside it).
    """
    path = Path(path)
    remove_stale_temp_files(path)
    if not path.exists():
        log.info("no config file at %s: using defaults", path)
        return Config.defaults(), None
    try:
        return load_config(path), None
    except ConfigError as exc:
        problem = str(exc)
    kept = keep_broken_file(path)
    where = f"kept as {kept}" if kept is not None else "could not be copied aside"
    notice = f"config {path} is broken ({problem}); running on defaults; the file was {where}"
    log.error("%s", notice)
    return Config.defaults(), notice


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
