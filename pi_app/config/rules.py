"""Cross-field rules: what no single key can say alone. Levels in order, an output
that can tell the runner, one GPIO per use and none of the I2C bus's or the console
UART's, unique sensor ids. Each broken rule is a ``Violation`` naming its keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, NamedTuple

from pi_app.config.board import GPIO_UART_PORTS, I2C_PINS, UART_PINS
from pi_app.config.fields import show

if TYPE_CHECKING:
    from pi_app.config.core import Config


class Violation(NamedTuple):
    """A cross-field rule that does not hold: the keys to blame (``sensors`` = the
    sensors table) and one line naming them with their values."""

    keys: tuple[str, ...]
    message: str


def _ordered(cfg: Config, keys: tuple[str, ...], need: str) -> Violation | None:
    """``keys[0] < keys[1] <= keys[2]`` (or ``keys[0] < keys[1]`` for two)."""
    v = [cfg.get(k) for k in keys]
    if v[0] < v[1] and (len(v) < 3 or v[1] <= v[2]):
        return None
    got = ", ".join(f"{k}={show(x)}" for k, x in zip(keys, v))
    return Violation(keys, f"{got}: need {need}")


def _pin_uses(cfg: Config) -> list[tuple[str, str, int]]:
    """Every GPIO the config drives: (name in messages, key to blame, BCM pin)."""
    a = cfg.alert
    uses = [("alert.buzzer_pin", "alert.buzzer_pin", a.buzzer_pin)]
    if a.haptic == "pwm":
        uses.append(("alert.motor_pin", "alert.motor_pin", a.motor_pin))
    if a.haptic != "none" and a.motor_right_pin >= 0:
        uses.append(("alert.motor_right_pin", "alert.motor_right_pin", a.motor_right_pin))
    if a.button_pin >= 0:
        uses.append(("alert.button_pin", "alert.button_pin", a.button_pin))
    uses += [(f"sensors[{i}].xshut_pin", "sensors", s.xshut_pin)
             for i, s in enumerate(cfg.sensors) if s.xshut_pin is not None]
    return uses


def rules(cfg: Config) -> Iterator[Violation | None]:
    """Every cross-field rule of ``cfg``, in the order the messages
    should come: a Violation for each that is broken, None for each that holds."""
    a = cfg.alert
    if a.output == "haptic" and a.haptic == "none":
        yield Violation(("alert.output", "alert.haptic"),
                        "alert.output=haptic with alert.haptic=none: nothing would tell the runner "
                        "(fit a motor or choose the buzzer)")
    yield _ordered(cfg, ("obstacle.danger_ttc_s", "obstacle.warning_ttc_s", "obstacle.caution_ttc_s"),
                   "danger_ttc_s < warning_ttc_s <= caution_ttc_s")
    yield _ordered(cfg, ("obstacle.danger_distance_m", "obstacle.warning_distance_m",
                         "obstacle.caution_distance_m"),
                   "danger_distance_m < warning_distance_m <= caution_distance_m")
    for end in ("console", "rear"):
        yield _ordered(cfg, (f"deck.{end}_danger_m", f"deck.{end}_warning_m"),
                       f"danger margins smaller than warning margins ({end}_danger_m < {end}_warning_m)")
    d = cfg.deck
    if d.console_warning_m + d.rear_warning_m >= d.deck_length_m:
        yield Violation(("deck.console_warning_m", "deck.rear_warning_m", "deck.deck_length_m"),
                        f"deck.console_warning_m={show(d.console_warning_m)} + deck.rear_warning_m="
                        f"{show(d.rear_warning_m)} >= deck.deck_length_m={show(d.deck_length_m)}: "
                        f"the warning margins must leave room on the deck")
    ids = [s.id for s in cfg.sensors]
    for sensor_id in sorted({i for i in ids if ids.count(i) > 1}):
        yield Violation(("sensors",), f"sensors: id {show(sensor_id)} is used twice (ids must be unique)")
    uses = _pin_uses(cfg)
    by_pin: dict[int, list] = {}
    for use in uses:
        by_pin.setdefault(use[2], []).append(use)
    for pin, same in by_pin.items():
        if len(same) > 1:
            names = [f"{name}={pin}" for name, _, _ in same]
            yield Violation(tuple(dict.fromkeys(key for _, key, _ in same)),
                            f"{', '.join(names[:-1])} and {names[-1]}: one GPIO cannot do both")
    bus_pins = I2C_PINS.get(cfg.i2c.bus, {})
    uart = cfg.serial.port in GPIO_UART_PORTS
    for name, key, pin in uses:
        if pin in bus_pins:
            yield Violation((key,), f"{name}={pin}: GPIO{pin} is {bus_pins[pin]} of I2C bus "
                                    f"{cfg.i2c.bus} (i2c.bus={cfg.i2c.bus})")
        elif uart and pin in UART_PINS:
            yield Violation((key,), f"{name}={pin}: GPIO{pin} is the console UART's {UART_PINS[pin]} "
                                    f"(serial.port={cfg.serial.port})")
