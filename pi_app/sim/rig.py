"""A complete simulated device for one scenario: world -> chip emulators on a SimBus
-> the real drivers -> the real loop -> outputs on gpiozero mock pins.

Only the two hardware seams are simulated (the bus and the pin factory); everything
above them is the code that runs on the Pi. ``run_scenario`` runs it faster than real
time on a ``SimClock`` and returns the ``sim --json`` object (docs/design.md).
"""

from __future__ import annotations

import logging
import math
import random

from pi_app.clock import SimClock
from pi_app.config import FIELDS, Config, SensorConfig
from pi_app.detect import CLEAR, Level
from pi_app.exc import ConfigError, ScenarioError
from pi_app.loop import DeviceLoop
from pi_app.sensors.chips import IMU, MPU6050, STORED, XSHUT, chip
from pi_app.sim import devices as sim_devices
from pi_app.sim.simbus import I2C_ERRNOS, SimBus

log = logging.getLogger(__name__)

#: where the VL53L1X of a kit with several are moved to (the next ones up)
XSHUT_FIRST_ADDRESS = 0x30
#: BCM pins for XSHUT lines when a scenario fits several VL53L1X (first two as wired
#: in hardware/wiring.md)
XSHUT_PINS = (17, 27, 22, 5, 6, 26)
#: the mute/profile button as wired in hardware/wiring.md, fitted when a scenario
#: presses it and the configuration has none
BUTTON_PIN = 23


def scenario_config(scenario, base: Config | None = None) -> Config:
    """The device configuration for a scenario: its mode and its sensors.

    Checked like any config, unless ``base`` itself breaks the schema's rules: tests
    hand in such a base to show what the device does with, say, a pin that another
    process holds (to the outputs that is the same as a pin clash)."""
    base = base or Config.defaults()
    values = dict(base.values)
    values["device.mode"] = FIELDS["device.mode"].validate(scenario.mode)
    if scenario.treadmill is not None:
        values["deck.deck_length_m"] = FIELDS["deck.deck_length_m"].validate(
            float(scenario.treadmill.deck_length_m))
    if scenario.button and values["alert.button_pin"] < 0:
        values["alert.button_pin"] = BUTTON_PIN
    n_xshut = sum(1 for s in scenario.sensors if chip(s.kind).sharing == XSHUT)
    sensors, k = [], 0
    seen: dict[str, int] = {}
    for s in scenario.sensors:
        facts = chip(s.kind)
        extra = {}
        if facts.distance_modes:
            extra.update(distance_mode=s.distance_mode, timing_budget_ms=s.timing_budget_ms)
        if facts.sharing == XSHUT and n_xshut > 1:
            extra.update(address=XSHUT_FIRST_ADDRESS + k, xshut_pin=XSHUT_PINS[k])
            k += 1
        elif facts.sharing == STORED:
            # A second TF-Luna / MB1242 cannot share the first one's address: each was
            # given its own at install time (saved in its flash / EEPROM), the next ones up.
            if seen.get(s.kind):
                extra["address"] = facts.default_address + seen[s.kind]
            seen[s.kind] = seen.get(s.kind, 0) + 1
        sensors.append(SensorConfig(s.id, s.kind, s.role, mount_height_m=s.mount_height_m,
                                    pitch_deg=s.pitch_deg, yaw_deg=s.yaw_deg, **extra))
    if scenario.mode == "belt":
        sensors.append(SensorConfig("imu", MPU6050.kind, "imu"))
    cfg = Config(values, tuple(sensors), base.source)
    if _passes_check(base):
        cfg.check()
    return cfg


def _passes_check(cfg: Config) -> bool:
    try:
        cfg.check()
    except ScenarioError:
        raise
    except ConfigError:
        return False
    return True


