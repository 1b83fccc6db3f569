"""The device loop with scripted drivers: cycles, config swap, faults, restart, recording."""

from pi_app.clock import SimClock
from pi_app.config import Config
from pi_app.detect import Level
from pi_app.detect.health import SensorHealth
from pi_app.detect.obstacle import ObstacleDetector
from pi_app.channel import Channel
from pi_app.config import SensorConfig
from pi_app.loop import DeviceLoop
from pi_app.record import Recorder, read_recording
from pi_app.replay import SilentOutputs, replay
from pi_app.sensors.base import RangeStatus, Reading

CFG = Config.defaults()


class ScriptedDriver:
    """A range sensor whose distance is a function of time; 30 Hz; can die."""

    def __init__(self, clock, distance_fn, period_s=0.033) -> None:
        self.clock = clock
        self.distance_fn = distance_fn
        self.period_s = period_s
        self.next_t_s = 0.0
        self.dead = False
        self.closed = False

    def read(self):
        t = self.clock.now_s()
        if self.dead:
            return Reading(t, None, RangeStatus.BUS_ERROR)
        if t < self.next_t_s:
            return None
        self.next_t_s = t + self.period_s
        d = self.distance_fn(t)
        return Reading(t, d, RangeStatus.VALID if d is not None else RangeStatus.SIGNAL_FAIL)

    def close(self) -> None:
        self.closed = True


def make_loop(distance_fn, *, restart=None, recorder=None):
    clock = SimClock()
    driver = ScriptedDriver(clock, distance_fn)
    channel = Channel(SensorConfig("rear", "vl53l1x", "obstacle"), driver, SensorHealth("rear", CFG),
                      lambda sc, cfg: ObstacleDetector(sc.id, cfg), CFG,
                      restart=None if restart is None else (lambda: driver if restart() else None))
    loop = DeviceLoop(CFG, [channel], SilentOutputs(), clock, recorder=recorder)
    return loop, clock, driver


def approaching_wall(t):
    d = 5.0 - 2.5 * t
    return d if 0.0 < d <= 3.2 else None


def test_wall_approach_gives_warning_then_danger_in_order():
    loop, clock, _ = make_loop(approaching_wall)
    loop.run(until_s=2.0)
    levels = [s.level for _, s in loop.alerts]
    assert levels[:2] == [Level.WARNING, Level.DANGER]
    t_warn = loop.alerts[0][0]
    assert 0.72 <= t_warn <= 0.72 + 0.1   # the wall enters range at t = 0.72 s


def test_config_swapped_between_cycles():
    loop, clock, _ = make_loop(lambda t: 0.7)            # steady object at 0.7 m
    loop.run(until_s=0.5)
    assert loop.state.level == Level.WARNING
    loop.apply_config(CFG.with_value("obstacle.danger_distance_m", "0.8")
                      .with_value("obstacle.warning_distance_m", "0.9"))
    loop.step()
    assert loop.cfg.obstacle.danger_distance_m == 0.8
    clock.advance(0.1)
    loop.run(until_s=clock.now_s() + 0.2)
    assert loop.state.level == Level.DANGER


def test_dead_sensor_faults_within_250ms_and_is_restarted():
    restarts = []
    holder = {}

    def restart():
        restarts.append(holder["clock"].now_s())
        holder["driver"].dead = False
        return True

    loop, clock, driver = make_loop(lambda t: None, restart=restart)
    holder.update(clock=clock, driver=driver)
    loop.run(until_s=1.0)
    driver.dead = True
    loop.run(until_s=2.0)
    fault_t = next(t for t, s in loop.alerts if s.level == Level.FAULT)
    assert 1.0 < fault_t <= 1.0 + CFG.health.fault_signal_s
    assert restarts and restarts[0] >= fault_t
    assert loop.state.level == Level.CLEAR          # recovered


def test_close_is_idempotent_and_closes_drivers():
    loop, clock, driver = make_loop(lambda t: None)
    loop.close()
    loop.close()
    assert driver.closed


