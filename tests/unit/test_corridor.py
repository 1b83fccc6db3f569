"""The corridor (pi_app/detect/corridor.py): which side a target is on, and when a
target only one level chip sees is proven beside the runner's path."""

import math

import pytest

from pi_app.config import DEFAULT_SENSORS, Config, SensorConfig
from pi_app.config.sensors import BEARING_SENSORS
from pi_app.detect import AlertState, CLEAR, Level
from pi_app.detect.corridor import (CENTRE, BeltYaw, ChipWatch, Corridor, bearing_pair)
from pi_app.sensors.base import RangeStatus, Reading

WARN = AlertState(Level.WARNING, "obstacle", "rear-left")
WARN_R = AlertState(Level.WARNING, "obstacle", "rear-right")
PERIOD_S = 0.033


class Pose:
    """The part of the loop's Pose the corridor reads."""

    def __init__(self, imu=None) -> None:
        self.imu = imu
        self.pitch_deg = 0.0


class Imu:
    """An IMU tracker's yaw rate (gyro z) and sample count."""

    def __init__(self, rate_dps: float = 0.0) -> None:
        self.yaw_rate_dps = rate_dps
        self.samples = 0


def corridor(sway_deg: float = 0.0, **values) -> Corridor:
    """The bearing kit's pair; ``sway_deg``: the sway assumed without an IMU."""
    cfg = Config.defaults().with_sensors(BEARING_SENSORS).with_value(
        "obstacle.corridor_sway_deg", sway_deg)
    for key, value in values.items():
        cfg = cfg.with_value(key, value)
    left, right = bearing_pair(cfg.sensors)
    return Corridor(ChipWatch(left.id, left.yaw_deg, 13.5, PERIOD_S),
                    ChipWatch(right.id, right.yaw_deg, 13.5, PERIOD_S), cfg)


def see(c: Corridor, slot: int, t_s: float, distance_m, pose=None) -> None:
    status = RangeStatus.VALID if distance_m is not None else RangeStatus.NO_TARGET
    c.note(slot, Reading(t_s, distance_m, status, None), pose or Pose())


def judge(c: Corridor, slot: int, state: AlertState, t_s: float, d: float) -> AlertState:
    return c.judge(slot, state, t_s, d, 0.0, d)


def test_the_bearing_kit_is_a_yawed_pair_and_single_chip_kits_have_no_bearing():
    assert bearing_pair(DEFAULT_SENSORS) is None         # the default kit: one level chip
    left, right = bearing_pair(BEARING_SENSORS)
    assert (left.id, right.id) == ("rear-left", "rear-right")
    assert left.yaw_deg > 0 > right.yaw_deg and left.xshut_pin != right.xshut_pin
    assert left.bus_address != right.bus_address
    one = SensorConfig("rear", "vl53l1x", "obstacle")
    assert bearing_pair((one, SensorConfig("ground", "tfluna", "surface", pitch_deg=-25))) is None
    # two chips both turned the same way, or a level and a pitched one: no pair
    assert bearing_pair((SensorConfig("a", "vl53l1x", "obstacle", yaw_deg=4),
                         SensorConfig("b", "vl53l1x", "obstacle", yaw_deg=8))) is None


def walk(c: Corridor, left_m, right_m, t0_s: float = 0.0, n: int = 2):
    """Both chips range ``n`` periods, out of step (the right 16 ms after the left), each
    judging its own target after each reading: the last ``[left, right]`` states."""
    out = [None, None]
    for k in range(n):
        for slot, d, state, dt in ((0, left_m, WARN, 0.0), (1, right_m, WARN_R, 0.016)):
            t_s = t0_s + k * PERIOD_S + dt
            see(c, slot, t_s, d)
            if d is not None:
                out[slot] = judge(c, slot, state, t_s, d)
    return out


def test_a_target_only_the_left_chip_sees_far_enough_out_is_beside_the_path():
    # 3 m out, the right chip's cone edge (9.5 deg, less 2 deg of margins) proves the
    # near edge >= 3 cos(13.5) sin(7.5) - 0.018 = 0.363 m off the line: beyond 0.35 m
    c = corridor()
    left, _ = walk(c, 3.0, None)
    assert left is CLEAR
    assert c.chips[0].bound_m == pytest.approx(3.0 * math.cos(math.radians(13.5))
                                               * math.sin(math.radians(7.5)) - 0.018)


def test_silence_from_before_the_target_was_found_proves_nothing():
    # the chips range out of step: the right one has not looked since the left found it
    c = corridor()
    see(c, 1, 0.0, None)
    see(c, 0, 0.01, 3.0)
    out = judge(c, 0, WARN, 0.01, 3.0)
    assert out.level == Level.WARNING and out.side == "left"


def test_nearer_in_the_same_place_is_no_proof_and_says_left():
    c = corridor()
    left, _ = walk(c, 2.0, None)
    assert left.level == Level.WARNING and left.side == "left"


def test_seen_by_both_is_centre_and_a_hazard():
    c = corridor()
    left, right = walk(c, 3.0, 3.02)
    assert left.level == Level.WARNING and left.side == CENTRE
    assert right.side == CENTRE


