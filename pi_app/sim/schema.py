"""Table-driven checking of TOML tables for scenario files.

A table's allowed keys are a dict ``name -> Key(type, default, check)``; ``read_table``
returns every key (defaults filled in) or raises ``ScenarioError`` naming the file and
the dotted key. ``type`` is ``float`` (ints accepted), ``int``, ``str``, ``bool``,
``dict`` (a table), ``list`` (an array of tables) or ``"profile"`` (an array of
``[t_s, value]`` pairs, times >= 0 and strictly increasing; ``check`` applies to values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from pi_app.exc import ScenarioError

REQUIRED = object()   # default of a key that must be given

Check = Callable[[Any], "str | None"]   # None = fine, else what is wrong


@dataclass(frozen=True)
class Key:
    type: Any
    default: Any = None          # None = optional (absent reads as None)
    check: Check | None = None


# --- checks ---------------------------------------------------------------------------
def between(lo: float, hi: float, *, lo_open: bool = False) -> Check:
    def check(v):
        if v < lo or (lo_open and v == lo) or v > hi:
            return f"must be within {lo:g}{' (excluded)' if lo_open else ''}..{hi:g}, got {v:g}"
        return None
    return check


def greater(lo: float) -> Check:
    return lambda v: None if v > lo else f"must be > {lo:g}, got {v:g}"


def at_least(lo: float) -> Check:
    return lambda v: None if v >= lo else f"must be >= {lo:g}, got {v:g}"


def nonzero(max_abs: float) -> Check:
    def check(v):
        if v == 0 or abs(v) > max_abs:
            return f"must be non-zero and within -{max_abs:g}..{max_abs:g}, got {v:g}"
        return None
    return check


def one_of(choices: tuple) -> Check:
    return lambda v: None if v in choices else \
        f"{v!r} is not one of {', '.join(repr(c) for c in choices)}"


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
            _fail(file, key, f"must be a finite number, got {value!r}")
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind in (str, bool, dict, list) and isinstance(value, kind):
        return value
    _fail(file, key, f"expected {_TYPE_NAMES[kind]}, got {value!r} ({type(value).__name__})")


def _profile(value, check: Check | None, file: str, key: str) -> tuple:
    if not isinstance(value, list) or not value:
        _fail(file, key, f"expected {_TYPE_NAMES['profile']} (at least one), got {value!r}")
    points, last_t = [], -math.inf
    for i, pair in enumerate(value):
        here = f"{key}[{i}]"
        if not (isinstance(pair, list) and len(pair) == 2 and all(map(_is_number, pair))):
            _fail(file, here, f"expected a [t_s, value] pair of numbers, got {pair!r}")
        t, v = (float(x) for x in pair)
        if not (math.isfinite(t) and math.isfinite(v)):
            _fail(file, here, f"must be finite numbers, got {pair!r}")
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
        _fail(file, prefix.rstrip(".") or "(top level)", f"expected a table, got {raw!r}")
    for name in raw:
        if name not in spec:
            _fail(file, prefix + name, f"unknown key (allowed: {', '.join(spec)})")
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
        _fail(file, name, f"expected {_TYPE_NAMES[list]}, got {raw!r}")
    return [read_table(item, spec, f"{name}[{i}].", file) for i, item in enumerate(raw)]