def test_recording_replays_to_the_same_alerts(tmp_path):
    path = tmp_path / "run.rec"
    rec = Recorder(path, CFG)
    loop, clock, _ = make_loop(approaching_wall, recorder=rec)
    loop.run(until_s=2.0)
    rec.close()
    with open(path, "a") as f:
        f.write("r,9.9,rear,1.0")                      # a line torn by a power cut
    recording = read_recording(path)
    assert recording.skipped_lines == 1
    assert [(a[1], a[2]) for a in recording.alerts] == \
        [(s.level.label, s.kind) for _, s in loop.alerts]
    replayed = replay(recording)
    assert [s.level for _, s in replayed.alerts] == [s.level for _, s in loop.alerts]


def test_alert_history_is_bounded_on_a_long_running_device(monkeypatch):
    monkeypatch.setattr(DeviceLoop, "ALERTS_KEPT", 3)

    def distance(t):
        return 0.3 if int(t / 1.5) % 2 else None   # there 1.5 s, gone 1.5 s: many changes
    loop, clock, _ = make_loop(distance)
    loop.run(until_s=20.0)
    assert len(loop.alerts) == 3 and loop.alerts[-1][0] > 16.0


def test_every_detector_follows_the_written_contract():
    from pi_app.config import SensorConfig
    from pi_app.detect.contract import Detector
    from pi_app.device import make_detector

    for role in ("obstacle", "surface", "deck"):
        for policy in ("backsight", "naive"):
            det = make_detector(SensorConfig("s", "vl53l1x", role), CFG, policy)
            assert isinstance(det, Detector), (role, policy)


def test_a_reading_stamped_in_the_past_is_judged_with_the_pose_at_its_instant():
    from pi_app.detect.contract import Pose

    class Imu:
        def fresh(self, t_s):
            return True

        def pitch_at(self, t_s):
            return 10.0 * t_s

        def bounce_at(self, t_s):
            return 0.01 * t_s

        bounce_m = 0.02

    pose = Pose(Imu())
    pose.update(2.0)
    assert pose.at(2.0) == (20.0, 0.02)
    assert pose.at(1.5) == (15.0, 0.015)       # an ultrasonic echo 0.5 s old
    assert Pose().at(1.0) == (0.0, 0.0)        # no IMU: level and still


def test_each_alert_change_is_one_info_line_with_distance_and_time_to_contact(caplog):
    loop, clock, _ = make_loop(approaching_wall)
    with caplog.at_level("INFO", logger="pi_app.loop"):
        loop.run(until_s=2.0)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("alert ")]
    assert len(lines) == len(loop.alerts) >= 2          # one per change, none per cycle
    first = lines[0]
    assert first.startswith(f"alert {loop.alerts[0][1].level.label} obstacle from rear (")
    assert " m" in first and "contact in" in first


class CreepingClock(SimClock):
    """A wall clock in miniature: every reading of it comes a little later."""

    def now_s(self) -> float:
        self._t_s += 1e-5
        return self._t_s


def test_a_restart_records_the_instant_its_health_clocks_restart_from(tmp_path):
    """The re-initialisation's end is read from the clock once: the recording holds the
    instant the health monitor's next probe counts from, so a replay probes at the same
    cycle (read twice, a wall clock gives two instants, and a cycle falling between the
    live loop's next probe and the replay's probes in one and not the other)."""
    clock = CreepingClock()
    driver = ScriptedDriver(clock, lambda t: None)
    driver.dead = True
    health = SensorHealth("rear", CFG)
    channel = Channel(SensorConfig("rear", "vl53l1x", "obstacle"), driver, health,
                      lambda sc, cfg: ObstacleDetector(sc.id, cfg), CFG, restart=lambda: None)
    path = tmp_path / "run.rec"
    rec = Recorder(path, CFG)
    loop = DeviceLoop(CFG, [channel], SilentOutputs(), clock, recorder=rec)
    loop.run(until_s=1.0)
    rec.close()
    ends = [e for e in read_recording(path).events if e[0] == "x"]
    assert ends and all(e[3] == "absent" for e in ends)
    # the next probe counts from the recorded end of the last attempt, exactly
    assert health._next_retry_t_s == ends[-1][1] + CFG.health.probe_period_s
