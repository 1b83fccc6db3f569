"""Every command ends cleanly: bad input gives one line naming what was wrong and a
non-zero exit, never a traceback; a closed pipe ends quietly; a bug is one line too
(its traceback with ``-vv``). Runs the real CLI (``pi_app.cli.main``), and a real pipe
through ``python -m pi_app``."""

import argparse
import fcntl
import json
import math
import os
import subprocess
import sys

import pytest
from hypothesis import given, strategies as st

import pi_app.bench
import pi_app.commands.sim
from pi_app.cli import main
from pi_app.commands.argtypes import at_most, non_negative_int, positive_float, positive_int
from pi_app.exc import ConfigError

VALID = "duration_s = 10.0\n[runner]\nspeed_mps = 2.0\n"
OBSTACLE = "[[obstacles]]\nx_m = 20.0\nwidth_m = 1.0\nheight_m = 1.0\n"
HEADER = '# backsight-recording 1 {"config": null}\n'
PIPE_BYTES = 4096          # the smallest pipe Linux makes: every run below writes more


def cli(capsys, *argv) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``backsight ARGV`` (argparse's exits included)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str, *words: str) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def usage_error(err: str, option: str) -> None:
    """argparse: the usage (possibly wrapped) and one error line naming the option."""
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1 and f"argument {option}" in errors[0], err
    assert err.startswith("usage: ")


# --- numbers on the command line ------------------------------------------------------
@pytest.mark.parametrize("argv, option", [
    (["demo", "--speed", "0"], "--speed"),
    (["demo", "--speed", "-1"], "--speed"),
    (["demo", "--speed", "nan"], "--speed"),
    (["demo", "--speed", "inf"], "--speed"),
    (["demo", "--speed", "1e9"], "--speed"),
    (["demo", "--speed", "fast"], "--speed"),
    (["bench", "--cycles", "0"], "--cycles"),
    (["bench", "--cycles", "-5"], "--cycles"),
    (["bench", "--cycles", "1e9"], "--cycles"),
    (["bench", "--cycles", str(pi_app.bench.MAX_CYCLES + 1)], "--cycles"),
    (["sim", "--random", "0"], "--random"),
    (["sim", "--random", "-3"], "--random"),
    (["sim", "wall-approach", "--seed", "-1"], "--seed"),
    (["config", "--port", "loop://", "--timeout", "0", "get"], "--timeout"),
    (["config", "--port", "loop://", "--timeout", "nan", "get"], "--timeout"),
    (["config", "--port", "loop://", "--baud", "0", "get"], "--baud"),
    (["config", "--port", "loop://", "stream", "--seconds", "-1"], "--seconds"),
])
def test_a_bad_number_is_a_usage_error_before_any_work(capsys, argv, option):
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    usage_error(err, option)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_positive_float_takes_exactly_the_finite_positive_numbers(x):
    if math.isfinite(x) and x > 0:
        assert positive_float(repr(x)) == x
    else:
        with pytest.raises(argparse.ArgumentTypeError):
            positive_float(repr(x))


@given(st.integers(-10**6, 10**6))
def test_integer_types_draw_the_line_at_their_lower_bound(n):
    assert (n >= 1) == _accepts(positive_int, str(n))
    assert (n >= 0) == _accepts(non_negative_int, str(n))
    assert (1 <= n <= 1000) == _accepts(at_most(positive_int, 1000), str(n))


def _accepts(kind, text) -> bool:
    try:
        kind(text)
    except argparse.ArgumentTypeError:
        return False
    return True


# --- scenario files ---------------------------------------------------------------------
def _many(table: str, n: int) -> str:
    return VALID + table * n


BAD_SCENARIOS = {
    "digits": ("duration_s = " + "9" * 5000 + "\n", ("not valid TOML", "digits")),
    "deep-arrays": (VALID + "x = " + "[" * 20000 + "]" * 20000 + "\n", ("nested too deeply",)),
    "deep-tables": (VALID + "x = " + "{a = " * 20000 + "1" + "}" * 20000 + "\n",
                    ("nested too deeply",)),
    "latin1": (b"duration_s = 10.0\n# caf\xe9\n[runner]\nspeed_mps = 2.0\n",
               ("line 2", "not UTF-8")),
    "not-toml": ("duration_s = = 1\n", ("not valid TOML", "line 1")),
    "empty": ("", ("duration_s: missing",)),
    "obstacles": (_many(OBSTACLE, 1001), ("obstacles: at most 1000 entries, got 1001",)),
    "ground": (_many('[[ground]]\nkind = "hole"\nx_m = 9.0\nlength_m = 0.3\ndepth_m = 0.1\n',
                     1001), ("ground: at most 1000",)),
    "faults": ("faults = [" + '{t_s = 1.0, kind = "jitter", jitter_s = 0.01},' * 10001
               + "]\n" + VALID, ("faults: at most 10000",)),
    "buttons": ("button = [" + "{t_s = 1.0}," * 1001 + "]\n" + VALID, ("button: at most 1000",)),
    "profile": ("duration_s = 10.0\n[runner]\nspeed_profile = ["
                + ",".join(f"[{i}, 2.0]" for i in range(10001)) + "]\n",
                ("runner.speed_profile: at most 10000 points",)),
    "duration": ("duration_s = 1e9\n[runner]\nspeed_mps = 2.0\n", ("duration_s: must be within",)),
    "runner-speed": ("duration_s = 10.0\n[runner]\nspeed_mps = 1e9\n", ("runner.speed_mps",)),
    "obstacle-speed": (VALID + OBSTACLE + "speed_mps = 1e9\n", ("obstacles[0].speed_mps",)),
    "negative-width": (VALID + OBSTACLE.replace("width_m = 1.0", "width_m = -1.0"),
                       ("obstacles[0].width_m: must be > 0, got -1",)),
    "huge-height": (VALID + OBSTACLE.replace("height_m = 1.0", "height_m = 1e9"),
                    ("obstacles[0].height_m: must be <= 100",)),
    "far-obstacle": (VALID + OBSTACLE.replace("x_m = 20.0", "x_m = 1e12"), ("obstacles[0].x_m",)),
    "late-fault": (VALID + '[[faults]]\nt_s = 1e9\nkind = "jitter"\njitter_s = 0.01\n',
                   ("faults[0].t_s: must be <= 86400",)),
    "big-seed": ("seed = 9223372036854775808\n" + VALID, ("seed: must be <= 9223372036854775807",)),
    "vl53l1x-x7": (VALID + "".join(f'[[sensors]]\nid = "s{i}"\nkind = "vl53l1x"\n'
                                   'role = "obstacle"\n' for i in range(7)),
                   ('at most 6 of kind "vl53l1x"',)),
    "sensors-x9": (VALID + "".join(f'[[sensors]]\nid = "s{i}"\nkind = "tfluna"\n'
                                   'role = "obstacle"\n' for i in range(9)),
                   ("sensors: at most 8",)),
    "huge-file": (VALID + "#" * (5 * 1024 * 1024) + "\n", ("larger than 4 MiB",)),
    "long-key": (VALID + '"' + "k" * 10_000 + '" = 1\n', ("unknown key",)),
}


def _write(tmp_path, name: str, content) -> str:
    path = tmp_path / f"{name}.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name", list(BAD_SCENARIOS))
