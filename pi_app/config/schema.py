"""The schema: every setting in one table (``SCHEMA``, in the order the default file
lists them), by key (``FIELDS``) and by section (``SECTIONS``), and the immutable
section type each section's values are read through (``cfg.obstacle.warning_ttc_s``).
"""

from __future__ import annotations

from collections import namedtuple

from pi_app.config.fields import Field
from pi_app.config.schema_detect import DECK, IMU, OBSTACLE, SURFACE
from pi_app.config.schema_device import ALERT, DEVICE, HEALTH, I2C, POSTURE, REST, SERIAL

SCHEMA: tuple[Field, ...] = (*DEVICE, *I2C, *OBSTACLE, *SURFACE, *DECK, *IMU, *HEALTH, *ALERT,
                             *POSTURE, *REST, *SERIAL)

FIELDS: dict[str, Field] = {f.key: f for f in SCHEMA}
SECTIONS: dict[str, tuple[str, ...]] = {}
for _f in SCHEMA:
    SECTIONS.setdefault(_f.section, ())
    SECTIONS[_f.section] += (_f.name,)
del _f
#: One immutable type per section, e.g. ``ObstacleConfig(caution_ttc_s=4.0, ...)``.
SECTION_TYPES = {s: namedtuple(s.capitalize() + "Config", names) for s, names in SECTIONS.items()}


def default_values() -> dict:
    """Every key with its default value."""
    return {f.key: f.default for f in SCHEMA}
