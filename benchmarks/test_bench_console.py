"""pytest-benchmark: the device loop's rate while its serial console is flooded.

A real ``DeviceLoop`` on ``MonotonicClock`` (simulated sensors of the clean-run scenario,
as ``SimRig`` builds them) runs in a thread with ``backsight run``'s config holder and a
``SerialConsole`` with its default budget on a pty. Three phases of ``PHASE_S`` each,
in one run: idle; ``stream on`` at ``serial.stream_period_s`` = 0.02; the stream plus a
flood from another process writing as fast as the pty takes it and reading every
reply (``FLOODS``: ``get`` of every key; a mix of valid and invalid lines). The
loop's cycles per second in each phase, and their ratio to idle, go to ``extra_info``
and stdout (``-s``):

    .venv/bin/python -m pytest benchmarks/test_bench_console.py --benchmark-enable -s

Only with ``--benchmark-enable`` is the requirement checked: under the flood the loop
keeps >= ``MIN_RATIO`` of its idle rate (a timing measurement: run it on a quiet
machine). A plain run (the project default) does short phases and checks only that the
loop cycled, the console answered the flood and streamed, and the ratio was measured.
"""

from __future__ import annotations

import subprocess
import sys
import termios
import threading
import time

import pytest

from helpers.pty_port import PtyPort
from pi_app.clock import MonotonicClock
from pi_app.commands.run import ConfigHolder, telemetry
from pi_app.serial_console import SerialConsole
from pi_app.sim.rig import SimRig
from pi_app.sim.scenario import load_scenario

MIN_RATIO = 0.9  # the requirement: a flood costs the loop at most a tenth of its rate
STREAM_PERIOD_S = 0.02  # the shortest serial.stream_period_s allowed

#: the floods: the costliest reply there is (every key, ~60 lines), and a mix of valid and
#: invalid lines (a ``set`` waits for the loop to take its config, so it floods least)
FLOODS = {
    "get-all": [b"get"],
    "mixed": [b"get", b"set obstacle.warning_ttc_s 3.0", b"status", b"bogus",
              b"help obstacle.warning_ttc_s", b"get obstacle.warning_ttc_s", b"", b"x" * 300],
}
# The host side of a flood, in its own process as a real host would be: writes the
# lines (argv[3], newline-separated) as fast as the pty takes them, reads and counts
# every reply line.
FLOODER = r"""
import os, select, sys, time
fd, duration_s = int(sys.argv[1]), float(sys.argv[2])
block = sys.argv[3].encode() * 64
os.set_blocking(fd, False)
view, sent_bytes, reply_lines = memoryview(block), 0, 0
end_s = time.monotonic() + duration_s
while time.monotonic() < end_s:
    readable, writable, _ = select.select([fd], [fd], [], 0.05)
    if readable:
        try:
            reply_lines += os.read(fd, 1 << 16).count(b"\n")
        except BlockingIOError:
            pass
    if writable:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            n = 0
        sent_bytes += n
        view = view[n:] or memoryview(block)
print(sent_bytes, reply_lines)
"""


def thread_cpu_s(thread: threading.Thread) -> float:
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


class Phase:
    """Loop cycles, console lines and console CPU over one stretch of real time."""

    def __init__(self, loop, console) -> None:
        self._loop, self._console = loop, console

    def measure(self, duration_s: float) -> dict:
        loop, console = self._loop, self._console
        c0, n0, cpu0, t0 = (loop.cycles, console.lines_handled, thread_cpu_s(console._thread),
                            time.monotonic())
        time.sleep(duration_s)
        elapsed_s = time.monotonic() - t0
        return {"cycles_per_s": (loop.cycles - c0) / elapsed_s,
                "console_lines_per_s": (console.lines_handled - n0) / elapsed_s,
                "console_cpu_share": (thread_cpu_s(console._thread) - cpu0) / elapsed_s}