def test_only_the_right_chip_says_right():
    c = corridor()
    _, right = walk(c, None, 1.5)
    assert right.side == "right" and right.level == Level.WARNING


@pytest.mark.parametrize("why", ["stale", "faulted"])
def test_without_the_other_chip_nothing_is_excluded(why):
    c = corridor()
    see(c, 1, 0.0, None)
    if why == "faulted":
        c.faulted(1)
        t_s = 0.02
    else:
        t_s = 0.2                # the right chip has not read for 6 periods
    for k in range(2):
        see(c, 0, t_s + k * PERIOD_S, 3.0)
        out = judge(c, 0, WARN, t_s + k * PERIOD_S, 3.0)
    assert out.level == Level.WARNING and out.side == "left"


def test_a_crosser_is_judged_where_it_may_be_now():
    # proven 0.363 m out at 3 m; 0.3 s later at 2 m the carried proof has shrunk at
    # corridor_cross_mps (0.5 m/s) to about 0.21 m and the new one is 0.236 m: a hazard
    c = corridor()
    left, _ = walk(c, 3.0, None)
    assert left is CLEAR
    left, _ = walk(c, 2.0, None, t0_s=0.35, n=1)
    assert left.level == Level.WARNING and left.side == "left"


def test_the_sway_assumed_without_an_imu_takes_the_proof_away():
    c = corridor(sway_deg=6.0)
    left, _ = walk(c, 3.0, None)
    assert left.level == Level.WARNING


def test_belt_yaw_integrates_gyro_z_and_turns_the_rear_cones_the_other_way():
    imu = Imu(rate_dps=30.0)
    pose = Pose(imu)
    yaw = BeltYaw(tau_s=1.5)
    t_s = 0.0
    for _ in range(20):          # 0.1 s at 30 deg/s: the front turned 3 deg left
        imu.samples += 1
        yaw.update(t_s, pose)
        t_s += 0.005
    assert yaw.sway_deg == pytest.approx(2.85, abs=0.15)
    # the rear chips now look right: a left target's proof needs the most left-turn
    # sway (sign +1) the belt may have had, a right target's the most right-turn
    assert yaw.worst_deg(t_s, 1.0, 6.0, 0.033) > yaw.worst_deg(t_s, -1.0, 6.0, 0.033)


def test_a_turning_runner_excludes_nothing():
    imu = Imu(rate_dps=25.0)     # a steady turn, well above corridor_turn_dps
    pose = Pose(imu)
    c = corridor()
    t_s = 0.0
    for _ in range(400):         # 2 s of it
        imu.samples += 1
        see(c, 1, t_s, None, pose)
        t_s += 0.005
    out = None
    for k in range(2):
        imu.samples += 1
        see(c, 0, t_s, 3.0, pose)
        out = judge(c, 0, WARN, t_s, 3.0)
        imu.samples += 1
        see(c, 1, t_s + 0.016, None, pose)
        t_s += PERIOD_S
    assert out.level == Level.WARNING


def test_two_people_either_side_level_with_each_other_stay_beside():
    # the left chip proves its person beside (3.2 m: 0.388 m out); the right chip then
    # reads its own person at the same range: as far as ranges go, one target in the
    # overlap. The proof carried for the left one stands while the right chip's cone
    # can reach that far out on the left (its edge, less the margins, at 11.5 deg)
    c = corridor()
    left, _ = walk(c, 3.2, None)
    assert left is CLEAR
    left, right = walk(c, 3.15, 3.15, t0_s=0.066, n=1)
    assert left is CLEAR and right is CLEAR
    # one that came this near is no longer explained by it: a hazard again
    left, _ = walk(c, 1.0, 1.0, t0_s=0.4, n=1)
    assert left.level == Level.WARNING


def test_a_young_track_of_the_other_chips_target_is_judged_by_the_older_one():
    c = corridor()
    left, _ = walk(c, 3.0, None)
    assert left is CLEAR                                # the left chip's, proven beside
    see(c, 1, 0.08, 2.98)        # the right chip finds it too, a noisy young track
    assert c.judge(1, WARN_R, 0.08, 2.98, 6.0, 2.98) is CLEAR


def test_a_first_sight_by_one_chip_waits_for_its_next_reading():
    c = corridor()
    see(c, 1, 0.0, None)
    see(c, 0, 0.01, 2.0)
    assert c.judge(0, WARN, 0.01, 2.0, 0.0, 2.0, True, True) is CLEAR
    see(c, 1, 0.026, None)
    see(c, 0, 0.043, 1.9)
    out = c.judge(0, WARN, 0.043, 1.9, 3.0, 1.9)
    assert out.level == Level.WARNING and out.side == "left"


def test_states_with_a_side_are_cached_not_allocated_per_cycle():
    c = corridor()
    first, _ = walk(c, 1.5, 1.5)
    again, _ = walk(c, 1.45, 1.45, t0_s=0.066, n=1)
    assert again is first and first.side == CENTRE
