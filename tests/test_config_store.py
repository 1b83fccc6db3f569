"""Atomic config persistence: round trip, file mode, crash at every step, power-cut
(SIGKILL) in the middle of saves, broken-file fallback that keeps the evidence."""

from __future__ import annotations

import os
import random
import signal
import stat
import time

import pytest

from pi_app import config_store
from pi_app.config import Config, load_config
from pi_app.config_store import load_config_or_defaults, save_config

OLD = Config.defaults().with_value("obstacle.warning_ttc_s", "2.0")
NEW = Config.defaults().with_value("obstacle.warning_ttc_s", "3.5").with_value("alert.tonal", "true")


def temp_files(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_save_then_load_round_trips(tmp_path):
    path = tmp_path / "config.toml"
    save_config(NEW, path)
    assert load_config(path) == NEW
    cfg, notice = load_config_or_defaults(path)
    assert cfg == NEW and notice is None


def test_saved_file_is_0644_whatever_the_umask(tmp_path):
    path = tmp_path / "config.toml"
    old_umask = os.umask(0o077)
    try:
        save_config(NEW, path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_save_creates_the_directory_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "etc" / "backsight" / "config.toml"
    save_config(OLD, path)
    save_config(NEW, path)
    assert load_config(path) == NEW
    assert temp_files(path.parent) == []


def test_save_fsyncs_file_and_directory_then_renames(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append(("fsync", stat.S_ISDIR(os.fstat(fd).st_mode))),
                                                 real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append(("replace",)), real_replace(a, b))[1])
    save_config(NEW, tmp_path / "config.toml")
    assert events == [("fsync", False), ("replace",), ("fsync", True)]


class _DiskFullFile:
    """Wraps the temp file: writes a little, then fails as a full disk would."""

    def __init__(self, f):
        self.f = f

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.f.close()

    def fileno(self):
        return self.f.fileno()

    def write(self, text):
        self.f.write(text[:10])
        self.f.flush()
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize("crash_point", ["fchmod", "write", "fsync", "replace"])
def test_a_failure_at_any_step_keeps_the_old_file(tmp_path, monkeypatch, crash_point):
    path = tmp_path / "config.toml"
    save_config(OLD, path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if crash_point == "write":
        real_fdopen = os.fdopen
        monkeypatch.setattr(os, "fdopen", lambda *a, **k: _DiskFullFile(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(os, crash_point, boom)
    with pytest.raises(OSError):
        save_config(NEW, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load_config(path) == OLD
    assert temp_files(tmp_path) == []


def test_a_config_that_would_not_load_back_is_never_written(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    save_config(OLD, path)
    monkeypatch.setattr(Config, "to_toml", lambda self: "[obstacle]\nwarning_ttc_s = 99.0\n")
    with pytest.raises(ValueError):
        save_config(NEW, path)
    monkeypatch.undo()
    assert load_config(path) == OLD
    assert temp_files(tmp_path) == []


def test_a_crash_between_write_and_rename_leaves_a_temp_that_load_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    save_config(OLD, path)

    class PowerCut(BaseException):
        pass

    def cut(*args):
        raise PowerCut()

    monkeypatch.setattr(os, "replace", cut)
    monkeypatch.setattr(os, "unlink", lambda p: None)  # a dead process cleans nothing up
    with pytest.raises(PowerCut):
        save_config(NEW, path)
    monkeypatch.undo()
    assert len(temp_files(tmp_path)) == 1
    cfg, notice = load_config_or_defaults(path)
    assert cfg == OLD and notice is None
    assert temp_files(tmp_path) == []


def _save_forever(path):
    """Child process body: alternate OLD/NEW saves until killed."""
    try:
        for i in range(10**9):
            save_config(NEW if i % 2 == 0 else OLD, path)
    finally:
        os._exit(0)


def test_sigkill_at_random_points_inside_save_never_leaves_a_broken_file(tmp_path):
    path = tmp_path / "config.toml"
    save_config(OLD, path)
    rng = random.Random(1234)
    seen = set()
    interrupted = 0
    for _ in range(120):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            _save_forever(path)
        time.sleep(rng.uniform(0.0, 0.008))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        interrupted += bool(temp_files(tmp_path))
        cfg, notice = load_config_or_defaults(path)
        assert notice is None, notice
        assert cfg in (OLD, NEW)
        seen.add(cfg.obstacle.warning_ttc_s)
        assert temp_files(tmp_path) == []  # load removed whatever the kill left
    assert not list(tmp_path.glob("*.broken-*"))
    assert seen == {2.0, 3.5}  # the kills landed in different saves
    assert interrupted > 0  # and some in the middle of one (a temp file was left)


def test_missing_file_gives_defaults_without_a_fault(tmp_path):
    cfg, notice = load_config_or_defaults(tmp_path / "nope.toml")
    assert cfg == Config.defaults() and notice is None


@pytest.mark.parametrize("text, problem", [
    ("[obstacle\nwarning_ttc_s = 3.0\n", "not valid TOML"),
    ("[obstacle]\nwarning_ttc_s = 99.0\n", "obstacle.warning_ttc_s"),
    ("[obstacle]\nwarnign_ttc_s = 3.0\n", "unknown key obstacle.warnign_ttc_s"),
    ("\x00\x00\x00", "not valid TOML"),
])
def test_broken_file_falls_back_to_defaults_and_is_kept(tmp_path, text, problem):
    path = tmp_path / "config.toml"
    path.write_text(text)
    cfg, notice = load_config_or_defaults(path)
    assert cfg == Config.defaults()
    assert notice is not None and problem in notice and str(path) in notice
    kept = list(tmp_path.glob("config.toml.broken-*"))
    assert len(kept) == 1 and kept[0].read_text() == text
    assert kept[0].name in notice
    assert path.read_text() == text  # still there: the next start reports it again


def test_broken_file_is_copied_once_and_survives_the_next_save(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("garbage = [")
    load_config_or_defaults(path)
    _, notice = load_config_or_defaults(path)
    assert "broken" in notice
    assert len(list(tmp_path.glob("config.toml.broken-*"))) == 1  # no copy per boot
    save_config(NEW, path)
    kept = list(tmp_path.glob("config.toml.broken-*"))
    assert len(kept) == 1 and kept[0].read_text() == "garbage = ["
    assert load_config_or_defaults(path) == (NEW, None)


def test_a_different_broken_file_gets_its_own_copy(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("a = [")
    load_config_or_defaults(path)
    path.write_text("b = [")
    load_config_or_defaults(path)
    kept = sorted(p.read_text() for p in tmp_path.glob("config.toml.broken-*"))
    assert kept == ["a = [", "b = ["]


def test_save_into_an_impossible_place_raises_oserror(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError):
        save_config(NEW, blocker / "config.toml")


def test_stale_temp_cleanup_only_touches_our_temp_files(tmp_path):
    path = tmp_path / "config.toml"
    (tmp_path / ".config.toml.abc123.tmp").write_text("partial")
    (tmp_path / ".other.toml.abc123.tmp").write_text("someone else's")
    removed = config_store.remove_stale_temp_files(path)
    assert [p.name for p in removed] == [".config.toml.abc123.tmp"]
    assert (tmp_path / ".other.toml.abc123.tmp").exists()
