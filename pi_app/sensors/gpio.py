"""gpiozero, imported without what a belt device never uses (the evidence: docs/notes.md).

gpiozero imports ``importlib.metadata``, ``importlib.resources`` and ``subprocess`` only
to call them later (a pin factory looked up by name, a 7-segment font, ``PingServer``):
while it is imported here those names (its preferred back-ports ``importlib_metadata`` /
``importlib_resources``, and ``subprocess``) are stand-ins that load the real module on
first use, gone from ``sys.modules`` afterwards. Its package is created without running
its ``__init__``, which only re-exports names from submodules (boards, SPI devices,
system monitors among them): a name taken from the package is imported from the
submodule ``__init__`` takes it from, so it is the very object the full package holds.

Import gpiozero through ``load()`` (or by importing this module first); once gpiozero is
imported, by whichever route, ``load()`` changes nothing.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import types

#: the back-port names gpiozero tries first, and the standard-library module each stands for
_STAND_INS = {"importlib_metadata": "importlib.metadata",
              "importlib_resources": "importlib.resources",
              "subprocess": "subprocess"}


class _Deferred(types.ModuleType):
    """A module whose attributes are those of ``target``, imported on first access."""

    def __init__(self, name: str, target: str) -> None:
        super().__init__(name)
        self._target = target

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        if sys.modules.get(self._target) is self:
            del sys.modules[self._target]     # asked while standing in: the real one now
        return getattr(importlib.import_module(self._target), attr)


def _entry_points(*args, **kwargs):
    """``importlib.metadata.entry_points``, imported when first called."""
    from importlib.metadata import entry_points
    return entry_points(*args, **kwargs)


def _exports(init_path: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """From the package's ``__init__``: ``{name: submodule}`` of its ``from .sub import
    name`` lines, and the submodules it star-imports."""
    with open(init_path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), init_path)
    names: dict[str, str] = {}
    stars: list[str] = []
    for node in tree.body:
        if not (isinstance(node, ast.ImportFrom) and node.level == 1 and node.module):
            continue
        for alias in node.names:
            if alias.name == "*":
                stars.append(node.module)
            else:
                names[alias.asname or alias.name] = node.module
    return names, tuple(stars)


def _lazy_package(name: str) -> types.ModuleType | None:
    """Package ``name`` without its ``__init__`` run (None if it is not a plain package):
    its exported names are imported from their submodules when first asked for."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or not spec.submodule_search_locations:
        return None
    package = importlib.util.module_from_spec(spec)
    exports, stars = _exports(spec.origin)

    def __getattr__(attr: str):
        sub = exports.get(attr)
        if sub is not None:
            return getattr(importlib.import_module(f"{name}.{sub}"), attr)
        if not attr.startswith("_"):
            for star in stars:
                module = importlib.import_module(f"{name}.{star}")
                if attr in vars(module):
                    return getattr(module, attr)
        raise AttributeError(f"module {name!r} has no attribute {attr!r}")

    package.__getattr__ = __getattr__
    return package


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
        if "gpiozero" not in sys.modules:
            package = _lazy_package("gpiozero")
            if package is not None:
                sys.modules["gpiozero"] = package
        import gpiozero
        import gpiozero.pins.mock  # noqa: F401
    finally:
        for name in placed:
            if isinstance(sys.modules.get(name), _Deferred):
                del sys.modules[name]
    return gpiozero


load()
