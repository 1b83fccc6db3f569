"""``backsight`` command line. Each sub-command lives in its own module exposing
``configure_parser(parser)`` and ``run(args) -> int``; this file only dispatches, and
imports a sub-command's module only when it is used (start-up stays fast)."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from pi_app import __version__
from pi_app.exc import BacksightError

#: name -> (module, one-line help)
COMMANDS = {
    "demo": ("pi_app.commands.demo", "live simulated run in the terminal (no hardware needed)"),
    "sim": ("pi_app.commands.sim", "run scenarios faster than real time and report"),
    "run": ("pi_app.commands.run", "run the device (hardware, or simulated with --sim)"),
    "config": ("pi_app.host", "talk to a device's serial console (get/set/save/status/stream/shell)"),
    "doctor": ("pi_app.doctor", "check I2C, chip IDs, boot config, groups, serial and service"),
    "bench": ("pi_app.commands.bench", "measure loop cost per cycle against the naive policy"),
    "replay": ("pi_app.commands.replay", "re-run the detectors on a recording"),
    "plot": ("pi_app.commands.plot", "plot a recording or a scenario run (needs the [plot] extra)"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="backsight", description="backsight: rear-obstacle warnings for backward runners")
    parser.add_argument("--version", action="version", version=f"backsight {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or only == name:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                p.set_defaults(_missing=module_name)
                continue
            module.configure_parser(p)
            p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    only = next((a for a in argv if a in COMMANDS), None)
    parser = build_parser(only)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2),
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return 2
    if getattr(args, "_missing", None):
        print(f"backsight {args.command}: not available in this build", file=sys.stderr)
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BacksightError as exc:
        print(f"backsight {args.command}: error: {exc}", file=sys.stderr)
        return 1
