"""Creates the topics the router writes to, and lists ingest topics, over one admin connection.

Each aiokafka client that tracks no topics fetches metadata for every topic of the cluster,
and faust's own topic declaration forces such a fetch per topic: on a broker holding thousands
of topics that dominated the worker's CPU. One long-lived admin client, asked only to create
what the worker has not created yet, avoids it.
"""

from __future__ import annotations

import logging
import re

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import for_code

from schemas import Topics
from schemas.access import KafkaAccess
from schemas.topics import durability

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36


class TopicMaker:
    """One per worker; connects on first use."""

    def __init__(self, access: KafkaAccess, topics: Topics, *, partitions: int, replication_factor: int):
        self._access = access
        self._topics = topics
        self._partitions = partitions
        self._replication = replication_factor
        self._admin: AIOKafkaAdminClient | None = None
        self._made: set[str] = set()

    async def ensure(self, name: str) -> None:
        """Create ``name`` with the bus's partitions and configs unless it exists."""
        if name in self._made:
            return
        admin = await self._connect()
        configs = {**self._topics.config_for(name), **durability(self._replication)}
        partitions = self._topics.partitions_of(name, self._partitions)
        new = NewTopic(name, partitions, self._replication, topic_configs=configs)
        response = await admin.create_topics([new])
        for topic, code, *_ in response.topic_errors:
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise for_code(code)(f"cannot create topic {topic}")
            if code == 0:
                log.info("created topic %s", topic)
        self._made.add(name)

    async def ingest_topics(self) -> list[str]:
        """The names of every body's ingest topic on the cluster."""
        admin = await self._connect()
        pattern = re.compile(self._topics.ingest_pattern)
        return sorted(n for n in await admin.list_topics() if pattern.match(n))

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None

    async def _connect(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = AIOKafkaAdminClient(**self._access.aiokafka())
            await admin.start()
            self._admin = admin
        return self._admin
