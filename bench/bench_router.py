"""Router throughput on one worker, against three baselines in the same run on the same events:
the per-core limit of decoding and verifying them, a plain aiokafka consume->produce loop, and the
batch loop issue 14 names as its first target.

All read the same backlog of signed events from the ingest topics of a bus of their own (a
unique topic prefix on the shared broker). The router (a real `fourfold worker` process:
exactly-once transactions, signature checks, routing, derived events) is timed from its first
to its last record on the log; the plain loop copies each record to one output topic, with no
decoding and no transactions; the batch loop decodes and verifies each record and writes three
outputs per record, one transaction per batch of 500; the limit is ``decode_event`` plus
``verify_event`` on one core in this process. The batch loop runs a second time with the router's
own writes: as many outputs per event as the router writes for this workload (its log record, a
delivery to each recipient's inbox), each sealed, sent as the router's sink sends them. That is the
I/O the router cannot do without, and none of its decisions. Prints events per second for each and
the ratios (issue 14's target: router/limit at least 0.5), and where the worker's time went: its CPU
per event, and its batches' phases from its metrics. Bounded: about a minute. The default
backlog, 12,000 events, is the one the README's figures were read on: with 3,000 the worker's first
batches, slower while its caches fill, weigh on the rate (797 against 1,029 ev/s within one hour).

Usage: bench_router.py [EVENTS]   (default 12000; or FOURFOLD_BENCH_EVENTS)
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    PARTITIONS,
    bench_bus,
    decode_verify_rate,
    decoded_and_verified,
    free_port,
    retriable,
    route_backlog,
    shared_broker,
    signed_backlog,
    verify_keys,
    workload,
)
from fourfold.acl import OPERATOR  # noqa: E402
from fourfold.bootstrap import Container  # noqa: E402
from schemas import Envelope  # noqa: E402
from schemas.seal import Seal  # noqa: E402
from streams.group_transaction import Output, send_batched  # noqa: E402
from streams.partitioning import KeyHashedOnce  # noqa: E402
from streams.testing import demo_bench, read_records  # noqa: E402

__all__ = ["PARTITIONS", "route_backlog", "workload"]  # what other benchmarks take from here

BATCH = 500
OUTPUTS = 3
"""The comparison loop's batch size and outputs per event, as issue 14 describes it."""
EVENTS = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("FOURFOLD_BENCH_EVENTS", 12000))