def test_a_bad_scenario_file_is_one_line_naming_the_file_and_key(tmp_path, capsys, name):
    content, words = BAD_SCENARIOS[name]
    code, out, err = cli(capsys, "sim", "--scenario-file", _write(tmp_path, name, content))
    assert code == 1 and out == ""
    line = one_error_line(err, f"backsight sim: error: {name}.toml: ", *words)
    assert len(line) < 400                       # a value is quoted short, not whole


@pytest.mark.parametrize("name", ["digits", "deep-tables", "latin1", "obstacles"])
@pytest.mark.parametrize("command", [["demo"], ["plot", "-o", "out.png", "--scenario"]])
def test_demo_and_plot_refuse_bad_scenario_files_the_same_way(tmp_path, capsys, monkeypatch,
                                                               name, command):
    monkeypatch.chdir(tmp_path)
    content, words = BAD_SCENARIOS[name]
    code, out, err = cli(capsys, *command, _write(tmp_path, name, content))
    assert code == 1 and out == ""
    one_error_line(err, f"backsight {command[0]}: error: {name}.toml: ", *words)
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("make, words", [
    (lambda tmp: tmp / "missing.toml", ("missing.toml: no such scenario file",)),
    (lambda tmp: tmp, ("not a scenario file",)),
])
def test_a_missing_scenario_file_or_a_directory(tmp_path, capsys, make, words):
    code, out, err = cli(capsys, "sim", "--scenario-file", make(tmp_path))
    assert code == 1 and out == ""
    one_error_line(err, "backsight sim: error: ", *words)


