"""``backsight sim --all`` / ``--random N`` over ``--jobs`` worker processes: the same bytes
as one job, a progress bar only on a terminal, Ctrl-C keeps the runs finished, and the
human table within 100 columns."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading

import pytest

from pi_app import cli
from pi_app.commands.sim import print_table
from pi_app.sim import batch
from pi_app.sim.batch import Batch, Run
from pi_app.sim.scenario import load_scenario

#: cheap random runs: seeds 9 and 10 simulate 9 s and 13 s
CHEAP_RANDOM = ("--random", "2", "--seed", "9")
#: a safety net for a hung child, never a timing assertion
CHILD_TIMEOUT_S = 60.0
#: what Ctrl-C may take: stop handing out runs, let the workers finish the current one
INTERRUPT_TIMEOUT_S = 15.0
#: a tqdm bar: "  3%|▎    | 3/100 [00:01<00:40,  2.40run/s]"
BAR = re.compile(r"(\d+)/(\d+) \[[0-9:]+<[0-9:?]+")


def backsight(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pi_app", *args], capture_output=True,
                          timeout=CHILD_TIMEOUT_S, **kwargs)


def test_two_jobs_print_the_same_json_bytes_as_one():
    one = backsight("sim", *CHEAP_RANDOM, "--jobs", "1", "--json")
    two = backsight("sim", *CHEAP_RANDOM, "--jobs", "2", "--json")
    assert one.returncode == two.returncode == 0, two.stderr
    assert two.stdout == one.stdout
    runs = json.loads(two.stdout)
    assert [(r["scenario"], r["policy"]) for r in runs] == [
        ("random-9", "backsight"), ("random-9", "naive"),
        ("random-10", "backsight"), ("random-10", "naive")]
    assert b"Traceback" not in two.stderr


def test_no_progress_bar_when_stderr_is_piped():
    done = backsight("sim", "--random", "2", "--seed", "5", "--policy", "naive", "--jobs", "2")
    assert done.returncode == 0
    table = done.stdout.decode()
    assert "random-5" in table and "random-6" in table and "in time" in table
    assert not BAR.search(done.stderr.decode()) and b"\r" not in done.stderr


def _workers_of(pid: int) -> list[int]:
    """Live spawned worker processes whose parent is ``pid`` (Linux /proc; not the
    resource tracker multiprocessing also starts)."""
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmdline = f.read()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z" and b"spawn_main" in cmdline:
                kids.append(int(entry))
    return kids


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class TerminalReader:
    """Everything a child writes to a pty, read on a thread so the child never blocks on
    a full terminal."""

    def __init__(self, master: int) -> None:
        self._master = master
        self._chunks: list[bytes] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 4096)
            except OSError:             # EIO: every writer closed the terminal
                chunk = b""
            with self._changed:
                self._chunks.append(chunk)
                self._changed.notify_all()
            if not chunk:
                return

    def text(self) -> str:
        with self._changed:
            return b"".join(self._chunks).decode(errors="replace")

    def wait_for(self, found, timeout_s: float) -> str:
        """The text once ``found(text)`` holds, the terminal closed, or ``timeout_s``."""
        with self._changed:
            self._changed.wait_for(
                lambda: found(self.text()) or bool(self._chunks and not self._chunks[-1]),
                timeout=timeout_s)
        return self.text()

    def closed_text(self, timeout_s: float) -> str:
        """All the text, once the child closed the terminal (or ``timeout_s``)."""
        self._thread.join(timeout_s)
        return self.text()


def _a_run_finished(text: str) -> bool:
    return any(int(m.group(1)) >= 1 for m in BAR.finditer(text))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_terminal_shows_the_bar_and_ctrl_c_keeps_the_finished_runs():
    master, slave = os.openpty()
    try:
        child = subprocess.Popen([sys.executable, "-m", "pi_app", "sim", "--random", "50",
                                  "--jobs", "2"], stdout=subprocess.PIPE, stderr=slave,
                                 start_new_session=True)
        os.close(slave)
        terminal = TerminalReader(master)
        try:
            bar = terminal.wait_for(_a_run_finished, CHILD_TIMEOUT_S)
            workers = _workers_of(child.pid)
            os.killpg(child.pid, signal.SIGINT)    # as a terminal's Ctrl-C: the whole group
            out, _ = child.communicate(timeout=INTERRUPT_TIMEOUT_S)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        err = terminal.closed_text(INTERRUPT_TIMEOUT_S)
    finally:
        os.close(master)
    assert re.search(r"/100 \[[0-9:]+<[0-9:]+", bar)      # runs done / total, and an ETA
    assert child.returncode == cli.EXIT_INTERRUPTED
    assert "Traceback" not in err
    m = re.search(r"backsight sim: interrupted: (\d+) of 100 runs finished", err)
    assert m and 1 <= int(m.group(1)) < 100
    table = out.decode()
    assert "random-" in table and "false alarms=" in table
    assert len(workers) == 2 and not any(_alive(pid) for pid in workers)


def _fake_runs(monkeypatch, interrupt_at: int) -> list[Run]:
    """``Run.execute`` replaced in this process: tiny results, Ctrl-C on call ``interrupt_at``."""
    calls = []

    def execute(self: Run) -> dict:
        calls.append(self)
        if len(calls) == interrupt_at:
            raise KeyboardInterrupt
        return {"scenario": f"random-{self.random_seed}", "policy": self.policy, "seed": 0,
                "duration_s": 1.0, "false_alarms": 0, "hazards": []}

    monkeypatch.setattr(Run, "execute", execute)
    return calls


def test_ctrl_c_prints_the_finished_runs_as_json_in_order(capsys, monkeypatch):
    _fake_runs(monkeypatch, interrupt_at=4)
    code = cli.main(["sim", "--random", "5", "--seed", "10", "--jobs", "1", "--json"])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_INTERRUPTED
    assert [(r["scenario"], r["policy"]) for r in json.loads(out)] == [
        ("random-10", "backsight"), ("random-10", "naive"), ("random-11", "backsight")]
    assert err.splitlines() == ["backsight sim: interrupted: 3 of 10 runs finished"]


def test_ctrl_c_before_any_run_finished_prints_an_empty_array(capsys, monkeypatch):
    _fake_runs(monkeypatch, interrupt_at=1)
    code = cli.main(["sim", "--random", "2", "--jobs", "1", "--json"])
    out, err = capsys.readouterr()
    assert (code, json.loads(out)) == (cli.EXIT_INTERRUPTED, [])
    assert "interrupted: 0 of 4 runs finished" in err


def test_worker_log_records_are_logged_here_once_each(caplog):
    scenario = load_scenario("unplug-replug")
    runs = [Run("backsight", scenario=scenario), Run("naive", scenario=scenario)]
    with caplog.at_level(logging.WARNING):
        in_process = Batch(runs, jobs=1).run()
        here = sorted((r.name, r.getMessage()) for r in caplog.records)
        caplog.clear()
        pooled = Batch(runs, jobs=2).run()
        from_workers = sorted((r.name, r.getMessage()) for r in caplog.records)
    assert here, "the scenario should log its sensor faults"
    assert from_workers == here
    assert pooled.results == in_process.results and not pooled.interrupted


def test_batch_never_uses_more_workers_than_runs():
    assert Batch([Run("naive", random_seed=1)], jobs=8).jobs == 1
    assert Batch([], jobs=4).run() == batch.BatchResult([], 0, False)


def _result(name: str, policy: str, hazards: list[dict], false_alarms: int = 0) -> dict:
    return {"scenario": name, "policy": policy, "duration_s": 10.0,
            "false_alarms": false_alarms, "hazards": hazards}


def test_the_table_says_in_time_and_fits_100_columns(capsys):
    long_name, long_id = "x" * 24, "h" * 15
    hz = [{"id": long_id, "limit_lead_s": 1.25, "lead_s": 1.5, "outcome": "hit"},
          {"id": "hole-1", "limit_lead_s": 0.9, "lead_s": None, "outcome": "no_contact"}]
    results = [_result(long_name, "backsight", hz), _result(long_name, "naive", hz, 12),
               _result("random-1", "backsight", hz[:1])]     # its naive run did not finish
    print_table(results, ("backsight", "naive"))
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert " hit" not in "\n".join(lines) and "hit=" not in "\n".join(lines)
    assert lines[3].split() == [long_name, long_id, "1.25", "1.50", "in", "time", "0",
                                "1.50", "in", "time", "12"]
    assert lines[4].split() == ["hole-1", "0.90", "-", "no", "contact", "-", "no", "contact"]
    assert lines[5].split() == ["random-1", long_id, "1.25", "1.50", "in", "time", "0",
                                "-", "-", "-"]
    assert lines[-2].split()[:3] == ["backsight:", "in", "time=2"]


# --- kits, the devices' journal, a failing run ----------------------------------------------
def _faulty_random_seed() -> int:
    """The shortest of the first random runs whose I2C bus is stuck in bursts: every
    device logs its faults (picked from the draw, so a wider world keeps the test)."""
    from pi_app.sim.randomize import random_scenario_data
    stuck = [random_scenario_data(s) for s in range(300)]
    stuck = [d for d in stuck if any(f["kind"] == "bus_stuck" for f in d["faults"])]
    return min(stuck[:8], key=lambda d: d["duration_s"])["seed"]


FAULTY_RANDOM = ("--random", "1", "--seed", str(_faulty_random_seed()), "--policy", "backsight")


def test_a_batch_keeps_the_devices_journal_off_stderr_unless_verbose():
    quiet = backsight("sim", *FAULTY_RANDOM, "--jobs", "1")
    verbose = backsight("-v", "sim", *FAULTY_RANDOM, "--jobs", "1")
    assert quiet.returncode == verbose.returncode == 0
    assert quiet.stderr == b""
    assert b"WARNING pi_app.channel: sensor rear: fault" in verbose.stderr
    assert quiet.stdout == verbose.stdout


def test_pooled_runs_log_at_the_batch_level(caplog):
    scenario = load_scenario("unplug-replug")
    runs = [Run("backsight", scenario=scenario), Run("naive", scenario=scenario)]
    with caplog.at_level(logging.WARNING):
        Batch(runs, jobs=2, log_level=logging.ERROR).run()
        pooled = list(caplog.records)
        caplog.clear()
        Batch(runs, jobs=1, log_level=logging.ERROR).run()
        in_process = list(caplog.records)
    assert pooled == [] and in_process == []


def test_a_failing_run_stops_the_batch_with_one_line_naming_it():
    bad = Run("naive", random_seed=4, kit="no-such-kit")    # raises where it is drawn
    for jobs in (1, 2):
        with pytest.raises(batch.RunFailed, match=r"^run random-4-no-such-kit \(naive\) "
                           r"failed: ValueError: unknown kit"):
            Batch([Run("naive", random_seed=9), bad], jobs=jobs).run()


def test_a_failing_run_is_one_line_on_stderr(capsys, monkeypatch):
    def execute(self: Run) -> dict:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(Run, "execute", execute)
    code = cli.main(["sim", "--random", "2", "--seed", "3", "--jobs", "1"])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_ERROR and out == ""
    assert err.splitlines() == [
        "backsight sim: error: run random-3 (backsight) failed: ZeroDivisionError: boom"]


def _fake_kit_runs(monkeypatch) -> None:
    from pi_app.sim.randomize import random_name

    def execute(self: Run) -> dict:
        hit = {"id": "obstacle-0", "limit_lead_s": 1.0, "lead_s": 1.0, "outcome": "hit"}
        return {"scenario": random_name(self.random_seed, self.kit), "policy": self.policy,
                "seed": self.random_seed, "duration_s": 2.0,
                "false_alarms": int(self.kit == "mb1242-rear"), "hazards": [hit]}

    monkeypatch.setattr(Run, "execute", execute)


def test_kit_all_json_is_keyed_by_kit_in_order(capsys, monkeypatch):
    from pi_app.sim.randomize import KITS

    _fake_kit_runs(monkeypatch)
    code = cli.main(["sim", "--random", "2", "--seed", "5", "--kit", "all", "--jobs", "1",
                     "--json", "--policy", "backsight"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and list(out) == list(KITS)
    assert [r["scenario"] for r in out["default"]] == ["random-5", "random-6"]
    assert [r["scenario"] for r in out["two-vl53l1x"]] == ["random-5-two-vl53l1x",
                                                           "random-6-two-vl53l1x"]


def test_kit_all_text_is_one_summary_per_kit(capsys, monkeypatch):
    from pi_app.sim.randomize import KITS

    _fake_kit_runs(monkeypatch)
    assert cli.main(["sim", "--random", "3", "--kit", "all", "--jobs", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("kit ")] == [
        f"kit {kit}: 3 runs" for kit in KITS]
    heads = [i for i, line in enumerate(lines) if line.startswith("kit ")]
    mb = lines[heads[KITS.index("mb1242-rear")] + 1].split()
    assert mb[:3] == ["backsight:", "in", "time=3"] and "alarms=3" in mb
    assert len(lines) == 3 * len(KITS)


def test_a_kit_reaches_the_workers():
    done = backsight("sim", "--random", "1", "--seed", "9", "--kit", "mb1242-rear",
                     "--jobs", "2", "--json")
    assert done.returncode == 0, done.stderr
    assert [(r["scenario"], r["policy"]) for r in json.loads(done.stdout)] == [
        ("random-9-mb1242-rear", "backsight"), ("random-9-mb1242-rear", "naive")]


@pytest.mark.parametrize("args, says", [
    (["--random", "1", "--kit", "vl53l5cx"], "invalid choice: 'vl53l5cx' (choose from 'default'"),
    (["wall-approach", "--kit", "default"], "--kit goes with --random N"),
])
def test_a_wrong_kit_is_one_clear_line_and_exit_2(args, says):
    done = backsight("sim", *args)
    assert done.returncode == 2 and done.stdout == b""
    assert says in done.stderr.decode().splitlines()[-1]