async def plain_loop(container: Container, sources: list[str], n: int) -> float:
    """Events per second of consume -> produce with aiokafka, no processing, same backlog."""
    operator = container.access(OPERATOR)
    out = f"{container.topics.prefix}.bench-plain-out"
    container.admin.ensure([out])
    consumer = AIOKafkaConsumer(
        *sources,
        **operator.aiokafka(),
        group_id=f"{container.topics.prefix}-plain",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=1000,
    )
    producer = AIOKafkaProducer(**operator.aiokafka(), acks="all", linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        seen, first = 0, 0.0
        while seen < n:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                first = first or time.perf_counter()
                for r in records:
                    await producer.send(out, r.value, key=r.key)
                seen += len(records)
            await _commit(consumer)
        await producer.flush()
        return n / (time.perf_counter() - first)
    finally:
        await consumer.stop()
        await producer.stop()


async def batch_loop(
    container: Container, sources: list[str], n: int, outputs: int = OUTPUTS, seal: Seal | None = None
) -> float:
    """Events per second of the comparison loop issue 14 names as its first target, on the same
    backlog: aiokafka ``getmany`` in batches of up to BATCH, each event decoded and its signature
    verified as the router does, ``outputs`` outputs per event, one transaction per batch
    committing the outputs and the batch's offsets together. No routing, no state, no chains.
    With ``seal``, each output is sealed and a batch's outputs go out as the router's sink sends
    them (``send_batched``); without, each is sent on its own, as the issue's loop did."""
    operator = container.access(OPERATOR)
    group = f"{container.topics.prefix}-batch-loop-{outputs}{'-sealed' if seal else ''}"
    outs = [f"{container.topics.prefix}.bench-batch-out-{i}" for i in range(outputs)]
    container.admin.ensure(outs)
    keys = verify_keys(container, (container.topics.body_of(t) for t in sources))
    consumer = AIOKafkaConsumer(
        *sources,
        **operator.aiokafka(),
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    producer = AIOKafkaProducer(**operator.aiokafka(), transactional_id=group, linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        seen, first = 0, 0.0
        while seen < n:
            batches = await consumer.getmany(timeout_ms=1000, max_records=BATCH)
            if not batches:
                continue
            first = first or time.perf_counter()
            async with producer.transaction():
                written: list[Output] = []
                for tp, records in batches.items():
                    for r in records:
                        decoded_and_verified(r.value, keys)
                        if seal is not None:
                            written += [_sealed(seal, tp, r, out) for out in outs]
                        else:
                            for out in outs:
                                await producer.send(out, r.value, key=r.key)
                    seen += len(records)
                await send_batched(producer, written, PARTITIONER)
                offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
                await producer.send_offsets_to_transaction(offsets, group)
        return n / (time.perf_counter() - first)
    finally:
        await consumer.stop()
        await producer.stop()


PARTITIONER = KeyHashedOnce()


def _sealed(seal: Seal, tp: Any, record: Any, topic: str) -> Output:
    headers = seal.headers(topic, record.key, record.value)
    return Output(tp, record.offset + 1, topic, record.key, record.value, headers)


def writes_per_event(events: list[Envelope[Any]]) -> float:
    """How many records the router writes per event of ``events``: routed in-process over the demo
    registry, as the bench's bus holds it (the log, each recipient's inbox, references, quarantine)."""
    bench = demo_bench()
    return sum(len(bench.publish(event).writes) for event in events) / len(events)


async def _commit(consumer: AIOKafkaConsumer, attempts: int = 20) -> None:
    """Commit, again after what Kafka calls retriable (a coordinator moving on a fresh broker)."""
    for attempt in range(attempts):
        try:
            await consumer.commit()
            return
        except Exception as exc:
            if not retriable(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)


def main() -> None:
    base = shared_broker()
    with bench_bus(base, metrics_port=free_port()) as container:
        events = workload(EVENTS)
        routed = route_backlog(container, events)
        types, seconds = routed.types, routed.seconds
        print(f"published {EVENTS} signed events on 3 ingest topics (one partition each)")
        sources = sorted({container.topics.ingest(e.source_body) for e in events})
        plain = asyncio.run(plain_loop(container, sources, EVENTS))
        batched = asyncio.run(batch_loop(container, sources, EVENTS))
        writes = writes_per_event(events)
        as_router = asyncio.run(
            batch_loop(container, sources, EVENTS, round(writes), container.trust.load_seal())
        )
        limit = decode_verify_rate(container, signed_backlog(container, events))
        quarantine = read_records(container.access(OPERATOR), [container.topics.quarantine])
        refused = Counter(json.loads(value)["reason"] for _, value in quarantine)
    rate = EVENTS / seconds
    print(
        f"router (1 worker, exactly-once): {rate:8.0f} events/s  ({types['accepted']} accepted"
        f" + {types['derived']} derived events logged in {seconds:.1f} s; quarantined: {refused.total()})"
    )
    cpu = routed.work[0] * 1e6 / EVENTS
    print(f"  the worker: {cpu:.0f} µs of CPU per event; {routed.phases[0].per_record()}")
    print(f"decode + verify on one core:     {limit:8.0f} events/s  ({1e6 / limit:.0f} µs per event)")
    print(f"plain aiokafka consume->produce: {plain:8.0f} events/s")
    print(
        f"batch loop, transactional:       {batched:8.0f} events/s  (decode, verify, {OUTPUTS} outputs each)"
    )
    print(
        f"batch loop, the router's writes: {as_router:8.0f} events/s  ({round(writes)} sealed outputs each;"
        f" the router writes {writes:.1f} per event here)"
    )
    print(f"ratio router/limit: {rate / limit:.3f}  (target at least 0.5)")
    print(f"ratio router/plain: {rate / plain:.3f}")
    print(f"ratio router/batch loop: {rate / batched:.3f}  (the issue's first target)")
    print(f"ratio batch loop with the router's writes/limit: {as_router / limit:.3f}  (no decisions at all)")
    print(f"ratio router/batch loop with the router's writes: {rate / as_router:.3f}")
    if refused:
        print(f"(quarantined by reason: {dict(refused)}: the workload no longer fits the rules)")


if __name__ == "__main__":
    main()
