"""``backsight plot FILE -o out.png`` (a recording from ``backsight run --record``) or
``backsight plot --scenario NAME|FILE -o out.png [--policy naive]`` (runs the scenario,
recording it, and marks its hazards). Needs matplotlib: ``pip install 'backsight[plot]'``
(exit 2 with that hint when it is missing)."""

from __future__ import annotations

import sys
from pathlib import Path

#: image formats the help promises (matplotlib picks the format from the suffix)
FORMATS = (".png", ".svg", ".pdf")


def configure_parser(p) -> None:
    p.add_argument("file", nargs="?", help="a recording made with `backsight run --record FILE`")
    p.add_argument("--scenario", metavar="NAME|FILE", help="run a shipped scenario (or a "
                   "scenario file) and plot it with its hazards")
    p.add_argument("--policy", choices=("backsight", "naive"), default="backsight",
                   help="--scenario only: the policy to run")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png",
                   help="image to write (.png, .svg or .pdf)")


def run(args) -> int:
    from pi_app.plot import PlotUnavailable, plot_recording, plot_scenario

    if bool(args.file) == bool(args.scenario):
        print("backsight plot: give a recording FILE or --scenario NAME, not both or neither",
              file=sys.stderr)
        return 2
    problem = output_problem(Path(args.output))
    if problem:
        print(f"backsight plot: error: {args.output}: {problem}", file=sys.stderr)
        return 2
    try:
        if args.scenario:
            out, result = plot_scenario(args.scenario, args.output, policy=args.policy)
            s = result["summary"]
            print(f"{out}: {result['scenario']} ({args.policy}), {s['hazards']} hazards, "
                  f"{result['false_alarms']} false alarms")
        else:
            from pi_app.record import read_recording

            rec = read_recording(args.file)
            out = plot_recording(rec, args.output, title=f"{args.file}")
            print(f"{out}: {len(rec.readings)} readings, {len(rec.alerts)} alert changes")
    except PlotUnavailable as exc:
        print(f"backsight plot: {exc}", file=sys.stderr)
        return 2
    return 0


def output_problem(out: Path) -> str | None:
    """Why the image cannot be written there (checked before any work), or None."""
    if out.suffix.lower() not in FORMATS:
        return f"the name must end in {', '.join(FORMATS)}"
    if out.is_dir():
        return "is a directory"
    if not out.parent.is_dir():
        return f"no such directory {str(out.parent)!r}"
    return None
