"""``backsight sim``: run scenarios faster than real time and report.

``backsight sim NAME [--json]``, ``--scenario-file FILE``, ``--all`` or ``--random N``
(``--kit`` picks the sensors the random runs wear, ``all`` each kit on the same runs;
both policies side by side unless ``--policy``; spread over ``--jobs`` worker processes,
same output whatever the number, a progress bar when stderr is a terminal, and Ctrl-C
prints the runs finished so far). A batch of many runs keeps the simulated devices'
journal to errors (``-v`` shows their warnings too; a single run shows them always).
JSON: docs/design.md; ``--kit all --json`` is an object of those lists keyed by kit.
The simulator is imported only when the command runs, so ``backsight --help`` stays fast.
"""

from __future__ import annotations

import os
import sys

from pi_app.commands.argtypes import non_negative_int, positive_int
from pi_app.sim.randomize import KITS, random_name

POLICIES = ("backsight", "naive")
#: how the human table names an outcome (the JSON keeps the evaluator's words)
OUTCOME_LABELS = {"hit": "in time", "no_contact": "no contact"}
OUTCOMES = ("hit", "late", "missed", "no_contact")
#: ``--kit`` value that runs every kit of ``KITS`` on the same random runs
ALL_KITS = "all"


def configure_parser(p) -> None:
    p.add_argument("name", nargs="?", help="shipped scenario name (see --list)")
    p.add_argument("--scenario-file", metavar="FILE", help="a scenario TOML file")
    p.add_argument("--all", action="store_true", help="every shipped scenario")
    p.add_argument("--random", type=positive_int, metavar="N",
                   help="N random belt runs (pi_app.sim.randomize), seeds from --seed (default 0)")
    p.add_argument("--kit", choices=KITS + (ALL_KITS,), metavar="KIT",
                   help="the sensors the --random runs wear: " + ", ".join(KITS) +
                   f" (default: default), or {ALL_KITS} (each kit on the same runs)")
    p.add_argument("--list", action="store_true", help="list shipped scenarios")
    p.add_argument("--policy", choices=POLICIES, help="only this policy (default: backsight "
                   "for one scenario, both for --all)")
    p.add_argument("--seed", type=non_negative_int, help="override the scenario's seed")
    p.add_argument("--jobs", type=positive_int, metavar="N",
                   help="worker processes for --all / --random (default: the CPU count; "
                   "1 runs them in this process); the output is the same for any N")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args) -> int:
    import json

    from pi_app.sim.batch import Batch, Progress, Run
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
    if args.kit is not None and args.random is None:
        print("backsight sim: --kit goes with --random N", file=sys.stderr)
        return 2
    many = args.all or args.random is not None
    if many:
        policies = (args.policy,) if args.policy else POLICIES
    else:
        policies = (args.policy or "backsight",)
    kits = KITS if args.kit == ALL_KITS else (args.kit or "default",)
    if args.random is not None:
        first = args.seed or 0
        runs = [Run(policy, random_seed=first + i, kit=kit)   # drawn where it runs
                for kit in kits for i in range(args.random) for policy in policies]
    else:
        names = shipped_scenarios() if args.all else [args.scenario_file or args.name]
        scenarios = [load_scenario(n) for n in names]
        if args.seed is not None:
            from dataclasses import replace
            scenarios = [replace(sc, seed=args.seed) for sc in scenarios]
        runs = [Run(policy, scenario=sc) for sc in scenarios for policy in policies]
    jobs = args.jobs or os.cpu_count() or 1
    show_bar = many and not args.json and sys.stderr.isatty()
    with Progress(len(runs), enabled=show_bar) as progress:
        batch = Batch(runs, jobs if many else 1, _log_level(many, args.verbose)).run(progress)
    results = batch.results
    if args.kit == ALL_KITS:
        per_kit = _by_kit(results, runs)
        if args.json:
            json.dump(per_kit, sys.stdout, indent=None)
            sys.stdout.write("\n")
        else:
            print_kit_summaries(per_kit, policies)
    elif args.json:
        if many:
            json.dump(results, sys.stdout, indent=None)
        elif results:
            json.dump(results[0], sys.stdout, indent=2)
        if many or results:
            sys.stdout.write("\n")
    elif results:
        print_table(results, policies)
    if batch.interrupted:
        from pi_app.cli import EXIT_INTERRUPTED

        sys.stdout.flush()
        print(f"backsight sim: interrupted: {len(results)} of {batch.total} runs finished",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _log_level(many: bool, verbose: int) -> int:
    """What the simulated devices may log: a batch of many keeps their journal (a fault
    warned about in every run) to errors unless ``-v``; one run logs as configured."""
    import logging

    root_level = logging.getLogger().getEffectiveLevel()
    return logging.ERROR if many and not verbose else root_level


def _by_kit(results: list[dict], runs: list) -> dict[str, list[dict]]:
    """The results grouped by the kit their run wore, kits in ``KITS`` order."""
    kit_of = {random_name(run.random_seed, run.kit): run.kit for run in runs}
    per_kit: dict[str, list[dict]] = {kit: [] for kit in KITS}
    for r in results:
        per_kit[kit_of[r["scenario"]]].append(r)
    return per_kit


def _fmt(x, spec=".2f") -> str:
    return "-" if x is None else format(x, spec)


def _label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, outcome)


