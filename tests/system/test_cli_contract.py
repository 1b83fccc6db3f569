"""The command-line contracts of docs/design.md, checked from outside: real subprocesses of
``python -m pi_app``, their exit codes, stdout JSON and stderr messages."""

import json
import math
import subprocess
import sys

import pytest

from pi_app.sim.scenario import shipped_scenarios

TOP_KEYS = {"scenario", "policy", "seed", "duration_s", "alerts", "hazards",
            "false_alarms", "summary"}
ALERT_KEYS = {"t_s", "level", "kind", "source", "side"}
HAZARD_KEYS = {"id", "kind", "t_detectable_s", "t_contact_s", "t_first_warning_s", "lead_s",
               "limit_lead_s", "outcome"}
SIDE_KEYS = {"sides", "wrong_side"}
LEVELS = {"clear", "caution", "warning", "danger", "fault"}
KINDS = {"obstacle", "surface", "deck", "posture", "rest", "fault", None}
OUTCOMES = {"hit", "late", "missed", "no_contact"}


def backsight(*args, timeout_s: float = 120.0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pi_app", *args], capture_output=True,
                          text=True, timeout=timeout_s)


def is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def opt_number(x) -> bool:
    return x is None or is_number(x)


def check_result(obj: dict, *, policy: str | None = None) -> None:
    """One ``sim --json`` object against docs/design.md, key by key."""
    assert set(obj) == TOP_KEYS
    assert isinstance(obj["scenario"], str) and obj["scenario"]
    assert obj["policy"] in ("backsight", "naive")
    if policy:
        assert obj["policy"] == policy
    assert isinstance(obj["seed"], int) and not isinstance(obj["seed"], bool)
    assert is_number(obj["duration_s"]) and obj["duration_s"] > 0
    assert isinstance(obj["false_alarms"], int) and obj["false_alarms"] >= 0
    assert isinstance(obj["summary"], dict)
    alerts = obj["alerts"]
    assert isinstance(alerts, list)
    prev = ("clear", None, None, None)
    for a in alerts:
        assert set(a) == ALERT_KEYS
        assert is_number(a["t_s"]) and 0.0 <= a["t_s"] <= obj["duration_s"]
        assert a["level"] in LEVELS and a["kind"] in KINDS
        assert a["source"] is None or isinstance(a["source"], str)
        assert (a["level"] == "clear") == (a["kind"] is None)
        assert a["side"] in ("left", "right", "centre", None)
        assert a["side"] is None or a["kind"] == "obstacle"   # bearing is about obstacles
        now = (a["level"], a["kind"], a["source"], a["side"])
        assert now != prev, f"not a change: {a}"        # every entry is a change
        prev = now
    times = [a["t_s"] for a in alerts]
    assert times == sorted(times)
    assert isinstance(obj["hazards"], list)
    for h in obj["hazards"]:
        # an obstacle hazard also says which sides its alarms named (docs/scenarios.md)
        assert set(h) == HAZARD_KEYS | (SIDE_KEYS if h["kind"] == "obstacle" else set())
        assert isinstance(h["id"], str) and h["kind"] in ("obstacle", "surface", "deck")
        for k in HAZARD_KEYS - {"id", "kind", "outcome"}:
            assert opt_number(h[k]), (k, h)
        assert h["outcome"] in OUTCOMES
        if h["outcome"] in ("hit", "late"):
            assert h["t_first_warning_s"] is not None and h["t_contact_s"] is not None
            assert h["lead_s"] == pytest.approx(h["t_contact_s"] - h["t_first_warning_s"], abs=2e-3)
            assert h["limit_lead_s"] == pytest.approx(h["t_contact_s"] - h["t_detectable_s"], abs=2e-3)
        if h["outcome"] == "missed":
            assert h["t_contact_s"] is not None and h["lead_s"] is None
        if h["outcome"] == "no_contact":
            assert h["t_contact_s"] is None and h["lead_s"] is None


def test_sim_one_scenario_json():
    done = backsight("sim", "wall-approach", "--json")
    assert done.returncode == 0, done.stderr
    obj = json.loads(done.stdout)
    check_result(obj, policy="backsight")
    assert obj["scenario"] == "wall-approach"
    assert [h["id"] for h in obj["hazards"]] == ["wall"]
    assert any(a["level"] in ("warning", "danger") for a in obj["alerts"])


@pytest.mark.slow
def test_sim_all_json_one_policy_is_an_array_over_every_shipped_scenario():
    done = backsight("sim", "--all", "--json", "--policy", "naive", timeout_s=300.0)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert isinstance(results, list)
    assert [r["scenario"] for r in results] == shipped_scenarios()
    for r in results:
        check_result(r, policy="naive")


def test_sim_seed_override_is_reported():
    done = backsight("sim", "clean-run", "--json", "--seed", "7", "--policy", "naive")
    assert done.returncode == 0, done.stderr
    obj = json.loads(done.stdout)
    check_result(obj, policy="naive")
    assert obj["seed"] == 7


@pytest.mark.parametrize("text, key", [
    ('duration_s = 5.0\n[runner]\nspeed_mps = 2.0\nwobble = 1\n', "runner.wobble"),
    ('duration_s = -5.0\n[runner]\nspeed_mps = 2.0\n', "duration_s"),
    ('duration_s = 5.0\n[runner]\nspeed_mps = 2.0\n[[faults]]\nt_s = 1.0\nkind = "bus_stuck"\n'
     'sensor = "rear"\n', "faults[0].sensor"),
])
def test_a_bad_scenario_file_exits_1_naming_the_file_and_the_key(tmp_path, text, key):
    path = tmp_path / "bad-one.toml"
    path.write_text(text)
    done = backsight("sim", "--scenario-file", str(path), "--json")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "bad-one.toml" in done.stderr and key in done.stderr
    assert "Traceback" not in done.stderr


def test_a_scenario_file_that_is_not_toml_exits_1(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("duration_s = = 3\n")
    done = backsight("sim", "--scenario-file", str(path))
    assert done.returncode == 1 and "broken.toml" in done.stderr and "TOML" in done.stderr


def test_sim_needs_exactly_one_source():
    done = backsight("sim", "wall-approach", "--all")
    assert done.returncode == 2 and "exactly one" in done.stderr


def test_sim_random_json_is_an_array_of_seeded_runs():
    done = backsight("sim", "--random", "2", "--seed", "40", "--json", "--policy", "backsight")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [(r["scenario"], r["seed"]) for r in results] == [("random-40", 40), ("random-41", 41)]
    for r in results:
        check_result(r, policy="backsight")
    assert backsight("sim", "--random", "0").returncode == 2