@pytest.fixture
def device_on_a_pty():
    """(loop, console, pty): a running loop and its console, as ``backsight run`` has them."""
    rig = SimRig(load_scenario("clean-run"), clock=MonotonicClock())
    loop = rig.loop
    holder = ConfigHolder(rig.cfg)
    holder.loop = loop
    runner = threading.Thread(target=loop.run, name="device-loop", daemon=True)
    with PtyPort() as pty:
        console = SerialConsole(pty.slave_path, get_config=holder.get, apply_config=holder.apply,
                                status=loop.status, stream_source=lambda: telemetry(loop))
        runner.start()
        console.start()
        try:
            assert console.connected.wait(5.0)
            yield loop, console, pty
        finally:
            termios.tcflush(pty._slave, termios.TCIFLUSH)  # what the flood left unread
            console.close()
            loop.stop()
            runner.join(5.0)
            rig.close()


def flood_and_measure(loop, console, pty: PtyPort, flood_lines: list[bytes], phase_s: float) -> dict:
    phase = Phase(loop, console)
    time.sleep(phase_s / 4)  # past start-up
    idle = phase.measure(phase_s)
    pty.write(f"set serial.stream_period_s {STREAM_PERIOD_S}\nstream on\n".encode())
    time.sleep(phase_s / 4)
    while pty.in_waiting:  # what the stream sent so far
        pty.read(1 << 16)
    stream = phase.measure(phase_s)
    data_lines = 0
    while pty.in_waiting:
        data_lines += pty.read(1 << 16).count(b"DATA ")
    lines = b"".join(line + b"\n" for line in flood_lines).decode()
    host = subprocess.Popen([sys.executable, "-c", FLOODER, str(pty._master), str(phase_s * 1.5), lines],
                            pass_fds=[pty._master], stdout=subprocess.PIPE, text=True)
    time.sleep(phase_s / 4)  # the flood under way
    flood = phase.measure(phase_s)
    out, _ = host.communicate(timeout=60)
    sent_bytes, reply_lines = (int(word) for word in out.split())
    return {"idle": idle, "stream": stream, "flood": flood,
            "stream_ratio": stream["cycles_per_s"] / idle["cycles_per_s"],
            "flood_ratio": flood["cycles_per_s"] / idle["cycles_per_s"],
            "data_lines_per_s": data_lines / phase_s,
            "host_sent_bytes": sent_bytes, "host_reply_lines": reply_lines,
            "overruns": loop.overruns}


@pytest.mark.parametrize("flood", list(FLOODS))
def test_the_loop_keeps_its_rate_while_the_console_is_flooded(benchmark, device_on_a_pty, flood):
    loop, console, pty = device_on_a_pty
    phase_s = 2.0 if benchmark.enabled else 0.3
    result = benchmark.pedantic(flood_and_measure, args=(loop, console, pty, FLOODS[flood], phase_s),
                                rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    print(f"\n{flood}: loop cycles/s: idle {result['idle']['cycles_per_s']:.1f}, "
          f"stream {result['stream']['cycles_per_s']:.1f} (x{result['stream_ratio']:.3f}, "
          f"{result['data_lines_per_s']:.0f} DATA lines/s), "
          f"flood {result['flood']['cycles_per_s']:.1f} (x{result['flood_ratio']:.3f}); "
          f"console under the flood: {result['flood']['console_lines_per_s']:.0f} lines/s, "
          f"{result['flood']['console_cpu_share']:.0%} of a core; host sent "
          f"{result['host_sent_bytes']} bytes, read {result['host_reply_lines']} reply lines")
    assert result["idle"]["cycles_per_s"] > 0 and result["flood"]["cycles_per_s"] > 0
    assert result["flood"]["console_lines_per_s"] > 0 and result["host_reply_lines"] > 0
    assert result["data_lines_per_s"] > 0
    assert console._thread.is_alive() and console.reconnects == 0
    if benchmark.enabled:
        assert result["flood_ratio"] >= MIN_RATIO, result
        assert result["stream_ratio"] >= MIN_RATIO, result
