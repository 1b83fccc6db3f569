"""``backsight demo``: the simulated device live in the terminal, no hardware needed.

Runs a shipped scenario on simulated hardware paced to the wall clock (``--speed``
to go faster) and redraws one status line per frame: time, each sensor's distance,
closing speed / TTC, the commanded level and what the buzzer and motor are doing.
Ctrl-C exits cleanly (outputs off).
"""

from __future__ import annotations

import sys

from pi_app.commands.argtypes import at_most, positive_float

DEFAULT_SCENARIO = "park-bench"
FRAME_S = 0.1
#: the loop does a period's work per 1/speed of wall time; well beyond this a laptop
#: falls behind and the demo shows alarms the device would not give (`sim` is the fast way)
MAX_SPEED = 20.0


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
    clock = PacedClock(speed=args.speed)
    rig = SimRig(scenario, policy=args.policy, clock=clock)
    loop = rig.loop
    out = sys.stdout
    redraw = out.isatty() and not args.plain
    print(f"backsight demo: {scenario.name} ({scenario.mode}, {scenario.duration_s:g} s"
          f"{', x%g' % args.speed if args.speed != 1 else ''}) - Ctrl-C to stop")
    if scenario.description:
        print(f"  {scenario.description}")
    print(f"  {rig.device.selftest_report()}")
    next_frame_s = 0.0
    try:
        while clock.now_s() < scenario.duration_s:
            loop.step()
            t_s = clock.now_s()
            if t_s >= next_frame_s:
                line = frame_line(rig, t_s)
                out.write(("\r\033[K" + line) if redraw else line + "\n")
                out.flush()
                next_frame_s = t_s + FRAME_S
            clock.sleep_until(t_s + loop.period_s)
    except KeyboardInterrupt:
        out.write("\n(stopped)\n")
        return 0  # a partial run has no verdict: hazards not yet reached are not "missed"
    finally:
        rig.close()
    if redraw:
        out.write("\n")
    result = rig.result()
    print(f"done: {len(result['alerts'])} alert changes, hazards "
          + ", ".join(f"{h['id']}={h['outcome']}" for h in result["hazards"])
          + f"; false alarms {result['false_alarms']}")
    return 0


def frame_line(rig, t_s: float) -> str:
    loop = rig.loop
    parts = [f"t={t_s:6.2f}s"]
    for slot in loop.channels:
        r = slot.last_reading
        d = "  --  " if r is None or r.distance_m is None else f"{r.distance_m:5.2f}m"
        det = slot.detector
        ttc = getattr(det, "ttc_s", None)
        parts.append(f"{slot.id}={d}" + (f" ttc={ttc:4.1f}s" if ttc is not None else ""))
        if slot.health.reason:
            parts.append(f"[{slot.id} FAULT: {slot.health.reason}]")
    st = loop.state
    parts.append(f"{st.level.label.upper():8}")
    if st.kind:
        parts.append(f"{st.kind}{'/' + st.detail if st.detail else ''}")
    parts.append(outputs_text(loop.outputs))
    return "  ".join(parts)


def outputs_text(outputs) -> str:
    """What the runner feels right now: buzzer and motor on/off, and the pattern."""
    buzz = "BUZZ" if getattr(outputs, "buzzer_on", False) else "  - "
    motor = "VIBE" if getattr(outputs, "haptic_on", False) else "  - "
    pattern = getattr(getattr(outputs, "pattern", None), "name", "")
    return f"buzzer={buzz} motor={motor} [{pattern}]"
