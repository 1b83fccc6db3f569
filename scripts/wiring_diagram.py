#!/usr/bin/env python3
"""Draw hardware/wiring.svg from the "Header pins" table in hardware/wiring.md.

    pip install 'backsight[docs]'        # schemdraw
    python scripts/wiring_diagram.py [--out hardware/wiring.svg] [--buzzer-out hardware/buzzer-driver.svg]

wiring.svg, left: the Pi's header pins that are used, each wired to what it drives.
Right: the transistor drivers of the two plain ERM vibration motors, left hip and right
hip (the "motor left" and "motor right" rows' GPIOs).
buzzer-driver.svg: the same low-side switch for a bare 5 V buzzer (the buzzer row's
GPIO), which a buzzer module carries on its own board. The table is the single source;
tests/system/test_hardware_docs.py checks it against the config defaults.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WIRING_MD = REPO / "hardware" / "wiring.md"


def markdown_table(text: str, heading: str) -> list[dict[str, str]]:
    """Rows of the first pipe table after ``## heading``, as dicts keyed by column."""
    section = text.split(f"## {heading}\n", 1)[1]
    table = []
    for line in section.splitlines():
        if line.strip().startswith("|"):
            table.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif table:
            break                                   # the table ended
    header, body = table[0], table[2:]              # table[1] is the --- row
    return [dict(zip(header, cells)) for cells in body]


def short(device: str) -> str:
    """The device column without its parenthesised details, for a label."""
    return re.sub(r"\s*\(.*?\)", "", device)


def draw(rows: list[dict[str, str]], out: Path) -> None:
    import schemdraw
    import schemdraw.elements as elm

    schemdraw.use("svg")  # the built-in SVG backend: same bytes whether or not matplotlib is installed
    schemdraw.config(fontsize=11, font="sans-serif")
    pins = sorted(rows, key=lambda r: int(r["pin"]))
    with schemdraw.Drawing(show=False) as d:
        d.config(unit=2.5)
        header = elm.Ic(pins=[elm.IcPin(name=f"{r['signal']} · pin {r['pin']}"
                                        + (f" · GPIO{r['BCM']}" if r["BCM"] != "-" else ""),
                                        side="right", slot=f"{i + 1}/{len(pins)}", anchorname=f"p{i + 1}")
                              for i, r in enumerate(reversed(pins))],
                        size=(7.5, 0.62 * len(pins)), pinspacing=0.6, edgepadH=0.3,
                        label="Raspberry Pi 40-pin header", lblsize=13, lblloc="top")
        d += header
        for i, r in enumerate(reversed(pins)):
            anchor = getattr(header, f"p{i + 1}")
            d += elm.Line().at(anchor).right(5.5).label(short(r["device"]), loc="right", fontsize=10)

        # plain ERM drivers on the right, one per hip: motor and flyback diode in
        # parallel from 5 V, each switched by its own transistor
        for i, (signal, key) in enumerate((("motor left", "motor_pin"),
                                           ("motor right", "motor_right_pin"))):
            d.move_from(header.p1, dx=27, dy=7.5 - 8.5 * i)
            motor_bcm = next(r["BCM"] for r in rows if r["signal"] == signal)
            hip = signal.split()[1]
            low_side_switch(d, "5 V", lambda hip=hip: elm.Motor().down().label(
                                f"ERM\n{hip}\nmotor", loc="top", ofst=0.5),
                            "1N4148\nflyback", "2N2222", f"GPIO{motor_bcm} ({key})")
        d.save(str(out))


def low_side_switch(d, supply: str, make_load, diode: str, transistor: str, gpio: str) -> None:
    """From the 5 V ``supply`` through the element ``make_load()`` builds (made here: inside
    a drawing an element joins it where it is made) with ``diode`` across it, into an NPN's
    collector, emitter to GND; the ``gpio`` through 1 kOhm to the base, 10 kOhm from the
    base to GND so the load stays off while the Pi boots."""
    import schemdraw.elements as elm

    d += elm.Vdd().label(supply)
    d += elm.Line().down(0.5)
    top = d.here
    d += (load := make_load())
    d += elm.Line().at(top).right(3)
    d += elm.Diode().down().toy(load.end).reverse().label(diode, loc="bottom", ofst=0.4)
    d += elm.Line().tox(load.end)
    d += elm.Line().at(load.end).down(1.2)
    d += (q := elm.BjtNpn(circle=True).theta(0).anchor("collector").label(transistor, loc="right"))
    d += elm.Ground().at(q.emitter)
    d += elm.Resistor().at(q.base).left().label("1 kΩ")
    d.push()
    d += elm.Line().left(1.5).label(gpio, loc="left")
    d.pop()
    d += elm.Resistor().down().label("10 kΩ", loc="bottom")
    d += elm.Ground()


def draw_buzzer_driver(rows: list[dict[str, str]], out: Path) -> None:
    """A bare active buzzer switched by an NPN from the buzzer GPIO (a GPIO gives ~16 mA,
    a 5 V buzzer wants ~30 mA); a magnetic one needs the diode, a piezo one does not."""
    import schemdraw
    import schemdraw.elements as elm

    schemdraw.use("svg")
    schemdraw.config(fontsize=11, font="sans-serif")
    buzzer = next(r for r in rows if r["signal"] == "buzzer")
    with schemdraw.Drawing(show=False) as d:
        d.config(unit=2.5)
        low_side_switch(d, "5 V (pin 2)",
                        lambda: elm.RBox().down().label("active buzzer\n+ to 5 V", loc="bottom", ofst=0.3),
                        "1N4148: only for a\nmagnetic buzzer", "2N2222 / S8050",
                        f"  GPIO{buzzer['BCM']} · pin {buzzer['pin']}")
        d.save(str(out))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "hardware" / "wiring.svg")
    parser.add_argument("--buzzer-out", type=Path, default=REPO / "hardware" / "buzzer-driver.svg")
    args = parser.parse_args(argv)
    rows = markdown_table(WIRING_MD.read_text(encoding="utf-8"), "Header pins")
    draw(rows, args.out)
    draw_buzzer_driver(rows, args.buzzer_out)
    print(f"wrote {args.out} and {args.buzzer_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
