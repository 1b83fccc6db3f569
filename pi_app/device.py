"""Assemble the device from a configuration: sensors brought up on the bus,
detectors per role (or the naive policy), IMU, coaches, outputs, loop, self-test.

The same function builds the device on a Pi (``smbus2.SMBus``, default pin factory)
and in simulation (``SimBus``, gpiozero's ``MockFactory``).
"""

from __future__ import annotations

import logging

from pi_app.detect import AlertState, CLEAR
from pi_app.alert.patterns import pattern_for
from pi_app.detect.announce import SELFTEST_FAIL, Announcer
from pi_app.detect.corridor import ChipWatch, Corridor, SidedObstacle, bearing_pair
from pi_app.detect.deck import DeckDetector
from pi_app.detect.health import SensorHealth
from pi_app.detect.imu import ImuTracker
from pi_app.detect.naive import NaiveDetector
from pi_app.detect.obstacle import ObstacleDetector
from pi_app.detect.surface import SurfaceDetector
from pi_app.channel import Channel
from pi_app.loop import DeviceLoop
from pi_app.profile import ProfileSwitch
from pi_app.selftest import open_button, open_outputs, report
from pi_app.upkeep import ArmedWatch, ButtonKeeper, DeckReachKeeper, OutputKeeper, can_alert
from pi_app.sensors.factory import bring_up, nominal_period_s
from pi_app.sensors.chips import chip, chip_optics, max_range_m

log = logging.getLogger(__name__)

IMU_RATE_HZ = 200  # pitch must follow the stride (about 50 deg/s) closely


class AbsentDriver:
    """Stands in for a sensor that did not start: never has a reading."""

    def read(self):
        return None

    def close(self) -> None:
        pass


def make_detector(sc, cfg, policy: str):
    if policy == "naive":
        return NaiveDetector(sc.id, sc.role, cfg)
    optics = chip_optics(sc.kind, sc.distance_mode)
    half_fov_deg = optics.fov_deg / 2.0
    if sc.role == "surface":
        # the dark range limit: what "nothing within range" (NO_TARGET) bounds
        limit_m = None
        if chip(sc.kind).no_target_beyond_range:
            limit_m = max_range_m(sc.kind, distance_mode=sc.distance_mode,
                                  timing_budget_ms=sc.timing_budget_ms)
        return SurfaceDetector(sc.id, cfg, mount_height_m=sc.mount_height_m,
                               mount_pitch_deg=sc.pitch_deg, half_fov_deg=half_fov_deg,
                               sample_period_s=nominal_period_s(sc), max_range_m=limit_m)
    if sc.role == "deck":
        return DeckDetector(sc.id, cfg)
    return ObstacleDetector(sc.id, cfg, mount_height_m=sc.mount_height_m,
                            mount_pitch_deg=sc.pitch_deg, half_fov_deg=half_fov_deg,
                            min_range_m=optics.min_range_m, sample_period_s=nominal_period_s(sc),
                            # ultrasound hears stray echoes (other sensors, multipath):
                            # two agreeing readings remove most, so no
                            # first-sight warnings from it
                            first_sight=not chip(sc.kind).stray_echoes)


class DetectorMaker:
    """Each sensor's detector for one device (or one replay): ``maker(sensor_cfg, cfg)``.
    The two level obstacle chips of a yawed pair (``bearing_pair``) share one
    ``Corridor``, which gives their states a side and drops targets proven beside the
    path; the naive policy keeps its fixed rule on every chip."""

    def __init__(self, cfg, policy: str) -> None:
        self.policy = policy
        self.pair = None if policy == "naive" else bearing_pair(cfg.sensors)
        self.corridor: Corridor | None = None

    def __call__(self, sc, cfg):
        detector = make_detector(sc, cfg, self.policy)
        pair = self.pair
        if pair is None or sc.role != "obstacle" or sc.id not in (pair[0].id, pair[1].id):
            return detector
        if self.corridor is None:
            self.corridor = Corridor(*(ChipWatch(p.id, p.yaw_deg,
                                                 chip_optics(p.kind, p.distance_mode).fov_deg / 2.0,
                                                 nominal_period_s(p)) for p in pair), cfg)
        slot = 0 if sc.id == pair[0].id else 1
        self.corridor.chips[slot].reset()     # a new detector: nothing seen yet
        return SidedObstacle(detector, self.corridor, slot)


class Device:
    """The running device: ``loop``, the self-test result and ``close()``.

    ``errors``: what failed at start-up, by sensor id or "buzzer"/"haptic"/"outputs"/
    "button", with why. ``profile``: the ``ProfileSwitch``; ``output_keeper``: the
    hook that retries the outputs while none works (``on_restored`` is called when one
    does).
    """

    def __init__(self, loop: DeviceLoop, errors: dict[str, str], bringups, *, cfg=None,
                 profile: ProfileSwitch | None = None, output_keeper=None) -> None:
        self.loop = loop
        self.errors = errors
        self.bringups = bringups
        self.cfg = cfg if cfg is not None else loop.cfg
        self.profile = profile
        self.output_keeper = output_keeper
        self.armed = None    # the ArmedWatch: armed or not, and after how long

    @property
    def selftest_ok(self) -> bool:
        return not self.errors

    @property
    def can_alert(self) -> bool:
        """True while a buzzer or a motor can tell the runner."""
        return can_alert(self.loop.outputs)

    def roles(self) -> dict[str, str | None]:
        """Each range sensor's id and what it watches now (None = unused)."""
        return {c.id: c.role for c in self.loop.channels}

    def selftest_report(self) -> str:
        """One line naming each failed sensor by id, kind and address (and failed
        outputs), what still runs and what the device cannot watch."""
        return report(self.cfg, self.errors, self.roles())

    def close(self) -> None:
        self.loop.close()
        for b in self.bringups:
            if b.xshut is not None:
                b.xshut.close()