class SimRig:
    """The simulated hardware for a scenario plus the device built on it.

    ``absent``: ids of configured sensors whose chip is left off the bus (the
    self-test must name them and the device run on without them). ``button_pin``:
    the mock pin of the mute/profile button when one is fitted; the scenario's
    ``[[button]]`` presses drive it from a loop hook.
    """

    def __init__(self, scenario, *, policy: str = "backsight", cfg: Config | None = None,
                 clock=None, seed: int | None = None, absent=(), jitter_s: float = 0.0,
                 world=None, holder=None, notifier=None, recorder=None) -> None:
        """``jitter_s``: each loop wake-up comes up to this much late (uniform, seeded),
        all run long (``[[faults]]`` kind "jitter" adds windows of it). ``world``: a
        ready world model for the scenario (default ``World(scenario)``). ``holder``,
        ``notifier``, ``recorder``: what ``backsight run --sim`` hands build_device."""
        from pi_app.device import build_device
        from pi_app.sim.world import World

        self.scenario = scenario
        self.policy = policy
        self.seed = scenario.seed if seed is None else seed
        self.clock = clock if clock is not None else JitterClock(jitter_s, seed=self.seed)
        self.base_jitter_s = jitter_s
        self.world = world if world is not None else World(scenario)
        if hasattr(self.clock, "rebase"):
            # a paced run starts now: building the world took no runner time (the chips
            # below are powered from here on, so the clock never runs back past them)
            self.clock.rebase()
        self.bus = SimBus(self.clock, seed=self.seed)
        from gpiozero.pins.mock import MockFactory, MockPWMPin   # gpiozero is slow to import

        self.pin_factory = MockFactory(pin_class=MockPWMPin)
        self.cfg = scenario_config(scenario, cfg)
        self.absent = _check_absent(absent, self.cfg)
        self.emulators = {}
        for i, sc in enumerate(self.cfg.sensors):
            self.emulators[sc.id] = self._attach(sc, seed=self.seed * 101 + i,
                                                 plugged=sc.id not in self.absent)
        self._build = dict(pin_factory=self.pin_factory, policy=policy, holder=holder,
                           notifier=notifier, recorder=recorder)
        self.device = build_device(self.cfg, self.bus, self.clock, **self._build)
        self.loop: DeviceLoop = self.device.loop
        self._earlier_alerts: list = []   # what the device commanded before a restart
        self.button_pin = None  # the gpiozero mock pin of the mute/profile button
        if self.cfg.alert.button_pin >= 0:
            self.button_pin = self.pin_factory.pin(self.cfg.alert.button_pin)
        self._faults = sorted([*self._fault_events(), *self._button_events()],
                              key=lambda e: e[0])
        self.loop.hooks.append(self._apply_faults)

    def _attach(self, sc: SensorConfig, seed: int, plugged: bool = True):
        """The chip emulator for ``sc``, on the bus unless not ``plugged`` (absent: the
        device finds nothing at its address, as with a sensor never connected)."""
        facts = chip(sc.kind)
        cls = getattr(sim_devices, facts.emulator)
        if facts.category == IMU:
            dev = cls(motion_source=self.world.imu_motion, seed=seed)
        else:
            kwargs = {"range_source": self.world.view(sc.id), "seed": seed}
            if sc.xshut_pin is not None:
                kwargs["xshut_pin"] = self.pin_factory.pin(sc.xshut_pin)
            dev = cls(**kwargs)
        if sc.xshut_pin is None and sc.address is not None:
            # a chip that keeps its address over a power cycle (TF-Luna flash, MB1242
            # EEPROM) answers there from the start; a VL53L1X is re-addressed at boot
            return self.bus.attach(dev, sc.address) if plugged else dev
        return self.bus.attach(dev) if plugged else dev

    # --- the mute/profile button from the scenario's [[button]] table ---------------------
    def _button_events(self):
        """Drive the button pin low (pressed, it switches to GND) for each press."""
        pin = self.button_pin
        if pin is None:
            return
        for press in self.scenario.button:
            yield press.t_s, pin.drive_low
            yield press.t_s + press.press_s, pin.drive_high

    # --- faults from the scenario's [[faults]] table ---------------------------------
    def _fault_events(self):
        for f in self.scenario.faults:
            end_s = None if f.duration_s is None else f.t_s + f.duration_s
            if f.kind == "bus_stuck":
                until_s = math.inf if end_s is None else end_s
                yield f.t_s, _call(self.bus.hold_stuck, until_s)
                continue
            if f.kind == "restart":
                continue   # the run is split there (run())
            if f.kind == "jitter":
                yield f.t_s, _set_attr(self.clock, "jitter_s", f.jitter_s)
                if end_s is not None:
                    yield end_s, _set_attr(self.clock, "jitter_s", self.base_jitter_s)
                continue
            dev = self.emulators[f.sensor]
            if f.kind == "unplug":
                yield f.t_s, dev.power_off
                if f.duration_s:
                    yield f.t_s + f.duration_s, dev.power_on
            elif f.kind == "replug":
                yield f.t_s, dev.power_on
            elif f.kind == "i2c_errors":
                yield f.t_s, _set_errors(self.bus, dev, f.rate, f.errno)
                if f.duration_s:
                    yield f.t_s + f.duration_s, _set_errors(self.bus, dev, 0.0)
            elif f.kind in ("stuck", "garbage"):
                yield f.t_s, _set_attr(dev, f.kind, True)
                if f.duration_s:
                    yield f.t_s + f.duration_s, _set_attr(dev, f.kind, False)
            # "blind" lives in the world model (the sensor's view is blinded)

    def _apply_faults(self, t_s: float) -> None:
        faults = self._faults
        while faults and faults[0][0] <= t_s:
            faults.pop(0)[1]()

    # --- running -------------------------------------------------------------------------
    def run(self) -> None:
        """Run the whole scenario on the simulated clock, restarting the device at each
        ``restart`` fault."""
        end_s = self.scenario.duration_s
        for t_s in sorted(f.t_s for f in self.scenario.faults if f.kind == "restart"):
            if t_s < end_s:
                self.loop.run(until_s=t_s)
                self.restart()
        self.loop.run(until_s=end_s)

    def restart(self) -> None:
        """The device process restarts (a watchdog restart): its state - detectors, IMU
        tracker, health, outputs - is built afresh on the same bus and pins, while the
        world and the chips keep going. The outputs go quiet meanwhile."""
        t_s = self.clock.now_s()
        alerts = list(self.loop.alerts)
        if alerts and alerts[-1][1].level != Level.CLEAR:
            alerts.append((t_s, CLEAR))
        self._earlier_alerts += alerts
        from pi_app.device import build_device

        self.device.close()
        self.device = build_device(self.cfg, self.bus, self.clock, **self._build)
        self.loop = self.device.loop
        self.loop.hooks.append(self._apply_faults)

    def result(self, *, sides: bool = False) -> dict:
        """The ``sim --json`` object; ``sides``: obstacle hazards also say which sides
        their alarms named (``evaluate``'s ``sides``; not part of the JSON contract)."""
        from pi_app.sim.evaluate import evaluate

        alerts = [{"t_s": round(t, 4), "level": s.level.label, "kind": s.kind, "source": s.source,
                   "side": s.side}
                  for t, s in [*self._earlier_alerts, *self.loop.alerts]]
        return evaluate(self.scenario, self.world, alerts, self.policy, self.seed, sides=sides)

    def close(self) -> None:
        self.device.close()
        self.pin_factory.close()


