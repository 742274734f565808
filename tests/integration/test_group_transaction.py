"""One transaction per worker (streams/group_transaction.py) on the real broker: a member of the
router's group commits a batch's outputs and offsets together, and a member the group has moved on
from (a stalled worker whose partitions another took over) has its commit refused, where aiokafka's
own transactional offset commit, which does not name the generation, is let through. And the worker
that takes over reads the group's offsets only once no transaction holds them pending, where
aiokafka's consumer reads the older offset at once and would route its records again. A batch's
outputs, sent a record batch per partition, land where ``send`` would have put them, in order."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import IllegalGenerationError
from faust.types import TP
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from schemas.access import KafkaAccess
from streams.group_transaction import MemberProducer, Membership, Output, StableOffsetsClient, send_batched
from streams.partitioning import KeyHashedOnce, partition_for

pytestmark = pytest.mark.integration


async def _member(access: KafkaAccess, group: str, topic: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(topic, **access.aiokafka(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=200)
    return consumer


def _membership(consumer: AIOKafkaConsumer, generation_shift: int = 0) -> Callable[[], Membership]:
    coordinator = consumer._coordinator
    return lambda: Membership(coordinator.member_id, coordinator.generation + generation_shift)


async def _commit(
    producer: AIOKafkaProducer, group: str, tp: TopicPartition, output: str, offset: int
) -> None:
    """One batch: an output record and the input offset, in one transaction."""
    await producer.begin_transaction()
    await producer.send(output, b"out", key=b"k")
    await producer.send_offsets_to_transaction({tp: offset}, group)
    await producer.commit_transaction()


async def _committed(access: KafkaAccess, group: str, tp: TopicPartition, stable: bool = False) -> int | None:
    """The group's committed offset; ``stable``: once every transaction committing it has ended
    (its markers are written after ``commit_transaction`` returns, a moment later on a busy broker)."""
    reader = AIOKafkaConsumer(**access.aiokafka(), group_id=group, enable_auto_commit=False)
    if stable:
        reader._client.__class__ = StableOffsetsClient  # as the router's consumer does
    await reader.start()
    try:
        return await reader.committed(tp)
    finally:
        await reader.stop()


async def _visible(access: KafkaAccess, topic: str) -> int:
    """How many records of the topic's one partition a read_committed consumer sees."""
    tp = TopicPartition(topic, 0)
    reader = AIOKafkaConsumer(**access.aiokafka(), isolation_level="read_committed")
    await reader.start()
    try:
        reader.assign([tp])
        await reader.seek_to_beginning(tp)
        end = (await reader.end_offsets([tp]))[tp]
        seen = 0
        while await reader.position(tp) < end:
            batches = await reader.getmany(tp, timeout_ms=500)
            seen += sum(len(records) for records in batches.values())
        return seen
    finally:
        await reader.stop()


def test_a_member_of_an_older_generation_cannot_commit_a_batch(operator: KafkaAccess, prefix: str) -> None:
    source, output, group = f"{prefix}.in", f"{prefix}.out", f"{prefix}-router"
    admin = KafkaAdminClient(**operator.kafka_python())
    admin.create_topics([NewTopic(name, 1, 1) for name in (source, output)])

    async def scenario() -> None:
        member = await _member(operator, group, source)
        tp = TopicPartition(source, 0)
        client = operator.aiokafka()
        current = MemberProducer(_membership(member), **client, transactional_id=f"{prefix}-a")
        stale = MemberProducer(_membership(member, -1), **client, transactional_id=f"{prefix}-b")
        plain = AIOKafkaProducer(**client, transactional_id=f"{prefix}-c")
        for producer in (current, stale, plain):
            await producer.start()
        try:
            await _commit(current, group, tp, output, 5)
            assert await _committed(operator, group, tp, stable=True) == 5
            with pytest.raises(IllegalGenerationError):
                await _commit(stale, group, tp, output, 9)
            await stale.abort_transaction()  # as the worker does when it stops
            assert await _committed(operator, group, tp, stable=True) == 5
            await _commit(plain, group, tp, output, 7)  # the router's commits before: not fenced
            assert await _committed(operator, group, tp, stable=True) == 7
        finally:
            await member.stop()
            for producer in (current, stale, plain):
                await producer.stop()
        assert await _visible(operator, output) == 2  # the stale member's output never shows

    try:
        asyncio.run(scenario())
    finally:
        admin.delete_topics([source, output])
        admin.close()