def build_device(cfg, bus, clock, *, pin_factory=None, policy: str = "backsight",
                 notifier=None, recorder=None, outputs=None, holder=None) -> Device:
    """The device for ``cfg`` on ``bus`` (smbus2 API) and ``pin_factory`` (None =
    gpiozero's default). ``holder``: the configuration holder the console uses (with
    ``get()``/``apply(cfg)``); a long press of the button switches the profile through
    it. None = the loop's own configuration."""
    range_cfgs = [s for s in cfg.sensors if s.role != "imu"]
    announcer = Announcer()

    def announce(state, t_s: float) -> None:
        """Play ``state``'s one-off pattern from ``t_s``, through the arbiter."""
        announcer.announce(state, t_s, pattern_for(state).period_s)

    bringups, errors = bring_up(bus, range_cfgs, clock=clock, pin_factory=pin_factory)
    t0 = clock.now_s()

    detector_for = DetectorMaker(cfg, policy)
    channels = [Channel(b.cfg, b.driver or AbsentDriver(),
                        SensorHealth(b.cfg.id, cfg, role=b.cfg.role, start_t_s=t0),
                        detector_for, cfg, restart=_restarter(b)) for b in bringups]
    imu = _start_imu(cfg, bus, clock, errors)
    if outputs is None:
        outputs = open_outputs(cfg, clock=clock, pin_factory=pin_factory, bus=bus, errors=errors)
    button = open_button(cfg, clock=clock, pin_factory=pin_factory, errors=errors)
    coaches = make_coaches(cfg, policy)
    loop = DeviceLoop(cfg, channels, outputs, clock, imu=imu, coaches=coaches, button=button,
                      notifier=notifier, recorder=recorder, announcer=announcer)
    for b in bringups:  # restarts must not stall the loop: see CooperativeClock
        b.clock = loop.cooperative_clock
    profile = ProfileSwitch(loop, get_config=holder.get if holder else (lambda: loop.cfg),
                            apply_config=holder.apply if holder else loop.apply_config,
                            announce=announce)
    reach = DeckReachKeeper(loop)
    keeper = OutputKeeper(loop, lambda c: open_outputs(c, clock=clock, pin_factory=pin_factory,
                                                       bus=bus, errors={}, quiet=True), t0,
                          announce=announce)
    loop.config_listeners += [ButtonKeeper(loop, clock, pin_factory), profile.on_config, reach]
    loop.hooks[:0] = [profile, keeper]
    reach(cfg, cfg, t0)
    device = Device(loop, errors, bringups, cfg=cfg, profile=profile, output_keeper=keeper)
    line = device.selftest_report()
    loop.notices["selftest"] = "ok" if device.selftest_ok else line
    (log.info if device.selftest_ok else log.error)(line)
    # the ready chirp waits for arming; a failed self-test is said at once
    device.armed = ArmedWatch(loop, t0, announce=announce, chirp=device.selftest_ok)
    loop.hooks.insert(loop.hooks.index(keeper) + 1, device.armed)
    if not device.selftest_ok:
        announce(SELFTEST_FAIL, t0)
    return device


def _restarter(bringup):
    """The channel's restart: the re-initialised driver, or None while it is absent."""
    def restart():
        return bringup.driver if bringup.restart() else None
    return restart


def _start_imu(cfg, bus, clock, errors):
    for sc in cfg.sensors:
        if sc.role != "imu":
            continue
        driver = chip(sc.kind).driver_class()(bus, sc.bus_address, clock=clock,
                                              sample_rate_hz=IMU_RATE_HZ)
        try:
            driver.start()
        except OSError as exc:
            errors[sc.id] = str(exc)
            log.error("IMU %s did not start: %s (no pitch/bounce compensation)", sc.id, exc)
            return None
        return ImuTracker(driver, cfg=cfg, health=SensorHealth(sc.id, cfg, role="imu",
                                                      start_t_s=clock.now_s()))
    return None


def make_coaches(cfg, policy: str):
    if policy == "naive":
        return []
    from pi_app.detect.posture import PostureCoach
    from pi_app.detect.rest import RestReminder

    return [PostureLink(PostureCoach(cfg)), RestLink(RestReminder(cfg))]


class PostureLink:
    """Feeds the posture coach the IMU's trunk pitch (belt mode only)."""

    def __init__(self, coach) -> None:
        self.coach = coach

    def configure(self, cfg) -> None:
        self.coach.configure(cfg)

    def update(self, pose, t_s: float) -> AlertState:
        imu = pose.imu
        if imu is None or imu.samples == 0:
            return CLEAR
        return self.coach.update(imu.pitch_deg, t_s)


class RestLink:
    """Feeds the rest reminder whether the runner is running (the pose's one rule)."""

    def __init__(self, reminder) -> None:
        self.reminder = reminder

    def configure(self, cfg) -> None:
        self.reminder.configure(cfg)

    def update(self, pose, t_s: float) -> AlertState:
        if pose.imu is None:
            return CLEAR
        return self.reminder.update(pose.running, t_s)