def _set_errors(bus, dev, rate, errno=None):
    errnos = I2C_ERRNOS if errno is None else (errno,)
    return lambda: bus.set_error_rate(dev.address, rate, errnos)


def _call(fn, *args):
    return lambda: fn(*args)


class JitterClock(SimClock):
    """Simulated time whose ``sleep_until`` wakes up to ``jitter_s`` late (uniform,
    seeded): the scheduling jitter of a loaded Pi. Only the loop's deadline waits use
    ``sleep_until``; drivers' short ``sleep`` calls keep exact time."""

    def __init__(self, jitter_s: float = 0.0, *, seed: int = 0, start_s: float = 0.0) -> None:
        super().__init__(start_s)
        if not 0.0 <= jitter_s:
            raise ValueError(f"jitter_s must be >= 0, got {jitter_s}")
        self.jitter_s = jitter_s
        self._rng = random.Random(seed * 7 + 3)

    def sleep_until(self, t_s: float) -> None:
        if self.jitter_s > 0.0:
            t_s += self._rng.uniform(0.0, self.jitter_s)
        super().sleep_until(t_s)


def _check_absent(absent, cfg) -> frozenset:
    ids = [s.id for s in cfg.sensors]
    for sensor_id in absent:
        if sensor_id not in ids:
            raise ScenarioError(f"absent: {sensor_id!r} is not a sensor of this rig "
                                f"(sensors: {', '.join(ids)})")
    return frozenset(absent)


def _set_attr(obj, name, value):
    return lambda: setattr(obj, name, value)


def record_scenario(scenario, path, policy: str = "backsight") -> dict:
    """Run a scenario recording it to ``path`` as `backsight run --record` would;
    returns the ``sim --json`` object."""
    from pi_app.record import Recorder

    rig = SimRig(scenario, policy=policy)
    recorder = Recorder(path, rig.cfg, policy=policy)
    try:
        rig.loop.attach_recorder(recorder)
        rig.run()
        return rig.result()
    finally:
        recorder.close()
        rig.close()


def run_scenario(scenario, policy: str = "backsight", *, cfg: Config | None = None,
                 sides: bool = False) -> dict:
    """Run one scenario faster than real time; the ``sim --json`` object (docs/design.md),
    with ``sides`` (``SimRig.result``) when asked."""
    rig = SimRig(scenario, policy=policy, cfg=cfg)
    try:
        rig.run()
        return rig.result(sides=sides)
    finally:
        rig.close()
