"""``backsight bench [--json]``: loop cost per cycle beside the naive policy."""

from __future__ import annotations

import json
import sys


def configure_parser(p) -> None:
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument("--cycles", type=int, default=3000, help="cycles per measurement")
    p.add_argument("--compare", metavar="FILE", help="a saved --json result: print ratios "
                   "now/then (e.g. benchmarks/baseline.json)")


def run(args) -> int:
    from pi_app.bench import format_table, run_all

    result = run_all(args.cycles)
    if args.json:
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(format_table(result))
    if args.compare:
        with open(args.compare, encoding="utf-8") as f:
            base = json.load(f)
        for n, now in result["cycle_us"].items():
            then = base.get("cycle_us", {}).get(n, {}).get("p50")
            if then:
                print(f"{n} sensors: p50 now/then = {now['p50'] / then:.2f}", file=sys.stderr)
    return 0
