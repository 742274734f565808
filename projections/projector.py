"""Consumes the inbox topics into the read models, applying rows and offsets in one transaction."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError
from sqlalchemy import Column, Engine, Integer, String, Table, Text

from projections.db import (
    create_schema,
    insert_ignoring_duplicates,
    load_positions,
    metadata,
    save_positions,
)
from projections.inbox import inbox, inbox_row
from schemas import Topics
from schemas.records import Delivery

log = logging.getLogger(__name__)

unreadable = Table(
    "unreadable_records",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", Integer, primary_key=True),
    Column("error", Text, nullable=False),
)
"""Records the projector could not read: kept with the error instead of stalling or vanishing."""


class Projector:
    """Single writer of one database: reads every inbox partition from where the database says."""

    def __init__(self, engine: Engine, bootstrap_servers: str, topics: Topics, *, batch_size: int = 1000):
        self._engine = engine
        self._topics = topics
        self._pattern = re.compile(topics.inbox_pattern)
        self._batch_size = batch_size
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
        )
        self._assigned: set[TopicPartition] = set()
        self._last_refresh = 0.0
        create_schema(engine)

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        while not should_stop():
            self.step()

    def step(self, timeout_ms: int = 500) -> int:
        """Poll one batch and apply it; returns how many records were applied."""
        self._refresh_assignment()
        if not self._assigned:
            time.sleep(timeout_ms / 1000)
            return 0
        batches = self._consumer.poll(timeout_ms=timeout_ms, max_records=self._batch_size)
        records = [r for batch in batches.values() for r in batch]
        if records:
            self._apply(records)
        return len(records)

    def close(self) -> None:
        self._consumer.close()

    def _apply(self, records: list[Any]) -> None:
        rows, bad, positions = [], [], {}
        for record in records:
            positions[(record.topic, record.partition)] = record.offset + 1
            try:
                rows.append(inbox_row(Delivery.model_validate_json(record.value)))
            except (ValidationError, KeyError, ValueError) as exc:
                log.error(
                    "unreadable inbox record %s/%d@%d: %s", record.topic, record.partition, record.offset, exc
                )
                bad.append(
                    {
                        "topic": record.topic,
                        "partition": record.partition,
                        "offset": record.offset,
                        "error": str(exc),
                    }
                )
        with self._engine.begin() as conn:
            insert_ignoring_duplicates(conn, inbox, rows)
            insert_ignoring_duplicates(conn, unreadable, bad)
            save_positions(conn, positions)

    def _refresh_assignment(self, every: float = 2.0) -> None:
        now = time.monotonic()
        if now - self._last_refresh < every:
            return
        self._last_refresh = now
        wanted = {
            TopicPartition(topic, p)
            for topic in self._consumer.topics()
            if self._pattern.match(topic)
            for p in (self._consumer.partitions_for_topic(topic) or ())
        }
        if wanted == self._assigned:
            return
        self._consumer.assign(sorted(wanted))
        with self._engine.connect() as conn:
            stored = load_positions(conn)
        for tp in wanted:
            offset = stored.get((tp.topic, tp.partition))
            if offset is None:
                self._consumer.seek_to_beginning(tp)
            else:
                self._consumer.seek(tp, offset)
        self._assigned = wanted
