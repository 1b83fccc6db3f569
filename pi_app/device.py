"""Assemble the device from a configuration: sensors brought up on the bus,
detectors per role (or the naive policy), IMU, coaches, outputs, loop, self-test.

The same function builds the device on a Pi (``smbus2.SMBus``, default pin factory)
and in simulation (``SimBus``, gpiozero's ``MockFactory``).
"""

from __future__ import annotations

import logging

from pi_app.detect import AlertState, CLEAR, Level
from pi_app.detect.deck import DeckDetector
from pi_app.detect.health import SensorHealth
from pi_app.detect.imu import ImuTracker
from pi_app.detect.naive import NaiveDetector
from pi_app.detect.obstacle import ObstacleDetector
from pi_app.detect.surface import SurfaceDetector
from pi_app.loop import DeviceLoop, SensorSlot
from pi_app.profile import ProfileSwitch
from pi_app.selftest import describe_output, open_button, open_outputs, report
from pi_app.sensors.factory import bring_up, driver_class, nominal_period_s
from pi_app.sim.optics import chip_optics, max_range_m

log = logging.getLogger(__name__)

READY = AlertState(Level.CLEAR, None, None, "ready")
SELFTEST_FAIL = AlertState(Level.FAULT, "fault", None, "selftest_fail")
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
        limit_m = max_range_m(sc.kind, distance_mode=sc.distance_mode,
                              timing_budget_ms=sc.timing_budget_ms) if sc.kind == "vl53l1x" else None
        return SurfaceDetector(sc.id, cfg, mount_height_m=sc.mount_height_m,
                               mount_pitch_deg=sc.pitch_deg, half_fov_deg=half_fov_deg,
                               sample_period_s=nominal_period_s(sc), max_range_m=limit_m)
    if sc.role == "deck":
        return DeckDetector(sc.id, cfg)
    return ObstacleDetector(sc.id, cfg, mount_height_m=sc.mount_height_m,
                            mount_pitch_deg=sc.pitch_deg, half_fov_deg=half_fov_deg,
                            min_range_m=optics.min_range_m, sample_period_s=nominal_period_s(sc),
                            # ultrasound hears stray echoes (other sensors, multipath):
                            # two agreeing readings remove most (DOMAIN.md), so no
                            # first-sight warnings from it
                            first_sight=sc.kind != "mb1242")


class Device:
    """The running device: ``loop``, the self-test result and ``close()``.

    ``errors``: what failed at start-up, by sensor id or "buzzer"/"haptic"/"outputs"/
    "button", with why. ``profile``: the ``ProfileSwitch`` hook (None in tests that
    build a Device by hand); ``backsight run`` may point its ``get_config``/
    ``apply_config`` at the serial console's configuration holder.
    """

    def __init__(self, loop: DeviceLoop, errors: dict[str, str], bringups, *, cfg=None,
                 profile: ProfileSwitch | None = None, output_keeper=None) -> None:
        self.loop = loop
        self.errors = errors
        self.bringups = bringups
        self.cfg = cfg if cfg is not None else loop.cfg
        self.profile = profile
        self.output_keeper = output_keeper

    @property
    def selftest_ok(self) -> bool:
        return not self.errors

    @property
    def can_alert(self) -> bool:
        """True while a buzzer or a motor can tell the runner."""
        return can_alert(self.loop.outputs)

    def selftest_report(self) -> str:
        """One line naming each failed sensor by id, kind and address (and failed
        outputs), what still runs and what the device cannot watch."""
        roles = self.profile.roles() if self.profile is not None else \
            {s.id: s.role for s in self.loop.slots}
        return report(self.cfg, self.errors, roles)

    def close(self) -> None:
        self.loop.close()
        for b in self.bringups:
            if b.xshut is not None:
                b.xshut.close()


