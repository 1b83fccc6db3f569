"""The pattern table and the pattern player (pure arithmetic on simulated time)."""

import math

import pytest

from pi_app.alert import patterns as pt
from pi_app.alert.patterns import Pattern, PatternPlayer, pattern_for
from pi_app.detect import AlertState, Level

C, W, D = Level.CAUTION, Level.WARNING, Level.DANGER


def rhythm(p: Pattern) -> tuple:
    """What a runner can feel without pitch or strength: the on/off run ends and
    whether it repeats (rounded to the 10 ms a loop cycle can resolve)."""
    return (p.first_on, tuple(round(b, 2) for b in p.bounds_s), p.repeat)


def family(p: Pattern) -> str:
    """Patterns that *mean* the same thing may share a rhythm: a drop and a rise are
    both "watch your step" (pitch tells them apart on a tonal buzzer); obstacle DANGER
    and stepping off the deck are both "stop now" (continuous)."""
    if p.continuous:
        return "stop"
    return p.name.replace(" drop", "").replace(" rise", "")


def test_every_pattern_is_distinguishable_by_rhythm_alone():
    by_rhythm = {}
    for p in pt.all_patterns():
        by_rhythm.setdefault(rhythm(p), set()).add(family(p))
    clashes = {r: f for r, f in by_rhythm.items() if len(f) > 1}
    assert clashes == {}


def test_patterns_start_on_and_respect_motor_limits():
    for p in pt.all_patterns():
        assert p.first_on, p.name                     # the first cue costs no latency
        for on_s, off_s in p.segments:
            assert on_s >= 0.06, p.name                # an ERM needs ~30-50 ms to spin up
            assert off_s == 0.0 or off_s >= 0.06, p.name
        assert p.continuous or p.period_s <= 2.0, p.name


def test_obstacle_cadence_rises_with_urgency_and_is_continuous_at_danger():
    caution, warning, danger = pt.OBSTACLE[C], pt.OBSTACLE[W], pt.OBSTACLE[D]
    assert caution.period_s == pytest.approx(0.7)
    assert warning.period_s == pytest.approx(0.2)
    assert danger.continuous
    duty = [p.segments[0][0] / p.period_s for p in (caution, warning)]
    assert duty[0] < duty[1]
    assert caution.intensity < warning.intensity < danger.intensity
    assert caution.tone_hz < warning.tone_hz < danger.tone_hz


def test_surface_is_a_double_pulse_with_a_lower_pitch_and_deck_keeps_direction():
    for lv in (C, W, D):
        assert len(pt.SURFACE_DROP[lv].segments) == 2
        assert pt.SURFACE_DROP[lv].tone_hz < pt.SURFACE_RISE[lv].tone_hz < pt.OBSTACLE[C].tone_hz
        assert len(pt.DECK_CONSOLE[lv].segments) == 3            # triple short
        assert pt.DECK_REAR[lv].segments[0][0] >= 0.3             # long pulse
        assert not pt.DECK_CONSOLE[lv].continuous and not pt.DECK_REAR[lv].continuous
    assert pt.DECK_OFF.continuous


@pytest.mark.parametrize("state, expected", [
    (AlertState(), pt.SILENT),
    (AlertState(Level.CLEAR, None, None, "ready"), pt.READY),
    (AlertState(Level.CAUTION, None, None, "selftest_fail"), pt.SELFTEST_FAIL),
    (AlertState(Level.FAULT, "fault", None, "selftest_fail"), pt.SELFTEST_FAIL),
    (AlertState(C, "obstacle", "rear"), pt.OBSTACLE[C]),
    (AlertState(W, "obstacle", "rear", "steady"), pt.OBSTACLE[W]),
    (AlertState(D, "obstacle", "rear"), pt.OBSTACLE[D]),
    (AlertState(W, "surface", "ground", "drop"), pt.SURFACE_DROP[W]),
    (AlertState(W, "surface", "ground", "rise"), pt.SURFACE_RISE[W]),
    (AlertState(W, "surface", "ground"), pt.SURFACE_DROP[W]),
    (AlertState(D, "deck", "rear", "console"), pt.DECK_CONSOLE[D]),
    (AlertState(W, "deck", "rear", "rear"), pt.DECK_REAR[W]),
    (AlertState(D, "deck", "rear", "off_deck"), pt.DECK_OFF),
    (AlertState(Level.FAULT, "fault", "rear"), pt.FAULT),
    (AlertState(Level.FAULT, "obstacle", "rear"), pt.FAULT),
    (AlertState(C, "posture", "imu"), pt.POSTURE),
    (AlertState(C, "rest"), pt.REST),
    (AlertState(W, "something-new", "x"), pt.OBSTACLE[W]),   # unknown: still felt
])
def test_pattern_for(state, expected):
    assert pattern_for(state) is expected


def test_posture_is_motor_only_and_gentle():
    assert not pt.POSTURE.buzzer and pt.POSTURE.haptic
    assert pt.POSTURE.intensity < pt.OBSTACLE[C].intensity
    assert not pt.POSTURE.repeat and not pt.REST.repeat and not pt.READY.repeat


def sample(player, t0, t1, step=0.01):
    out, t = [], t0
    for k in range(round((t1 - t0) / step)):
        t = t0 + k * step
        out.append(player.is_on(t))
    return out


