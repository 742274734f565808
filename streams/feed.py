"""Feeds a worker a whole topic (reference data, the log) from the start, and keeps following it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from schemas import Envelope, EventError, decode_logged
from schemas.access import KafkaAccess
from schemas.codec import logged_event_id
from schemas.seal import Headers, Seal, refused

log = logging.getLogger(__name__)


class TopicFeed:
    """Reads ``topic`` outside any consumer group (read-committed) and applies each event the
    router sealed; anything else on the topic is refused, counted and logged by its place only.

    ``ready`` is set once it has caught up with what the topic held when the worker started;
    ``caught_up()`` waits until it has applied everything committed to the topic so far.
    ``known(event_id)``, if given, says whether an event was applied already (the worker applies
    what it routes when it routes it): such a record is not decoded again, only sealed and chained.
    ``catching_up()``, if given, is called after each fetch applied before ``ready``.
    """

    def __init__(
        self,
        access: KafkaAccess,
        topic: str,
        apply: Callable[[Envelope[Any]], object],
        seal: Seal,
        *,
        observe: Callable[[bytes | None, bytes | None, Headers], object] | None = None,
        start_at: dict[int, int] | None = None,
        known: Callable[[str], bool] | None = None,
        catching_up: Callable[[], object] | None = None,
    ):
        self._access = access
        self.topic = topic
        self._apply = apply
        self._observe = observe
        self.start_at = start_at or {}
        self._positions: dict[int, int] = dict(self.start_at)
        self._known = known
        self._catching_up = catching_up
        self._seal = seal
        self._consumer: AIOKafkaConsumer | None = None
        self.ready = asyncio.Event()
        self._advanced = asyncio.Event()
        """Set (and replaced) each time a fetch has been applied: what ``caught_up`` waits on."""
        self.applied = 0

    async def run(self) -> None:
        consumer = self._consumer = AIOKafkaConsumer(
            self.topic,
            **self._access.aiokafka(),
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            metadata_max_age_ms=5_000,
        )
        await consumer.start()
        end: dict[TopicPartition, int] = {}
        try:
            await self._seek_to_start(consumer)
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=2000)
                for tp, records in batches.items():
                    for record in records:
                        self._take(record)
                    self._positions[tp.partition] = await consumer.position(tp)
                self._advanced.set()
                self._advanced = asyncio.Event()
                if not self.ready.is_set():
                    if self._catching_up is not None:
                        self._catching_up()
                    end = end or await self._end_offsets()
                    if end and await self._reached(end):
                        log.info("%s: caught up, %d events", self.topic, self.applied)
                        self.ready.set()
        finally:
            await consumer.stop()

    async def _seek_to_start(self, consumer: AIOKafkaConsumer) -> None:
        """Start each partition at ``start_at`` (where a saved state left off), the rest at the beginning."""
        if not self.start_at:
            return
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        for tp in consumer.assignment():
            if tp.partition in self.start_at:
                consumer.seek(tp, self.start_at[tp.partition])

    def positions(self) -> dict[int, int]:
        """The next offset to read, per partition read so far: everything before it has been applied."""
        return dict(self._positions)

    async def caught_up(self) -> None:
        """Wait until every event committed to the topic before this call has been applied."""
        await self.ready.wait()
        end = await self._end_offsets()
        while not await self._reached(end):
            await self._advanced.wait()

    async def _end_offsets(self) -> dict[TopicPartition, int]:
        """The topic's (last stable) end offsets; empty until its partitions are assigned."""
        assert self._consumer is not None
        assigned = self._consumer.assignment()
        if not assigned:
            log.info("waiting for topic %s", self.topic)
            return {}
        return dict(await self._consumer.end_offsets(list(assigned)))

    async def _reached(self, end: dict[TopicPartition, int]) -> bool:
        assert self._consumer is not None
        for tp, offset in end.items():
            if await self._consumer.position(tp) < offset:
                return False
        return True

    def _take(self, record: ConsumerRecord[bytes, bytes]) -> None:
        if record.value is None:
            return
        place = (self.topic, record.partition, record.offset)
        reason = self._seal.refusal(self.topic, record.key, record.value, record.headers)
        if reason is not None:
            refused(f"feed:{self.topic}", reason, *place)
            return
        if self._observe is not None:
            self._observe(record.key, record.value, record.headers)
        if self._known is not None and self._known(logged_event_id(record.value)):
            self.applied += 1
            return
        try:
            event = decode_logged(record.value)
        except EventError as exc:
            refused(f"feed:{self.topic}", exc.reason, *place)
            return
        self._apply(event)
        self.applied += 1
