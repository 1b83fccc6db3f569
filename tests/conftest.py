"""Fixtures shared by the chip tests: a simulated clock, a SimBus on it, and a
scriptable range target (what a world-model view gives an emulator)."""

import pytest

from pi_app.clock import SimClock
from pi_app.sim.simbus import SimBus


class Target:
    """A range source: a fixed distance (None = nothing), with sunlight and blinding."""

    def __init__(self, distance_m, sunlight=0.0, blind=False):
        self.distance_m, self.sunlight, self.blind = distance_m, sunlight, blind

    def __call__(self, t_s):
        return self.distance_m

    def blinded(self, t_s):
        return self.blind


@pytest.fixture
def clock():
    return SimClock()


@pytest.fixture
def bus(clock):
    return SimBus(clock)
