"""Bring the configured sensors up on a bus, the same way on a Pi and on SimBus.

``SensorBringUp`` owns one configured range sensor: it builds the driver (behind a
TCA9548A channel when configured), handles VL53L1X re-addressing through XSHUT, and
``restart()``s a sensor that stopped answering (a replugged VL53L1X is back at its
default address and must be re-addressed before it can be started again; chips replugged
together - one cable to a bracket - are all back there at once, so the others that do
not answer at their own address are held in reset meanwhile). What each chip needs
(driver, settings, how it shares the bus) comes from ``chips``.
"""

from __future__ import annotations

import logging

from pi_app.exc import SensorError
from pi_app.sensors.chips import XSHUT, chip, nominal_period_s
from pi_app.sensors.xshut import answers, readdress
from pi_app.sensors.vl53l1x import change_address

__all__ = ["SensorBringUp", "bring_up", "driver_class", "nominal_period_s"]

log = logging.getLogger(__name__)


def driver_class(kind: str) -> type:
    return chip(kind).driver_class()


class SensorBringUp:
    """One configured sensor: ``start()`` -> started driver, ``restart()`` -> bool."""

    def __init__(self, bus, sensor_cfg, *, clock, pin_factory=None, xshut=None) -> None:
        self.cfg = sensor_cfg
        self.facts = chip(sensor_cfg.kind)
        self.clock = clock
        self.pin_factory = pin_factory
        self.xshut = xshut  # a gpiozero DigitalOutputDevice (high = running), or None
        self.bus = bus
        if sensor_cfg.mux_address is not None:
            from pi_app.sensors.tca9548a import TCA9548A

            self.mux = TCA9548A(bus, sensor_cfg.mux_address, clock=clock)
            self.bus = self.mux.channel_bus(sensor_cfg.mux_channel)
        self.driver = None
        #: every sensor brought up with this one (``bring_up`` sets it): the XSHUT peers
        self.peers: list[SensorBringUp] = [self]

    @property
    def moves_address(self) -> bool:
        facts = self.facts
        return facts.sharing == XSHUT and self.cfg.bus_address != facts.default_address

    def start(self):
        """Build and start the driver; raises SensorError with a wiring hint."""
        sc = self.cfg
        if self.xshut is not None:
            # Pulse this chip's XSHUT: it reboots at its default address and is moved
            # to its own while the others keep theirs (at bring-up all are held in
            # reset first).
            readdress(self.bus, self.xshut, sc.bus_address, clock=self.clock)
        elif self.moves_address and not answers(self.bus, sc.bus_address):
            change_address(self.bus, self.facts.default_address, sc.bus_address)
        driver = self.facts.driver_class()(self.bus, sc.bus_address, clock=self.clock,
                                           **self.facts.driver_kwargs(sc))
        driver.start()
        self.driver = driver
        return driver

    def restart(self) -> bool:
        """Re-initialise after a fault: False when nothing answers at the chip's address
        (one probe: cheap), True when it runs again; ``SensorError`` (an ``OSError``)
        when it answered but did not start."""
        sc = self.cfg
        if not (answers(self.bus, sc.bus_address) or
                (self.moves_address and answers(self.bus, self.facts.default_address))):
            return False
        old = self.driver
        held = self._hold_lost_peers()
        try:
            self.start()
        finally:
            for peer in held:     # released: each boots at the default address and its
                peer.xshut.on()   # own restart moves it (its probe finds it there)
        if old is not None and old is not self.driver:
            old._closed = True  # the chip was reset; nothing to tell it
        return True

    def _hold_lost_peers(self) -> list:
        """Hold in reset every other XSHUT sensor that does not answer at its own
        address (replugged with this one, it may be awake at the default address too,
        where this one must boot alone); a sensor at its own address is left alone."""
        if self.xshut is None:
            return []
        held = [p for p in self.peers if p is not self and p.xshut is not None
                and p.xshut.value and not answers(p.bus, p.cfg.bus_address)]
        for peer in held:
            peer.xshut.off()
        return held


def bring_up(bus, sensor_cfgs, *, clock, pin_factory=None):
    """Start every configured range sensor; returns ``(bringups, errors)``.

    VL53L1X chips with XSHUT lines are all held in reset first so that each can be
    woken alone at the default address and moved to its own. A sensor that fails to start
    is returned in ``errors`` (id -> message) and the others still start: the device
    keeps running with what works and says what it cannot watch.
    """
    from gpiozero import DigitalOutputDevice

    bringups, errors = [], {}
    for sc in sensor_cfgs:
        if sc.role == "imu":
            continue
        xshut = None
        if chip(sc.kind).sharing == XSHUT and sc.xshut_pin is not None:
            xshut = DigitalOutputDevice(sc.xshut_pin, initial_value=False, pin_factory=pin_factory)
        bringups.append(SensorBringUp(bus, sc, clock=clock, pin_factory=pin_factory, xshut=xshut))
    for b in bringups:
        b.peers = bringups
        try:
            b.start()
        except (SensorError, OSError) as exc:
            errors[b.cfg.id] = str(exc)
            log.error("sensor %s did not start: %s", b.cfg.id, exc)
    return bringups, errors
