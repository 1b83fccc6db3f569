"""Trustworthy under faults: injected at the wire (SimBus) or in the chip emulators,
met by the real drivers, health monitor, loop and outputs (issue 8).

Every time below is simulated time. "Signalled" means the commanded output state (what
the runner feels: ``loop.alerts``) goes to FAULT with that sensor as the source.
"""

import copy
import errno
import socket
import tomllib

import pytest

from pi_app.clock import SimClock
from pi_app.config import Config, SensorConfig
from pi_app.detect import Level
from pi_app.device import build_device
from pi_app.exc import ScenarioError
from pi_app.sensors.base import RangeStatus
from pi_app.service import Notifier
from pi_app.sim.devices import MB1242Device, TFLunaDevice, VL53L1XDevice
from pi_app.sim.rig import SimRig, run_scenario
from pi_app.sim.scenario import _shipped_dir, load_scenario, parse_scenario, sensor_tables
from pi_app.sim.simbus import SimBus

FAULT_WITHIN_S = 0.25      # issue 8: a fault is signalled within 250 ms
RECOVER_WITHIN_S = 1.0     # ... and cleared within 1 s of the sensor being back


def shipped(name: str) -> dict:
    return tomllib.loads(_shipped_dir().joinpath(f"{name}.toml").read_text())


def two_vl53l1x(duration_s: float, faults) -> dict:
    """Rear VL53L1X + ground VL53L1X: two of them, so the rig wires XSHUT lines and
    moves them to 0x30 / 0x31 (the re-addressing a replug must redo)."""
    return {"name": "two-vl53l1x", "duration_s": duration_s, "seed": 3, "mode": "belt",
            "runner": {"speed_mps": 2.0},
            "sensors": [{"id": "rear", "kind": "vl53l1x", "role": "obstacle"},
                        {"id": "ground", "kind": "vl53l1x", "role": "surface",
                         "pitch_deg": -45.0, "distance_mode": "short",
                         "timing_budget_ms": 33}],
            "faults": faults}


def run_rig(data: dict, **kwargs) -> SimRig:
    rig = SimRig(parse_scenario(data), **kwargs)
    rig.run()
    return rig


def record_readings(rig: SimRig) -> dict:
    """``{sensor id: [(t_s, Reading)]}`` of every Reading its driver hands the loop
    (follows a driver that a restart replaces)."""
    out = {slot.id: [] for slot in rig.loop.channels}

    def tap(t_s):
        for slot in rig.loop.channels:
            driver = slot.driver
            if getattr(driver, "_tapped", False):
                continue
            read, sink = driver.read, out[slot.id]

            def tapped(read=read, sink=sink):
                r = read()
                if r is not None:
                    sink.append(r)
                return r
            driver.read = tapped
            driver._tapped = True
    rig.loop.hooks.append(tap)
    return out


def fault_onset(alerts, source: str, after_s: float):
    """First time >= after_s the commanded state is FAULT from ``source``."""
    for t, s in alerts:
        if t >= after_s and s.level == Level.FAULT and s.source == source:
            return t
    return None


def fault_cleared(alerts, source: str, after_s: float):
    """First time >= after_s the commanded state stops being FAULT from ``source``
    (None if it still is at the end)."""
    state = None
    for t, s in alerts:
        if t < after_s:
            state = s
            continue
        if not (s.level == Level.FAULT and s.source == source):
            return t
        state = s
    if state is not None and not (state.level == Level.FAULT and state.source == source):
        return after_s
    return None


def alarms(result: dict, start_s: float, end_s: float) -> list:
    return [a for a in result["alerts"] if start_s <= a["t_s"] <= end_s
            and a["level"] in ("warning", "danger")]


