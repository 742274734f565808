"""A body's sequence numbers: 1, 2, 3… over every event it publishes on a bus, counted locally.

The bus refuses a gap or a repeat in a body's count (streams/sequence.py), so a body has one
count per bus, kept by its ingest topic's name, where its events are stored: the outbox numbers
inside the transaction that stores them, after leaving out those it already holds; a publisher
without an outbox takes numbers from a ``Sequencer``: by default the outbox file's count (see
fourfold/bootstrap.py), so both ways of publishing share it.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import ClassVar

from producers.errors import OutboxError
from schemas.files import private_file

SCHEMA = "CREATE TABLE IF NOT EXISTS sequence (topic TEXT PRIMARY KEY, last INTEGER NOT NULL)"


def take(db: sqlite3.Connection, topic: str, count: int) -> int:
    """Reserve ``count`` numbers on ``topic`` inside the caller's transaction; the first of them."""
    row = db.execute("SELECT last FROM sequence WHERE topic = ?", (topic,)).fetchone()
    last = int(row[0]) if row else 0
    if count:
        db.execute(
            "INSERT INTO sequence (topic, last) VALUES (?, ?)"
            " ON CONFLICT (topic) DO UPDATE SET last = excluded.last",
            (topic, last + count),
        )
    return last + 1


class Sequencer:
    """The count of a publisher without an outbox: in a SQLite file shared by the processes that
    open it, or, with no ``path``, in this process's memory, starting at 1: for a bus that is new
    to the body (a test's, a demo's), since the count is forgotten when the process ends."""

    _in_memory: ClassVar[dict[str, int]] = {}
    _memory_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path | None = None):
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        if path is None:
            return
        private_file(path)
        try:
            self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode = WAL")  # as the outbox, which may share the file
            self._db.execute(SCHEMA)
        except sqlite3.Error as exc:
            raise OutboxError(f"cannot open the sequence file {path}: {exc}") from exc

    def take(self, topic: str, count: int) -> int:
        """Reserve ``count`` numbers on ``topic``; the first of them."""
        if self._db is None:
            with self._memory_lock:
                first = self._in_memory.get(topic, 0) + 1
                self._in_memory[topic] = first - 1 + count
                return first
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                first = take(self._db, topic, count)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise OutboxError(f"sequence file {self.path}: {exc}") from exc
            return first

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