def test_player_repeating_pattern_edges():
    p = PatternPlayer(pt.OBSTACLE[C], start_s=10.0)
    assert not p.is_on(9.99)                        # before its start
    assert p.next_edge_s(9.5) == 10.0
    assert p.is_on(10.0) and p.is_on(10.099)
    assert not p.is_on(10.1)
    assert p.next_edge_s(10.0) == pytest.approx(10.1)
    assert p.next_edge_s(10.3) == pytest.approx(10.7)
    assert p.is_on(10.7) and p.is_on(17.0 + 0.05)   # 10 periods later
    assert p.next_edge_s(17.05) == pytest.approx(17.1)


def test_player_edges_hold_with_accumulated_float_time():
    p = PatternPlayer(pt.OBSTACLE[W], start_s=0.0)
    t, states = 0.0, []
    for _ in range(100):          # 1 s in 10 ms steps, accumulated as a SimClock does
        states.append(p.is_on(t))
        t += 0.01
    # 8 cycles on, 12 off, exactly, for five periods
    assert states == ([True] * 8 + [False] * 12) * 5


def test_player_one_shot_finishes_and_stays_off():
    p = PatternPlayer(pt.POSTURE, start_s=1.0)
    on = sample(p, 1.0, 2.0)
    assert on[:15] == [True] * 15 and on[15:40] == [False] * 25 and on[40:55] == [True] * 15
    assert not any(on[55:])
    assert p.next_edge_s(1.6) == math.inf
    assert not p.is_on(100.0)


def test_player_continuous_and_silent_have_no_edges():
    p = PatternPlayer(pt.OBSTACLE[D], 0.0)
    assert all(sample(p, 0.0, 5.0))
    assert p.next_edge_s(1.0) == math.inf
    p.start(pt.SILENT, 0.0)
    assert not any(sample(p, 0.0, 1.0))
    assert p.next_edge_s(0.5) == math.inf


def test_pattern_merges_runs_and_rejects_bad_values():
    p = Pattern("x", ((0.1, 0.0), (0.1, 0.2)))
    assert p.bounds_s == pytest.approx((0.2, 0.4))
    with pytest.raises(ValueError, match="x"):
        Pattern("x", ((-0.1, 0.1),))
    with pytest.raises(ValueError, match="intensity"):
        Pattern("x", ((0.1, 0.1),), intensity=1.5)
    with pytest.raises(ValueError, match="tone"):
        Pattern("x", ((0.1, 0.1),), tone_hz=0.0)


# --- which side -------------------------------------------------------------------------
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("level", [C, W, D])
def test_an_obstacle_with_a_side_gets_that_sides_pattern(side, level):
    p = pattern_for(AlertState(level, "obstacle", "rear", None, side))
    assert p is pt.OBSTACLE_SIDE[side][level] and p.side == side
    assert pattern_for(AlertState(level, "obstacle", "rear", "steady", side)) is p
    for centre in ("centre", None):   # no bearing, or on the centre line: today's pattern
        assert pattern_for(AlertState(level, "obstacle", "rear", None, centre)) is pt.OBSTACLE[level]


def test_a_side_never_changes_other_kinds():
    for state in (AlertState(W, "surface", "ground", "drop", "left"),
                  AlertState(Level.FAULT, "obstacle", "rear", None, "right"),
                  AlertState(C, "posture", "imu", None, "left")):
        assert pattern_for(state) is pattern_for(state._replace(side=None))
        assert pattern_for(state).side is None


def test_left_and_right_are_mirrored_long_short_pairs_that_stay_pairs():
    """Left "daa-dit", right "dit-daa": the long pulse 2.5x the short one at least, the
    gap between beats 3x the gap inside one (so a repeating stream is heard in pairs),
    pitch and strength those of the level, and the same beat period on both sides."""
    for level in (C, W):
        left, right = pt.OBSTACLE_SIDE["left"][level], pt.OBSTACLE_SIDE["right"][level]
        (l_on1, l_gap), (l_on2, l_rest) = left.segments
        (r_on1, r_gap), (r_on2, r_rest) = right.segments
        assert (l_on1, l_on2) == (r_on2, r_on1) and l_gap == r_gap and l_rest == r_rest
        assert l_on1 >= 2.5 * l_on2
        assert l_rest >= 3 * l_gap
        assert left.period_s == right.period_s <= 1.2
        for p in (left, right):
            assert (p.tone_hz, p.intensity) == (pt.OBSTACLE[level].tone_hz, pt.OBSTACLE[level].intensity)
    assert pt.OBSTACLE_SIDE["left"][C].period_s > pt.OBSTACLE_SIDE["left"][W].period_s
    for side in ("left", "right"):
        assert pt.OBSTACLE_SIDE[side][D].continuous      # DANGER: stop, whatever the side


def test_the_motor_check_taps_left_then_right_apart():
    left, right = pt.MOTOR_CHECK_LEFT, pt.MOTOR_CHECK_RIGHT
    assert (left.side, right.side) == ("left", "right") and not left.buzzer and not right.buzzer
    assert left.first_on and not right.first_on and not left.repeat and not right.repeat
    on_left_s = left.bounds_s[0]
    start_right_s, end_right_s = right.bounds_s
    assert start_right_s - on_left_s >= 0.15              # three ERM stop times apart
    assert end_right_s - start_right_s == pytest.approx(on_left_s)
    assert left not in pt.all_patterns() and right not in pt.all_patterns()
