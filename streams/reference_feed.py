"""Feeds every worker the whole compacted reference topic, so each has the full registry."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas import EventError, decode_event
from streams.registry import Registry

log = logging.getLogger(__name__)


class ReferenceFeed:
    """Reads the reference topic from the start, outside any consumer group; ``ready`` is set
    once the registry has caught up with what was on the topic when the worker started."""

    def __init__(self, bootstrap_servers: str, topic: str, registry: Registry):
        self._bootstrap = bootstrap_servers
        self._topic = topic
        self._registry = registry
        self.ready = asyncio.Event()

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            self._topic,
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            metadata_max_age_ms=5_000,
        )
        await consumer.start()
        end: dict[TopicPartition, int] = {}
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=1000)
                for records in batches.values():
                    for record in records:
                        self._apply(record.value)
                if not self.ready.is_set():
                    end = end or await self._end_offsets(consumer)
                    await self._mark_ready_if_caught_up(consumer, end)
        finally:
            await consumer.stop()

    async def _end_offsets(self, consumer: AIOKafkaConsumer) -> dict[TopicPartition, int]:
        """Where the topic ended when this worker first saw it assigned (empty until then)."""
        assigned = consumer.assignment()
        if not assigned:
            log.info("waiting for reference topic %s", self._topic)
            return {}
        return dict(await consumer.end_offsets(list(assigned)))

    async def _mark_ready_if_caught_up(
        self, consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]
    ) -> None:
        if not end:
            return
        for tp, offset in end.items():
            if await consumer.position(tp) < offset:
                return
        log.info("registry ready: %d reference facts", len(self._registry))
        self.ready.set()

    def _apply(self, value: bytes | None) -> None:
        if value is None:
            return
        try:
            self._registry.apply(decode_event(value))
        except EventError:
            log.exception("unreadable record on the reference topic; skipped")
