#!/usr/bin/env python3
"""Render the printable mounts in hardware/cad/ to STL and a PNG preview with OpenSCAD.

    sudo apt-get install openscad xvfb      # xvfb only for the PNG previews on a headless machine
    python scripts/render_mounts.py [--only belt_bracket] [-D rail_diameter=28]

The belt bracket's wedge gets the ground sensor's pitch, and its level pocket(s) the
level chips' yaw (0: one pocket straight back), from the default configuration
(``pi_app.config.DEFAULT_SENSORS``), so the printed part and the config agree (for the
bearing kit's two pockets: ``-D rear_yaw_deg=4``); any other
OpenSCAD parameter can be set with ``-D name=value``. tests/system/test_mounts.py renders
each model with a few parameter sets and checks the geometry.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CAD = REPO / "hardware" / "cad"
IMAGE_SIZE_PX = (800, 600)
RENDER_TIMEOUT_S = 300


@dataclass(frozen=True)
class Model:
    """One printable part: its OpenSCAD source and the parameters it is rendered with."""

    name: str
    params: dict[str, float] = field(default_factory=dict)
    #: preview camera: translate x,y,z, rotate x,y,z, distance (--viewall fits it)
    camera: str = "0,0,0,60,0,130,0"

    @property
    def source(self) -> Path:
        return CAD / f"{self.name}.scad"


def default_ground_pitch_deg() -> float:
    """How far down the default kit's ground sensor looks (config pitch_deg is negative)."""
    sys.path.insert(0, str(REPO))
    from pi_app.config import DEFAULT_SENSORS

    [ground] = [s for s in DEFAULT_SENSORS if s.role == "surface"]
    return -ground.pitch_deg


def default_rear_yaw_deg() -> float:
    """How far the default kit's level chips are turned out (0: one, straight back)."""
    sys.path.insert(0, str(REPO))
    from pi_app.config import DEFAULT_SENSORS

    return max(abs(s.yaw_deg) for s in DEFAULT_SENSORS if s.role == "obstacle")


def models() -> tuple[Model, ...]:
    return (Model("belt_bracket", {"ground_pitch_deg": default_ground_pitch_deg(),
                                   "rear_yaw_deg": default_rear_yaw_deg()},
                  camera="0,0,0,80,0,115,0"),   # from the side: the wedge's angle shows
            Model("handrail_clamp"))


def openscad() -> str | None:
    return shutil.which("openscad")


def defines(params: dict[str, float | str]) -> list[str]:
    """``-D name=value`` arguments; a string is passed as written (a vector ``[12.7,17.8]``)."""
    return [arg for key, value in params.items()
            for arg in ("-D", f"{key}={value}" if isinstance(value, str) else f"{key}={value:g}")]


def render_stl(model: Model, out: Path, params: dict[str, float] | None = None) -> Path:
    """``model`` as a binary STL at ``out`` (``params`` override the model's own)."""
    exe = openscad()
    if exe is None:
        raise RuntimeError("openscad not found (sudo apt-get install openscad)")
    args = [exe, "-o", str(out), "--export-format", "binstl",
            *defines({**model.params, **(params or {})}), str(model.source)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S)
    if done.returncode != 0 or not out.exists() or out.stat().st_size <= 84:
        raise RuntimeError(f"openscad failed on {model.source.name}:\n{done.stderr[-2000:]}")
    return out


def render_png(model: Model, out: Path) -> Path:
    """A shaded preview; OpenSCAD needs an X display, so a virtual one when there is none."""
    exe = openscad()
    if exe is None:
        raise RuntimeError("openscad not found (sudo apt-get install openscad)")
    prefix: list[str] = []
    if not os.environ.get("DISPLAY"):
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            raise RuntimeError("no X display for the PNG preview: sudo apt-get install xvfb")
        prefix = [xvfb, "-a"]
    args = [*prefix, exe, "-o", str(out), f"--imgsize={IMAGE_SIZE_PX[0]},{IMAGE_SIZE_PX[1]}",
            f"--camera={model.camera}", "--viewall", "--autocenter", "--colorscheme=Tomorrow",
            *defines(model.params), str(model.source)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S)
    if done.returncode != 0 or not out.exists() or out.stat().st_size == 0:
        raise RuntimeError(f"openscad preview failed on {model.source.name}:\n{done.stderr[-2000:]}")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=[m.name for m in models()], help="one model")
    parser.add_argument("-D", dest="define", action="append", default=[], metavar="NAME=VALUE",
                        help="an OpenSCAD parameter (repeatable)")
    parser.add_argument("--out-dir", type=Path, default=CAD)
    parser.add_argument("--no-png", action="store_true", help="STL only (no X display needed)")
    args = parser.parse_args(argv)
    extra: dict[str, float | str] = {}
    for item in args.define:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier() or not value.strip():
            parser.error(f"-D {item!r}: expected NAME=VALUE, e.g. rail_diameter=28 or "
                         "obstacle_board=[12.7,17.8]")
        extra[key] = value.strip()      # OpenSCAD reads numbers, vectors and expressions
    for model in models():
        if args.only and model.name != args.only:
            continue
        model = Model(model.name, {**model.params, **extra}, model.camera)
        args.out_dir.mkdir(parents=True, exist_ok=True)
        print("wrote", render_stl(model, args.out_dir / f"{model.name}.stl"))
        if not args.no_png:
            print("wrote", render_png(model, args.out_dir / f"{model.name}.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
