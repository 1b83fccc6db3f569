"""The docs keep their promises: every test a document names exists, and the
failure-mode table covers every failure the device must survive, each with a test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md"))
TEST_REF = re.compile(r"`((?:tests|benchmarks)/[\w/]+\.py)::(\w+)`")
#: what the device must survive loudly: each needs a row in docs/failure-modes.md
FAILURES = ("I²C bus missing", "Chip missing", "Chip unplugged", "Bus errors", "Stuck bus",
            "Impossible readings", "No output works", "Loop stall",
            "Config file with mistakes", "Config file that does not parse",
            "Config file missing", "Bad setting", "A setting the loop cannot apply",
            "Power cut during `save`", "Console flood", "Closed pipe", "Bad scenario file",
            "Uninstall")


def named_tests():
    for doc in DOCS:
        for path, name in TEST_REF.findall(doc.read_text(encoding="utf-8")):
            yield doc.name, path, name


@pytest.mark.parametrize("doc, path, name", sorted(set(named_tests())))
def test_every_test_a_document_names_exists(doc, path, name):
    source = (ROOT / path).read_text(encoding="utf-8")
    assert re.search(rf"^def {name}\(", source, re.M), f"{doc} names {path}::{name}"


def test_the_failure_mode_table_has_a_row_with_a_test_for_every_failure():
    rows = [line for line in (ROOT / "docs/failure-modes.md").read_text(encoding="utf-8")
            .splitlines() if line.startswith("| **")]
    for failure in FAILURES:
        row = next((r for r in rows if r.startswith(f"| **{failure}")), None)
        assert row is not None, f"no row for {failure}"
        assert TEST_REF.search(row), f"the row for {failure} names no test"

