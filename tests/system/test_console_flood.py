"""A flood of input cannot make the serial console starve the device loop: the line
budget (token bucket on the injected clock) and the CPU share, each on its own, then the
console thread on a real pty flooded with valid and invalid lines: every line answered,
in order, exactly as the pure handler answers it; no more lines a simulated second than
the budget; unread input left in the kernel; an idle console that does not spin; a
prompt close() in the middle of a flood. (The loop's rate under a flood is measured in
benchmarks/test_bench_console.py.)"""

from __future__ import annotations

import itertools
import math
import threading
import time

import pytest
import serial
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.pty_port import PtyPort
from pi_app.clock import SimClock
from pi_app.config import Config
from pi_app.exc import ConfigError
from pi_app.host import ConsoleClient
from pi_app.serial_console import CpuShare, LineBudget, SerialConsole
from pi_app.serial_protocol import MAX_LINE_BYTES, ConsoleProtocol, LineFramer

KEY = "obstacle.warning_ttc_s"


class Holder:
    """The latest accepted config (like ``backsight run``'s ConfigHolder, without a loop)."""

    def __init__(self) -> None:
        self.cfg = Config.defaults()

    def apply(self, cfg) -> None:
        self.cfg = cfg


def flood_lines(n: int) -> list[bytes]:
    """n lines, each with its terminator, each framed as exactly one line: valid
    commands, errors of every kind the framer and handler know, each reply telling
    which line it answers."""
    kinds = [
        lambda i: f"set {KEY} {2.0 + (i % 50) / 100}\n".encode(),
        lambda i: f"get {KEY}\r\n".encode(),
        lambda i: f"frob{i}\n".encode(),                    # ERR 1, names the line
        lambda i: f"help nokey{i}\r".encode(),              # ERR 2, names the line
        lambda i: f"set {KEY} {90 + i}\n".encode(),          # ERR 3 out of range
        lambda i: b"x" * (MAX_LINE_BYTES + 1 + i % 7) + b"\n",  # ERR 5
        lambda i: f"get {i}\xff\n".encode("latin-1"),         # ERR 6
        lambda i: f"version {i}\n".encode(),                  # ERR 7
    ]
    return [kinds[i % len(kinds)](i) for i in range(n)]


def expected_replies(lines: list[bytes], **sources) -> list[str]:
    """What the pure handler answers to these lines, on a config of its own."""
    holder = Holder()
    proto = ConsoleProtocol(lambda: holder.cfg, holder.apply, **sources)
    frames = LineFramer().feed(b"".join(lines))
    assert len(frames) == len(lines)
    return [reply for frame in frames for reply in proto.handle_bytes(frame)]