def test_an_unknown_scenario_name(capsys):
    code, _, err = cli(capsys, "demo", "no-such-scenario")
    assert code == 1
    one_error_line(err, "backsight demo: error: no-such-scenario: no such scenario")


# --- recordings ---------------------------------------------------------------------------
BAD_RECORDINGS = {
    "random-bytes": (bytes(range(256)) * 8, "not a backsight recording"),
    "empty": (b"", "not a backsight recording"),
    "truncated": (b'# backsight-recording 1 {"conf', "corrupt header"),
    "deep-header": (b"# backsight-recording 1 " + b"[" * 100_000 + b"\n", "corrupt header"),
    "list-header": (b"# backsight-recording 1 [1, 2]\n", "corrupt header (not a JSON object)"),
    "bad-config": (b'# backsight-recording 1 {"config": {"bogus": {}}}\nr,0.1,rear,1.0,0\n',
                   "bogus"),
    "span": (HEADER.encode() + b"r,0.1,rear,2.0,0\nr,5000000.0,rear,2.0,0\n",
             "span 5000000 s"),
}


@pytest.mark.parametrize("name", list(BAD_RECORDINGS))
def test_replay_of_a_file_that_is_not_a_usable_recording(tmp_path, capsys, name):
    content, words = BAD_RECORDINGS[name]
    path = tmp_path / f"{name}.rec"
    path.write_bytes(content)
    code, out, err = cli(capsys, "replay", path)
    assert code == 1 and out == ""
    one_error_line(err, f"backsight replay: error: {path}", words)


@pytest.mark.parametrize("command", [["replay"], ["plot", "-o", "out.png"]])
@pytest.mark.parametrize("make, words", [
    (lambda tmp: tmp / "missing.rec", "missing.rec: No such file or directory"),
    (lambda tmp: tmp, ": Is a directory"),
])
def test_replay_and_plot_of_a_missing_file_or_a_directory(tmp_path, capsys, monkeypatch,
                                                          command, make, words):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, *command, make(tmp_path))
    assert code == 1 and out == ""
    one_error_line(err, f"backsight {command[0]}: error: ", words)


def test_damaged_lines_are_counted_not_replayed(tmp_path, capsys):
    path = tmp_path / "damaged.rec"
    path.write_text(HEADER + "r,nan,rear,1.0,0\nr,0.1,rear,inf,0\nr,1e300,rear,1.0,0\n"
                    "m,0.1,nan,0,1,0,0,0\nr,0.2,rear,2.0,99\nr,0.3,rear,2.0,0\n")
    code, out, err = cli(capsys, "replay", path, "--json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert result["readings"] == 1 and result["skipped_lines"] == 5


@pytest.mark.parametrize("output, words", [
    ("out.jpeg-ish", "the name must end in .png, .svg, .pdf"),
    ("no-such-dir/out.png", "no such directory"),
])
def test_plot_checks_its_output_before_running(tmp_path, capsys, monkeypatch, output, words):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "plot", "--scenario", "wall-approach", "-o", output)
    assert code == 2 and out == ""
    one_error_line(err, f"backsight plot: error: {output}: ", words)


# --- bench --compare ---------------------------------------------------------------------
@pytest.mark.parametrize("content, words", [
    (None, "No such file or directory"),
    ("{nope", "not a saved `backsight bench --json` result"),
    ("9" * 5000, "digits"),
    ("[1, 2]", "no cycle_us"),
    ('{"cycle_us": {"1": {"p50": "fast"}}}', "cycle_us.1.p50: expected a number > 0"),
    ('{"cycle_us": {"1": {"p50": 0}}}', "cycle_us.1.p50"),
])
def test_bench_compare_checks_the_file_before_measuring(tmp_path, capsys, monkeypatch,
                                                        content, words):
    def measured(*args, **kwargs):
        raise AssertionError("measured before checking --compare")
    monkeypatch.setattr(pi_app.bench, "run_all", measured)
    path = tmp_path / "base.json"
    if content is not None:
        path.write_text(content)
    code, out, err = cli(capsys, "bench", "--compare", path)
    assert code == 1 and out == ""
    one_error_line(err, f"backsight bench: error: {path}", words)


# --- the host tool -----------------------------------------------------------------------
@pytest.mark.parametrize("argv, words", [
    (["--port", "/nonexistent", "get"], "cannot open /nonexistent"),
    (["--port", "{tmp}", "status"], "cannot open"),
    (["--port", "loop://", "--timeout", "0.05", "set", "key", "a\x01b"], "printable ASCII"),
])
def test_config_misuse_is_one_line(tmp_path, capsys, argv, words):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, out, err = cli(capsys, "config", *argv)
    assert code == 2 and out == ""
    one_error_line(err, "backsight config: error: ", words)