def build_device(cfg, bus, clock, *, pin_factory=None, policy: str = "backsight",
                 notifier=None, recorder=None, outputs=None) -> Device:
    range_cfgs = [s for s in cfg.sensors if s.role != "imu"]
    bringups, errors = bring_up(bus, range_cfgs, clock=clock, pin_factory=pin_factory)
    t0 = clock.now_s()
    slots = []
    for b in bringups:
        sc = b.cfg
        slot = SensorSlot(sc.id, sc.role, b.driver or AbsentDriver(), make_detector(sc, cfg, policy),
                          SensorHealth(sc.id, cfg, role=sc.role, start_t_s=t0))
        slot.restart = _restarter(slot, b)
        slots.append(slot)
    imu = _start_imu(cfg, bus, clock, errors)
    if outputs is None:
        outputs = open_outputs(cfg, clock=clock, pin_factory=pin_factory, bus=bus, errors=errors)
    button = open_button(cfg, clock=clock, pin_factory=pin_factory, errors=errors)
    coaches = _coaches(cfg, policy)
    loop = DeviceLoop(cfg, slots, outputs, clock, imu=imu, coaches=coaches, button=button,
                      notifier=notifier, recorder=recorder)
    for b in bringups:  # restarts must not stall the loop: see CooperativeClock
        b.clock = loop.cooperative_clock
    profile = ProfileSwitch(loop, {b.cfg.id: b.cfg for b in bringups},
                            lambda sc, c: make_detector(sc, c, policy))
    reach = DeckReachKeeper(loop, profile.sensors)
    keeper = OutputKeeper(loop, lambda c: open_outputs(c, clock=clock, pin_factory=pin_factory,
                                                       bus=bus, errors={}, quiet=True), t0)
    loop.hooks[:0] = [ButtonKeeper(loop, clock, pin_factory), profile, reach, keeper]
    reach(t0)
    device = Device(loop, errors, bringups, cfg=cfg, profile=profile, output_keeper=keeper)
    line = device.selftest_report()
    loop.notices["selftest"] = "ok" if device.selftest_ok else line
    (log.info if device.selftest_ok else log.error)(line)
    outputs.command(READY if device.selftest_ok else SELFTEST_FAIL, t0)
    return device


def can_alert(outputs) -> bool:
    """True when ``outputs`` has a buzzer or a motor to drive."""
    return getattr(outputs, "buzzer", None) is not None or getattr(outputs, "haptic", None) is not None


class OutputKeeper:
    """Loop hook: while nothing can tell the runner (no buzzer or motor could be opened,
    at start or after a reconfiguration), ``status`` says ``outputs=none ...`` and the
    configured outputs are tried again every ``RETRY_S``. When one works it replaces
    the stand-in, plays the self-test chirp and calls ``on_restored()`` (``backsight
    run`` then tells systemd the device is ready). Cost per cycle while outputs work:
    two attribute reads."""

    #: opening pins or the DRV2605L is cheap, but not something to do every cycle
    RETRY_S = 2.0

    def __init__(self, loop: DeviceLoop, open_outputs_for, t_s: float) -> None:
        self.loop = loop
        self.open_outputs_for = open_outputs_for   # cfg -> outputs (NoOutputs on failure)
        self.on_restored = None
        self.restored = 0
        self._next_try_s = t_s + self.RETRY_S     # the self-test has just tried
        if not can_alert(loop.outputs):
            self._note(loop.cfg)

    def _note(self, cfg) -> None:
        note = (f"none: {describe_output('outputs', cfg)} cannot be opened; "
                f"retrying every {self.RETRY_S:g} s")
        if self.loop.notices.get("outputs") != note:
            log.error("cannot alert the runner: %s", note)
        self.loop.notices["outputs"] = note

    def __call__(self, t_s: float) -> None:
        loop = self.loop
        if can_alert(loop.outputs):
            return
        if t_s < self._next_try_s:
            return
        self._next_try_s = t_s + self.RETRY_S
        cfg = loop.cfg
        outputs = self.open_outputs_for(cfg)
        if not can_alert(outputs):
            self._note(cfg)
            return
        old, loop.outputs = loop.outputs, outputs
        try:
            old.close()
        except OSError as exc:
            log.warning("closing %r: %s", old, exc)
        loop.notices.pop("outputs", None)
        self.restored += 1
        log.warning("outputs work again: %s", describe_output("outputs", cfg))
        outputs.command(READY, t_s)
        if self.on_restored is not None:
            self.on_restored()


