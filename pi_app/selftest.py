"""Start-up self-test: every configured sensor and output is probed while the device is
built (``pi_app.device.build_device``); what failed is named by id, kind and address,
and the device runs on with what works and says what it cannot watch.

The range sensors are started by ``sensors.factory.bring_up``: one that did not start
keeps its slot, reports FAULT "no answer", and the loop keeps re-initialising it with
back-off, so a replugged chip comes back by itself. ``open_outputs`` keeps whichever
configured outputs work (a missing DRV2605L must not silence the buzzer or the right
motor, which then plays every side's rhythm alone);
``open_button`` is optional. ``report`` is the one-line result for the log, the serial
``status`` (``selftest=...``) and systemd's status line.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from pi_app.exc import ConfigError
from pi_app.sensors.chips import XSHUT, chip

log = logging.getLogger(__name__)

#: the right hip's motor in ``errors`` and the report (a space: no sensor id has one)
HAPTIC_RIGHT = "haptic right"

#: what a role watches, for "cannot watch ..."
WATCHES = {"obstacle": "obstacles behind", "surface": "the ground (holes, kerbs, roots)",
           "deck": "the treadmill deck"}


# --- naming what failed ---------------------------------------------------------------
def describe_sensor(sc) -> str:
    """``rear (vl53l1x at 0x30, XSHUT GPIO17)``: id, kind and where it should answer."""
    where = f"at 0x{sc.bus_address:02x}"
    if sc.mux_address is not None:
        where += f" behind TCA9548A 0x{sc.mux_address:02x} channel {sc.mux_channel}"
    if sc.xshut_pin is not None and chip(sc.kind).sharing == XSHUT:
        where += f", XSHUT GPIO{sc.xshut_pin}"
    return f"{sc.id} ({sc.kind} {where})"


def two_motors(cfg) -> bool:
    """A left and a right motor are configured."""
    return cfg.alert.haptic != "none" and cfg.alert.motor_right_pin >= 0


def describe_output(name: str, cfg) -> str:
    a = cfg.alert
    if name == "buzzer":
        return f"buzzer ({'passive, tonal' if a.tonal else 'active'} on GPIO{a.buzzer_pin})"
    if name == "haptic":
        label = "haptic left" if two_motors(cfg) else "haptic"
        if a.haptic == "drv2605":
            from pi_app.alert.drv2605 import DEFAULT_ADDRESS

            return f"{label} (DRV2605L at 0x{DEFAULT_ADDRESS:02x}, {a.actuator})"
        return f"{label} (PWM motor on GPIO{a.motor_pin})"
    if name == HAPTIC_RIGHT:
        return f"{HAPTIC_RIGHT} (PWM motor on GPIO{a.motor_right_pin})"
    if name == "button":
        return f"button (GPIO{a.button_pin})"
    return f"outputs (alert.output = {a.output}, alert.haptic = {a.haptic})"


# --- opening outputs ------------------------------------------------------------------
def _parts(cfg) -> list[tuple[str, object]]:
    """The configured outputs one by one, each as a configuration that fits only it
    (projections for ``AlertOutputs``, not settings: they skip ``Config.check``, so a
    part is tried even when another part's pin is what clashes)."""
    names = []
    if cfg.alert.output in ("buzzer", "both"):
        names.append("buzzer")
    if cfg.alert.haptic != "none":
        names.append("haptic")
        if two_motors(cfg):
            names.append(HAPTIC_RIGHT)
    return [(name, _projection(cfg, (name,))) for name in names]


def _projection(cfg, names) -> object:
    """``cfg`` with only the outputs ``names`` fitted. A right motor without the left
    one becomes the only motor (it then plays every pattern, sides by rhythm); without
    the buzzer, alerts go to the motors."""
    a = cfg.alert
    buzzer, left, right = "buzzer" in names, "haptic" in names, HAPTIC_RIGHT in names
    values = {"alert.output": (a.output if left or right else "buzzer") if buzzer else "haptic"}
    if left:
        values["alert.motor_right_pin"] = a.motor_right_pin if right else -1
    elif right:
        values.update({"alert.haptic": "pwm", "alert.motor_pin": a.motor_right_pin,
                       "alert.motor_right_pin": -1})
    else:
        values.update({"alert.haptic": "none", "alert.motor_right_pin": -1})
    return _projected(cfg, values)


def _projected(cfg, values: dict):
    return replace(cfg, values={**cfg.values, **values})


def open_outputs(cfg, *, clock, pin_factory, bus, errors: dict[str, str], quiet: bool = False):
    """``AlertOutputs`` for ``cfg``, or for the part of it that works; failures go to
    ``errors`` ("buzzer", "haptic", or "outputs" when nothing can tell the runner).
    Never raises for hardware: with nothing working it returns ``NoOutputs``.
    A later configuration change (``reconfigure``) tries the failed part again.
    The configured buzzer and motors are opened together; when that fails, each alone,
    then the ones that worked alone together (else the first of them: the buzzer).
    Only configured outputs are tried: a pin the configuration does not name may be
    wired to something else.
    ``quiet``: do not log the failures (a retry every few seconds would flood the
    journal; the caller says it once)."""
    from pi_app.alert.outputs import AlertOutputs

    def attempt(c):
        settings = ("alert.motor_right_pin",) * 2 if c.alert.motor_pin != cfg.alert.motor_pin \
            else ("alert.motor_pin", "alert.motor_right_pin")
        return AlertOutputs(c, clock=clock, pin_factory=pin_factory, bus=bus,
                            motor_settings=settings)

    try:
        return attempt(cfg)
    except (OSError, ConfigError) as exc:
        first = exc
    working = []
    for name, part_cfg in _parts(cfg):
        try:
            attempt(part_cfg).close()
            working.append((name, part_cfg))
        except (OSError, ConfigError) as exc:
            errors[name] = str(exc)
            if not quiet:
                log.error("self-test: %s failed: %s", describe_output(name, cfg), exc)
    if not working:
        errors.setdefault("outputs", str(first))
        if not quiet:
            log.error("self-test: nothing can tell the runner (%s)", first)
        return NoOutputs()
    if 1 < len(working) < len(_parts(cfg)):  # some failed: the others together
        try:
            return attempt(_projection(cfg, [name for name, _ in working]))
        except (OSError, ConfigError):
            pass
    for name, _ in working[1:]:  # each works alone but not together: keep the first
        errors[name] = f"does not work together with the {working[0][0]}: {first}"
    return attempt(working[0][1])


class NoOutputs:
    """Stands in when no output could be opened: the loop runs on (the serial
    ``status`` still reports hazards and faults) and nothing is driven."""

    current = None
    buzzer = haptic = None
    buzzer_on = haptic_on = False

    def command(self, state, t_s: float) -> None:
        self.current = state

    def reconfigure(self, cfg) -> None:
        pass

    def close(self) -> None:
        pass


def open_button(cfg, *, clock, pin_factory, errors: dict[str, str]):
    """The mute/profile button of ``cfg`` (None when not configured or when it failed;
    the failure goes to ``errors["button"]``)."""
    from pi_app.alert.button import MuteButton

    try:
        return MuteButton.from_config(cfg, clock=clock, pin_factory=pin_factory)
    except (OSError, ConfigError) as exc:
        errors["button"] = str(exc)
        log.error("self-test: %s failed: %s", describe_output("button", cfg), exc)
        return None


# --- the report -----------------------------------------------------------------------
def report(cfg, errors: dict[str, str], slot_roles: dict[str, str | None]) -> str:
    """One line: ``self-test ok: ...`` or ``self-test FAILED: <what> : <why> | ...;
    running with: ...; cannot watch: ...``. ``slot_roles``: each range sensor's id and
    what it watches in the current profile (None = not used in this profile)."""
    sensors = {s.id: s for s in cfg.sensors}
    fitted = [s.id for s in cfg.sensors]
    if not errors:
        outs = [describe_output(n, cfg) for n, _ in _parts(cfg)]
        if cfg.alert.button_pin >= 0:
            outs.append(describe_output("button", cfg))
        return f"self-test ok: sensors {', '.join(fitted)}; " + ", ".join(outs)
    failed = []
    for key, message in errors.items():
        what = describe_sensor(sensors[key]) if key in sensors else describe_output(key, cfg)
        failed.append(f"{what}: {message}")
    working = [i for i in fitted if i not in errors]
    working += [n for n, _ in _parts(cfg) if n not in errors and "outputs" not in errors]
    line = "self-test FAILED: " + " | ".join(failed)
    line += f"; running with: {', '.join(working) or 'nothing'}"
    blind = cannot_watch(cfg, errors, slot_roles)
    if blind:
        line += "; cannot " + "; cannot ".join(blind)
    return line


def cannot_watch(cfg, errors: dict[str, str], slot_roles: dict[str, str | None]) -> list[str]:
    """What the device cannot do after the self-test, in words for the runner."""
    out = []
    for role, what in WATCHES.items():
        ids = [i for i, r in slot_roles.items() if r == role]
        if ids and all(i in errors for i in ids):
            out.append(f"watch {what}")
    if any(s.role == "imu" and s.id in errors for s in cfg.sensors):
        out.append("compensate tilt or coach posture (no IMU)")
    if "outputs" in errors:
        out.append("alert the runner (no buzzer or motor works)")
    return out
