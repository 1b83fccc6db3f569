"""Shortfall causes: each late or missed hazard sorted into the first cause that applies."""

from collections import Counter

from pi_app.sim.causes import (AT_THRESHOLD, FAULT_SIGNALLED, GLARE, NEVER_VISIBLE, OTHER_FAULT,
                               WEAKNESS, WITHIN_SAMPLE, ShortfallSorter, table, tally)
from pi_app.sim.scenario import parse_scenario

KIT = [{"id": "rear", "kind": "vl53l1x", "role": "obstacle"},
       {"id": "ground", "kind": "tfluna", "role": "surface", "pitch_deg": -30.0}]
GROUND = [{"id": "root", "kind": "root", "x_m": 20.0, "length_m": 0.1, "depth_m": -0.06},
          {"id": "kerb", "kind": "kerb_up", "x_m": 30.0, "depth_m": -0.15}]


def scenario(faults=()):
    return parse_scenario({"name": "t", "duration_s": 20.0, "seed": 1,
                           "runner": {"speed_mps": 2.0}, "sensors": KIT,
                           "obstacles": [{"id": "wall", "x_m": 38.0, "width_m": 4.0,
                                          "height_m": 2.0}],
                           "ground": GROUND, "faults": list(faults)}, "t.toml")


def row(hid, kind, outcome, lead_s=None, detectable_s=10.0, contact_s=11.0):
    return {"id": hid, "kind": kind, "t_detectable_s": detectable_s, "t_contact_s": contact_s,
            "lead_s": lead_s, "limit_lead_s": None if detectable_s is None
            else contact_s - detectable_s, "outcome": outcome}


def result(alerts=()):
    return {"alerts": list(alerts), "duration_s": 20.0}


def cause(sc, r, res=None):
    return ShortfallSorter(sc, 0.05, 0.05).cause(r, res or result())


def test_in_time_and_no_contact_have_no_cause():
    assert cause(scenario(), row("kerb", "surface", "hit", 1.0)) is None
    assert cause(scenario(), row("kerb", "surface", "no_contact")) is None


def test_a_hazard_no_sensor_could_see_was_never_visible():
    assert cause(scenario(), row("kerb", "surface", "missed", detectable_s=None)) == NEVER_VISIBLE


def test_a_fault_signalled_while_the_warning_was_due():
    signalled = result([{"t_s": 10.0, "level": "fault", "kind": "fault", "source": "ground"},
                        {"t_s": 10.6, "level": "clear", "kind": None, "source": None}])
    assert cause(scenario(), row("kerb", "surface", "missed"), signalled) == FAULT_SIGNALLED
    # a fault of a sensor the hazard does not need is no excuse
    assert cause(scenario(), row("wall", "obstacle", "missed"), signalled) == WEAKNESS
    # nor one after the last moment a warning would have been in time (11.0 - 1.8)
    late_fault = result([{"t_s": 10.5, "level": "fault", "kind": "fault", "source": "ground"}])
    assert cause(scenario(), row("kerb", "surface", "missed", detectable_s=9.0),
                 late_fault) == WEAKNESS


def test_glare_and_other_scripted_faults_overlapping_the_span():
    glare = scenario([{"t_s": 9.5, "sensor": "rear", "kind": "blind", "duration_s": 1.0}])
    assert cause(glare, row("wall", "obstacle", "missed")) == GLARE
    unplugged = scenario([{"t_s": 5.0, "sensor": "ground", "kind": "unplug"},
                          {"t_s": 10.05, "sensor": "ground", "kind": "replug"}])
    assert cause(unplugged, row("kerb", "surface", "missed")) == OTHER_FAULT
    replugged_before = scenario([{"t_s": 5.0, "sensor": "ground", "kind": "unplug"},
                                 {"t_s": 9.0, "sensor": "ground", "kind": "replug"}])
    assert cause(replugged_before, row("kerb", "surface", "missed")) == WEAKNESS
    stuck = scenario([{"t_s": 10.0, "kind": "bus_stuck", "duration_s": 0.3}])
    assert cause(stuck, row("wall", "obstacle", "late", 0.5)) == OTHER_FAULT


def test_a_root_near_the_threshold_and_a_shortfall_within_one_sample():
    assert cause(scenario(), row("root", "surface", "missed")) == AT_THRESHOLD
    assert cause(scenario(), row("kerb", "surface", "missed")) == WEAKNESS
    # the wall needs 0.9 s of its 1 s; a 33 ms VL53L1X sample short is within a sample
    assert cause(scenario(), row("wall", "obstacle", "late", 0.88)) == WITHIN_SAMPLE
    assert cause(scenario(), row("wall", "obstacle", "late", 0.8)) == WEAKNESS


def test_tally_and_table_count_per_kind_and_outcome():
    sc = scenario()
    res = {**result(), "hazards": [row("root", "surface", "missed"),
                                   row("wall", "obstacle", "late", 0.8),
                                   row("kerb", "surface", "hit", 1.0)]}
    counts = tally([(sc, res)], 0.05, 0.05)
    assert counts == Counter({("surface", "missed", AT_THRESHOLD): 1,
                              ("obstacle", "late", WEAKNESS): 1})
    text = table(counts)
    assert "| **at the threshold** | 0 | 0 | 0 | 1 | 1 |" in text
    assert "| **weakness** | 1 | 0 | 0 | 0 | 1 |" in text
