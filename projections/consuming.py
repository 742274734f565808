"""The projector's narrow seam onto Kafka: a group-less reader of the log and the inboxes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine, Iterable
from datetime import datetime
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition

from projections.batch import Record
from schemas import Topics
from schemas.access import KafkaAccess

T = TypeVar("T")


class LogReader:
    """Reads committed records of the partitions it is given, outside any consumer group (the read
    models keep the offsets), for callers that are not asynchronous.

    aiokafka parses record batches in C and needs no I/O thread: its event loop runs only inside
    each call, so while a batch is applied the broker's replies wait in the socket. kafka-python,
    used before, spent about 40 % of the live projector's CPU in its own I/O thread, in parsing
    records in Python and in handing work between its two threads. One thread at a time may call."""

    def __init__(self, access: KafkaAccess, **config: Any):
        self._runner = asyncio.Runner()
        try:
            self._kafka = self._run(self._started(access, config))
        except BaseException:
            self._runner.close()
            raise

    @staticmethod
    async def _started(access: KafkaAccess, config: dict[str, Any]) -> AIOKafkaConsumer:
        kafka = AIOKafkaConsumer(
            **access.aiokafka(),
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            **config,
        )
        try:
            await kafka.start()
        except BaseException:
            await kafka.stop()
            raise
        return kafka

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(work)

    def _inside(self, act: Callable[..., T], *args: Any) -> T:
        """Call ``act`` with the loop running: aiokafka makes futures even in its plain methods."""

        async def call() -> T:
            return act(*args)

        return self._run(call())

    def projected(self, topics: Topics) -> set[TopicPartition]:
        """Every partition of the canonical log and of every inbox topic that exists now."""
        return self._run(self._projected(topics))

    async def _projected(self, topics: Topics) -> set[TopicPartition]:
        # The consumer's own metadata covers only the topics it reads; a new inbox needs the cluster's.
        cluster = await self._kafka._client.fetch_all_metadata()
        pattern = re.compile(topics.inbox_pattern)
        return {
            TopicPartition(name, p)
            for name in cluster.topics()
            if name == topics.log or pattern.match(name)
            for p in cluster.partitions_for_topic(name) or ()
        }

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        self._inside(self._kafka.assign, sorted(partitions))

    def from_start(self, partitions: Iterable[TopicPartition]) -> None:
        """Read ``partitions`` alone, each from its first record."""
        wanted = sorted(partitions)
        self.assign(wanted)
        self.seek_to_beginning(*wanted)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self._inside(self._kafka.seek, partition, offset)

    def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        self._run(self._kafka.seek_to_beginning(*partitions))

    def pause(self, *partitions: TopicPartition) -> None:
        self._inside(self._kafka.pause, *partitions)

    def positions(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """The offset of each partition's next record to read: past transaction markers once fetched."""
        return self._run(self._positions(partitions))

    async def _positions(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: await self._kafka.position(tp) for tp in partitions}

    def poll(self, timeout_ms: int, max_records: int) -> list[Record]:
        """Up to ``max_records`` records, waiting at most ``timeout_ms`` for the first."""
        batches = self._run(self._kafka.getmany(timeout_ms=timeout_ms, max_records=max_records))
        return [
            Record(r.topic, r.partition, r.offset, r.timestamp, r.value, r.key, r.headers)
            for batch in batches.values()
            for r in batch
        ]

    def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """Where each partition ends for a read_committed reader (transaction markers included)."""
        wanted = sorted(partitions)
        return dict(self._run(self._kafka.end_offsets(wanted))) if wanted else {}

    def offsets_after(
        self, partitions: Iterable[TopicPartition], moment: datetime
    ) -> dict[TopicPartition, int | None]:
        """The offset of each partition's first record logged after ``moment`` (None: none yet)."""
        millis = int(moment.timestamp() * 1000) + 1
        found = self._run(self._kafka.offsets_for_times({tp: millis for tp in partitions}))
        return {tp: (at.offset if at is not None else None) for tp, at in found.items()}

    def close(self) -> None:
        try:
            self._run(self._kafka.stop())
        finally:
            self._runner.close()
