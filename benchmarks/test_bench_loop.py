"""pytest-benchmark of one device-loop cycle (real drivers on SimBus emulators, detectors,
health, arbiter, output patterns on mock pins), with 1 and 3 VL53L1X sensors.

    .venv/bin/python -m pytest benchmarks/ --benchmark-enable
    .venv/bin/python -m pytest benchmarks/ --benchmark-enable --benchmark-autosave   # keep it
    .venv/bin/python -m pytest benchmarks/ --benchmark-enable --benchmark-compare     # vs last

No wall-clock assertions here: the numbers are for people (and ``--benchmark-compare``),
not for pass/fail. Without ``--benchmark-enable`` (the project default) each benchmark
runs its function once, as a smoke test.
"""

import pytest

from pi_app.bench import _device


@pytest.fixture(params=[1, 3], ids=lambda n: f"{n}-sensors")
def running_device(request):
    device, clock, _timer, pins = _device(request.param, "backsight")
    loop = device.loop
    for _ in range(200):            # past start-up: tracks formed, patterns playing
        loop.step()
        clock.advance(loop.period_s)
    yield loop, clock
    device.close()
    pins.close()


def test_one_loop_cycle(benchmark, running_device):
    loop, clock = running_device
    period_s = loop.period_s

    def cycle():
        loop.step()
        clock.advance(period_s)

    before = loop.cycles
    benchmark(cycle)
    assert loop.cycles > before
    assert all(slot.health.ok for slot in loop.channels)   # it measured a healthy loop
