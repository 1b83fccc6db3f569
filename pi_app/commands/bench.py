"""``backsight bench [--json] [--compare FILE]``: loop cost per cycle beside the naive
policy, simulator speed-up and start-up against a bare interpreter."""

from __future__ import annotations

import sys

from pi_app.bench import CYCLES, MAX_CYCLES
from pi_app.commands.argtypes import at_most, positive_int


def configure_parser(p) -> None:
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument("--cycles", type=at_most(positive_int, MAX_CYCLES), default=CYCLES,
                   help=f"cycles per measurement (default {CYCLES}, at most {MAX_CYCLES})")
    p.add_argument("--compare", metavar="FILE", help="a saved --json result: print now/then "
                   "per figure on stderr, better/worse/same (e.g. benchmarks/baseline.json)")


def run(args) -> int:
    import json

    from pi_app.bench import compare_lines, format_table, load_baseline, run_all

    baseline = load_baseline(args.compare) if args.compare else None   # before measuring
    result = run_all(args.cycles)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_table(result))
    if baseline is not None:
        for line in compare_lines(result, baseline):
            print(line, file=sys.stderr)
    return 0
