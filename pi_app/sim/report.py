"""The docs' result tables, made from ``backsight sim --all --json`` (or ``--random``).

``python -m pi_app.sim.report < runs.json`` prints the summary table (per policy: in
time, late, missed, false alarms, simulated seconds) and, with ``--scenarios``, one
row per scenario and hazard, so the numbers in README.md and docs/safety.md are
copied from a run, not typed.
"""

from __future__ import annotations

import argparse
import json
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pi_app.sim.report",
                                     description="Markdown tables from sim --json on stdin")
    parser.add_argument("--scenarios", action="store_true", help="one row per scenario and hazard")
    args = parser.parse_args(argv)
    try:
        runs = json.load(sys.stdin)
    except ValueError as exc:
        print(f"report: stdin is not sim --json output ({exc})", file=sys.stderr)
        return 1
    if isinstance(runs, dict):
        runs = [runs]
    sys.stdout.write(per_scenario(runs) if args.scenarios else summary(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
