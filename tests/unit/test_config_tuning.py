"""Every tuning number is a setting: each key of the schema states its unit, range and
doc, the detectors keep no tuning numbers of their own, every key is read by the device,
each detector takes its new settings through ``configure()``, and no value in a
setting's range stops the device running."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import feed_and_judge
from pi_app.config import DIMENSIONLESS, FIELDS, LIVE, SCHEMA, Config
from pi_app.detect import AlertState, Level
from pi_app.detect.arbiter import Arbiter
from pi_app.detect.deck import DeckDetector
from pi_app.detect.health import HealthReason, SensorHealth
from pi_app.detect.imu import ImuTracker
from pi_app.detect.obstacle import ObstacleDetector
from pi_app.detect.posture import PostureCoach
from pi_app.detect.stride import StrideComb
from pi_app.detect.surface import SurfaceDetector
from pi_app.sensors.base import RangeStatus, Reading

ROOT = Path(__file__).resolve().parents[2]
CFG = Config.defaults()

#: The settings that were numbers inside the detectors, with the section of the
#: detector that reads them.
TUNING_KEYS = (
    "obstacle.timeout_periods", "obstacle.max_closing_speed_mps", "obstacle.max_birth_speed_mps",
    "obstacle.max_birth_opening_mps",
    "surface.learn_samples", "surface.learn_s", "surface.fit_samples", "surface.fit_min_weight",
    "surface.fit_ridge_s", "surface.fit_ridge_reach_m", "surface.slow_persist_s",
    "surface.support_share", "surface.validity_tau_s", "surface.strict_validity",
    "surface.noise_tau_s", "surface.noise_learn_s", "surface.relearn_share",
    "surface.beyond_validity",
    "deck.max_drift_window_s", "deck.off_deck_margin_m", "deck.min_span_share",
    "deck.period_window_s", "deck.detrend_s", "deck.period_every_s", "deck.period_median_of",
    "deck.min_correlation", "deck.near_best_share", "deck.max_gap_s",
    "imu.tau_s", "imu.accel_trust_g", "imu.stale_periods",
    "health.implausible_samples", "alert.steady_gap_s", "posture.smoothing_s",
    "posture.hysteresis_deg",
)
#: Class attributes still waiting to become settings (file:Class.NAME). An entry here
#: must exist: once it is gone, delete it from this set.
NOT_YET_SETTINGS: set[str] = set()
#: Keys no part of the device reads: promises the tests hold the device to.
PROMISES = {"health.fault_signal_s"}


# --- the schema -----------------------------------------------------------------------------
def test_every_setting_states_its_unit_range_and_doc():
    for f in SCHEMA:
        assert f.doc.strip(), f.key
        if f.type in (int, float):
            assert f.unit is not None, f"{f.key}: give a unit, or DIMENSIONLESS for a count or ratio"
            assert f.choices or (f.min is not None and f.max is not None), f"{f.key}: no range"
            assert f.choices or f.min <= f.default <= f.max, f.key
        elif f.type is str:
            assert f.choices or f.check_text is not None, f"{f.key}: no rule for its text"
    assert FIELDS["surface.support_share"].unit == DIMENSIONLESS


def test_the_tuning_settings_apply_live_with_the_detectors_defaults():
    for key in TUNING_KEYS:
        f = FIELDS[key]
        assert f.applies == LIVE and f.type in (int, float), key
        assert CFG.get(key) == f.default


def _numeric(node: ast.expr) -> bool:
    """A number, or an expression of numbers and names (``2.0 * X``), or a tuple of them."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp):
        return _numeric(node.operand)
    if isinstance(node, ast.BinOp):
        return any(_numeric(side) for side in (node.left, node.right))
    if isinstance(node, ast.Tuple):
        return bool(node.elts) and all(_numeric(e) for e in node.elts)
    return False


