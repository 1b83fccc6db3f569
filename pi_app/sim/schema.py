"""Table-driven checking of TOML tables for scenario files.

A table's allowed keys are a dict ``name -> Key(type, default, check)``; ``read_table``
returns every key (defaults filled in) or raises ``ScenarioError`` naming the file and
the dotted key. ``type`` is ``float`` (ints accepted), ``int``, ``str``, ``bool``,
``dict`` (a table), ``list`` (an array of tables) or ``"profile"`` (an array of
``[t_s, value]`` pairs, times >= 0 and strictly increasing, at most
``MAX_PROFILE_POINTS``; ``check`` applies to values). A ``list`` key's ``check`` sees the
whole array, so ``at_most_items(n)`` refuses an oversized one before any entry is read.
"""

from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass
from typing import Any, Callable

from pi_app.exc import ScenarioError

REQUIRED = object()   # default of a key that must be given
SHOWN_CHARS = 60      # a value quoted in a message is cut to about this long
#: points of one profile: a point per 10 ms for 100 s, far more than a hand-written
#: profile needs, and each run looks values up in it every loop cycle
MAX_PROFILE_POINTS = 10_000

Check = Callable[[Any], "str | None"]   # None = fine, else what is wrong


@dataclass(frozen=True)
class Key:
    type: Any
    default: Any = None          # None = optional (absent reads as None)
    check: Check | None = None


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = SHOWN_CHARS
_REPR.maxlevel = 3


def show(value) -> str:
    """A file's value as quoted in a message: its repr on one line, cut short."""
    return _REPR.repr(value)


def _key_name(name: str) -> str:
    """A key as written in the file, quoted when it would not read as one plain word."""
    return name if name.isprintable() and len(name) <= SHOWN_CHARS else show(name)


# --- checks ---------------------------------------------------------------------------
def _num(v) -> str:
    """A number in a message: floats as ``%g``, integers exactly (a huge one cut short)."""
    return format(v, "g") if isinstance(v, float) else show(v)


def between(lo: float, hi: float, *, lo_open: bool = False) -> Check:
    def check(v):
        if v < lo or (lo_open and v == lo) or v > hi:
            return f"must be within {lo:g}{' (excluded)' if lo_open else ''}..{hi:g}, got {_num(v)}"
        return None
    return check


def greater(lo: float) -> Check:
    return lambda v: None if v > lo else f"must be > {lo:g}, got {_num(v)}"


def at_least(lo: float) -> Check:
    return lambda v: None if v >= lo else f"must be >= {lo:g}, got {_num(v)}"


def nonzero(max_abs: float) -> Check:
    def check(v):
        if v == 0 or abs(v) > max_abs:
            return f"must be non-zero and within -{max_abs:g}..{max_abs:g}, got {_num(v)}"
        return None
    return check


def at_most(hi: float) -> Check:
    return lambda v: None if v <= hi else f"must be <= {_num(hi)}, got {_num(v)}"


def all_of(*checks: Check) -> Check:
    """The first problem any of ``checks`` finds."""
    def check(v):
        return next((p for p in (c(v) for c in checks) if p), None)
    return check


def at_most_items(limit: int) -> Check:
    return lambda v: None if len(v) <= limit else f"at most {limit} entries, got {len(v)}"


def one_of(choices: tuple) -> Check:
    return lambda v: None if v in choices else \
        f"{show(v)} is not one of {', '.join(repr(c) for c in choices)}"


# --- reading --------------------------------------------------------------------------
_TYPE_NAMES = {float: "a number", int: "an integer", str: "a string", bool: "true or false",
               dict: "a table", list: "an array of tables ([[...]])", "profile":
               "an array of [t_s, value] pairs"}


def _fail(file: str, key: str, message: str):
    raise ScenarioError(f"{file}: {key}: {message}")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _coerce(value, kind, file: str, key: str):
    if kind is float and _is_number(value):
        if not math.isfinite(value):
            _fail(file, key, f"must be a finite number, got {show(value)}")
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind in (str, bool, dict, list) and isinstance(value, kind):
        return value
    _fail(file, key, f"expected {_TYPE_NAMES[kind]}, got {show(value)} ({type(value).__name__})")


def _profile(value, check: Check | None, file: str, key: str) -> tuple:
    if not isinstance(value, list) or not value:
        _fail(file, key, f"expected {_TYPE_NAMES['profile']} (at least one), got {show(value)}")
    if len(value) > MAX_PROFILE_POINTS:
        _fail(file, key, f"at most {MAX_PROFILE_POINTS} points, got {len(value)}")
    points, last_t = [], -math.inf
    for i, pair in enumerate(value):
        here = f"{key}[{i}]"
        if not (isinstance(pair, list) and len(pair) == 2 and all(map(_is_number, pair))):
            _fail(file, here, f"expected a [t_s, value] pair of numbers, got {show(pair)}")
        t, v = (float(x) for x in pair)
        if not (math.isfinite(t) and math.isfinite(v)):
            _fail(file, here, f"must be finite numbers, got {show(pair)}")
        if t < 0:
            _fail(file, here, f"time must be >= 0, got {t:g}")
        if t <= last_t:
            _fail(file, here, f"times must increase, got {t:g} after {last_t:g}")
        problem = check(v) if check else None
        if problem:
            _fail(file, here, problem)
        points.append((t, v))
        last_t = t
    return tuple(points)


def read_table(raw, spec: dict[str, Key], prefix: str, file: str) -> dict:
    """Check table ``raw`` against ``spec``; keys in errors read ``prefix + name``."""
    if not isinstance(raw, dict):
        _fail(file, prefix.rstrip(".") or "(top level)", f"expected a table, got {show(raw)}")
    for name in raw:
        if name not in spec:
            _fail(file, prefix + _key_name(name), f"unknown key (allowed: {', '.join(spec)})")
    out = {}
    for name, key in spec.items():
        where = prefix + name
        if name not in raw:
            if key.default is REQUIRED:
                _fail(file, where, "missing")
            out[name] = key.default
            continue
        value = raw[name]
        if key.type == "profile":
            out[name] = _profile(value, key.check, file, where)
            continue
        value = _coerce(value, key.type, file, where)
        problem = key.check(value) if key.check else None
        if problem:
            _fail(file, where, problem)
        out[name] = value
    return out


def read_array(raw, spec: dict[str, Key], name: str, file: str) -> list[dict]:
    """Check an array of tables (``[[name]]``); keys in errors read ``name[i].key``."""
    if not isinstance(raw, list):
        _fail(file, name, f"expected {_TYPE_NAMES[list]}, got {show(raw)}")
    return [read_table(item, spec, f"{name}[{i}].", file) for i, item in enumerate(raw)]