# --- unplug / replug -------------------------------------------------------------------
@pytest.mark.parametrize("replug_s", [5.0, 5.13, 5.29, 5.47, 5.66, 5.81])
def test_unplugged_vl53l1x_faults_fast_and_a_replug_is_readdressed_within_1s(replug_s):
    """Unplugged at 2 s: FAULT from "rear" within 250 ms. Replugged (back at 0x29, its
    0x30 lost) at different phases of the retry back-off: the loop re-addresses it
    through its XSHUT line, the fault clears within 1 s and it ranges at 0x30 again."""
    data = two_vl53l1x(replug_s + 1.6, [{"t_s": 2.0, "sensor": "rear", "kind": "unplug"},
                                        {"t_s": replug_s, "sensor": "rear", "kind": "replug"}])
    rig = SimRig(parse_scenario(data))
    readings = record_readings(rig)
    try:
        rear = rig.emulators["rear"]
        assert rear.address == 0x30 and rig.bus.device_at(0x30) is rear
        replugged = []

        def look(t_s):   # runs after the rig's fault hook, before the cycle's restart
            if t_s >= replug_s and not replugged:
                replugged.append((rig.bus.device_at(0x29), rig.bus.device_at(0x30)))
        rig.loop.hooks.append(look)
        rig.run()
        assert replugged == [(rear, None)]          # back at its boot address only
        alerts = rig.loop.alerts
        t_fault = fault_onset(alerts, "rear", 2.0)
        assert t_fault is not None and t_fault - 2.0 <= FAULT_WITHIN_S
        assert fault_onset(alerts, "rear", t_fault + 0.01) is None or \
            fault_cleared(alerts, "rear", t_fault) is not None
        t_clear = fault_cleared(alerts, "rear", t_fault)
        assert t_clear is not None and replug_s < t_clear <= replug_s + RECOVER_WITHIN_S
        assert rig.bus.device_at(0x30) is rear and rig.bus.device_at(0x29) is None
        fresh = [r for r in readings["rear"] if r.t_s > t_clear and r.status != RangeStatus.BUS_ERROR]
        assert len(fresh) >= 10            # ranging again at ~30 Hz
        assert rig.loop.state.level != Level.FAULT
    finally:
        rig.close()


def test_the_other_sensor_keeps_its_rate_while_one_is_dead_and_reinitialised():
    """Re-initialisation with back-off must not slow the others: the ground sensor's
    readings keep coming at its own rate through the unplug and the re-addressing."""
    data = two_vl53l1x(8.0, [{"t_s": 2.0, "sensor": "rear", "kind": "unplug"},
                             {"t_s": 5.0, "sensor": "rear", "kind": "replug"}])
    rig = SimRig(parse_scenario(data))
    readings = record_readings(rig)
    try:
        rig.run()
        times = [r.t_s for r in readings["ground"] if 1.5 <= r.t_s <= 7.5]
        gaps = [b - a for a, b in zip(times, times[1:])]
        period_s = 0.033
        assert len(times) >= 0.9 * 6.0 / period_s
        assert max(gaps) <= period_s + 2 * rig.loop.period_s + 1e-6
    finally:
        rig.close()


def test_shipped_unplug_replug_scenario():
    rig = run_rig(shipped("unplug-replug"))
    try:
        alerts = rig.loop.alerts
        t_fault = fault_onset(alerts, "rear", 4.0)
        assert t_fault is not None and t_fault - 4.0 <= FAULT_WITHIN_S
        assert 7.0 < fault_cleared(alerts, "rear", t_fault) <= 7.0 + RECOVER_WITHIN_S
        result = rig.result()
        assert [h["outcome"] for h in result["hazards"]] == ["hit"]
    finally:
        rig.close()


def test_the_bearing_kits_shared_cable_replugged_brings_both_chips_back_within_1s():
    """The bearing kit's two level VL53L1X share the cable to the bracket: a fault on
    "rear" unplugs both at 4 s and replugs both at 7 s, back at 0x29 together. Each is
    re-addressed through its own XSHUT while the other, not answering at its address,
    is held in reset (re-addressing one with the other awake at 0x29 would find the
    address taken, or move both): both range again within 1 s."""
    from pi_app.config.sensors import BEARING_SENSORS

    data = shipped("unplug-replug")
    data["sensors"] = sensor_tables(BEARING_SENSORS)
    scenario = parse_scenario(data)
    rig = SimRig(scenario)
    try:
        seen = record_readings(rig)
        rig.run()
        for chip_id in ("rear-left", "rear-right"):
            back = [r.t_s for r in seen[chip_id] if r.t_s > 7.0]   # ranging (a target or none)
            assert back and back[0] <= 7.0 + RECOVER_WITHIN_S, (chip_id, back[:1])
        # the fault is signalled at once (the arbiter shows one chip's at a time)
        onsets = [t for t, s in rig.loop.alerts if s.level == Level.FAULT and t >= 4.0
                  and s.source in ("rear-left", "rear-right")]
        assert onsets and onsets[0] - 4.0 <= FAULT_WITHIN_S
        assert [h["outcome"] for h in rig.result()["hazards"]] == ["hit"]
    finally:
        rig.close()


