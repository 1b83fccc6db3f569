"""Per-kit and per-kind tables of random runs (``python -m pi_app.sim.report --kits`` /
``--kinds``) from ``sim --random N --kit all --json``."""

import io
import json
import sys

from pi_app.sim.report import kinds, kits, main


def _hazard(hid, outcome, limit_s=1.0, kind="obstacle", lead_s=0.9):
    return {"id": hid, "kind": kind, "outcome": outcome, "limit_lead_s": limit_s,
            "lead_s": None if outcome == "missed" else lead_s}


def _run(name, hazards, false_alarms=0, policy="backsight"):
    return {"scenario": name, "policy": policy, "duration_s": 10.0,
            "false_alarms": false_alarms, "hazards": hazards}


PER_KIT = {
    "default": [_run("random-1", [_hazard("dog-crossing-0", "missed", None),
                                  _hazard("obstacle-1", "hit")], 2),
                _run("random-1", [_hazard("obstacle-1", "late")], 9, policy="naive"),
                _run("random-2", [_hazard("root-0", "missed", kind="surface"),
                                  _hazard("kerb-up-1a", "late", kind="surface", lead_s=0.4)])],
    "mb1242-rear": [_run("random-1-mb1242-rear", [_hazard("dog-crossing-0", "hit"),
                                                  _hazard("obstacle-1", "hit")]),
                    _run("random-2-mb1242-rear", [_hazard("root-0", "hit"),
                                                  _hazard("kerb-up-1a", "hit")], 1)],
}


def test_one_row_per_kit_counts_the_never_detectable_apart():
    text = kits(PER_KIT)
    # the naive run left out; 20 s simulated: 2 false alarms are 360 an hour
    assert "| default | 2 | 1 | 1 | 1 | 1 | 33.3 % | **2** (1) | 360.0 | 0.90 s | 0.40 s |" in text
    assert "| mb1242-rear | 2 | 4 | 0 | 0 | 0 | 100.0 % | **1** (1) | 180.0 | 0.90 s | - |" in text


def test_outcomes_per_kind_of_thing_a_column_per_kit():
    rows = kinds(PER_KIT).splitlines()
    assert rows[0] == "| thing | default | mb1242-rear |"
    assert "| dog-crossing | 0 / 0 / 0 / 1 | 1 / 0 / 0 / 0 |" in rows
    assert "| kerb-up | 0 / 1 / 0 / 0 | 1 / 0 / 0 / 0 |" in rows
    assert "| root | 0 / 0 / 1 / 0 | 1 / 0 / 0 / 0 |" in rows


def test_main_reads_a_kit_keyed_object_or_a_plain_list(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(PER_KIT)))
    assert main(["--kits"]) == 0
    assert "| mb1242-rear | 2 |" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(PER_KIT["default"])))
    assert main(["--kinds"]) == 0
    assert capsys.readouterr().out.startswith("| thing | default |")
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(PER_KIT)))
    assert main([]) == 0                      # the summary pools every kit's runs
    assert "| backsight | 5 | 1 | 2 | **3** |" in capsys.readouterr().out


def test_causes_draws_the_runs_again_from_their_names():
    from pi_app.sim.report import scenario_named

    assert scenario_named("random-3-mb1242-rear").sensors[0].kind == "mb1242"
    assert scenario_named("wall-approach").name == "wall-approach"
    run = {"scenario": "random-0", "policy": "backsight", "duration_s": 10.0, "alerts": [],
           "false_alarms": 0, "hazards": [{"id": "obstacle-0", "kind": "obstacle",
                                           "outcome": "missed", "t_detectable_s": None,
                                           "t_contact_s": 5.0, "lead_s": None,
                                           "limit_lead_s": None}]}
    out = io.StringIO()
    old_in, old_out = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.StringIO(json.dumps([run])), out
    try:
        assert main(["--causes"]) == 0
    finally:
        sys.stdin, sys.stdout = old_in, old_out
    assert "| never visible | 0 | 1 | 1 |" in out.getvalue()