class CountingPort:
    """A pyserial port as the console opened it, counting what is read from it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.reads = 0
        self.bytes_read = 0
        self.largest_request = 0
        self.timeouts: list[float] = []  # the read timeout at every read

    @property
    def in_waiting(self) -> int:
        return self.inner.in_waiting

    @property
    def timeout(self):
        return self.inner.timeout

    @timeout.setter
    def timeout(self, value) -> None:
        self.inner.timeout = value

    def read(self, size: int = 1) -> bytes:
        self.largest_request = max(self.largest_request, size)
        self.timeouts.append(self.inner.timeout)
        data = self.inner.read(size)
        self.reads += 1
        self.bytes_read += len(data)
        return data

    def write(self, data: bytes) -> int:
        return self.inner.write(data)

    def cancel_read(self) -> None:
        self.inner.cancel_read()

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def counted(monkeypatch):
    """The ports the console opens, wrapped in CountingPort (a list, newest last)."""
    ports: list[CountingPort] = []
    open_port = serial.serial_for_url

    def counting(*args, **kwargs):
        ports.append(CountingPort(open_port(*args, **kwargs)))
        return ports[-1]

    monkeypatch.setattr(serial, "serial_for_url", counting)
    return ports


class Flood:
    """A writer thread pushing ``data`` into the pty as fast as the console takes it."""

    def __init__(self, pty: PtyPort, data: bytes) -> None:
        self.error = None
        self._thread = threading.Thread(target=self._write, args=(pty, data), daemon=True)
        self._thread.start()

    def _write(self, pty: PtyPort, data: bytes) -> None:
        try:
            pty.write(data)
        except serial.SerialTimeoutException as exc:  # the console stopped reading
            self.error = exc

    def join(self) -> None:
        self._thread.join(30.0)
        assert not self._thread.is_alive() and self.error is None, self.error


def collect(client: ConsoleClient, replies: list[str], until, timeout_s: float = 30.0) -> None:
    """Read reply lines into ``replies`` until ``until()`` (or fail after timeout_s)."""
    deadline_s = time.monotonic() + timeout_s
    while not until():
        assert time.monotonic() < deadline_s, f"stuck after {len(replies)} replies"
        replies.extend(client.read_lines(0.01))


# --- the line budget ---------------------------------------------------------------------
def test_line_budget_passes_a_burst_then_the_rate_per_clock_second():
    clock = SimClock()
    budget = LineBudget(8.0, 4, clock)
    assert [budget.take() for _ in range(6)] == [True] * 4 + [False] * 2
    assert budget.wait_s() == pytest.approx(1 / 8)
    clock.advance(1.0)
    assert sum(budget.take() for _ in range(20)) == 4  # a second's 8 tokens, capped at the burst
    clock.advance(0.25)
    assert sum(budget.take() for _ in range(20)) == 2
    assert budget.wait_s() == pytest.approx(1 / 8)


@settings(max_examples=200, deadline=None)
@given(rate_per_s=st.sampled_from([1.0, 8.0, 64.0, 1000.0]), burst=st.integers(1, 50),
       steps=st.lists(st.tuples(st.integers(0, 64), st.integers(0, 40)), max_size=40))
def test_line_budget_never_passes_more_than_burst_plus_rate_in_any_window(rate_per_s, burst, steps):
    clock = SimClock()
    budget = LineBudget(rate_per_s, burst, clock)
    passed_t_s = []
    for ticks, attempts in steps:
        clock.advance(ticks / 64)  # exact binary fractions: no rounding in the bound
        passed_t_s += [clock.now_s() for _ in range(attempts) if budget.take()]
    for i, start_s in enumerate(passed_t_s):
        for j in range(i, len(passed_t_s)):
            assert j - i + 1 <= burst + rate_per_s * (passed_t_s[j] - start_s) + 1e-9
    clock.advance(budget.wait_s())
    assert budget.take()  # and waiting as told always lets the next line through


# --- the CPU share -------------------------------------------------------------------------
class FakeTimes:
    """A thread's CPU clock and the wall clock, moved by hand."""

    def __init__(self) -> None:
        self.cpu_s = self.wall_s = 0.0

    def work(self, duration_s: float) -> None:
        self.cpu_s += duration_s
        self.wall_s += duration_s

    def rest(self, duration_s: float) -> None:
        self.wall_s += duration_s


@settings(max_examples=200, deadline=None)
@given(share=st.sampled_from([0.05, 0.25, 0.5, 1.0]), burst_s=st.sampled_from([0.0005, 0.001, 0.01]),
       work_s=st.lists(st.floats(0.0, 0.003), min_size=1, max_size=200))
def test_cpu_share_keeps_the_thread_within_its_share(share, burst_s, work_s):
    times = FakeTimes()
    cpu = CpuShare(share, burst_s, cpu_s=lambda: times.cpu_s, wall_s=lambda: times.wall_s)
    longest_run_s = run_s = 0.0
    for step_s in work_s:  # work a step, rest as long as told
        times.work(step_s)
        run_s += step_s
        rest_s = cpu.wait_s()
        assert rest_s >= 0 and math.isfinite(rest_s)
        if rest_s > 0:
            longest_run_s, run_s = max(longest_run_s, run_s), 0.0
            times.rest(rest_s)
        assert times.cpu_s <= share * times.wall_s + burst_s + max(work_s) + 1e-12
    if share < 1:  # work comes in runs: each gives the GIL back within about burst_s
        assert longest_run_s <= burst_s / (1 - share) + max(work_s) + 1e-12


def test_cpu_share_does_not_rest_a_thread_that_works_little():
    times = FakeTimes()
    cpu = CpuShare(0.25, 0.001, cpu_s=lambda: times.cpu_s, wall_s=lambda: times.wall_s)
    for _ in range(100):  # 50 us of work, then 1 ms blocked in a read: 5 %
        times.work(0.00005)
        assert cpu.wait_s() == 0.0
        times.rest(0.001)