# --- noisy bus ------------------------------------------------------------------------
def with_errors_everywhere(data: dict, rate: float = 0.05) -> dict:
    d = copy.deepcopy(data)
    ids = [s["id"] for s in d["sensors"]] + ["imu"]
    d["faults"] = [{"t_s": 0.0, "sensor": i, "kind": "i2c_errors", "rate": rate} for i in ids]
    return d


def _no_miss_no_false_alarm(clean: dict, noisy: dict) -> None:
    assert noisy["false_alarms"] == 0, noisy["alerts"]
    for c, n in zip(clean["hazards"], noisy["hazards"]):
        assert n["outcome"] != "missed", n
        if c["lead_s"] is not None:
            # 5 % failed transactions cost a few readings, not the warning
            assert n["lead_s"] >= c["lead_s"] - 0.15, (c, n)


@pytest.mark.parametrize("seed", [None, 2])
@pytest.mark.slow
def test_shipped_i2c_errors_5pct_misses_nothing_and_raises_no_false_alarm(seed):
    """5 % of transactions to every chip (both range sensors and the IMU) fail."""
    data = shipped("i2c-errors-5pct")
    if seed is not None:
        data["seed"] = seed
    clean = copy.deepcopy(data)
    clean["faults"] = []
    _no_miss_no_false_alarm(run_scenario(parse_scenario(clean)),
                            run_scenario(parse_scenario(data)))


@pytest.mark.parametrize("name", ["trail-roots-holes", "kerb-down", "park-bench"])
@pytest.mark.slow
def test_5pct_i2c_errors_on_every_sensor_over_surface_and_obstacle_scenarios(name):
    data = shipped(name)
    clean = run_scenario(parse_scenario(data))
    noisy = run_scenario(parse_scenario(with_errors_everywhere(data)))
    _no_miss_no_false_alarm(clean, noisy)


def test_errors_with_one_errno_fail_with_it_and_a_dead_bus_address_is_a_fault():
    data = two_vl53l1x(2.0, [{"t_s": 1.0, "sensor": "rear", "kind": "i2c_errors",
                              "rate": 1.0, "errno": errno.EIO}])
    rig = run_rig(data)
    try:
        with pytest.raises(OSError) as info:
            rig.bus.read_byte(0x30)
        assert info.value.errno == errno.EIO
        t_fault = fault_onset(rig.loop.alerts, "rear", 1.0)
        assert t_fault is not None and t_fault - 1.0 <= FAULT_WITHIN_S
    finally:
        rig.close()


def test_a_stuck_bus_is_signalled_and_every_sensor_recovers():
    """A slave holds SDA low for 0.5 s: every transaction times out (errno 110)."""
    data = shipped("wall-approach")
    data["faults"] = [{"t_s": 3.0, "kind": "bus_stuck", "duration_s": 0.5}]
    rig = SimRig(parse_scenario(data))
    readings = record_readings(rig)
    try:
        rig.loop.run(until_s=3.1)
        with pytest.raises(OSError) as info:
            rig.bus.read_byte(0x68)
        assert info.value.errno == errno.ETIMEDOUT
        rig.run()
        alerts = rig.loop.alerts
        faults = [i for i, (t, s) in enumerate(alerts) if s.level == Level.FAULT]
        assert faults and 3.0 <= alerts[faults[0]][0] <= 3.0 + FAULT_WITHIN_S
        t_recovered = alerts[faults[-1] + 1][0]         # out of FAULT for good
        assert 3.5 < t_recovered <= 3.5 + RECOVER_WITHIN_S
        assert all(s.health.ok for s in rig.loop.channels)
        for sid in ("rear", "ground"):
            assert any(r.t_s > 4.5 and r.status != RangeStatus.BUS_ERROR for r in readings[sid])
        assert [h["outcome"] for h in rig.result()["hazards"]] == ["hit"]
        assert rig.result()["false_alarms"] == 0
    finally:
        rig.close()


