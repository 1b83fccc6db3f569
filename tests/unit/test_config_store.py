"""Atomic config persistence: round trip, file mode, crash at every step, power-cut
(SIGKILL) at each chosen point inside a save and at random moments, broken-file fallback
that keeps the evidence."""

from __future__ import annotations

import os
import random
import signal
import stat
import tempfile
import time

import pytest

from pi_app import config_store
from pi_app.config import Config, load_config
from pi_app.config_store import BROKEN, MISSING, PROBLEMS, load_config_or_defaults, save_config

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


class _TempFile:
    """Wraps save_config's temp file; ``write(f, text)`` decides what a write does."""

    def __init__(self, f, write):
        self.f, self._write = f, write

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.f.close()

    def fileno(self):
        return self.f.fileno()

    def flush(self):
        self.f.flush()

    def write(self, text):
        return self._write(self.f, text)


def _disk_full_write(f, text):
    """Writes a little, then fails as a full disk would."""
    f.write(text[:10])
    f.flush()
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
        monkeypatch.setattr(os, "fdopen", lambda *a, **k: _TempFile(real_fdopen(*a, **k), _disk_full_write))
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


class _Killer:
    """Child-side hooks that SIGKILL the process at one chosen point inside save_config."""

    def __init__(self, point: str) -> None:
        self.point = point
        self.fsyncs = 0

    def install(self) -> None:
        real_mkstemp, real_fdopen = tempfile.mkstemp, os.fdopen
        real_fsync, real_replace = os.fsync, os.replace
        killer = self

        def mkstemp(*args, **kwargs):
            result = real_mkstemp(*args, **kwargs)
            killer.at("after mkstemp")
            return result

        def write(f, text):
            if killer.point == "mid write":
                f.write(text[: len(text) // 2])
                f.flush()
                killer.at("mid write")
            f.write(text)
            killer.at("after write")

        def fsync(fd):
            killer.fsyncs += 1
            killer.at("before directory fsync" if killer.fsyncs == 2 else "")
            real_fsync(fd)
            killer.at("after fsync" if killer.fsyncs == 1 else "")

        def replace(a, b):
            real_replace(a, b)
            killer.at("after replace")

        tempfile.mkstemp, os.fdopen = mkstemp, lambda *a, **k: _TempFile(real_fdopen(*a, **k), write)
        os.fsync, os.replace = fsync, replace

    def at(self, point: str) -> None:
        if point == self.point:
            os.kill(os.getpid(), signal.SIGKILL)


#: (where the power cut lands, what the file must hold afterwards)
KILL_POINTS = [("after mkstemp", OLD), ("mid write", OLD), ("after write", OLD),
               ("after fsync", OLD), ("after replace", NEW), ("before directory fsync", NEW)]


@pytest.mark.parametrize("point, expected", KILL_POINTS)
def test_sigkill_at_each_point_inside_save_leaves_the_old_or_the_new_file(tmp_path, point, expected):
    path = tmp_path / "config.toml"
    save_config(OLD, path)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            _Killer(point).install()
            save_config(NEW, path)
        finally:
            os._exit(3)  # reached only if the kill point was never hit
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, point
    assert bool(temp_files(tmp_path)) == (expected is OLD)  # the rename had not happened yet
    cfg, notice = load_config_or_defaults(path)
    assert cfg == expected and notice is None
    assert temp_files(tmp_path) == []  # load removed what the kill left
    assert not list(tmp_path.glob("*.broken-*"))


def _save_forever(path):
    """Child process body: alternate OLD/NEW saves until killed."""
    try:
        for i in range(10**9):
            save_config(NEW if i % 2 == 0 else OLD, path)
    finally:
        os._exit(0)


def test_sigkill_at_random_moments_never_leaves_a_broken_file(tmp_path):
    """Wherever the kills land (the chosen points are proven above), the file loads."""
    path = tmp_path / "config.toml"
    save_config(OLD, path)
    rng = random.Random(1234)
    for _ in range(40):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            _save_forever(path)
        time.sleep(rng.uniform(0.0, 0.008))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        cfg, notice = load_config_or_defaults(path)
        assert notice is None, notice
        assert cfg in (OLD, NEW)
        assert temp_files(tmp_path) == []  # load removed whatever the kill left
    assert not list(tmp_path.glob("*.broken-*"))


def test_missing_file_gives_defaults_and_a_missing_notice(tmp_path):
    cfg, notice = load_config_or_defaults(tmp_path / "nope.toml")
    assert cfg == Config.defaults() and notice.state == MISSING


@pytest.mark.parametrize("text, problem", [
    ("[obstacle\nwarning_ttc_s = 3.0\n", "not valid TOML"),
    ("\x00\x00\x00", "not valid TOML"),
    ("garbage = [", "not valid TOML"),
])
def test_a_file_that_is_not_toml_falls_back_to_defaults_and_is_kept(tmp_path, text, problem):
    path = tmp_path / "config.toml"
    path.write_text(text)
    cfg, notice = load_config_or_defaults(path)
    assert cfg == Config.defaults() and notice.state == BROKEN
    assert problem in notice and str(path) in notice and "running on defaults" in notice
    kept = list(tmp_path.glob("config.toml.broken-*"))
    assert len(kept) == 1 and kept[0].read_text() == text
    assert kept[0].name in notice
    assert path.read_text() == text  # still there: the next start reports it again


@pytest.mark.parametrize("text, problem", [
    ("[obstacle]\nwarning_ttc_s = 99.0\ncaution_ttc_s = 5.0\n",
     "obstacle.warning_ttc_s 99.0 is outside the allowed range 0.3..10 s"),
    ("[obstacle]\nwarnign_ttc_s = 3.0\ncaution_ttc_s = 5.0\n", "obstacle.warnign_ttc_s unknown"),
])
def test_a_bad_key_is_named_and_kept_aside_and_the_rest_is_used(tmp_path, text, problem):
    path = tmp_path / "config.toml"
    path.write_text(text)
    cfg, notice = load_config_or_defaults(path)
    assert cfg == Config.defaults().with_value("obstacle.caution_ttc_s", 5.0)
    assert notice.state == PROBLEMS and notice.problems == (problem,)
    kept = list(tmp_path.glob("config.toml.broken-*"))
    assert len(kept) == 1 and kept[0].read_text() == text and str(kept[0]) in notice


def test_broken_file_is_copied_once_and_survives_the_next_save(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("garbage = [")
    load_config_or_defaults(path)
    _, notice = load_config_or_defaults(path)
    assert "broken" in notice and notice.state == BROKEN
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
