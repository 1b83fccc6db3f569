"""``backsight demo``: the simulated device live in the terminal, no hardware needed.

Runs a shipped scenario on simulated hardware paced to the wall clock (``--speed``
to go faster) and draws one status line of at most 80 columns per frame: time, each
sensor's distance and time to contact, the commanded level and what the buzzer and
motor are doing. If the machine cannot keep the loop on its schedule it says so once
(the run then differs from ``backsight sim``). Ctrl-C exits cleanly (outputs off).
"""

from __future__ import annotations

import sys
import textwrap

from pi_app.commands.argtypes import at_most, positive_float

DEFAULT_SCENARIO = "park-bench"
FRAME_S = 0.1
#: the loop does a period's work per 1/speed of wall time; well beyond this a laptop
#: falls behind and the demo shows alarms the device would not give (`sim` is the fast way)
MAX_SPEED = 20.0
#: a terminal's width: no frame or message line is longer
COLUMNS = 80
#: simulated seconds the loop may run behind its schedule before the demo says so:
#: a few frames, more than one busy moment of the machine
BEHIND_NOTICE_S = 0.25
#: what the runner would call each hazard outcome of ``sim``
OUTCOME_WORDS = {"hit": "in time", "late": "late", "missed": "missed",
                 "no_contact": "no contact"}


def configure_parser(p) -> None:
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                   help=f"shipped scenario name or TOML file (default {DEFAULT_SCENARIO})")
    p.add_argument("--speed", type=at_most(positive_float, MAX_SPEED), default=1.0,
                   help=f"times real time (default 1, at most {MAX_SPEED:g})")
    p.add_argument("--policy", choices=("backsight", "naive"), default="backsight")
    p.add_argument("--plain", action="store_true", help="one line per frame (no redraw)")


def run(args) -> int:
    from pi_app.clock import PacedClock
    from pi_app.sim.rig import SimRig
    from pi_app.sim.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    rig = SimRig(scenario, policy=args.policy, clock=PacedClock(speed=args.speed))
    redraw = sys.stdout.isatty() and not args.plain
    return play(rig, sys.stdout, speed=args.speed, redraw=redraw)


def play(rig, out, *, speed: float = 1.0, redraw: bool = False) -> int:
    """Run ``rig`` to the end of its scenario on its clock, drawing frames on ``out``;
    closes the rig."""
    scenario, loop, clock = rig.scenario, rig.loop, rig.clock
    say = Say(out, redraw)
    say.line(f"backsight demo: {scenario.name} ({scenario.mode}, {scenario.duration_s:g} s"
             f"{', x%g' % speed if speed != 1 else ''}) - Ctrl-C to stop")
    if scenario.description:
        say.line(f"  {scenario.description}")
    say.line(f"  {rig.device.selftest_report()}")
    schedule = Schedule(clock.now_s(), loop.period_s)
    next_frame_s = 0.0
    faults: dict[str, str] = {}
    try:
        while clock.now_s() < scenario.duration_s:
            loop.step()
            t_s = clock.now_s()
            for slot in loop.channels:
                reason = slot.health.reason or ""
                if reason != faults.get(slot.id, ""):
                    faults[slot.id] = reason
                    say.line(f"{slot.id}: {'FAULT: ' + reason if reason else 'works again'}")
            if t_s >= next_frame_s:
                say.frame(frame_line(rig, t_s))
                next_frame_s = t_s + FRAME_S
            behind_s = schedule.next(t_s)
            if behind_s > BEHIND_NOTICE_S and not schedule.said:
                schedule.said = True
                say.line(f"demo: running {behind_s:.1f} s behind real time; the machine is "
                         "busy - results may differ from `backsight sim`")
            clock.sleep_until(schedule.due_s)
    except KeyboardInterrupt:
        say.line("(stopped)")
        return 0  # a partial run has no verdict: hazards not yet reached are not "missed"
    finally:
        rig.close()
    say.line(done_line(rig.result()))
    return 0


class Schedule:
    """When the loop's next cycle is due: every period from the start, as on the Pi.
    ``next(t_s)`` moves on one period and returns how far ``t_s`` (the clock after a
    cycle) is behind it, in simulated seconds: 0 while the machine keeps up."""

    def __init__(self, start_s: float, period_s: float) -> None:
        self.start_s = start_s
        self.period_s = period_s
        self.cycles = 0
        self.said = False

    @property
    def due_s(self) -> float:
        return self.start_s + self.cycles * self.period_s

    def next(self, t_s: float) -> float:
        self.cycles += 1
        return max(0.0, t_s - self.due_s)


class Say:
    """Frames and message lines on one terminal: a redrawn frame is ended before a
    message, and nothing is wider than ``COLUMNS`` (a frame is cut, a message wrapped)."""

    def __init__(self, out, redraw: bool) -> None:
        self.out = out
        self.redraw = redraw
        self.framed = False      # a redrawn frame is on the current line

    def frame(self, text: str) -> None:
        text = fit(text)
        self.out.write(("\r\033[K" + text) if self.redraw else text + "\n")
        self.framed = self.redraw
        self.out.flush()

    def line(self, text: str) -> None:
        if self.framed:
            self.out.write("\n")
            self.framed = False
        indent = " " * (len(text) - len(text.lstrip()) + 2)
        self.out.write(textwrap.fill(text, COLUMNS, subsequent_indent=indent,
                                     break_on_hyphens=False) + "\n")
        self.out.flush()


def fit(text: str, columns: int = COLUMNS) -> str:
    """``text`` cut to ``columns``, a cut marked with ``~``."""
    return text if len(text) <= columns else text[:columns - 1] + "~"


def frame_line(rig, t_s: float) -> str:
    """``t=  9.81s rear=0.63m/0.2s ground=0.47m DANGER obstacle BUZZ VIBE``: time, each
    sensor's distance (``--`` none) and time to contact, level, kind, outputs."""
    loop = rig.loop
    parts = [f"t={t_s:6.2f}s"]
    for slot in loop.channels:
        r = slot.last_reading
        if slot.health.reason:
            d = "FAULT"
        else:
            d = " -- " if r is None or r.distance_m is None else f"{r.distance_m:4.2f}m"
        ttc = getattr(slot.detector, "ttc_s", None)
        parts.append(f"{slot.id}={d}" + (f"/{ttc:.1f}s" if ttc is not None else ""))
    st = loop.state
    parts.append(f"{st.level.label.upper():7}")
    if st.kind:
        parts.append(f"{st.kind}{'/' + st.detail if st.detail else ''}")
    parts.append(outputs_text(loop.outputs))
    return " ".join(parts)


def outputs_text(outputs) -> str:
    """What the runner feels right now: buzzer and motor on or off."""
    buzz = "BUZZ" if getattr(outputs, "buzzer_on", False) else "-"
    motor = "VIBE" if getattr(outputs, "haptic_on", False) else "-"
    return f"buzzer={buzz} motor={motor}"


def done_line(result: dict) -> str:
    """The run's verdict: alert changes, each hazard in the runner's words, false alarms."""
    hazards = ", ".join(f"{h['id']} {OUTCOME_WORDS.get(h['outcome'], h['outcome'])}"
                        for h in result["hazards"])
    return (f"done: {len(result['alerts'])} alert changes; hazards: {hazards or 'none'}; "
            f"false alarms {result['false_alarms']}")
