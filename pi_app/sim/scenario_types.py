"""The parsed form of a scenario file (frozen dataclasses); ``pi_app.sim.scenario``
reads and checks the TOML and documents the keys."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Runner:
    speed_profile: tuple[tuple[float, float], ...]   # (t_s, speed m/s), linear between
    bounce_m: float            # peak-to-peak vertical oscillation at step frequency
    cadence_spm: float         # steps per minute
    pitch_deg: float           # mean forward lean of the trunk (+ = bent over)
    pitch_swing_deg: float     # amplitude of the lean's oscillation at step frequency
    arm_occlusion: bool        # hands cross a hip sensor's view once per step
    yaw_sway_deg: float = 0.0  # the belt turns with the pelvis +- this once per stride


@dataclass(frozen=True)
class ScenarioSensor:
    id: str
    kind: str                  # vl53l1x | tfluna | mb1242
    role: str                  # obstacle | surface | deck
    mount_height_m: float
    pitch_deg: float           # negative = looking down
    yaw_deg: float             # positive = turned toward +y
    y_m: float                 # lateral offset of the mount
    distance_mode: str | None  # VL53L1X only ("short"/"long"), else None
    timing_budget_ms: int | None  # VL53L1X only, else None


@dataclass(frozen=True)
class Obstacle:
    id: str
    x_m: float                 # near face at t = 0
    y_m: float                 # centre across the path at t = 0
    width_m: float             # along y
    height_m: float
    depth_m: float             # along x
    speed_mps: float           # + = toward the runner (towards smaller x)
    vy_mps: float              # lateral speed (+ = toward +y)
    yaw_deg: float = 0.0       # turned about the middle of its near face (+ = +x toward +y)
    group: str | None = None   # pieces of one hazard share a group


#: ground kinds that are a staircase: ``count`` steps of ``depth_m``, one every ``run_m``
STAIRS_KINDS = ("stairs_up", "stairs_down")


@dataclass(frozen=True)
class GroundFeature:
    id: str
    kind: str
    x_m: float                 # where it starts
    length_m: float | None     # None = to the end of the path (steps only)
    depth_m: float             # > 0 down, < 0 up (stairs: each step)
    count: int = 1             # stairs: number of steps
    run_m: float | None = None  # stairs: tread length, one step every run_m
    group: str | None = None   # pieces of one hazard share a group


@dataclass(frozen=True)
class Treadmill:
    belt_speed_mps: float
    deck_length_m: float
    position_profile: tuple[tuple[float, float], ...]  # (t_s, back's distance from sensor m)


@dataclass(frozen=True)
class Fault:
    t_s: float
    sensor: str | None         # None for the whole-device kinds (bus_stuck, jitter, restart)
    kind: str
    rate: float | None         # i2c_errors: share of transactions failing
    duration_s: float | None   # None = until the end (or a replug)
    errno: int | None = None   # i2c_errors: the one errno to fail with (None = 121/5/110)
    jitter_s: float | None = None  # jitter: each loop wake-up up to this much late


@dataclass(frozen=True)
class ButtonPress:
    t_s: float                 # the button goes down (s from scenario start)
    press_s: float             # held this long (short press < alert long press = mute)


@dataclass(frozen=True)
class Expect:
    hazards: int | None = None
    contacts: int | None = None
    false_alarms_max: int | None = None
    missed_max: int | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    duration_s: float
    seed: int
    mode: str
    runner: Runner
    sensors: tuple[ScenarioSensor, ...]
    obstacles: tuple[Obstacle, ...]
    ground: tuple[GroundFeature, ...]
    treadmill: Treadmill | None
    sunlight: float
    faults: tuple[Fault, ...]
    description: str = ""
    expect: Expect = Expect()
    source: str = "<dict>"
    button: tuple[ButtonPress, ...] = ()   # presses of the mute/profile button

    def sensor(self, sensor_id: str) -> ScenarioSensor:
        for s in self.sensors:
            if s.id == sensor_id:
                return s
        raise KeyError(sensor_id)
