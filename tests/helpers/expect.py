"""A simulated run against its scenario's ``[expect]`` table (docs/scenarios.md).

``[expect]`` is ground truth written for documentation and tests; the device never reads
it, so the check lives with the tests: ``check_expect(scenario, result) == []`` for a run
that keeps every promise, else one line per broken one.
"""

from __future__ import annotations

from pi_app.sim.scenario_types import Scenario


def check_expect(scenario: Scenario, result: dict) -> list[str]:
    """Ways ``result`` (from ``pi_app.sim.evaluate.evaluate``) breaks the scenario's
    ``[expect]`` table: ``hazards`` and ``contacts`` exactly, the ``*_max`` at most."""
    e, s, problems = scenario.expect, result["summary"], []
    contacts = s["hit"] + s["late"] + s["missed"]
    checks = (("hazards", s["hazards"], e.hazards, True),
              ("contacts", contacts, e.contacts, True),
              ("false_alarms_max", s["false_alarms"], e.false_alarms_max, False),
              ("missed_max", s["missed"], e.missed_max, False))
    for name, actual, limit, exact in checks:
        if limit is not None and (actual != limit if exact else actual > limit):
            problems.append(f"{scenario.name}: expect.{name} = {limit}, got {actual}")
    return problems
