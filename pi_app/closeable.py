"""``Closeable``: the one lifetime contract every device-like object here follows,
after gpiozero's ``Closeable``: ``close()`` may be called any number of times,
``closed`` says whether it was, and the object is a context manager."""

from __future__ import annotations


class Closeable:
    """Subclasses put their release work in ``_close()`` (called once)."""

    _closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Release what the object holds. Idempotent."""
        if self._closed:
            return
        try:
            self._close()
        finally:
            self._closed = True

    def _close(self) -> None:
        """Release work, done once; must not raise for hardware that has vanished."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