def print_table(results: list[dict], policies: tuple[str, ...]) -> None:
    """Human table (within 100 columns for the shipped names): per scenario, per hazard,
    each policy's lead, outcome and the scenario's false alarms; a policy's cells are "-"
    for a run that did not finish (Ctrl-C)."""
    by_name: dict[str, dict[str, dict]] = {}
    for r in results:
        by_name.setdefault(r["scenario"], {})[r["policy"]] = r
    name_w = max([len("scenario")] + [len(n) for n in by_name])
    hazard_w = max([len("hazard")] + [len(h["id"]) for r in results for h in r["hazards"]])
    lead_w, outcome_w, alarms_w = len("lead_s"), len("no contact"), len("alarms")
    group_w = lead_w + outcome_w + alarms_w + 2
    left = f"{'scenario':{name_w}} {'hazard':{hazard_w}} {'limit_s':>7}"
    print((" " * len(left) + "".join(f"  {p:^{group_w}}" for p in policies)).rstrip())
    head = left + f"  {'lead_s':>{lead_w}} {'outcome':>{outcome_w}} {'alarms':>{alarms_w}}" \
        * len(policies)
    print(head)
    print("-" * len(head))
    for name, per in by_name.items():
        first = next(per[p] for p in policies if p in per)
        rows = first["hazards"] or [None]
        for i, hz in enumerate(rows):
            hz_id, limit_s = (hz["id"], hz["limit_lead_s"]) if hz else ("(none)", None)
            line = f"{name if i == 0 else '':{name_w}} {hz_id:{hazard_w}} {_fmt(limit_s):>7}"
            for p in policies:
                h = per[p]["hazards"][i] if hz and p in per else {}
                alarms = "" if i else per[p]["false_alarms"] if p in per else "-"
                line += f"  {_fmt(h.get('lead_s')):>{lead_w}} " \
                        f"{_label(h.get('outcome', '-')):>{outcome_w}} {alarms:>{alarms_w}}"
            print(line.rstrip())
    print("-" * len(head))
    print_summary(results, policies)


def print_summary(results: list[dict], policies: tuple[str, ...]) -> None:
    """One line per policy: outcomes counted over every hazard, false alarms, seconds."""
    for p in policies:
        mine = [r for r in results if r["policy"] == p]
        outcomes = [h["outcome"] for r in mine for h in r["hazards"]]
        counts = "  ".join(f"{_label(o)}={outcomes.count(o)}" for o in OUTCOMES)
        print(f"{p:>10}: {counts}  false alarms={sum(r['false_alarms'] for r in mine)}"
              f" in {sum(r['duration_s'] for r in mine):.0f} s simulated")


def print_kit_summaries(per_kit: dict[str, list[dict]], policies: tuple[str, ...]) -> None:
    """``--kit all``: a heading and the summary lines for each kit (the per-hazard
    tables of that many runs are for ``--json`` and ``python -m pi_app.sim.report``)."""
    for kit, results in per_kit.items():
        print(f"kit {kit}: {len({r['scenario'] for r in results})} runs")
        print_summary(results, policies)
