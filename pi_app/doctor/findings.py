"""What ``backsight doctor`` reports: one ``Finding`` per check, with the fix."""

from __future__ import annotations

from typing import NamedTuple

OK, WARN, FAIL = "ok", "warn", "fail"
_TAGS = {OK: "[ ok ]", WARN: "[warn]", FAIL: "[FAIL]"}


class Finding(NamedTuple):
    """``level`` "ok" | "warn" | "fail"; ``what`` was found; ``fix`` says what to do
    about it ("" when nothing needs doing)."""

    level: str
    what: str
    fix: str = ""


def format_findings(findings) -> str:
    """Human-readable report, one finding per line with its fix indented below."""
    lines = []
    for f in findings:
        lines.append(f"{_TAGS[f.level]} {f.what}")
        if f.fix:
            lines.append(f"       fix: {f.fix}")
    fails = sum(f.level == FAIL for f in findings)
    warns = sum(f.level == WARN for f in findings)
    lines.append(f"{len(findings)} checks: {fails} failed, {warns} warnings")
    return "\n".join(lines)
