"""Announcements as one more source for the arbiter: the self-test's chirp or fault
tone at start, one chirp (belt) or two (treadmill) after a profile switch, the chirp
when outputs work again.

Each is an ``AlertState`` the arbiter weighs like any other report: a start-up chirp
(level CLEAR, detail "ready") sounds only while nothing else is to be said, and the
outputs play it to its end unless a WARNING or DANGER arrives.
"""

from __future__ import annotations

from pi_app.detect import AlertState, CLEAR, Level

#: the ready chirp: self-test passed, a profile switch (one per chirp), outputs back
READY = AlertState(Level.CLEAR, None, None, "ready")
#: the self-test's fault tone: a sensor or output did not start
SELFTEST_FAIL = AlertState(Level.FAULT, "fault", None, "selftest_fail")


class Announcer:
    """``announce(state, start_s, duration_s)`` queues a state; ``update(pose, t_s)`` (the
    loop calls it with the coaches) reports it from ``start_s`` for ``duration_s``."""

    def __init__(self) -> None:
        self._due: list[tuple[float, float, AlertState]] = []   # (start_s, end_s, state)
        self.on_announce = None  # callable(start_s, duration_s, state), e.g. a Recorder

    def announce(self, state: AlertState, start_s: float, duration_s: float) -> None:
        self._due.append((start_s, start_s + duration_s, state))
        self._due.sort(key=lambda d: d[0])
        if self.on_announce is not None:
            self.on_announce(start_s, duration_s, state)

    def pending(self) -> list[tuple[float, float, AlertState]]:
        """What is queued and not yet over: (start_s, end_s, state), by start."""
        return list(self._due)

    def configure(self, cfg) -> None:
        """Nothing to configure: what is announced is decided by who announces."""

    def update(self, pose, t_s: float) -> AlertState:
        due = self._due
        while due and t_s >= due[0][1]:
            due.pop(0)
        if due and t_s >= due[0][0]:
            return due[0][2]
        return CLEAR