def class_number_constants(path: Path) -> set[str]:
    """``file:Class.NAME`` for each UPPER_CASE class attribute holding a number (enums,
    whose members are names, not tunings, aside)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases}
        if any(b.endswith("Enum") for b in bases):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            else:
                continue
            for t in targets:
                if isinstance(t, ast.Name) and t.id.isupper() and _numeric(value):
                    found.add(f"{path.name}:{node.name}.{t.id}")
    return found


def test_no_detector_class_keeps_a_tuning_number_as_a_class_attribute():
    found = set()
    for path in sorted((ROOT / "pi_app" / "detect").glob("*.py")):
        found |= class_number_constants(path)
    assert found - NOT_YET_SETTINGS == set(), \
        "make each a setting (schema + configure()) or a module constant saying why it is fixed"
    assert NOT_YET_SETTINGS <= found, "done: remove it from NOT_YET_SETTINGS"


def test_the_scan_sees_numbers_and_skips_enums(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text("import enum\nclass A:\n    LIMIT_S = 0.5\n    PAIR = (1, 2.0)\n    TWICE = 2.0 * X\n"
                    "    name = 3\n    KIND = 'x'\n"
                    "class B(enum.IntEnum):\n    ONE = 1\n")
    assert class_number_constants(path) == {"mod.py:A.LIMIT_S", "mod.py:A.PAIR", "mod.py:A.TWICE"}


def test_every_setting_is_read_by_the_device():
    read = set()
    for path in (ROOT / "pi_app").rglob("*.py"):
        if "config" in path.relative_to(ROOT / "pi_app").parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                read.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                read.add(node.value)
    unread = {f.key for f in SCHEMA if f.name not in read and f.key not in read}
    assert unread == PROMISES


# --- configure() takes them ---------------------------------------------------------------
def test_the_steady_gap_decides_when_a_steady_obstacle_starts_its_quiet_time_afresh():
    steady = AlertState(Level.WARNING, "obstacle", "rear", "steady")
    times = [k * 0.05 for k in range(51)] + [2.65 + k * 0.05 for k in range(10)]  # a 0.15 s gap

    def heard_at_the_end(cfg) -> bool:
        a = Arbiter(cfg)
        return [a.decide([steady], t) for t in times][-1] == steady   # 3.1 s after the first

    assert heard_at_the_end(CFG)                                  # 0.15 s > 0.1 s: afresh
    assert not heard_at_the_end(CFG.with_value("alert.steady_gap_s", 0.5))   # muted at 3 s


@pytest.mark.parametrize("run", [1, 2, 5])
def test_implausible_samples_is_the_run_of_impossible_answers_that_faults(run):
    cfg = CFG.with_value("health.implausible_samples", run)
    h = SensorHealth("rear", cfg)
    t = 1.0
    for k in range(1, 8):
        h.note(Reading(t, None, RangeStatus.OUT_OF_RANGE))
        h.evaluate(t)
        assert (h.reason is HealthReason.IMPLAUSIBLE) == (k >= run), k
        t += 0.1


def test_the_off_deck_margin_is_read_live():
    cfg = CFG.with_value("device.mode", "treadmill")
    beyond_m = CFG.deck.deck_length_m + 0.2                  # past the 0.15 m margin

    def detail_after_stepping_back(margin_m: float | None) -> str | None:
        det = DeckDetector("deck", cfg)
        if margin_m is not None:
            det.configure(cfg.with_value("deck.off_deck_margin_m", margin_m))
        for k in range(100):                                  # 1 s mid-deck
            feed_and_judge(det, Reading(k * 0.01, 0.75))
        return [feed_and_judge(det, Reading(1.0 + k * 0.01, beyond_m)) for k in range(60)][-1].detail

    assert detail_after_stepping_back(None) == "off_deck"
    assert detail_after_stepping_back(0.3) == "rear"          # still on the deck, at its edge


def test_the_stride_comb_takes_the_deck_settings_live():
    comb = StrideComb(CFG.deck)
    assert (comb.period_window_s, comb.max_drift_window_s) == (3.5, 0.6)
    comb.configure(CFG.with_value("deck.period_window_s", 2.0).with_value("deck.max_gap_s", 1.0).deck)
    assert (comb.period_window_s, comb.max_gap_s) == (2.0, 1.0)


def test_the_surface_detector_learns_the_ground_as_its_settings_say():
    def learned_at_s(cfg) -> float:
        det = SurfaceDetector("ground", cfg, sample_period_s=0.004)
        for k in range(1000):
            feed_and_judge(det, Reading(k * 0.004, 2.366))
            if det.baseline_m is not None:
                return k * 0.004
        raise AssertionError("never learned")

    assert learned_at_s(CFG.with_value("surface.learn_s", 0.05)) < learned_at_s(CFG) - 0.1
    det = SurfaceDetector("ground", CFG)
    det.configure(CFG.with_value("surface.fit_min_weight", 8.0).with_value("surface.fit_ridge_s", 0.2))
    assert (det.fit.min_weight, det.fit.ridge_t_s) == (8.0, 0.2)


def test_the_obstacle_track_clips_closing_speed_at_the_setting():
    det = ObstacleDetector("rear", CFG.with_value("obstacle.max_closing_speed_mps", 8.0),
                           sample_period_s=0.01)
    for k in range(10):                                         # 10 m/s toward the runner
        feed_and_judge(det, Reading(k * 0.01, 3.0 - 0.1 * k))
    assert det.track.active and det.track.closing_mps == 8.0
    det.configure(CFG)
    assert det.track.max_speed_mps == 12.0


@pytest.mark.parametrize("smoothing_s, hysteresis_deg, nudged_at_s", [
    (0.1, 0.0, 5.0),     # the dip under the limit ends the lean: timed afresh from 3 s
    (1.0, 0.0, 2.0),     # the average rides through the dip
    (0.1, 2.0, 2.0),     # the dip stays within the hysteresis
])
def test_the_posture_coach_smooths_and_ends_a_lean_as_configured(smoothing_s, hysteresis_deg,
                                                                  nudged_at_s):
    cfg = (CFG.with_value("posture.hold_s", 2.0).with_value("posture.smoothing_s", smoothing_s)
           .with_value("posture.hysteresis_deg", hysteresis_deg))
    coach = PostureCoach(cfg)
    for k in range(700):
        t = k * 0.01
        coach.update(19.5 if 1.5 <= t < 3.0 else 25.0, t)     # a dip just under 20 deg
        if coach.nudges:
            break
    assert t == pytest.approx(nudged_at_s, abs=0.05)


def test_the_imu_tracker_trusts_its_pitch_for_stale_periods_samples():
    settled = CFG.with_value("imu.settle_s", 0.0)     # trusted from the first sample
    imu = ImuTracker(period_s=0.005, cfg=settled)
    imu.update(0.0, (0.0, 0.0, 1.0), (0.0, 0.0, 0.0))
    assert imu.fresh(0.014) and not imu.fresh(0.017)              # 3 periods
    imu.configure(settled.with_value("imu.stale_periods", 10))
    assert imu.fresh(0.05)
    slow = ImuTracker(period_s=0.005, cfg=settled.with_value("imu.tau_s", 5.0))
    fast = ImuTracker(period_s=0.005, cfg=settled)
    for imu in (slow, fast):
        imu.update(0.0, (0.0, 0.0, 1.0), (0.0, 0.0, 0.0))
        imu.update(0.1, (-0.5, 0.0, 0.866), (0.0, 0.0, 0.0))      # gravity says 30 deg
    assert 0.0 < slow.pitch_deg < fast.pitch_deg


# --- no value in range stops the device ---------------------------------------------------------
def _extremes():
    for key in TUNING_KEYS:
        if key.startswith("imu."):
            continue    # the IMU tracker is covered above (the device builds it on the defaults)
        f = FIELDS[key]
        yield from ((key, f.min), (key, f.max))


@pytest.mark.parametrize("key, value", list(_extremes()))
def test_the_device_runs_at_either_end_of_every_tuning_range(key, value):
    from pi_app.sim.rig import SimRig
    from pi_app.sim.scenario import load_scenario

    name, until_s = ("treadmill-step-off", 7.0) if key.startswith("deck.") else ("parked-car-mute", 3.0)
    rig = SimRig(load_scenario(name), cfg=CFG.with_value(key, value))
    try:
        rig.loop.run(until_s=until_s)
        assert rig.loop.status()["cycles"] > 0
        assert rig.loop.alerts and rig.loop.alerts[0][1].level >= Level.WARNING
    finally:
        rig.close()
