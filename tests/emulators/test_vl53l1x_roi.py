"""VL53L1X region of interest: the emulator's optics, the world's narrowed and turned
cone, our driver's ``set_roi`` and Adafruit's ``roi_xy`` / ``roi_center`` against it.

Zones as in docs/bearing.md: 8x16 SPADs around SPAD 199 (centre), 231 (column 12: looks
left, +y, through the inverting lens) and 167 (column 4: looks right)."""

import statistics
import types

import pytest

from pi_app.clock import SimClock
from pi_app.exc import ConfigError
from pi_app.sensors.base import RangeStatus
from pi_app.sensors.vl53l1x import VL53L1X, spad_row_col, validate_roi
from pi_app.sim.devices.vl53l1x import (RAW_USER_ROI_CLIP, VL53L1XDevice, decode_row_col,
                                        encode_row_col, roi_max_range_m, roi_optics)
from pi_app.sim.scenario import parse_scenario
from pi_app.sim.simbus import SimBus
from pi_app.sim.world import World

LEFT, CENTRE, RIGHT = 231, 199, 167
ZONE_8x16 = 0xF7                    # (16 - 1) << 4 | (8 - 1)


def world_view(obstacles, *, sunlight=0.0, budget_ms=33):
    """The view of a level rear VL53L1X 1 m up, runner standing at x = 0."""
    sc = parse_scenario({
        "name": "roi", "duration_s": 5.0, "mode": "belt", "runner": {"speed_mps": 0.0},
        "sensors": [{"id": "rear", "kind": "vl53l1x", "role": "obstacle",
                     "mount_height_m": 1.0, "pitch_deg": 0.0, "distance_mode": "long",
                     "timing_budget_ms": budget_ms}],
        "obstacles": obstacles, "ambient": {"sunlight": sunlight}})
    return World(sc).view("rear")


WALL_2M = [{"id": "wall", "x_m": 2.0, "y_m": 0.0, "width_m": 6.0, "height_m": 2.5,
            "depth_m": 0.2}]
#: 0.35..0.65 m left at 1.8 m (11..20 deg): inside the left zone's edge (13.5 deg), outside
#: the centre (9.5) and right (5.5) zones; an 8x16 zone reaches 2.3 m dark at 33 ms
POST_LEFT = [{"id": "post", "x_m": 1.8, "y_m": 0.5, "width_m": 0.3, "height_m": 1.5,
              "depth_m": 0.1}]


def rig(source, **kwargs):
    clock = SimClock()
    bus = SimBus(clock)
    dev = bus.attach(VL53L1XDevice(source))
    sensor = VL53L1X(bus, clock=clock, **kwargs)
    return clock, dev, sensor


def readings(clock, sensor, n, step_s=0.002):
    out = []
    while len(out) < n:
        r = sensor.read()
        if r is not None:
            out.append(r)
        clock.advance(step_s)
    return out


def zone_distances(source, width, height, centre, n=6, **kwargs):
    clock, dev, sensor = rig(source, timing_budget_ms=33, **kwargs)
    sensor.start()
    sensor.set_roi(width, height, centre)
    return [r.distance_m for r in readings(clock, sensor, n)], dev


# --- the chip's numbering and optics -----------------------------------------------
@pytest.mark.parametrize("spad, row_col", [(199, (8, 8)), (167, (8, 4)), (231, (8, 12)),
                                           (128, (15, 0)), (120, (0, 0)), (0, (0, 15)),
                                           (255, (8, 15)), (127, (7, 0))])
def test_spad_numbers_follow_st_table(spad, row_col):
    # ST's table (Adafruit roi_center doc, VL53L1_decode_row_col): 128 top left, 0 bottom right
    assert decode_row_col(spad) == row_col == spad_row_col(spad)
    assert encode_row_col(*row_col) == spad


def test_roi_optics_narrow_turn_and_share():
    full = roi_optics(0xFF, CENTRE)
    assert full.fits and full.is_full_array
    assert (full.width_deg, full.yaw_offset_deg, full.spad_share) == (27.0, 0.0, 1.0)
    smallest = roi_optics(0x33, CENTRE)                     # 4x4: UM2555's 15 deg
    assert smallest.fits and smallest.width_deg == smallest.height_deg == 15.0
    assert smallest.spad_share == 16 / 256
    left, right = roi_optics(ZONE_8x16, LEFT), roi_optics(ZONE_8x16, RIGHT)
    assert left.width_deg == 19.0 and left.height_deg == 27.0
    assert left.yaw_offset_deg == -right.yaw_offset_deg == 4.0   # mirrored by the lens
    assert roi_optics(ZONE_8x16, CENTRE).yaw_offset_deg == 0.0
    assert not roi_optics(0x22, CENTRE).fits                # 3x3: under ST's minimum
    assert not roi_optics(0xFF, LEFT).fits                  # 16 wide off centre: off the array


