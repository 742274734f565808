"""The live projector: follows the log and every inbox into the read models, batch by batch."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiokafka import TopicPartition
from sqlalchemy import Engine

from projections.batch import Intake, Record, apply_batch
from projections.consuming import LogReader
from projections.db import create_schema, load_positions
from schemas import Topics
from schemas.access import KafkaAccess

log = logging.getLogger(__name__)

SWEEP_EVERY = 2.0
"""Seconds between looks at every partition's position, to save one moved past transaction markers."""


class Projector:
    """Single writer of one read-model database: resumes every partition where the database says,
    and writes each batch's rows with the offsets reached in one transaction."""

    def __init__(
        self,
        engine: Engine,
        access: KafkaAccess,
        intake: Intake,
        *,
        batch_size: int = 1000,
        on_caught_up: Callable[[], object] | None = None,
    ):
        self._engine = engine
        self._intake = intake
        self._topics = intake.topics
        self._batch_size = batch_size
        self._on_caught_up = on_caught_up
        self._reader = LogReader(access)
        self._assigned: set[TopicPartition] = set()
        self._saved: dict[TopicPartition, int] = {}
        self._last_refresh = 0.0
        self._next_sweep = 0.0
        create_schema(engine)

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        while not should_stop():
            self.step()

    def step(self, timeout_ms: int = 500) -> int:
        """Poll one batch and apply it; returns how many records were read."""
        self._refresh_assignment()
        if not self._assigned:
            time.sleep(timeout_ms / 1000)
            return 0
        records = self._reader.poll(timeout_ms, self._batch_size)
        moved = self._moved(records)
        if records or moved:
            with self._engine.begin() as conn:
                apply_batch(conn, records, self._intake, moved)
            self._saved.update({TopicPartition(t, p): o for (t, p), o in moved.items()})
        if self._on_caught_up is not None and len(records) < self._batch_size and self.caught_up():
            self._on_caught_up()
            self._on_caught_up = None
        return len(records)

    def close(self) -> None:
        self._reader.close()

    def _moved(self, records: list[Record]) -> dict[tuple[str, int], int]:
        """Positions that changed since they were last saved: past the last record read of each
        partition read, and every SWEEP_EVERY seconds each partition's own position (it also moves
        past transaction markers, with no record read)."""
        out = {(r.topic, r.partition): r.offset + 1 for r in records}
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_EVERY
            for tp, position in self._reader.positions(self._assigned).items():
                out[(tp.topic, tp.partition)] = max(position, out.get((tp.topic, tp.partition), 0))
        return {
            place: offset
            for place, offset in out.items()
            if offset != self._saved.get(TopicPartition(*place))
        }

    def caught_up(self) -> bool:
        """Whether every partition assigned (the log among them) has been applied to its end."""
        if not any(tp.topic == self._topics.log for tp in self._assigned):
            return False
        ends = self._reader.end_offsets(self._assigned)
        positions = self._reader.positions(ends)
        return all(positions[tp] >= end for tp, end in ends.items())

    def _refresh_assignment(self, every: float = 2.0) -> None:
        now = time.monotonic()
        if now - self._last_refresh < every:
            return
        self._last_refresh = now
        wanted = self._reader.projected(self._topics)
        if wanted == self._assigned:
            return
        log.info("projecting %d partitions", len(wanted))
        self._reader.assign(wanted)
        with self._engine.connect() as conn:
            stored = load_positions(conn)
        for tp in wanted:
            offset = stored.get((tp.topic, tp.partition))
            if offset is None:
                self._reader.seek_to_beginning(tp)
            else:
                self._reader.seek(tp, offset)
            self._saved[tp] = offset if offset is not None else -1
        self._assigned = wanted


def behind(engine: Engine, access: KafkaAccess, topics: Topics) -> int:
    """How many offsets the read models in ``engine`` are behind the log and inboxes (0: caught up)."""
    reader = LogReader(access)
    try:
        ends = reader.end_offsets(reader.projected(topics))
    finally:
        reader.close()
    with engine.connect() as conn:
        stored = load_positions(conn)
    return sum(max(0, end - stored.get((tp.topic, tp.partition), 0)) for tp, end in ends.items())