@pytest.mark.parametrize("name, value", [
    ("max_lines_per_s", 0), ("max_lines_per_s", -5.0), ("max_lines_per_s", math.nan),
    ("burst_lines", 0), ("burst_lines", 2.5), ("cpu_share", 0.0), ("cpu_share", 1.5),
    ("cpu_burst_s", 0.0), ("read_chunk_bytes", 0), ("read_chunk_bytes", 512.0),
])
def test_a_bad_budget_number_is_one_config_error_naming_it(name, value):
    holder = Holder()
    with pytest.raises(ConfigError) as info:
        SerialConsole("loop://", get_config=lambda: holder.cfg, apply_config=holder.apply,
                      **{name: value})
    assert name in str(info.value) and "\n" not in str(info.value)


# --- the console thread under a flood --------------------------------------------------------
def test_a_flood_is_answered_in_order_at_the_budget_per_simulated_second(counted):
    rate_per_s, burst, chunk_bytes = 64.0, 16, 128
    step_s = 1 / 8  # exactly 8 tokens a step
    lines = flood_lines(200)
    ends = list(itertools.accumulate(len(line) for line in lines))  # where each line ends
    expected = expected_replies(lines)
    clock = SimClock()
    holder = Holder()
    with PtyPort(write_timeout=30.0) as pty, SerialConsole(
            pty.slave_path, get_config=lambda: holder.cfg, apply_config=holder.apply,
            status=lambda: {"level": "clear"}, clock=clock, read_timeout_s=0.01,
            max_lines_per_s=rate_per_s, burst_lines=burst, read_chunk_bytes=chunk_bytes) as console:
        assert console.connected.wait(5.0)
        client = ConsoleClient(pty, timeout_s=5.0)
        flood = Flood(pty, b"".join(lines))
        replies: list[str] = []
        handled_at = []  # (simulated t_s, lines handled by then)
        while True:
            want = min(len(lines), burst + round(rate_per_s * clock.now_s()))
            collect(client, replies, lambda: console.lines_handled >= want)
            port = counted[-1]
            bytes_read, handled = port.bytes_read, console.lines_handled
            assert handled == want  # the budget, no more (the clock stands still meanwhile)
            # what was not answered yet stays in the kernel: at most one chunk read ahead
            assert bytes_read <= ends[min(handled, len(lines) - 1)] + chunk_bytes
            handled_at.append((clock.now_s(), handled))
            if handled == len(lines):
                break
            clock.advance(step_s)
        flood.join()
        collect(client, replies, lambda: len(replies) >= len(expected))
        assert replies == expected  # every line answered, in order, nothing lost or added
        assert port.largest_request <= chunk_bytes
        assert console.throttled_s > 0
        clock.advance(1.0)
        assert "console.throttled_s=" in client.command("status")[-1]
    per_second = dict(handled_at)
    for t_s, handled in handled_at:
        if t_s >= 1.0:  # past the first burst: never more than the rate in a simulated second
            assert handled - per_second[t_s - 1.0] <= rate_per_s
    assert console.lines_handled == len(lines) + 1  # and the status line


def test_telemetry_keeps_its_period_while_a_flood_waits_for_the_budget():
    clock = SimClock()
    holder = Holder()
    holder.cfg = holder.cfg.with_value("serial.stream_period_s", 0.5)
    lines = [b"stream on\n"] + flood_lines(40)
    with PtyPort(write_timeout=30.0) as pty, SerialConsole(
            pty.slave_path, get_config=lambda: holder.cfg, apply_config=holder.apply, clock=clock,
            stream_source=lambda: "level=clear", read_timeout_s=0.01, max_lines_per_s=8.0,
            burst_lines=10) as console:
        assert console.connected.wait(5.0)
        client = ConsoleClient(pty, timeout_s=5.0)
        flood = Flood(pty, b"".join(lines))
        replies: list[str] = []
        collect(client, replies, lambda: "DATA t_s=0.000 level=clear" in replies
                and console.lines_handled == 10)  # the burst, streaming from its first line
        for t_s in (0.5, 1.0, 1.5):  # 4 lines a step, and one DATA line each
            clock.advance(0.5)
            collect(client, replies, lambda: f"DATA t_s={t_s:.3f} level=clear" in replies
                    and console.lines_handled >= 10 + 8 * t_s)
        assert [r for r in replies if r.startswith("DATA ")] == [
            "DATA t_s=0.000 level=clear", "DATA t_s=0.500 level=clear",
            "DATA t_s=1.000 level=clear", "DATA t_s=1.500 level=clear"]
        assert console.lines_handled == 10 + 3 * 4  # 8 lines a second, as budgeted
        while console.lines_handled < len(lines):  # the rest, a second at a time
            want = min(len(lines), console.lines_handled + 8)
            clock.advance(1.0)
            collect(client, replies, lambda: console.lines_handled >= want)
        expected = expected_replies(lines, stream_source=lambda: "level=clear")
        commands = lambda: [r for r in replies if not r.startswith("DATA ")]  # noqa: E731
        collect(client, replies, lambda: len(commands()) >= len(expected))
        assert commands() == expected
        flood.join()