def test_fewer_spads_range_shorter_dark_and_sun():
    for sun in (0.0, 1.0):
        full, half, small = (roi_max_range_m(f, sunlight=sun, timing_budget_ms=33)
                             for f in (1.0, 0.5, 1 / 16))
        assert full > half > small
    # dark: fixed signal floor -> sqrt(share); sun: SNR -> share ** 0.25
    assert roi_max_range_m(0.25) == pytest.approx(roi_max_range_m(1.0) / 2)
    assert roi_max_range_m(1 / 16, sunlight=1.0) == pytest.approx(
        roi_max_range_m(1.0, sunlight=1.0) / 2)


# --- the world's cone ----------------------------------------------------------------
def test_view_aims_the_roi_cone_and_returns_to_the_full_one():
    view = world_view(POST_LEFT)
    full_rays = view.rays
    assert view.hit(0.0)[1] == "post"                       # the 27 deg cone reaches 0.6 m left
    view.aim_roi(roi_optics(ZONE_8x16, RIGHT).aim)
    assert view.hit(0.0)[1] == "ground"                     # far beyond any range limit
    view.aim_roi(roi_optics(ZONE_8x16, LEFT).aim)
    assert view.hit(0.0)[1] == "post"
    view.aim_roi(None)
    assert view.rays is full_rays


# --- our driver against the emulator --------------------------------------------------
def test_centre_zone_sees_the_wall_straight_behind():
    got, _ = zone_distances(world_view(WALL_2M), 8, 16, CENTRE)
    assert all(d == pytest.approx(2.0, abs=0.06) for d in got)


def test_left_zone_sees_a_post_on_the_left_and_the_right_zone_does_not():
    view = world_view(POST_LEFT)
    left, _ = zone_distances(view, 8, 16, LEFT)
    assert all(d is not None and d == pytest.approx(1.85, abs=0.06) for d in left)
    right, _ = zone_distances(world_view(POST_LEFT), 8, 16, RIGHT)
    centre, _ = zone_distances(world_view(POST_LEFT), 8, 16, CENTRE)
    assert right == [None] * len(right) and centre == [None] * len(centre)


@pytest.mark.parametrize("sunlight, distance_m, full_sees, small_sees", [
    (0.0, 2.0, True, False),        # dark: 4x4 reaches 0.8 m (33 ms), 16x16 3.2 m
    (0.0, 0.6, True, True),
    (1.0, 0.5, True, False),        # bright sun: 4x4 0.33 m, 16x16 0.65 m
])
def test_range_4x4_vs_16x16_in_sun_and_dark(sunlight, distance_m, full_sees, small_sees):
    wall = [dict(WALL_2M[0], x_m=distance_m)]
    for (w, h), sees in (((16, 16), full_sees), ((4, 4), small_sees)):
        got, dev = zone_distances(world_view(wall, sunlight=sunlight), w, h, CENTRE, n=8)
        valid = [d for d in got if d is not None]
        assert (len(valid) >= 6) == sees, (w, h, got)
        assert (len(valid) == 0) == (not sees), (w, h, got)


def test_fewer_spads_noisier_and_counted_in_the_result():
    wall = [dict(WALL_2M[0], x_m=0.7)]
    full, dev_full = zone_distances(world_view(wall), 16, 16, CENTRE, n=30)
    small, dev_small = zone_distances(world_view(wall), 4, 4, CENTRE, n=30)
    assert statistics.pstdev(small) > 2 * statistics.pstdev(full)
    spads = lambda dev: dev.regs[0x008C]                    # DSS effective SPADs, 8.8
    assert spads(dev_small) * 16 == pytest.approx(spads(dev_full), abs=16)


def test_set_roi_validates_like_st():
    _, _, sensor = rig(lambda t: 1.0)
    with pytest.raises(ConfigError, match="width_spads"):
        sensor.set_roi(3, 16, CENTRE)
    with pytest.raises(ConfigError, match="leaves the 16x16 array"):
        sensor.set_roi(16, 16, LEFT)
    with pytest.raises(ConfigError, match="centre_spad"):
        validate_roi(8, 16, 256)
    assert sensor.roi == (16, 16, 199)


