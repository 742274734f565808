"""Audit replay: every read model rebuilt from offset 0 of the log and inboxes, to the end or as of a time.

Two times: ``as_of`` is knowledge time (what the bus had recorded by then: the log up to the record
time), ``valid_at`` is event time (only the events that had occurred by then, as the log knows them
now, late reports and back-dated facts included). Both together: what had happened by ``valid_at``,
as the bus knew it on ``as_of``."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiokafka import TopicPartition
from sqlalchemy import Engine

from projections.batch import Intake, Record, apply_batch
from projections.consuming import LogReader
from projections.db import create_schema
from projections.validtime import happened_by
from schemas.access import KafkaAccess

Progress = Callable[[int, int], None]
"""Called with (records passed, records to pass) as the replay goes."""

STALL_SECONDS = 60.0


class ReplayStalled(RuntimeError):
    """Raised when the broker returns nothing for a minute while partitions are still short of their stop."""


@dataclass(frozen=True)
class ReplayResult:
    records: int
    events: int
    seconds: float
    stops: dict[tuple[str, int], int]

    @property
    def rate(self) -> float:
        """Records per second."""
        return self.records / self.seconds if self.seconds else 0.0


def stop_offsets(
    reader: LogReader, partitions: set[TopicPartition], as_of: datetime | None
) -> dict[TopicPartition, int]:
    """Where the replay stops in each partition: its end, or the first record logged after ``as_of``
    (Kafka's index of offsets by record time)."""
    ends = reader.end_offsets(partitions)
    if as_of is None:
        return ends
    after = reader.offsets_after(partitions, as_of)
    return {tp: (found if (found := after.get(tp)) is not None else ends[tp]) for tp in partitions}


def replay(
    engine: Engine,
    access: KafkaAccess,
    intake: Intake,
    *,
    as_of: datetime | None = None,
    valid_at: datetime | None = None,
    batch_size: int = 5000,
    progress: Progress | None = None,
) -> ReplayResult:
    """Rebuild the read models in ``engine`` (which should be empty) from the start of every partition."""
    create_schema(engine)
    reader = LogReader(access, fetch_max_bytes=64 * 1024 * 1024)
    try:
        partitions = reader.projected(intake.topics)
        reader.from_start(partitions)
        starts = reader.positions(partitions)
        stops = stop_offsets(reader, partitions, as_of)
        keep = None if valid_at is None else _occurred_by(intake, valid_at)
        return _run(engine, reader, intake, starts, stops, batch_size, progress, keep)
    finally:
        reader.close()


@dataclass(frozen=True)
class _Fetched:
    records: list[Record]
    moved: dict[tuple[str, int], int]
    passed: int


class _Fetcher(threading.Thread):
    """Polls the broker while the previous batch is written: the one thread that touches the reader."""

    def __init__(
        self,
        reader: LogReader,
        starts: dict[TopicPartition, int],
        stops: dict[TopicPartition, int],
        batch_size: int,
    ):
        super().__init__(name="replay-fetcher", daemon=True)
        self.batches: queue.Queue[_Fetched | BaseException | None] = queue.Queue(maxsize=2)
        self.cancelled = threading.Event()
        self._reader, self._stops, self._batch_size = reader, stops, batch_size
        self._reached = {tp: min(starts[tp], stops[tp]) for tp in stops}
        self._from = dict(self._reached)
        self.total = sum(stops[tp] - self._reached[tp] for tp in stops)

    def run(self) -> None:
        try:
            self._fetch_all()
            self._hand_over(None)
        except BaseException as exc:  # handed to the writer, which raises it
            self._hand_over(exc)

    def _fetch_all(self) -> None:
        reader, stops, reached = self._reader, self._stops, self._reached
        reader.pause(*(tp for tp in stops if reached[tp] >= stops[tp]))
        last_move, passed = time.perf_counter(), 0
        while any(reached[tp] < stops[tp] for tp in stops) and not self.cancelled.is_set():
            if time.perf_counter() - last_move > STALL_SECONDS:
                raise ReplayStalled(f"nothing new from the broker for {STALL_SECONDS:.0f}s")
            records = [
                r
                for r in reader.poll(1000, self._batch_size)
                if r.offset < stops[TopicPartition(r.topic, r.partition)]
            ]
            moved = _advance(reader, reached, stops)
            now_passed = sum(reached[tp] - self._from[tp] for tp in stops)
            if now_passed > passed:
                passed, last_move = now_passed, time.perf_counter()
            if records or moved:
                self._hand_over(
                    _Fetched(records, {(tp.topic, tp.partition): o for tp, o in moved.items()}, passed)
                )

    def _hand_over(self, item: _Fetched | BaseException | None) -> None:
        while not self.cancelled.is_set():
            try:
                self.batches.put(item, timeout=0.5)
                return
            except queue.Full:
                continue


def _run(
    engine: Engine,
    reader: LogReader,
    intake: Intake,
    starts: dict[TopicPartition, int],
    stops: dict[TopicPartition, int],
    batch_size: int,
    progress: Progress | None,
    keep: Callable[[Record], bool] | None = None,
) -> ReplayResult:
    """Write each batch (rows and offsets in one transaction) while the fetcher polls the next;
    with ``keep``, only the records it keeps are applied (every offset still counts as passed)."""
    fetcher = _Fetcher(reader, starts, stops, batch_size)
    began = time.perf_counter()
    records_done = events = 0
    fetcher.start()
    try:
        while (item := fetcher.batches.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            records = item.records if keep is None else [r for r in item.records if keep(r)]
            with engine.begin() as conn:
                events += apply_batch(conn, records, intake, item.moved)
            records_done += len(item.records)
            if progress is not None:
                progress(item.passed, fetcher.total)
    finally:
        fetcher.cancelled.set()
        fetcher.join()
    seconds = time.perf_counter() - began
    stopped = {(tp.topic, tp.partition): o for tp, o in stops.items()}
    return ReplayResult(records_done, events, seconds, stopped)


def _occurred_by(intake: Intake, valid_at: datetime) -> Callable[[Record], bool]:
    log_topic = intake.topics.log
    return lambda record: happened_by(record, log_topic, valid_at)


def _advance(
    reader: LogReader, reached: dict[TopicPartition, int], stops: dict[TopicPartition, int]
) -> dict[TopicPartition, int]:
    """Update ``reached`` from the reader's positions (capped at the stops); pause finished partitions."""
    moved = {}
    unfinished = [tp for tp, offset in reached.items() if offset < stops[tp]]
    for tp, position in reader.positions(unfinished).items():
        now = min(position, stops[tp])
        if now != reached[tp]:
            reached[tp] = moved[tp] = now
            if now >= stops[tp]:
                reader.pause(tp)
    return moved
