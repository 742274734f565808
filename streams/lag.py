"""The router's backlog per ingest topic: records on the partitions it owns that it has not routed;
and how many records each ingest partition holds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from faust.types import TP
from faust.types.transports import ConsumerT

from schemas.access import KafkaAccess


class Backlog:
    """One per worker. A partition's backlog runs from the offset after the last record routed
    here, or, before this worker routed any, from the group's committed offset, or, if the group
    never committed one, from the partition's first offset; to its last stable offset."""

    def __init__(self, access: KafkaAccess, group_id: str):
        self._access = access
        self._group = group_id
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets_client: AIOKafkaConsumer | None = None

    async def measure(
        self, consumer: ConsumerT, topics: Iterable[str], routed: Mapping[TP, int]
    ) -> dict[str, int]:
        """Records not yet routed per topic of ``topics``, over the partitions assigned here."""
        names = set(topics)
        ends = _ends(consumer, [tp for tp in consumer.assignment() if tp.topic in names])
        owned = list(ends)
        committed = await self.committed(owned)
        start: dict[TP, int] = {}
        for tp in owned:
            known = [o for o in (committed.get(tp), routed.get(tp)) if o is not None]
            if known:  # routed here is ahead of committed, unless another worker routed since
                start[tp] = max(known)
        never = [tp for tp in owned if tp not in start]
        if never:
            start.update(await consumer.earliest_offsets(*never))
        lag = dict.fromkeys(names, 0)
        for tp, end in ends.items():
            if tp in start:
                lag[tp.topic] += max(end - start[tp], 0)
        return lag

    async def volumes(self, consumer: ConsumerT, topics: Iterable[str]) -> dict[TP, int]:
        """Records each partition of ``topics`` holds, assigned here or not: how busy each has been
        over the topic's retention (a month for ingest topics), which the group's assignor weighs
        (streams/assignment.py). A burst long past ages out with its records. Asked of the broker
        by a client of its own: faust's consumer knows the ends of assigned partitions only."""
        tps = [TP(topic, p) for topic in topics for p in range(consumer.topic_partitions(topic) or 0)]
        if not tps:
            return {}
        offsets = await self._offsets()
        ends, starts = await offsets.end_offsets(tps), await offsets.beginning_offsets(tps)
        return {TP(tp.topic, tp.partition): end - starts.get(tp, 0) for tp, end in ends.items()}

    async def committed(self, tps: list[TP]) -> dict[TP, int]:
        """The group's committed offsets of ``tps``; a partition it never committed is missing."""
        if not tps:
            return {}
        admin = await self._connect()
        offsets = await admin.list_consumer_group_offsets(self._group, partitions=tps)
        return {TP(tp.topic, tp.partition): o.offset for tp, o in offsets.items() if o.offset >= 0}

    async def _offsets(self) -> AIOKafkaConsumer:
        if self._offsets_client is None:
            client = AIOKafkaConsumer(**self._access.aiokafka(), enable_auto_commit=False)
            await client.start()
            self._offsets_client = client
        return self._offsets_client

    async def _connect(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = AIOKafkaAdminClient(**self._access.aiokafka())
            await admin.start()
            self._admin = admin
        return self._admin


def _ends(consumer: ConsumerT, tps: list[TP]) -> dict[TP, int]:
    """Last stable offsets as of the last fetch, of those of ``tps`` fetched and still assigned."""
    ends: dict[TP, int] = {}
    for tp in tps:
        try:
            end = consumer.highwater(tp)
        except AssertionError:  # aiokafka's "Partition is not assigned": a rebalance took it since
            continue
        if end is not None:
            ends[tp] = end
    return ends
