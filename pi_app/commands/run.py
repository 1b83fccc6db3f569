"""``backsight run``: the device.

On a Pi: the real I2C bus (``smbus2.SMBus(i2c.bus)``) and gpiozero's default pin
factory, started by systemd (sd_notify READY after the self-test, watchdog pings
from the live loop). With ``--sim NAME|FILE``: the same device on simulated hardware
for that scenario, paced to real time. SIGTERM/SIGINT stop it cleanly, outputs off.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from pi_app.commands.argtypes import positive_float
from pi_app.config import ConfigHolder

log = logging.getLogger("backsight")
#: the device's journal: each alert change, config update and recovery is an INFO line
LOG_LEVEL = logging.INFO


def configure_parser(p) -> None:
    p.add_argument("--config", metavar="FILE", help="config TOML (default /etc/backsight/"
                   "config.toml if it exists); `save` over serial writes here")
    p.add_argument("--sim", metavar="NAME|FILE", help="simulated hardware for a scenario")
    p.add_argument("--serial-port", metavar="URL", help="serial console port or pyserial URL "
                   "(default: serial.port from the config on hardware, none with --sim)")
    p.add_argument("--speed", type=positive_float, default=1.0, help="--sim only: times real time")
    p.add_argument("--duration", type=positive_float, metavar="S", help="stop after S seconds")
    p.add_argument("--record", metavar="FILE", help="record readings and alerts to FILE")
    p.add_argument("--policy", choices=("backsight", "naive"), default="backsight")
    p.set_defaults(_log_level=LOG_LEVEL)


def load_startup_config(path: str | None):
    """``(cfg, notice, path)``: the config to start with, what is wrong with its file
    (None = nothing; shown in ``status`` as ``config=...``) and where ``save`` writes
    (None = nowhere). The notice is logged once; a file named with ``--config`` that
    does not exist is said at WARNING (a typo in a unit file must not go unseen)."""
    from pi_app.config import DEFAULT_CONFIG_PATH, Config
    from pi_app.config_store import MISSING, load_config_or_defaults

    if path is None and not DEFAULT_CONFIG_PATH.exists():
        return Config.defaults(), None, None
    explicit = path is not None
    path = Path(path) if explicit else DEFAULT_CONFIG_PATH
    cfg, notice = load_config_or_defaults(path)
    if notice:
        level = max(notice.level, logging.WARNING) if explicit else notice.level
        log.log(level, "config: %s", notice)
        if notice.state == MISSING and not explicit:
            notice = None
    return cfg, notice, path


def run(args) -> int:
    from pi_app.clock import MonotonicClock, PacedClock
    from pi_app.device import build_device
    from pi_app.service import Notifier

    cfg, notice, config_path = load_startup_config(args.config)
    notifier = Notifier()
    scenario = None
    if args.sim:
        from pi_app.sim.rig import scenario_config
        from pi_app.sim.scenario import load_scenario

        scenario = load_scenario(args.sim)
        cfg = scenario_config(scenario, cfg)
    holder = ConfigHolder(cfg)
    recorder = _recorder(args.record, cfg, args.policy)
    if scenario is not None:
        from pi_app.sim.rig import SimRig

        rig = SimRig(scenario, policy=args.policy, cfg=cfg, clock=PacedClock(speed=args.speed),
                     holder=holder, notifier=notifier, recorder=recorder)
        device, clock, port = rig.device, rig.clock, args.serial_port
        close_extra = rig.close
    else:
        from pi_app.sensors.bus import BusKeeper, ReopeningBus, smbus2_opener

        clock = MonotonicClock()
        bus = ReopeningBus(smbus2_opener(cfg.i2c.bus), f"/dev/i2c-{cfg.i2c.bus}")
        device = build_device(cfg, bus, clock, notifier=notifier, recorder=recorder,
                              policy=args.policy, holder=holder)
        device.loop.hooks.append(BusKeeper(bus, cfg.i2c.bus, device.loop.notices, clock.now_s()))
        port = args.serial_port or cfg.serial.port
        close_extra = bus.close
    loop = device.loop
    holder.attach(loop)
    if notice:
        loop.notices["config"] = notice
    console = _console(port, holder, loop, config_path, cfg)
    stop = _install_signal_handlers(loop)
    _announce(device, notifier)
    try:
        until_s = None if args.duration is None else clock.now_s() + args.duration
        loop.run(until_s=until_s)
    finally:
        notifier.stopping()
        if console is not None:
            console.close()
        device.close()
        close_extra()
        if recorder is not None:
            recorder.close()
        stop()
    return 0


def _announce(device, notifier) -> None:
    """Tell systemd the device is ready only when it can alert the runner: a device
    with no working buzzer or motor stays "activating" with a STATUS saying why (the
    unit's TimeoutStartSec then fails and restarts it), while it keeps retrying the
    outputs and sends READY=1 as soon as one works."""
    report = device.selftest_report()   # build_device has logged it
    if device.can_alert:
        notifier.ready(status=report)
        return
    notifier.status("NOT READY: cannot alert the runner (no buzzer or motor works); "
                    "retrying the outputs; " + report)
    if device.output_keeper is not None:
        device.output_keeper.on_restored = lambda: notifier.ready(status=device.selftest_report())


def _console(port, holder, loop, config_path, cfg):
    if not port:
        return None
    from pi_app.serial_console import SerialConsole

    console = SerialConsole(port, get_config=holder.get, apply_config=holder.apply,
                            status=loop.status, config_path=config_path,
                            baudrate=cfg.serial.baudrate, stream_source=lambda: telemetry(loop))
    console.start()
    return console


def telemetry(loop) -> str:
    """One line for ``stream on``: level and each sensor's distance."""
    parts = [f"level={loop.state.level.label}"]
    if loop.state.kind:
        parts.append(f"kind={loop.state.kind}")
    if loop.state.side:
        parts.append(f"side={loop.state.side}")
    for channel in loop.channels:
        r = channel.last_reading
        parts.append(f"{channel.id}={'-' if r is None or r.distance_m is None else f'{r.distance_m:.3f}'}")
        ttc = getattr(channel.detector, "ttc_s", None)
        if ttc is not None:
            parts.append(f"{channel.id}.ttc_s={ttc:.2f}")
    return " ".join(parts)


def _recorder(path, cfg, policy: str):
    if not path:
        return None
    from pi_app.record import Recorder

    return Recorder(path, cfg, policy=policy)


def _install_signal_handlers(loop):
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {}

    def handler(signum, frame):
        log.warning("signal %d: stopping", signum)
        loop.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, handler)

    def restore():
        for sig, h in previous.items():
            signal.signal(sig, h)
    return restore