# --- the safety net in cli.main -------------------------------------------------------------
def _sim_raises(monkeypatch, exc: BaseException) -> None:
    def run(args):
        raise exc
    monkeypatch.setattr(pi_app.commands.sim, "run", run)


@pytest.mark.parametrize("exc, code, line", [
    (ConfigError("x.toml: speed: bad"), 1, "backsight sim: error: x.toml: speed: bad"),
    (PermissionError(13, "Permission denied", "/root/x"), 1,
     "backsight sim: error: /root/x: Permission denied"),
    (FileNotFoundError(2, "No such file or directory", "gone.toml"), 1,
     "backsight sim: error: gone.toml: No such file or directory"),
    (OSError("the bus went away"), 1, "backsight sim: error: the bus went away"),
    (ConfigError("two\nlines"), 1, "backsight sim: error: two lines"),
    (RuntimeError("boom"), 70,
     "backsight sim: internal error: RuntimeError: boom (run with -vv for the traceback)"),
    (ZeroDivisionError("division by zero"), 70,
     "backsight sim: internal error: ZeroDivisionError: division by zero "
     "(run with -vv for the traceback)"),
])
def test_every_failure_is_one_line_and_an_exit_code(capsys, monkeypatch, exc, code, line):
    _sim_raises(monkeypatch, exc)
    got, out, err = cli(capsys, "sim", "wall-approach")
    assert got == code and out == ""
    assert one_error_line(err) == line


def test_with_vv_an_internal_error_shows_its_traceback(capsys, monkeypatch):
    _sim_raises(monkeypatch, RuntimeError("boom"))
    code, _, err = cli(capsys, "-vv", "sim", "wall-approach")
    assert code == 70
    assert "Traceback" in err and "RuntimeError: boom" in err
    assert err.splitlines()[-1].startswith("backsight sim: internal error: RuntimeError: boom")


def test_ctrl_c_is_exit_130_quietly(capsys, monkeypatch):
    _sim_raises(monkeypatch, KeyboardInterrupt())
    assert cli(capsys, "sim", "wall-approach") == (130, "", "")


def test_a_closed_stdout_inside_a_command_is_exit_141_quietly(capsys, monkeypatch):
    _sim_raises(monkeypatch, BrokenPipeError(32, "Broken pipe"))
    assert cli(capsys, "sim", "wall-approach") == (141, "", "")


# --- a real closed pipe --------------------------------------------------------------------
def _read_then_close(argv, first_bytes: int) -> tuple[bytes, int, str]:
    """Run ``python -m pi_app ARGV`` into a small pipe, read its first line (at most
    ``first_bytes``), close the pipe; the command writes far more than the pipe holds, so
    it must meet the closed pipe whatever the timing."""
    read_fd, write_fd = os.pipe()
    fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    proc = subprocess.Popen([sys.executable, "-m", "pi_app", *argv], stdout=write_fd,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    os.close(write_fd)
    line = b""
    try:
        while not line.endswith(b"\n") and len(line) < first_bytes:
            chunk = os.read(read_fd, 1)
            assert chunk, "the command ended before its first line"
            line += chunk
    finally:
        os.close(read_fd)         # the reader is gone, like `| head -1`
    _, err = proc.communicate(timeout=120)
    return line, proc.returncode, err.decode()


def _holes(tmp_path) -> str:
    """A scenario whose ``sim --json`` lists 100 hazards: about 20 kB, whatever is detected."""
    holes = "".join(f'[[ground]]\nkind = "hole"\nx_m = {20 + i * 0.5}\nlength_m = 0.2\n'
                    f"depth_m = 0.1\n" for i in range(100))
    return _write(tmp_path, "holes", VALID.replace("10.0", "5.0") + holes)


@pytest.mark.parametrize("argv, first", [
    (["sim", "--scenario-file", "{holes}", "--json"], b"{\n"),
    # a status line per 0.1 s of a 16 s run: about 20 kB
    (["demo", "wall-approach", "--speed", "20"], b"backsight demo: wall-approach"),
])
def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path, argv, first):
    argv = [a.replace("{holes}", _holes(tmp_path)) for a in argv]
    line, code, err = _read_then_close(argv, first_bytes=200)
    assert line.startswith(first)
    assert err == ""              # no traceback, no "Exception ignored" at shutdown
    assert code == 141
