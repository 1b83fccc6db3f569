"""Style the docs rely on: a module docstring says what and why in a few lines (the
evidence and history live in docs/notes.md), and no file of the package cites an issue
number."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "pi_app"
#: the most lines a module docstring may have (aim for 3-10)
MAX_MODULE_DOC_LINES = 15
#: "issue 8", "Issue #12", "issues 3": a tracker reference, which belongs in git history
ISSUE_NUMBER = re.compile(r"\bissues?\s+#?\d+", re.IGNORECASE)
SOURCES = sorted(PACKAGE.rglob("*.py"))
FILES = sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def module_doc_lines(source: str) -> int:
    """Lines of the module docstring of ``source`` (0 = none)."""
    doc = ast.get_docstring(ast.parse(source))
    return len(doc.splitlines()) if doc else 0


def issue_numbers(text: str) -> list[str]:
    """Every issue-number mention in ``text``, as written."""
    return [m.group(0) for m in ISSUE_NUMBER.finditer(text)]


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_checks_see_the_package():
    assert len(SOURCES) > 50 and PACKAGE / "loop.py" in SOURCES
    assert any(p.suffix == ".toml" for p in FILES)


def test_module_doc_lines_counts_the_docstring_only():
    long_doc = '"""Title.\n\n' + "line\n" * 14 + '"""\nX = 1  # a comment\n'
    assert module_doc_lines(long_doc) == 16
    assert module_doc_lines('"""One line."""\n') == 1
    assert module_doc_lines("X = 1\n") == 0


def test_issue_numbers_are_found_in_any_spelling():
    assert issue_numbers("was 0.6 s (issue 8); see Issue #12 and issues 3") == [
        "issue 8", "Issue #12", "issues 3"]
    assert issue_numbers("an issue with 3 sensors; tissue 4") == []


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_module_docstring_is_short(path):
    lines = module_doc_lines(path.read_text(encoding="utf-8"))
    assert lines <= MAX_MODULE_DOC_LINES, (
        f"{_rel(path)}: module docstring of {lines} lines (at most {MAX_MODULE_DOC_LINES}; "
        "evidence and history go to docs/notes.md)")


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_no_issue_numbers(path):
    found = issue_numbers(path.read_text(encoding="utf-8", errors="replace"))
    assert not found, f"{_rel(path)} cites {found}: say the fact, not the ticket"