@pytest.mark.slow
def test_a_real_time_flood_with_the_default_budget_is_answered_in_order():
    lines = flood_lines(1500)
    expected = expected_replies(lines)
    holder = Holder()
    with PtyPort(write_timeout=30.0) as pty, SerialConsole(
            pty.slave_path, get_config=lambda: holder.cfg, apply_config=holder.apply) as console:
        assert console.connected.wait(5.0)
        client = ConsoleClient(pty, timeout_s=5.0)
        flood = Flood(pty, b"".join(lines))
        replies: list[str] = []
        collect(client, replies, lambda: len(replies) >= len(expected))
        flood.join()
        assert replies == expected
        assert console.lines_handled == len(lines)
        assert holder.cfg.obstacle.warning_ttc_s == 2.0 + (1496 % 50) / 100  # the last valid set


def test_close_in_the_middle_of_a_flood_is_prompt_and_final():
    holder = Holder()
    with PtyPort(write_timeout=0.5) as pty:
        console = SerialConsole(pty.slave_path, get_config=lambda: holder.cfg,
                                apply_config=holder.apply, max_lines_per_s=100.0, burst_lines=10)
        console.start()
        assert console.connected.wait(5.0)
        client = ConsoleClient(pty, timeout_s=5.0)
        flood = Flood(pty, b"".join(flood_lines(20000)))  # ~200 s of input at this budget
        replies: list[str] = []
        collect(client, replies, lambda: console.throttled_s > 0)  # it is holding the flood back
        console.close()
        assert not console._thread.is_alive()  # stopped within the bounded join
        assert console.lines_handled < 20000
        assert replies == expected_replies(flood_lines(len(replies)))[:len(replies)]
        flood._thread.join(5.0)  # its write times out now that nobody reads


def test_an_idle_console_blocks_in_its_reads_instead_of_spinning(counted):
    holder = Holder()
    with PtyPort() as pty, SerialConsole(pty.slave_path, get_config=lambda: holder.cfg,
                                         apply_config=holder.apply, read_timeout_s=0.05) as console:
        assert console.connected.wait(5.0)
        assert ConsoleClient(pty, timeout_s=5.0).command("version")[0].startswith("OK")
        port = counted[-1]
        reads_before, t0 = port.reads, time.monotonic()
        time.sleep(0.3)
        reads, elapsed_s = port.reads - reads_before, time.monotonic() - t0
    # every empty read waits its whole timeout, so a slow machine can only read less
    assert 1 <= reads <= elapsed_s / 0.05 + 2
    assert console.lines_handled == 1 and console.throttled_s == 0


def test_streaming_faster_than_the_read_timeout_shortens_the_reads(counted):
    holder = Holder()
    holder.cfg = holder.cfg.with_value("serial.stream_period_s", 0.02)
    with PtyPort() as pty, SerialConsole(pty.slave_path, get_config=lambda: holder.cfg,
                                         apply_config=holder.apply, stream_source=lambda: "x=1",
                                         read_timeout_s=0.05) as console:
        assert console.connected.wait(5.0)
        client = ConsoleClient(pty, timeout_s=5.0)
        assert client.command("stream on") == ["OK stream on"]
        assert client.read_telemetry(0.1)
        assert client.command("stream off") == ["OK stream off"]
        port = counted[-1]
        reads_before = len(port.timeouts)
        assert client.command("version")[0].startswith("OK")
        console.close()
    # a read must return in time for the next DATA line, not after read_timeout_s
    assert 0.02 in port.timeouts[:reads_before]
    assert port.timeouts[-1] == 0.05  # back to the idle timeout once the stream is off