def test_a_new_owner_reads_the_groups_offsets_only_once_no_transaction_holds_them(
    operator: KafkaAccess, prefix: str
) -> None:
    source, group = f"{prefix}.in", f"{prefix}-router"
    admin = KafkaAdminClient(**operator.kafka_python())
    admin.create_topics([NewTopic(source, 1, 1)])

    async def scenario() -> None:
        tp = TopicPartition(source, 0)
        stalled = AIOKafkaProducer(**operator.aiokafka(), transactional_id=f"{prefix}-stalled")
        await stalled.start()
        try:
            await stalled.begin_transaction()
            await stalled.send_offsets_to_transaction({tp: 11}, group)  # its commit is still to come
            assert await _committed(operator, group, tp) is None  # aiokafka's reading: start over
            stable = asyncio.ensure_future(_committed(operator, group, tp, stable=True))
            await asyncio.sleep(1.5)
            assert not stable.done(), "the offset was read while a transaction held it pending"
            await stalled.commit_transaction()
            assert await asyncio.wait_for(stable, 10) == 11
        finally:
            await stalled.stop()

    try:
        asyncio.run(scenario())
    finally:
        admin.delete_topics([source])
        admin.close()


def test_a_batchs_outputs_reach_the_partitions_send_would_choose_in_their_order(
    operator: KafkaAccess, prefix: str
) -> None:
    topics = [f"{prefix}.log", f"{prefix}.inbox"]
    admin = KafkaAdminClient(**operator.kafka_python())
    admin.create_topics([NewTopic(name, PARTITIONS, 1) for name in topics])
    source = TP(f"{prefix}.in", 0)
    outputs = [
        Output(source, n + 1, topics[n % 2], f"matter-{n % 7}".encode(), b"%05d" % n + b"x" * 1000, [])
        for n in range(300)
    ]
    expected: dict[tuple[str, int], list[bytes]] = defaultdict(list)
    for out in outputs:
        expected[out.topic, partition_for(out.key, PARTITIONS)].append(out.value)
    assert max(sum(map(len, values)) for values in expected.values()) > 2 * BATCH_BYTES  # batches fill

    async def scenario() -> None:
        producer = AIOKafkaProducer(
            **operator.aiokafka(), transactional_id=f"{prefix}-sink", max_batch_size=BATCH_BYTES
        )
        await producer.start()
        try:
            await producer.begin_transaction()
            await send_batched(producer, outputs, KeyHashedOnce())
            await producer.commit_transaction()
        finally:
            await producer.stop()

    try:
        asyncio.run(scenario())
        assert asyncio.run(_records_by_partition(operator, topics)) == expected
    finally:
        admin.delete_topics(topics)
        admin.close()


PARTITIONS = 3
BATCH_BYTES = 16_384
"""aiokafka's default largest record batch."""


async def _records_by_partition(access: KafkaAccess, topics: list[str]) -> dict[tuple[str, int], list[bytes]]:
    """Every committed value of ``topics``, by topic and partition, in the order of the log."""
    reader = AIOKafkaConsumer(**access.aiokafka(), isolation_level="read_committed")
    await reader.start()
    try:
        tps = [TopicPartition(topic, p) for topic in topics for p in range(PARTITIONS)]
        reader.assign(tps)
        await reader.seek_to_beginning(*tps)
        end = await reader.end_offsets(tps)
        found: dict[tuple[str, int], list[bytes]] = defaultdict(list)
        while [tp for tp in tps if await reader.position(tp) < end[tp]]:
            for tp, records in (await reader.getmany(timeout_ms=500)).items():
                found[tp.topic, tp.partition] += [r.value for r in records if r.value is not None]
        return dict(found)
    finally:
        await reader.stop()