def test_bursts_of_bus_errors_cost_no_more_than_a_probe_period_each():
    """The shipped bus-error-bursts run: 0.6 s bursts with 0.25 s clean between them.
    A sensor that stopped answering is probed every ``health.probe_period_s`` whatever
    happened before, so each sensor reads again early in every clean spell (on a
    doubling back-off it stayed silent through whole spells and the wall was missed)."""
    scenario = load_scenario("bus-error-bursts")
    rig = SimRig(scenario)
    readings = record_readings(rig)
    try:
        rig.run()
        result = rig.result()
    finally:
        rig.close()
    assert [h["outcome"] for h in result["hazards"]] == ["hit"]
    assert result["false_alarms"] == 0
    cfg = Config.defaults()
    # a VL53L1X re-initialised: probe wait, boot and one 33 ms ranging, plus a cycle
    back_within_s = cfg.health.probe_period_s + 0.1
    spells = [(f.t_s + f.duration_s, f.t_s + f.duration_s + 0.25) for f in scenario.faults]
    for sid in ("rear", "ground"):
        good = [r.t_s for r in readings[sid] if r.status != RangeStatus.BUS_ERROR]
        for start_s, end_s in spells[:-1]:
            assert any(start_s < t <= start_s + back_within_s for t in good), (sid, start_s)


# --- chips that lie -------------------------------------------------------------------
def test_a_stuck_ground_sensor_is_signalled_as_stuck_and_clears():
    rig = run_rig(shipped("stuck-sensor"))        # ground TF-Luna frozen 6 s .. 10 s
    try:
        stuck = [(t, s) for t, s in rig.loop.alerts if s.level == Level.FAULT]
        assert stuck and stuck[0][1].source == "ground" and stuck[0][1].detail == "stuck"
        # it takes health.stuck_samples identical frames to be sure, then 250 ms
        ground = next(s for s in rig.loop.channels if s.id == "ground")
        needed_s = rig.cfg.health.stuck_samples * ground.driver.period_s
        assert 6.0 < stuck[0][0] <= 6.0 + needed_s + FAULT_WITHIN_S
        assert 10.0 < fault_cleared(rig.loop.alerts, "ground", stuck[0][0]) <= 10.0 + RECOVER_WITHIN_S
        assert [h["outcome"] for h in rig.result()["hazards"]] == ["hit"]
    finally:
        rig.close()


@pytest.mark.parametrize("scenario, sensor", [("wall-approach", "rear"),
                                              ("wall-approach", "ground"),
                                              ("mb1242-wide-beam", None)])
def test_garbage_from_a_chip_is_a_fault_never_a_hazard_alarm(scenario, sensor):
    """Out-of-range values under a "good" status (VL53L1X valid at 61-65 m, TF-Luna
    beyond its 900 cm output limit with a fine amplitude, MB1242 beyond 765 cm): the
    driver reports OUT_OF_RANGE; no alarm follows, but a sensor that cannot be believed
    is a FAULT within health.fault_signal_s (+ one sample period), whatever its role,
    and the fault clears within 1 s of the garbage ending."""
    data = shipped(scenario)
    sensor = sensor or data["sensors"][0]["id"]
    data["faults"] = [{"t_s": 2.0, "sensor": sensor, "kind": "garbage", "duration_s": 3.0}]
    rig = SimRig(parse_scenario(data))
    readings = record_readings(rig)
    try:
        rig.run()
        result = rig.result()
        window = [r for r in readings[sensor] if 2.1 <= r.t_s <= 5.0]
        assert window and all(r.status == RangeStatus.OUT_OF_RANGE and r.distance_m is None
                              for r in window)
        assert alarms(result, 2.0, 5.5) == []
        assert result["false_alarms"] == 0
        period_s = next(s for s in rig.loop.channels if s.id == sensor).driver.period_s
        onset = fault_onset(rig.loop.alerts, sensor, 2.0)
        assert onset is not None and onset - 2.0 <= rig.cfg.health.fault_signal_s + period_s
        assert [s.detail for t, s in rig.loop.alerts if t == onset] == ["implausible"]
        cleared = fault_cleared(rig.loop.alerts, sensor, onset)
        assert cleared is not None and 5.0 < cleared <= 5.0 + RECOVER_WITHIN_S
        assert any(r.distance_m is not None for r in readings[sensor] if r.t_s > 5.5)
    finally:
        rig.close()


