"""gpiozero, imported without the two standard-library packages it loads only to call later.

gpiozero 2 imports ``importlib.metadata`` (for ``entry_points``, called when a pin
factory or mock pin class is looked up by name) and ``importlib.resources`` (read only
for a 7-segment display's font) at import time. They pull in ``email``, ``zipfile`` and
more: about as long as starting a bare interpreter. gpiozero tries the PyPI back-ports
``importlib_metadata`` / ``importlib_resources`` first; while it is imported here, those
names stand for small stand-ins that load the standard-library module on first use, and
they are gone from ``sys.modules`` afterwards (no other import sees them). Whatever
gpiozero does with them later works as before, only the cost moves to that moment.

Import gpiozero through ``load()`` (or by importing this module first); once gpiozero is
imported, by whichever route, ``load()`` changes nothing.
"""

from __future__ import annotations

import importlib
import sys
import types

#: the back-port names gpiozero tries first, and the standard-library module each stands for
_STAND_INS = {"importlib_metadata": "importlib.metadata",
              "importlib_resources": "importlib.resources"}


class _Deferred(types.ModuleType):
    """A module whose attributes are those of ``target``, imported on first access."""

    def __init__(self, name: str, target: str) -> None:
        super().__init__(name)
        self._target = target

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(importlib.import_module(self._target), attr)


def _entry_points(*args, **kwargs):
    """``importlib.metadata.entry_points``, imported when first called."""
    from importlib.metadata import entry_points
    return entry_points(*args, **kwargs)


def load() -> types.ModuleType:
    """``gpiozero`` with ``gpiozero.pins.mock`` (the simulated rig's pin factory) imported."""
    if "gpiozero.pins.mock" in sys.modules:
        return sys.modules["gpiozero"]
    placed = []
    for name, target in _STAND_INS.items():
        if name not in sys.modules:
            stand_in = _Deferred(name, target)
            if name == "importlib_metadata":
                stand_in.entry_points = _entry_points   # imported by name at import time
            sys.modules[name] = stand_in
            placed.append(name)
    try:
        import gpiozero
        import gpiozero.pins.mock  # noqa: F401
    finally:
        for name in placed:
            del sys.modules[name]
    return gpiozero


load()
