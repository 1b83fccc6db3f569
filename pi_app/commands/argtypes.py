"""argparse ``type=`` callables shared by the sub-commands.

Each turns one command-line word into a checked number or raises
``argparse.ArgumentTypeError``, so a bad value ends in argparse's usage line and
exit 2 before any work starts: ``--speed 0``, ``--cycles -1``, ``--timeout nan``.
"""

from __future__ import annotations

import argparse
import math
from typing import Callable


def positive_float(text: str) -> float:
    """A finite number > 0 (``--speed``, ``--timeout``, ``--seconds``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def positive_int(text: str) -> int:
    """A whole number >= 1 (``--cycles``, ``--random``, ``--baud``)."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """A whole number >= 0 (``--seed``)."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def at_most(kind: Callable[[str], float], limit: float) -> Callable[[str], float]:
    """``kind`` (one of the above) that also refuses values above ``limit``."""
    def parse(text: str) -> float:
        value = kind(text)
        if value > limit:
            raise argparse.ArgumentTypeError(f"must be <= {limit:g}, got {text!r}")
        return value
    parse.__name__ = f"{kind.__name__}_at_most_{limit:g}"
    return parse