def test_garbage_mid_approach_is_announced_and_the_wall_still_warned():
    """The rear VL53L1X puts out "valid" 61-65 m ranges for 2.5 s while the runner
    closes on the wall (it comes into view ~0.2 s after the garbage ends): FAULT within
    fault_signal_s + one 33 ms sample, cleared within 1 s, and the wall is warned of."""
    data = shipped("wall-approach")
    start_s, duration_s = 10.0, 2.5
    data["faults"] = [{"t_s": start_s, "sensor": "rear", "kind": "garbage",
                       "duration_s": duration_s}]
    rig = run_rig(data)
    try:
        alerts = rig.loop.alerts
        onset = fault_onset(alerts, "rear", start_s)
        assert onset is not None
        assert onset - start_s <= rig.cfg.health.fault_signal_s + 0.033
        cleared = fault_cleared(alerts, "rear", onset)
        assert cleared is not None and start_s + duration_s < cleared <= \
            start_s + duration_s + RECOVER_WITHIN_S
        assert any(t > cleared and s.kind == "obstacle" and s.source == "rear"
                   for t, s in alerts)
        result = rig.result()
        assert [h["outcome"] for h in result["hazards"]] == ["hit"]
        assert result["false_alarms"] == 0
    finally:
        rig.close()


@pytest.mark.parametrize("device_cls", [VL53L1XDevice, TFLunaDevice, MB1242Device])
def test_garbage_is_out_of_range_at_the_driver(device_cls):
    from pi_app.sensors.factory import driver_class

    clock = SimClock()
    bus = SimBus(clock)
    dev = bus.attach(device_cls())
    kind = {VL53L1XDevice: "vl53l1x", TFLunaDevice: "tfluna", MB1242Device: "mb1242"}[device_cls]
    driver = driver_class(kind)(bus, dev.address, clock=clock)
    driver.start()
    dev.garbage = True
    got = []
    while len(got) < 20 and clock.now_s() < 10.0:
        clock.advance(0.005)
        r = driver.read()
        if r is not None:
            got.append(r)
    assert len(got) >= 3
    late = got[2:]   # results measured before the fault may still be in the pipeline
    assert all(r.status == RangeStatus.OUT_OF_RANGE and r.distance_m is None for r in late)


# --- the loop's own timing -------------------------------------------------------------
@pytest.mark.parametrize("jitter_s", [0.003, 0.02])
@pytest.mark.slow
def test_clock_jitter_costs_no_warning(jitter_s):
    """Each wake-up up to ``jitter_s`` late: the deadline schedule keeps the rate while
    the jitter is below the period, and the wall is still warned of in time."""
    data = shipped("wall-approach")
    clean = run_scenario(parse_scenario(data))
    data["faults"] = [{"t_s": 0.0, "kind": "jitter", "jitter_s": jitter_s}]
    rig = run_rig(data)
    try:
        result = rig.result()
        _no_miss_no_false_alarm(clean, result)
        expected = rig.scenario.duration_s / rig.loop.period_s
        if jitter_s < rig.loop.period_s:
            assert rig.loop.cycles >= 0.97 * expected
        else:
            assert rig.loop.cycles >= 0.25 * expected   # late, but still cycling
    finally:
        rig.close()


class RecordingNotifier:
    """What ``DeviceLoop`` calls, as ``pi_app.service.Notifier`` does it:
    ``watchdog(now_s)`` every cycle, sending at half the watchdog period."""

    def __init__(self, clock, period_s: float = 2.0) -> None:
        self.clock = clock
        self.watchdog_interval_s = period_s / 2
        self._next_s = 0.0
        self.pings: list[float] = []

    def watchdog(self, now_s=None) -> bool:
        if now_s is not None and now_s < self._next_s:
            return False
        self._next_s = (now_s or 0.0) + self.watchdog_interval_s
        self.pings.append(self.clock.now_s())
        return True


def one_sensor_device(clock, notifier):
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    bus = SimBus(clock)
    dev = bus.attach(VL53L1XDevice())
    pins = MockFactory(pin_class=MockPWMPin)
    cfg = Config.defaults().with_sensors([SensorConfig("rear", "vl53l1x", "obstacle")])
    device = build_device(cfg, bus, clock, pin_factory=pins, notifier=notifier)
    return device, dev, pins


