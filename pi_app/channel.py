"""``Channel``: one fitted range sensor, from its driver to its judged state.

A channel owns the driver (and the callable that re-initialises it after a fault), the
health monitor that decides whether the sensor is still watching, and the detector of
its role in the current profile. Each cycle the loop updates the pose, then calls
``ch.poll(t_s, pose)`` on every channel (-> ``ch.hazard``, ``ch.fault``). A role or
configuration change reaches it once, through ``configure(cfg, t_s)`` from the loop's
config swap: a sensor with nothing to watch in this profile (a ground sensor on a
treadmill) has no detector and is neither read nor judged.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Callable

from pi_app.detect import AlertState, CLEAR
from pi_app.detect.health import HealthReason, SensorHealth
from pi_app.sensors.base import RangeStatus

log = logging.getLogger(__name__)

# Enum members looked up once: ``x is _NO_ANSWER`` costs a tenth of ``x != HealthReason.
# NO_ANSWER`` (a StrEnum compared with None goes through both sides' __ne__).
_NO_ANSWER = HealthReason.NO_ANSWER
_BUS_ERROR = RangeStatus.BUS_ERROR


def role_in_mode(role: str, mode: str) -> str | None:
    """What a sensor configured with ``role`` watches in profile ``mode`` (None = unused).
    Belt: a deck sensor (a level sensor taken off the handrail) watches obstacles.
    Treadmill: obstacle and deck sensors watch the deck band; ground sensors are unused
    (pitched down from a handrail they see the deck or the floor, not a path)."""
    if mode == "treadmill":
        return {"obstacle": "deck", "deck": "deck"}.get(role)
    return "obstacle" if role == "deck" else role


class Channel:
    """A fitted range sensor in the loop.

    ``sensor``: its ``SensorConfig`` (role as configured); ``driver``: has ``read()``;
    ``health``: its ``SensorHealth``; ``detector_for(sensor_cfg, cfg)`` builds the
    detector of a role (a ``pi_app.detect.contract.Detector``); ``restart()``
    re-initialises the driver after a fault and returns the working driver, or None
    while the chip is still absent. ``hazard``/``fault``: the states judged in the last
    cycle.
    """

    def __init__(self, sensor, driver, health: SensorHealth,
                 detector_for: Callable, cfg, *, restart: Callable | None = None) -> None:
        self.sensor = sensor
        self.id: str = sensor.id
        self.driver = driver
        self.health = health
        self.restart = restart
        self.detector_for = detector_for
        self.last_reading = None
        self.answered_t_s: float | None = None   # when the chip last answered on the bus
        self._faulted = False
        self._take_role(role_in_mode(sensor.role, cfg.device.mode), cfg)

    @property
    def used(self) -> bool:
        """False when the sensor has nothing to watch in the current profile."""
        return self.detector is not None

    def configure(self, cfg, t_s: float) -> None:
        """Take a new configuration: the detector of the role in ``cfg``'s profile (a new
        one only when the role changes), thresholds to detector and health."""
        role = role_in_mode(self.sensor.role, cfg.device.mode)
        if role != self.role:
            was_unused = self.role is None
            self._take_role(role, cfg)
            if was_unused:
                self.health.revived(t_s)   # it was not polled: start its clocks afresh
        elif self.detector is not None:
            self.detector.configure(cfg)
        self.health.configure(cfg)

    def _take_role(self, role: str | None, cfg) -> None:
        self.role = role
        self.detector = None if role is None else \
            self.detector_for(replace(self.sensor, role=role), cfg)
        self.health.role = role or self.sensor.role
        self.hazard: AlertState = CLEAR
        self.fault: AlertState = CLEAR

    def poll(self, t_s: float, pose, recorder=None, read: bool = True) -> None:
        """One cycle: read (unless ``read`` is False: the channel is being restarted),
        account for the reading, feed the detector with the cycle's ``Pose``, judge."""
        detector = self.detector
        if detector is None:
            return
        health = self.health
        if read and health.reason is not _NO_ANSWER:
            # A sensor that stopped answering is not read but re-initialised: even if it
            # answers again, a replugged chip has lost its settings (a TF-Luna is back at
            # 100 Hz), which only a restart puts back.
            reading = self.driver.read()
            if reading is not None:
                if reading.status is not _BUS_ERROR:
                    self.answered_t_s = t_s
                self.last_reading = reading
                health.note(reading, t_s)
                if not self._faulted:
                    detector.feed(reading, pose)
                if recorder is not None:
                    recorder.reading(self.id, reading)
        fault = health.evaluate(t_s)
        if fault is not self.fault:          # the journal hears of each change, once
            if fault is CLEAR:
                log.warning("sensor %s: watching again", self.id)
            else:
                log.warning("sensor %s: fault, %s", self.id, fault.detail)
        self.fault = fault
        if fault is CLEAR:
            self.hazard = detector.judge(t_s)
            self._faulted = False
        else:
            # What a faulted sensor says is not evidence; forget it once, so a held
            # warning from its last readings does not come back on recovery.
            if not self._faulted:
                detector.reset()
                self._faulted = True
            self.hazard = CLEAR

    def restart_due(self, t_s: float, bus_answered) -> bool:
        """True when the sensor does not answer and its re-initialisation is due.
        ``bus_answered(t_s)``: whether another chip on the bus answered in this cycle
        (then a back-off from failed starts begins afresh)."""
        health = self.health
        if self.detector is None or self.restart is None or health.reason is not _NO_ANSWER:
            return False
        if health.backing_off and bus_answered(t_s):
            health.bus_answered(t_s)
        return health.retry_due(t_s)

    def try_restart(self, t_s_after) -> bool:
        """Re-initialise the driver; True when it works again (``t_s_after()`` gives the
        clock time after the attempt, to restart the health clocks from). ``restart()``
        returns None when nothing answers (probed again soon) and raises ``OSError``
        when the chip answers but does not start (retried on a back-off)."""
        try:
            driver = self.restart()
        except OSError:
            self.health.start_failed(t_s_after())
            raise
        if driver is None:
            self.health.probe_failed(t_s_after())
            return False
        self.driver = driver
        self.health.revived(t_s_after())
        return True

    def __repr__(self) -> str:
        return f"<Channel {self.id} role={self.role} health={self.health.reason or 'ok'}>"
