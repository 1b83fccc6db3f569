"""The docs' result tables, made from ``backsight sim --all --json`` (or ``--random``).

``python -m pi_app.sim.report < runs.json`` prints the summary table (per policy: in
time, late, missed, false alarms, simulated seconds) and, with ``--scenarios``, one
row per scenario and hazard, so the numbers in README.md and docs/safety.md are
copied from a run, not typed. From ``sim --random N --kit all --json`` (an object keyed
by kit) ``--kits`` prints one row per kit, and ``--kinds`` (any random runs) the
outcomes per kind of thing, one column per kit: the backsight policy's, with the
misses no sensor could have seen (never detectable) counted apart. ``--causes`` sorts
the late and missed hazards by cause (``pi_app.sim.causes``): the runs' scenarios are
drawn again from their names (a random run's seed and kit, or a shipped name).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

POLICIES = ("backsight", "naive")
LABELS = {"backsight": "backsight", "naive": "naive 1 m rule"}


def summary(runs: list[dict]) -> str:
    seconds = sum(r["duration_s"] for r in runs if r["policy"] == POLICIES[0])
    lines = ["| policy | warned in time | late | missed | false alarms "
             f"({seconds:.0f} s simulated) |", "| --- | --- | --- | --- | --- |"]
    for policy in POLICIES:
        mine = [r for r in runs if r["policy"] == policy]
        if not mine:
            continue
        outcomes = [h["outcome"] for r in mine for h in r["hazards"]]
        alarms = sum(r["false_alarms"] for r in mine)
        shown = f"**{alarms}**" if policy == "backsight" else f"{alarms}"
        lines.append(f"| {LABELS[policy]} | {outcomes.count('hit')} | {outcomes.count('late')} "
                     f"| {outcomes.count('missed')} | {shown} |")
    return "\n".join(lines) + "\n"


def _cell(hazard: dict | None) -> str:
    if not hazard or hazard["outcome"] == "no_contact":
        return ""
    lead = "-" if hazard["lead_s"] is None else f"{hazard['lead_s']:.2f} s"
    return f"{lead} {hazard['outcome']}"


def per_scenario(runs: list[dict]) -> str:
    by_name: dict[str, dict[str, dict]] = {}
    for r in runs:
        by_name.setdefault(r["scenario"], {})[r["policy"]] = r
    lines = ["| scenario | hazard | limit (s) | backsight | naive 1 m rule | "
             "false alarms (backsight / naive) |", "| --- | --- | --- | --- | --- | --- |"]
    for name, per in by_name.items():
        ours, naive = per.get("backsight"), per.get("naive")
        alarms = f"{ours['false_alarms'] if ours else '-'} / {naive['false_alarms'] if naive else '-'}"
        reached = [(i, h) for i, h in enumerate((ours or naive)["hazards"])
                   if h["outcome"] != "no_contact"]
        if not reached:
            lines.append(f"| {name} | (none reached) | | | | {alarms} |")
            continue
        for k, (i, h) in enumerate(reached):
            mine = ours["hazards"][i] if ours else None
            theirs = naive["hazards"][i] if naive else None
            limit = "" if h["limit_lead_s"] is None else f"{h['limit_lead_s']:.2f}"
            lines.append(f"| {name if k == 0 else ''} | {h['id']} | {limit} | {_cell(mine)} "
                         f"| {_cell(theirs)} | {alarms if k == 0 else ''} |")
    return "\n".join(lines) + "\n"


def _backsight(runs: list[dict]) -> list[dict]:
    return [r for r in runs if r["policy"] == POLICIES[0]]


def _counts(hazards: list[dict]) -> dict[str, int]:
    """Outcomes, with "missed" split into seen (a sensor could) and never detectable."""
    never = sum(h["outcome"] == "missed" and h["limit_lead_s"] is None for h in hazards)
    counts = {o: sum(h["outcome"] == o for h in hazards)
              for o in ("hit", "late", "missed", "no_contact")}
    counts["missed"] -= never
    counts["never"] = never
    return counts


def _median_lead(hazards: list[dict], kind: str) -> str:
    leads = [h["lead_s"] for h in hazards
             if h.get("kind") == kind and h["outcome"] in ("hit", "late")
             and h.get("lead_s") is not None]
    return f"{statistics.median(leads):.2f} s" if leads else "-"


def kits(per_kit: dict[str, list[dict]]) -> str:
    """One row per kit (backsight): outcomes, the in-time share of the hazards a sensor
    could see, false alarms (and the runs that had any) in all and per hour, and the
    median lead of the warned obstacles and ground features."""
    lines = ["| kit | runs | warned in time | late | missed | never detectable | in time "
             "| false alarms (runs) | per hour | median lead, obstacles | median lead, ground |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for kit, runs in per_kit.items():
        mine = _backsight(runs)
        hazards = [h for r in mine for h in r["hazards"]]
        c = _counts(hazards)
        seen = c["hit"] + c["late"] + c["missed"]
        share = f"{100.0 * c['hit'] / seen:.1f} %" if seen else "-"
        alarms = sum(r["false_alarms"] for r in mine)
        alarm_runs = sum(r["false_alarms"] > 0 for r in mine)
        hours = sum(r["duration_s"] for r in mine) / 3600.0
        per_hour = f"{alarms / hours:.1f}" if hours else "-"
        lines.append(f"| {kit} | {len(mine)} | {c['hit']} | {c['late']} | {c['missed']} "
                     f"| {c['never']} | {share} | **{alarms}** ({alarm_runs}) | {per_hour} "
                     f"| {_median_lead(hazards, 'obstacle')} | {_median_lead(hazards, 'surface')} |")
    return "\n".join(lines) + "\n"


def kinds(per_kit: dict[str, list[dict]]) -> str:
    """Outcomes per kind of thing (``thing_kind`` of a random run's hazard id), a column
    per kit: in time / late / missed / never detectable (backsight)."""
    from pi_app.sim.randomize import thing_kind

    table: dict[str, dict[str, list[dict]]] = {}
    for kit, runs in per_kit.items():
        for r in _backsight(runs):
            for h in r["hazards"]:
                table.setdefault(thing_kind(h["id"]), {}).setdefault(kit, []).append(h)
    lines = ["| thing | " + " | ".join(per_kit) + " |",
             "| --- |" + " --- |" * len(per_kit)]
    for kind in sorted(table):
        cells = []
        for kit in per_kit:
            c = _counts(table[kind].get(kit, []))
            cells.append(f"{c['hit']} / {c['late']} / {c['missed']} / {c['never']}")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("cells: in time / late / missed / never detectable (no sensor could see it)")
    return "\n".join(lines) + "\n"


def scenario_named(name: str):
    """The scenario a result names: ``random-<seed>[-<kit>]`` drawn again, else shipped."""
    from pi_app.sim.randomize import KITS, random_scenario
    from pi_app.sim.scenario import load_scenario

    parts = name.split("-", 2)
    if parts[0] == "random" and len(parts) > 1 and parts[1].isdigit():
        kit = parts[2] if len(parts) > 2 else "default"
        if kit in KITS:
            return random_scenario(int(parts[1]), kit)
    return load_scenario(name)


def causes(runs: list[dict]) -> str:
    """The backsight policy's late and missed hazards, counted by cause."""
    from pi_app.config import Config
    from pi_app.sim.causes import table, tally

    surface = Config.defaults().surface
    pairs = ((scenario_named(r["scenario"]), r) for r in _backsight(runs))
    return table(tally(pairs, surface.drop_m, surface.rise_m))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pi_app.sim.report",
                                     description="Markdown tables from sim --json on stdin")
    table = parser.add_mutually_exclusive_group()
    table.add_argument("--scenarios", action="store_true", help="one row per scenario and hazard")
    table.add_argument("--kits", action="store_true",
                       help="one row per kit (sim --random N --kit all --json)")
    table.add_argument("--kinds", action="store_true",
                       help="outcomes per kind of thing in random runs, a column per kit")
    table.add_argument("--causes", action="store_true",
                       help="late and missed hazards by cause (pi_app.sim.causes)")
    args = parser.parse_args(argv)
    try:
        runs = json.load(sys.stdin)
    except ValueError as exc:
        print(f"report: stdin is not sim --json output ({exc})", file=sys.stderr)
        return 1
    keyed = isinstance(runs, dict) and "scenario" not in runs
    if args.kits or args.kinds:
        per_kit = runs if keyed else {"default": runs if isinstance(runs, list) else [runs]}
        sys.stdout.write(kits(per_kit) if args.kits else kinds(per_kit))
        return 0
    if keyed:
        runs = [r for kit_runs in runs.values() for r in kit_runs]
    elif isinstance(runs, dict):
        runs = [runs]
    if args.causes:
        sys.stdout.write(causes(runs))
        return 0
    sys.stdout.write(per_scenario(runs) if args.scenarios else summary(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