def test_watchdog_pings_go_on_through_sensor_faults_and_stop_only_when_the_loop_hangs():
    clock = SimClock()
    notifier = RecordingNotifier(clock, period_s=2.0)
    device, dev, pins = one_sensor_device(clock, notifier)
    loop = device.loop

    def hang_at_12s(t_s, done=[]):
        if t_s >= 12.0 and not done:
            done.append(t_s)
            clock.advance(5.0)          # the loop itself is stuck inside one cycle
    loop.hooks.append(hang_at_12s)
    try:
        loop.run(until_s=3.0)
        dev.power_off()                 # a dead sensor: FAULT, restarts, still pinging
        loop.run(until_s=8.0)
        assert loop.state.level == Level.FAULT
        dev.power_on()
        loop.run(until_s=20.0)
        pings = notifier.pings
        gaps = [(a, b - a) for a, b in zip(pings, pings[1:])]
        slack_s = 2 * loop.period_s
        long_gaps = [(a, g) for a, g in gaps if g > 1.0 + slack_s]
        assert len(long_gaps) == 1
        start_s, gap_s = long_gaps[0]
        assert start_s <= 12.0 < start_s + gap_s and gap_s >= 5.0   # only the hang
        assert len([t for t in pings if t < 12.0]) >= 11
    finally:
        device.close()
        pins.close()


def test_the_real_notifier_gets_watchdog_pings_from_the_loop(tmp_path):
    path = str(tmp_path / "notify")
    manager = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    manager.bind(path)
    manager.setblocking(False)
    clock = SimClock()
    notifier = Notifier(path, env={"WATCHDOG_USEC": "2000000"})
    device, _, pins = one_sensor_device(clock, notifier)
    try:
        device.loop.run(until_s=5.0)
        got = []
        while True:
            try:
                got.append(manager.recv(256))
            except BlockingIOError:
                break
        assert got.count(b"WATCHDOG=1") >= 4     # every 1 s (half of 2 s) for 5 s
    finally:
        device.close()
        pins.close()
        notifier.close()
        manager.close()


def test_an_unplugged_imu_is_signalled():
    data = shipped("clean-run")
    data["faults"] = [{"t_s": 3.0, "sensor": "imu", "kind": "unplug"}]
    rig = run_rig(data)
    try:
        assert any(s.level == Level.FAULT and t >= 3.0 for t, s in rig.loop.alerts)
    finally:
        rig.close()


# --- the [[faults]] table --------------------------------------------------------------
@pytest.mark.parametrize("fault, key, words", [
    ({"t_s": 1.0, "sensor": "rear", "kind": "bus_stuck", "duration_s": 0.5},
     "faults[0].sensor", "whole bus"),
    ({"t_s": 1.0, "kind": "jitter"}, "faults[0].jitter_s", "needed"),
    ({"t_s": 1.0, "sensor": "rear", "kind": "stuck", "jitter_s": 0.01},
     "faults[0].jitter_s", "only for"),
    ({"t_s": 1.0, "sensor": "rear", "kind": "stuck", "errno": 5}, "faults[0].errno", "only for"),
    ({"t_s": 1.0, "sensor": "rear", "kind": "i2c_errors", "rate": 0.1, "errno": 7},
     "faults[0].errno", "not one of"),
    ({"t_s": 1.0, "kind": "garbage"}, "faults[0].sensor", "missing"),
    ({"t_s": 1.0, "sensor": "imu", "kind": "garbage"}, "faults[0].sensor", "not a sensor"),
    ({"t_s": 1.0, "kind": "jitter", "jitter_s": 2.0}, "faults[0].jitter_s", "within"),
])
def test_bad_fault_entries_name_the_key(fault, key, words):
    data = shipped("wall-approach")
    data["faults"] = [fault]
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "faults.toml")
    assert f"faults.toml: {key}:" in str(info.value) and words in str(info.value)


def test_new_fault_kinds_parse():
    data = shipped("wall-approach")
    data["faults"] = [{"t_s": 1.0, "kind": "bus_stuck", "duration_s": 0.5},
                      {"t_s": 2.0, "kind": "jitter", "jitter_s": 0.01, "duration_s": 3.0},
                      {"t_s": 3.0, "sensor": "rear", "kind": "garbage"},
                      {"t_s": 4.0, "sensor": "imu", "kind": "i2c_errors", "rate": 0.1,
                       "errno": 110}]
    sc = parse_scenario(data)
    assert [(f.kind, f.sensor) for f in sc.faults] == [
        ("bus_stuck", None), ("jitter", None), ("garbage", "rear"), ("i2c_errors", "imu")]
    assert sc.faults[1].jitter_s == 0.01 and sc.faults[3].errno == 110
    assert load_scenario("wall-approach").faults == ()
