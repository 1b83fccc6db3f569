"""The docs' tables are printed from sim --json, not typed."""

import io
import json
import sys

from pi_app.sim.report import main, per_scenario, summary


def _run(name, policy, outcomes, false_alarms=0):
    return {"scenario": name, "policy": policy, "duration_s": 10.0, "false_alarms": false_alarms,
            "hazards": [{"id": f"h{i}", "outcome": o, "lead_s": None if o == "missed" else 1.0,
                         "limit_lead_s": 1.1} for i, o in enumerate(outcomes)]}


RUNS = [_run("a", "backsight", ["hit", "late"]), _run("a", "naive", ["late", "missed"], 7),
        _run("b", "backsight", ["no_contact"]), _run("b", "naive", ["no_contact"], 3)]


def test_the_summary_counts_each_outcome_per_policy():
    text = summary(RUNS)
    assert "false alarms (20 s simulated)" in text
    assert "| backsight | 1 | 1 | 0 | **0** |" in text
    assert "| naive 1 m rule | 0 | 1 | 1 | 10 |" in text


def test_one_row_per_reached_hazard():
    text = per_scenario(RUNS)
    assert "| a | h0 | 1.10 | 1.00 s hit | 1.00 s late | 0 / 7 |" in text
    assert "|  | h1 | 1.10 | 1.00 s late | - missed |  |" in text
    assert "| b | (none reached) | | | | 0 / 3 |" in text


def test_bad_input_is_one_line(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("not json"))
    assert main([]) == 1
    assert capsys.readouterr().err.startswith("report: stdin is not sim --json output")
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(RUNS)))
    assert main(["--scenarios"]) == 0