def test_roi_survives_a_restart():
    clock, dev, sensor = rig(lambda t: 1.0)
    sensor.set_roi(8, 16, LEFT)                             # before start: kept, then written
    sensor.start()
    assert (dev.regs[0x007F], dev.regs[0x0080]) == (LEFT, ZONE_8x16)
    sensor.start()                                          # recovery re-runs the init
    assert (dev.regs[0x007F], dev.regs[0x0080]) == (LEFT, ZONE_8x16)


def test_a_roi_off_the_array_fails_every_ranging():
    clock, dev, sensor = rig(lambda t: 1.0)
    sensor.start()
    dev.regs[0x0080] = 0x22                                 # 3x3, bypassing the driver
    sensor._write(0x0087, b"\x00")
    sensor._write(0x0087, b"\x40")
    got = readings(clock, sensor, 3)
    assert all(r.distance_m is None and r.status is RangeStatus.OTHER for r in got)
    assert dev.regs[0x0089] == RAW_USER_ROI_CLIP


def test_roi_written_during_a_ranging_applies_from_the_next():
    aims = []
    src = type("Src", (), {"__call__": lambda self, t: 1.0,
                           "aim_roi": lambda self, aim: aims.append(aim)})()
    clock, dev, sensor = rig(src, timing_budget_ms=33)
    sensor.start()
    readings(clock, sensor, 1)
    assert aims == []                                       # the whole array: never re-aimed
    clock.advance(0.010)                                    # the next ranging is under way
    sensor._write(0x0080, bytes([ZONE_8x16]))               # as ULD writes it: no stop
    readings(clock, sensor, 1)
    assert aims == []                                       # that ranging kept 16x16
    readings(clock, sensor, 1)
    assert aims == [roi_optics(ZONE_8x16, CENTRE).aim]


# --- Adafruit's driver (its roi_xy / roi_center) --------------------------------------
def test_adafruit_roi_zones_see_left_not_right(monkeypatch):
    adafruit_vl53l1x = pytest.importorskip("adafruit_vl53l1x")
    from test_adafruit_vl53l1x import I2C, distances_cm

    def zone(centre):
        clock = SimClock()
        monkeypatch.setattr(adafruit_vl53l1x, "time", types.SimpleNamespace(sleep=clock.sleep))
        bus = SimBus(clock)
        bus.attach(VL53L1XDevice(world_view(POST_LEFT)))
        sensor = adafruit_vl53l1x.VL53L1X(I2C(bus))
        sensor.roi_xy = (8, 16)
        sensor.roi_center = centre
        assert sensor.roi_xy == (8, 16) and sensor.roi_center == centre
        sensor.start_ranging()
        return distances_cm(clock, sensor, 4)

    assert all(d == pytest.approx(185, abs=6) for d in zone(LEFT))     # centimetres
    assert zone(RIGHT) == [None] * 4


# --- the bearing measurement (pi_app.sim.bearing) --------------------------------------
def test_bearing_measures_rates_and_zones_from_the_simulator():
    from pi_app.sim import bearing

    by_name = {layout.name: layout for layout in bearing.layouts()}
    roi = by_name["1 VL53L1X, ROI 8x16 L/C/R"]
    pair = by_name["2 VL53L1X yawed +-10 deg"]
    assert [z.roi[2] for z in roi.zones] == [LEFT, CENTRE, RIGHT]
    assert bearing.zone_rate_hz(roi, 1.0) == pytest.approx(1 / 0.099, rel=0.05)
    assert bearing.zone_rate_hz(pair, 1.0) == pytest.approx(1 / 0.033, rel=0.05)
    left, centre, _ = roi.zones
    # a person 0.5 m beside the path at 1.5 m: the ROI's centre zone sees it too ...
    assert bearing.sees(centre, bearing.PERSON, 1.5, 0.5)
    # ... the yawed pair tells it apart
    assert bearing.sees(pair.zones[0], bearing.PERSON, 1.5, 0.5)
    assert not bearing.sees(pair.zones[1], bearing.PERSON, 1.5, 0.5)
    assert bearing.max_range_m(centre, bearing.POST, 0.0) < \
        0.8 * bearing.max_range_m(pair.zones[0], bearing.POST, 0.0)
