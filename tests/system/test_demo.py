"""``backsight demo``: frames fit a terminal, the verdict is in the runner's words, and
a machine too busy to keep the loop's schedule is said once. Clocks are simulated
(a busy machine is a clock that wakes late), so nothing depends on timing luck."""

import io

import pytest

from pi_app.cli import main
from pi_app.clock import SimClock
from pi_app.commands.demo import BEHIND_NOTICE_S, COLUMNS, Schedule, done_line, play
from pi_app.sim.rig import SimRig
from pi_app.sim.scenario import load_scenario

BEHIND = "behind real time; the machine is busy - results may differ from `backsight sim`"


class BusyClock(SimClock):
    """A machine on which each loop cycle takes ``cycle_s`` of (simulated) time,
    charged before the wait for the next cycle's deadline."""

    def __init__(self, cycle_s: float) -> None:
        super().__init__()
        self.cycle_s = cycle_s

    def sleep_until(self, t_s: float) -> None:
        self.advance(self.cycle_s)
        super().sleep_until(t_s)


def demo_output(scenario: str, clock: SimClock, redraw: bool = False) -> list[str]:
    out = io.StringIO()
    rig = SimRig(load_scenario(scenario), clock=clock)
    assert play(rig, out, redraw=redraw) == 0
    return out.getvalue().splitlines()


def test_a_real_demo_run_fits_80_columns_and_ends_with_the_verdict(capsys):
    assert main(["demo", "stuck-sensor", "--speed", "20", "--plain"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("backsight demo: stuck-sensor")
    assert any(l.startswith("t=") for l in lines)
    assert lines[-1].startswith("done: ") and " hit" not in lines[-1]
    assert max(map(len, lines)) <= COLUMNS


@pytest.mark.parametrize("redraw", [False, True])
def test_every_line_fits_80_columns_with_three_sensors(redraw):
    lines = demo_output("wall-approach", SimClock(), redraw)   # splitlines splits at "\r"
    frames = [l.removeprefix("\033[K") for l in lines if l.startswith("\033[K") or l.startswith("t=")]
    assert len(frames) > 100 and all(f.startswith("t=") for f in frames)
    assert max(len(l.removeprefix("\033[K")) for l in lines) <= COLUMNS
    assert lines[-1].startswith("done: ") and "wall in time" in lines[-1]


def test_a_machine_that_keeps_up_says_nothing_about_lag():
    lines = demo_output("stuck-sensor", SimClock())
    assert not [l for l in lines if "behind real time" in l]


def test_a_busy_machine_is_said_once_with_how_far_behind():
    rig_period_s = 0.004          # device.loop_period_s: cycles of twice that fall behind
    lines = demo_output("stuck-sensor", BusyClock(cycle_s=2 * rig_period_s))
    said = [i for i, l in enumerate(lines) if "behind real time" in l]
    assert len(said) == 1, lines
    notice = lines[said[0]] + " " + lines[said[0] + 1].strip()      # wrapped at 80 columns
    behind_s = float(notice.split("running ")[1].split(" s ")[0])
    assert behind_s >= round(BEHIND_NOTICE_S, 1) and notice.endswith(BEHIND)
    assert max(map(len, lines)) <= COLUMNS and lines[-1].startswith("done: ")


def test_the_schedule_counts_lag_from_its_start_not_from_the_last_cycle():
    s = Schedule(start_s=1.0, period_s=0.5)
    assert s.next(1.2) == 0.0 and s.due_s == 1.5     # early: no lag, due stays on the grid
    assert s.next(2.25) == pytest.approx(0.25)       # one late wake-up
    assert s.next(2.75) == pytest.approx(0.25)       # still behind the grid by as much
    assert s.due_s == 2.5


def test_the_verdict_says_in_time_not_hit():
    result = {"alerts": [1, 2], "false_alarms": 0,
              "hazards": [{"id": "wall", "outcome": "hit"}, {"id": "kerb", "outcome": "late"},
                          {"id": "bench", "outcome": "missed"},
                          {"id": "dog", "outcome": "no_contact"}]}
    assert done_line(result) == ("done: 2 alert changes; hazards: wall in time, kerb late, "
                                 "bench missed, dog no contact; false alarms 0")
