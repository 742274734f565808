"""The local outbox: signed events kept in SQLite (WAL) until Kafka acknowledges them."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from producers import sequence
from producers.errors import OutboxError
from producers.staged import Outgoing, numbered, to_number
from producers.status import DeliveryState, DeliveryStatus
from schemas.files import private_file

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL UNIQUE,
    body_id    TEXT NOT NULL,
    event_type TEXT NOT NULL,
    topic      TEXT NOT NULL,
    key        BLOB NOT NULL,
    value      BLOB NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending',
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    stored_at  REAL NOT NULL,
    sent_at    REAL,
    partition  INTEGER,
    "offset"   INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (topic, seq) WHERE state = 'pending';
"""
    + sequence.SCHEMA
    + ";"
)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    seq: int
    event_id: uuid.UUID
    event_type: str
    key: bytes
    value: bytes
    attempts: int


class Outbox:
    """One SQLite file, safe to share between threads and processes. A process that dies loses
    nothing it stored, and with ``synchronous="FULL"`` (the default: a clue taken in must survive
    a power cut too) neither does a machine that loses power; "NORMAL" is faster. Acknowledged
    events are forgotten ``retention`` seconds after their acknowledgement (default 7 days; None
    keeps them), their bytes overwritten (``secure_delete``): the file holds signed events."""

    PRUNE_EVERY = 60.0
    """Seconds between two prunings by one process."""

    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: Literal["NORMAL", "FULL"] = "FULL",
        retention: float | None = 7 * 24 * 3600.0,
    ):
        self.path = Path(path)
        self._synchronous = synchronous
        self._retention = retention
        self._pruned_at = float("-inf")
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        private_file(self.path)  # SQLite gives its -wal and -shm files the same mode
        with self._using() as db:
            db.executescript(SCHEMA)
        self.prune_expired()

    def add(self, body_id: str, topic: str, events: Sequence[Outgoing]) -> list[bool]:
        """Store ``events`` in one transaction, numbering the prepared ones in the count of
        ``topic``, the body's ingest topic; for each, False if its id was already stored (it keeps
        the number it had)."""
        now = time.time()
        with self._transaction() as db:
            new = self._not_stored(db, events)
            fresh = [events[i] for i in new]
            ready = numbered(fresh, sequence.take(db, topic, to_number(fresh)))
            db.executemany(
                "INSERT INTO outbox (event_id, body_id, event_type, topic, key, value, stored_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(str(e.event_id), body_id, e.event_type, topic, e.key, e.value, now) for e in ready],
            )
        return [i in new for i in range(len(events))]

    @staticmethod
    def _not_stored(db: sqlite3.Connection, events: Sequence[Outgoing]) -> dict[int, None]:
        """Positions of the events whose id the outbox does not hold, the first of each id only."""
        ids = [str(e.event_id) for e in events]
        held: set[str] = set()
        for at in range(0, len(ids), 500):
            chunk = ids[at : at + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT event_id FROM outbox WHERE event_id IN ({marks})"
            held.update(row[0] for row in db.execute(query, chunk))
        new: dict[int, None] = {}
        for i, event_id in enumerate(ids):
            if event_id not in held:
                held.add(event_id)
                new[i] = None
        return new

    def pending(self, topic: str, *, limit: int) -> list[OutboxRow]:
        """The oldest events not yet acknowledged on ``topic``, in the order they were stored."""
        with self._using() as db:
            rows = db.execute(
                "SELECT seq, event_id, event_type, key, value, attempts FROM outbox"
                " WHERE topic = ? AND state = 'pending' ORDER BY seq LIMIT ?",
                (topic, limit),
            ).fetchall()
        return [OutboxRow(r[0], uuid.UUID(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    def mark_sent(self, acks: Sequence[tuple[int, int, int]]) -> None:
        """Record acknowledgements, as (seq, partition, offset)."""
        now = time.time()
        with self._transaction() as db:
            db.executemany(
                "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?,"
                ' partition = ?, "offset" = ?, last_error = NULL WHERE seq = ?',
                [(now, partition, offset, seq) for seq, partition, offset in acks],
            )
        if now - self._pruned_at >= self.PRUNE_EVERY:
            self.prune_expired()

    def mark_failed(self, seqs: Sequence[int], error: str, *, give_up: bool = False) -> None:
        """Record a failed attempt; ``give_up`` for errors no retry can mend."""
        state = "failed" if give_up else "pending"
        with self._transaction() as db:
            db.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, state = ? WHERE seq = ?",
                [(error[:2000], state, seq) for seq in seqs],
            )

    def depth(self, topic: str) -> int:
        """How many events wait to be acknowledged on ``topic``."""
        with self._using() as db:
            (count,) = db.execute(
                "SELECT count(*) FROM outbox WHERE topic = ? AND state = 'pending'", (topic,)
            ).fetchone()
        return int(count)

    def status(self, event_id: uuid.UUID) -> DeliveryStatus:
        with self._using() as db:
            row = db.execute(
                'SELECT state, attempts, last_error, partition, "offset", sent_at FROM outbox'
                " WHERE event_id = ?",
                (str(event_id),),
            ).fetchone()
        if row is None:
            return DeliveryStatus(event_id, DeliveryState.UNKNOWN)
        return DeliveryStatus(event_id, DeliveryState(row[0]), *row[1:])

    def prune_expired(self) -> int:
        """Forget events acknowledged longer ago than the retention; returns how many."""
        self._pruned_at = time.time()
        if self._retention is None:
            return 0
        return self.prune(sent_before=self._pruned_at - self._retention)

    def prune(self, *, sent_before: float) -> int:
        """Forget events acknowledged before ``sent_before`` (Unix time); returns how many."""
        with self._transaction() as db:
            return db.execute(
                "DELETE FROM outbox WHERE state = 'sent' AND sent_at < ?", (sent_before,)
            ).rowcount

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA secure_delete = ON")  # a pruned event's bytes are overwritten
                db.execute(f"PRAGMA synchronous = {self._synchronous}")
            except sqlite3.Error as exc:
                raise OutboxError(f"cannot open the outbox {self.path}: {exc}") from exc
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise OutboxError(f"outbox {self.path}: {exc}") from exc

    @contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._connection()
        except sqlite3.Error as exc:
            raise OutboxError(f"outbox {self.path}: {exc}") from exc