class ButtonKeeper:
    """Loop hook: keeps the button in step with the configuration - a new
    ``alert.mute_s`` at once, a new ``alert.button_pin`` by reopening the button (a
    pin that fails is reported in ``status`` as ``button=...``). Cost per cycle: one
    identity comparison."""

    def __init__(self, loop: DeviceLoop, clock, pin_factory) -> None:
        self.loop = loop
        self.clock = clock
        self.pin_factory = pin_factory
        self._cfg = loop.cfg

    def __call__(self, t_s: float) -> None:
        loop, old = self.loop, self._cfg
        cfg = self._cfg = loop.cfg
        if cfg is old:
            return
        if cfg.alert.button_pin == old.alert.button_pin:
            if loop.button is not None:
                loop.button.configure(cfg)
            return
        if loop.button is not None:
            loop.button.close()
        errors: dict[str, str] = {}
        loop.button = open_button(cfg, clock=self.clock, pin_factory=self.pin_factory,
                                  errors=errors)
        if errors:
            loop.notices["button"] = errors["button"]
        else:
            loop.notices.pop("button", None)


class DeckReachKeeper:
    """Loop hook: says in ``status`` (``deck=...``) and the log when a deck sensor cannot
    range the whole deck - a short-mode VL53L1X (1.16-1.36 m) on a 1.8 m deck takes a
    runner at the rear for one who has left it. Re-checked when the configuration or
    the profile changes. Cost per cycle: one identity comparison."""

    def __init__(self, loop: DeviceLoop, sensors: dict) -> None:
        self.loop = loop
        self.sensors = sensors        # SensorConfig by id
        self._cfg = None

    def __call__(self, t_s: float) -> None:
        cfg = self.loop.cfg
        if cfg is self._cfg:
            return
        self._cfg = cfg
        problems = []
        for slot in self.loop.slots:
            sc = self.sensors.get(slot.id)
            if slot.role != "deck" or sc is None:
                continue
            reach_m = max_range_m(sc.kind, distance_mode=sc.distance_mode,
                                  timing_budget_ms=sc.timing_budget_ms)
            if reach_m < cfg.deck.deck_length_m:
                problems.append(f"{sc.id} ranges {reach_m:.2f} m, the deck is "
                                f"{cfg.deck.deck_length_m:.2f} m: a runner near the rear edge "
                                f"will read as off the deck")
        if problems:
            note = "; ".join(problems)
            if self.loop.notices.get("deck") != note:
                log.warning("deck: %s", note)
            self.loop.notices["deck"] = note
        else:
            self.loop.notices.pop("deck", None)


def _restarter(slot: SensorSlot, bringup):
    def restart() -> bool:
        if not bringup.restart():
            return False
        slot.driver = bringup.driver
        return True
    return restart


def _start_imu(cfg, bus, clock, errors):
    for sc in cfg.sensors:
        if sc.role != "imu":
            continue
        driver = driver_class("mpu6050")(bus, sc.bus_address, clock=clock, sample_rate_hz=IMU_RATE_HZ)
        try:
            driver.start()
        except OSError as exc:
            errors[sc.id] = str(exc)
            log.error("IMU %s did not start: %s (no pitch/bounce compensation)", sc.id, exc)
            return None
        return ImuTracker(driver, health=SensorHealth(sc.id, cfg, role="imu",
                                                      start_t_s=clock.now_s()))
    return None


def _coaches(cfg, policy: str):
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

    def update(self, loop, t_s: float) -> AlertState:
        if loop.imu is None or loop.imu.samples == 0:
            return CLEAR
        return self.coach.update(loop.imu.pitch_deg, t_s)


class RestLink:
    """Feeds the rest reminder whether the runner is running (IMU step detection)."""

    RUNNING_BOUNCE_M = 0.01  # bouncing more than this = running, not standing

    def __init__(self, reminder) -> None:
        self.reminder = reminder
        self._peak_m = 0.0

    def configure(self, cfg) -> None:
        self.reminder.configure(cfg)

    def update(self, loop, t_s: float) -> AlertState:
        imu = loop.imu
        if imu is None:
            return CLEAR
        self._peak_m = max(abs(imu.bounce_m), self._peak_m * 0.999)
        return self.reminder.update(self._peak_m > self.RUNNING_BOUNCE_M, t_s)
