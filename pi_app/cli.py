"""``backsight`` command line. Each sub-command lives in its own module exposing
``configure_parser(parser)`` and ``run(args) -> int``; this file only dispatches, and
imports a sub-command's module only when that command is named (``backsight --help``
imports none, and logging only once a command runs: start-up stays fast).

Every command ends with one line on stderr and an exit code, never a traceback:
0 done; 1 ``backsight CMD: error: ...`` (bad input: a BacksightError, or an OSError
such as a missing file); 2 usage; 70 ``internal error`` (a bug: ``backsight -vv CMD``
prints its traceback); 130 Ctrl-C; 141 stdout was closed early (``| head``: quiet).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from pi_app import __version__
from pi_app.exc import BacksightError

EXIT_ERROR = 1          # bad input: the message says what to fix
EXIT_USAGE = 2          # argparse's own code for a bad command line
EXIT_INTERNAL = 70      # EX_SOFTWARE (sysexits.h): a bug, not the user's input
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that went away
TRACEBACK_VERBOSITY = 2  # -vv: an internal error also prints its traceback

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
    """The whole command line; only the sub-command ``only`` gets its own options (its
    module imported), the others just their name and help line."""
    parser = argparse.ArgumentParser(prog="backsight", description="backsight: rear-obstacle warnings for backward runners")
    parser.add_argument("--version", action="version", version=f"backsight {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if only == name:
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
    import logging

    base = getattr(args, "_log_level", logging.WARNING)     # a command may log more
    logging.basicConfig(level=max(logging.DEBUG, base - 10 * min(args.verbose, 2)),
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if getattr(args, "_missing", None):
        print(f"backsight {args.command}: not available in this build", file=sys.stderr)
        return EXIT_USAGE
    try:
        code = int(args._run(args) or 0)
        sys.stdout.flush()      # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BacksightError as exc:
        _say(args.command, f"error: {exc}")
        return EXIT_ERROR
    except OSError as exc:
        _say(args.command, f"error: {_os_error_text(exc)}")
        return EXIT_ERROR
    except Exception as exc:
        if args.verbose >= TRACEBACK_VERBOSITY:
            import traceback

            traceback.print_exc()
        _say(args.command, f"internal error: {type(exc).__name__}: {exc} "
             "(run with -vv for the traceback)")
        return EXIT_INTERNAL


def _say(command: str, text: str) -> None:
    """One line on stderr, whatever newlines the message carries."""
    print(f"backsight {command}: " + " ".join(text.splitlines()), file=sys.stderr)


def _os_error_text(exc: OSError) -> str:
    """``FILE: reason`` for a file's error, else the error's own text."""
    if exc.strerror and exc.filename is not None:
        return f"{os.fsdecode(exc.filename)}: {exc.strerror}"
    return str(exc)


def _silence_stdout() -> None:
    """Point stdout's descriptor at /dev/null so the interpreter's final flush of what
    is still buffered cannot fail again on the closed pipe (the Python docs' recipe)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        return                  # not a real file (a test's capture): nothing to flush
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
