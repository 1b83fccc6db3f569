"""The README's headline - what the default kit sees in the dark and in sun, and the
warning time that leaves at walk, jog and run - is what scripts/headline.py computes
from the chip catalogue and the default configuration, not numbers typed by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import headline  # noqa: E402

from pi_app.config import DEFAULT_SENSORS  # noqa: E402
from pi_app.sim.optics import max_range_m  # noqa: E402


def test_the_readme_headline_is_the_scripts_output():
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "headline.py")], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert out in readme, "the README's headline is stale: run python scripts/headline.py --write"
    assert readme.index(headline.BEGIN) < readme.index("## Set-up")     # up front


def test_the_headline_states_the_default_obstacle_sensors_range_in_dark_and_sun():
    [rear] = [s for s in DEFAULT_SENSORS if s.role == "obstacle"]
    text = headline.block()
    dark = max_range_m(rear.kind, sunlight=0.0, distance_mode=rear.distance_mode,
                       timing_budget_ms=rear.timing_budget_ms)
    sun = max_range_m(rear.kind, sunlight=1.0, distance_mode=rear.distance_mode,
                      timing_budget_ms=rear.timing_budget_ms)
    assert f"**{dark:.1f} m**" in text and f"**{sun:.2f} m**" in text
    assert sun < dark / 3                        # the candid part: sun takes most of it


def test_the_warning_times_follow_from_range_speed_and_reaction():
    assert headline.warning_s(3.0, 1.5, 0.03) == 3.0 / 1.5 - 0.03
    assert headline.lead_cell(1.0) == "1.0 s (0.6 s)"
    assert headline.lead_cell(0.42) == "0.4 s (**none**)"
    rows = [line for line in headline.block().splitlines() if line.startswith("| ")][2:]
    assert [r.split(",")[0] for r in rows[:3]] == ["| walk", "| jog", "| run"]
    assert "cyclist" in rows[3]


def test_replacing_the_block_keeps_the_rest_of_the_file():
    text = f"intro\n{headline.BEGIN}\nold\n{headline.END}\nrest\n"
    assert headline.replaced(text, "NEW\n") == "intro\nNEW\nrest\n"
