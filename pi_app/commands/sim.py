"""``backsight sim``: run scenarios faster than real time and report.

``backsight sim NAME [--json]``, ``--scenario-file FILE``, ``--all`` or ``--random N``
(both policies side by side unless ``--policy``). JSON: docs/design.md.
"""

from __future__ import annotations

import json
import sys

from pi_app.commands.argtypes import non_negative_int, positive_int

POLICIES = ("backsight", "naive")


def configure_parser(p) -> None:
    p.add_argument("name", nargs="?", help="shipped scenario name (see --list)")
    p.add_argument("--scenario-file", metavar="FILE", help="a scenario TOML file")
    p.add_argument("--all", action="store_true", help="every shipped scenario")
    p.add_argument("--random", type=positive_int, metavar="N",
                   help="N random belt runs (pi_app.sim.randomize), seeds from --seed (default 0)")
    p.add_argument("--list", action="store_true", help="list shipped scenarios")
    p.add_argument("--policy", choices=POLICIES, help="only this policy (default: backsight "
                   "for one scenario, both for --all)")
    p.add_argument("--seed", type=non_negative_int, help="override the scenario's seed")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args) -> int:
    from pi_app.sim.rig import run_scenario
    from pi_app.sim.scenario import load_scenario, shipped_scenarios

    if args.list:
        for name in shipped_scenarios():
            print(name)
        return 0
    picked = [bool(args.name), bool(args.scenario_file), args.all, args.random is not None]
    if sum(picked) != 1:
        print("backsight sim: give exactly one of NAME, --scenario-file FILE, --all or "
              "--random N", file=sys.stderr)
        return 2
    many = args.all or args.random is not None
    if args.random is not None:
        from pi_app.sim.randomize import random_scenario
        first = args.seed or 0
        scenarios = (random_scenario(first + i) for i in range(args.random))  # drawn as run
    elif args.all:
        scenarios = [load_scenario(n) for n in shipped_scenarios()]
    else:
        scenarios = [load_scenario(args.scenario_file or args.name)]
    if many:
        policies = (args.policy,) if args.policy else POLICIES
    else:
        policies = (args.policy or "backsight",)
    results = []
    for sc in scenarios:
        if args.seed is not None and args.random is None:
            from dataclasses import replace
            sc = replace(sc, seed=args.seed)
        for policy in policies:
            results.append(run_scenario(sc, policy))
    if args.json:
        out = results if many else results[0]
        json.dump(out, sys.stdout, indent=None if many else 2)
        sys.stdout.write("\n")
    else:
        print_table(results, policies)
    return 0


def _fmt(x, spec=".2f"):
    return "-" if x is None else format(x, spec)


def print_table(results, policies) -> None:
    """Human table: per scenario, per hazard, each policy's lead and outcome."""
    by_name: dict[str, dict[str, dict]] = {}
    for r in results:
        by_name.setdefault(r["scenario"], {})[r["policy"]] = r
    head = f"{'scenario':28} {'hazard':16} {'limit_s':>7}"
    for p in policies:
        head += f" | {p + ' lead':>14} {'outcome':>10}"
    head += " | false alarms"
    print(head)
    print("-" * len(head))
    for name, per in by_name.items():
        first = per[policies[0]]
        rows = first["hazards"] or [None]
        for i, hz in enumerate(rows):
            line = f"{name if i == 0 else '':28} {(hz or {}).get('id', '(none)'):16} " \
                   f"{_fmt((hz or {}).get('limit_lead_s')):>7}"
            for p in policies:
                h = per[p]["hazards"][i] if hz else {}
                line += f" | {_fmt(h.get('lead_s')):>14} {h.get('outcome', '-'):>10}"
            if i == 0:
                line += " | " + "  ".join(f"{p}={per[p]['false_alarms']}" for p in policies)
            print(line)
    print("-" * len(head))
    for p in policies:
        mine = [r for r in results if r["policy"] == p]
        outcomes = [h["outcome"] for r in mine for h in r["hazards"]]
        counts = "  ".join(f"{o}={outcomes.count(o)}" for o in ("hit", "late", "missed", "no_contact"))
        print(f"{p:>10}: {counts}  false_alarms={sum(r['false_alarms'] for r in mine)}"
              f" in {sum(r['duration_s'] for r in mine):.0f} s simulated")
