"""Event ids: random (version 4) UUIDs drawn from the OS in blocks, not one system call each.

``uuid.uuid4()`` reads the OS's random source for every id, and that call lets go of the GIL; on a
busy machine getting it back from kafka-python's network thread costs more than the id itself.
"""

from __future__ import annotations

import os
import threading
import uuid

_BLOCK = 16 * 256


class EventIds:
    """Thread-safe source of unpredictable, unique event ids."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool = b""
        self._at = 0
        os.register_at_fork(after_in_child=self._forget)  # a child must never reuse its parent's ids

    def new(self) -> uuid.UUID:
        with self._lock:
            if self._at >= len(self._pool):
                self._pool, self._at = os.urandom(_BLOCK), 0
            raw = self._pool[self._at : self._at + 16]
            self._at += 16
        return uuid.UUID(bytes=raw, version=4)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._pool, self._at = b"", 0


new_event_id = EventIds().new
