"""The faust application: topics declared once, and a thin agent around the router's decisions."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import faust
from aiokafka.admin import AIOKafkaAdminClient

from schemas import SigningKey, Topics, VerifyKey, encode_event
from schemas.records import Delivery, Quarantined
from streams.reference_feed import ReferenceFeed
from streams.registry import Registry
from streams.router import Accepted, IngestRecord, decide

log = logging.getLogger(__name__)

RAW = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}


@dataclass(frozen=True)
class RouterConfig:
    """Everything the router needs, built by the composition root."""

    bootstrap_servers: str
    topics: Topics
    registrar_body: str
    registrar_key: VerifyKey
    bus_key: SigningKey
    ingest_topics: tuple[str, ...]
    """The ingest topics that exist at start; new ones are picked up while running."""
    partitions: int = 3
    replication_factor: int = 1
    max_event_bytes: int = 65_536
    extra_faust_settings: dict[str, Any] = field(default_factory=dict)


class RouterApp:
    """Owns the faust app, its topics and the registry; one per worker process."""

    def __init__(self, config: RouterConfig):
        self.config = config
        self.registry = Registry()
        self.registry.trust(config.registrar_body, config.registrar_key)
        self.app = faust.App(
            f"{config.topics.prefix}-router",
            broker=f"kafka://{config.bootstrap_servers}",
            store="memory://",
            processing_guarantee="exactly_once",
            topic_partitions=config.partitions,
            topic_replication_factor=config.replication_factor,
            consumer_auto_offset_reset="earliest",
            consumer_metadata_max_age_ms=5_000,
            web_enabled=False,
            **config.extra_faust_settings,
        )
        self.feed = ReferenceFeed(config.bootstrap_servers, config.topics.reference, self.registry)
        self._outputs: dict[str, faust.TopicT] = {}
        self._declared: set[str] = set()
        self.ingest = self.app.topic(*config.ingest_topics, **RAW)
        self.app.agent(self.ingest, name="route")(self._route)
        self.app.task(self.feed.run)
        self.app.timer(5.0)(self._follow_new_ingest_topics)

    async def _follow_new_ingest_topics(self) -> None:
        """Subscribe to ingest topics created since start (faust cannot subscribe by pattern)."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.config.bootstrap_servers)
        await admin.start()
        try:
            names = await admin.list_topics()
        finally:
            await admin.close()
        pattern = re.compile(self.config.topics.ingest_pattern)
        wanted = sorted({*self.ingest.topics, *(n for n in names if pattern.match(n))})
        if wanted != sorted(self.ingest.topics):
            log.info("subscribing to new ingest topics %s", sorted(set(wanted) - set(self.ingest.topics)))
            self.ingest.topics = wanted
            self.app.topics.discard(self.ingest)
            self.app.topics.add(self.ingest)

    def output(self, name: str) -> faust.TopicT:
        """The topic ``name``, declared with its partitions and configs the first time it is used."""
        topic = self._outputs.get(name)
        if topic is None:
            topic = self.app.topic(
                name,
                partitions=self.config.partitions,
                replicas=self.config.replication_factor,
                config=self.config.topics.config_for(name),
                **RAW,
            )
            self._outputs[name] = topic
        return topic

    async def _route(self, stream: faust.StreamT) -> None:
        async for event in stream.events():
            await self.feed.ready.wait()
            message = event.message
            record = IngestRecord(
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
                timestamp=datetime.fromtimestamp(message.timestamp, UTC),
                value=event.value,
            )
            outcome = decide(
                record,
                topic_body=self.config.topics.body_of(message.topic),
                registry=self.registry,
                registrar=self.config.registrar_body,
                max_bytes=self.config.max_event_bytes,
            )
            await self._write(outcome)

    async def _write(self, outcome: Accepted | Quarantined) -> None:
        topics = self.config.topics
        if isinstance(outcome, Quarantined):
            log.warning("quarantined %s: %s", outcome.reason, outcome.detail)
            await self._send(topics.quarantine, outcome.source_topic, outcome.model_dump_json().encode())
            return
        event = outcome.event
        await self._send(topics.log, event.correlation_id, encode_event(event))
        if outcome.reference_key is not None:
            await self._send(topics.reference, outcome.reference_key, encode_event(event))
            self.registry.apply(event)
        for delivery in outcome.deliveries:
            await self._deliver(delivery, event.correlation_id)

    async def _deliver(self, delivery: Delivery, key: str) -> None:
        topic = self.config.topics.inbox(delivery.recipient)
        await self._send(topic, key, delivery.model_dump_json().encode())

    async def _send(self, topic_name: str, key: str, value: bytes) -> None:
        topic = self.output(topic_name)
        if topic_name not in self._declared:
            await topic.maybe_declare()
            self._declared.add(topic_name)
        await topic.send(key=key.encode(), value=value)
