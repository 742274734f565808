"""Router throughput on one worker, against a plain aiokafka consume->produce loop on the same broker.

Both read the same backlog of signed events from the ingest topics of a bus of their own (a
unique topic prefix on the loopback broker). The router (a real `fourfold worker` process:
exactly-once transactions, signature checks, routing, derived events) is timed from its first
to its last record on the log; the plain loop copies each record to one output topic, with no
decoding and no transactions. Prints events per second for both and the ratio. Bounded: about
a minute, most of it starting the worker.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fourfold.acl import OPERATOR  # noqa: E402
from fourfold.bootstrap import Container  # noqa: E402
from fourfold.operations import publish_registry  # noqa: E402
from fourfold.processes import Child  # noqa: E402
from fourfold.registrar import DEMO_REGISTRY  # noqa: E402
from fourfold.settings import Settings  # noqa: E402
from schemas import Envelope, Subject, encode_event, new_event, sign_event  # noqa: E402
from schemas.catalogue import REFERENCE_TYPES  # noqa: E402
from schemas.categories import FindingCategory  # noqa: E402
from schemas.enums import HowFound, Severity, SubjectKind  # noqa: E402
from schemas.events.clues import Informant, ProblemClueReceived, SupervisionFindingRecorded  # noqa: E402
from streams.testing import read_records  # noqa: E402

EVENTS = 3000
PARTITIONS = 3
DEADLINE = 100.0
"""Seconds after which the benchmark gives up, whatever it is waiting for."""
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BUS = "bus"


def workload(n: int) -> list[Envelope[Any]]:
    """A mix: findings with three to four recipients, and clues that also derive a transfer."""
    out: list[Envelope[Any]] = []
    for i in range(n):
        at = AT + timedelta(seconds=i)
        kind = i % 3
        if kind == 0:
            payload: Any = ProblemClueReceived(
                clue_id=f"clue-{i}",
                unit_id="yuzhong-hospital",
                cadre_id="cadre-sun",
                summary="Irregular procurement approvals.",
                informant=Informant(name="A. Citizen"),
            )
            source, subject = "city-letters", Subject(kind=SubjectKind.CADRE, id="cadre-sun")
        else:
            unit, source = [("yuzhong-hospital", "city-office-1"), ("city-education", "stationed-education")][
                kind - 1
            ]
            payload = SupervisionFindingRecorded(
                finding_id=f"f-{i}",
                unit_id=unit,
                category=FindingCategory.EIGHT_POINT_RULES,
                severity=Severity.LOW,
                how_found=HowFound.DAILY_SUPERVISION,
                summary="Banquets.",
            )
            subject = Subject(kind=SubjectKind.UNIT, id=unit)
        out.append(
            new_event(payload, source_body=source, occurred_at=at, subject=subject, correlation_id=f"m-{i}")
        )
    return out


def publish_backlog(container: Container, events: list[Envelope[Any]]) -> None:
    producer = KafkaProducer(**container.access(OPERATOR).kafka_python(), linger_ms=20, acks="all")
    keys = {body: container.keys.load(body) for body in {e.source_body for e in events}}
    for e in events:
        raw = encode_event(sign_event(e, keys[e.source_body]))
        producer.send(container.topics.ingest(e.source_body), key=e.correlation_id.encode(), value=raw)
    producer.flush()
    producer.close()


def log_span(container: Container) -> tuple[Counter[str], float]:
    """Event types on the log after the registry, and seconds from the first such record to the last."""
    consumer = KafkaConsumer(
        **container.access(OPERATOR).kafka_python(),
        group_id=None,
        isolation_level="read_committed",
    )
    topic = container.topics.log
    tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(tps)
    consumer.seek_to_beginning()
    end = consumer.end_offsets(tps)
    types: Counter[str] = Counter()
    stamps: list[int] = []
    while any(consumer.position(tp) < end[tp] for tp in tps):
        for batch in consumer.poll(timeout_ms=500).values():
            for r in batch:
                event = json.loads(r.value)
                if event["event_type"] not in REFERENCE_TYPES:
                    types["derived" if event["source_body"] == BUS else "accepted"] += 1
                    stamps.append(r.timestamp)
    consumer.close()
    stamps.sort()
    return types, (stamps[-1] - stamps[0]) / 1000 if len(stamps) > 1 else 0.0


def router_done(container: Container) -> bool:
    topics, operator = container.topics, container.access(OPERATOR)
    admin = KafkaAdminClient(**operator.kafka_python())
    consumer = KafkaConsumer(**operator.kafka_python(), group_id=None)
    try:
        group = f"{topics.prefix}-router"
        committed = admin.list_group_offsets({group: None}).get(group, {})
        ingest = [t for t in admin.list_topics() if t.startswith(f"{topics.prefix}.ingest.")]
        tps = [TopicPartition(t, p) for t in ingest for p in consumer.partitions_for_topic(t) or ()]
        end = consumer.end_offsets(tps)
        return all(tp in committed and committed[tp].offset >= end[tp] for tp in tps if end[tp])
    finally:
        consumer.close()
        admin.close()


def wait(condition: Any, what: str, started: float, child: Child) -> None:
    """Until ``condition()``; what Kafka calls retriable (a group coordinator not elected yet on
    a fresh broker, say) is asked again, not fatal."""
    while not _retrying(condition):
        if time.monotonic() - started > DEADLINE or not child.alive:
            raise SystemExit(f"gave up waiting for {what}; worker log: {child.log_path}")
        time.sleep(0.5)


def _retrying(condition: Any) -> bool:
    try:
        return bool(condition())
    except KafkaError as exc:
        if not exc.retriable:
            raise
        return False


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
            await consumer.commit()
        await producer.flush()
        return n / (time.perf_counter() - first)
    finally:
        await consumer.stop()
        await producer.stop()


def route_backlog(
    container: Container, events: list[Envelope[Any]], started: float
) -> tuple[Counter[str], float]:
    """One `fourfold worker` routes ``events``, published as a backlog once the registry is in;
    what it logged by kind, and the seconds from its first to its last record on the log."""
    container.trust.init()
    publish_registry(container, DEMO_REGISTRY)
    settings = container.settings
    child = Child("bench-worker", ["worker"], settings.home / "logs", env=settings.to_env())
    try:
        wait(lambda: router_done(container), "the router to take in the registry", started, child)
        publish_backlog(container, events)  # bodies publish once registered: a backlog builds up
        wait(lambda: router_done(container), "the router", started, child)
    finally:
        child.stop()
    return log_span(container)


def main() -> None:
    started = time.monotonic()
    home = Path(tempfile.mkdtemp(prefix="fourfold-bench-"))
    base = Settings()
    base = base.model_copy(update={"home": ROOT / base.home})
    settings = Settings(
        home=home,
        topic_prefix=f"bench{uuid.uuid4().hex[:8]}",
        partitions=PARTITIONS,
        clock_interval=0,
        router_session_timeout=10,
        log_level="WARNING",
        kafka_credentials_dir=base.credentials_dir,  # the shared broker's passwords and CA, not this home's
        kafka_ca_file=base.ca_file,
    )
    if base.uses_local_broker:
        settings = settings.model_copy(update={"home": home, "kafka_port": base.kafka_port})
        Container(base).ensure_broker()
    container = Container(settings)
    events = workload(EVENTS)
    types, seconds = route_backlog(container, events, started)
    print(f"published {EVENTS} signed events on 3 ingest topics x {PARTITIONS} partitions")
    sources = sorted({container.topics.ingest(e.source_body) for e in events})
    plain = asyncio.run(plain_loop(container, sources, EVENTS))
    refused = len(read_records(container.access(OPERATOR), [container.topics.quarantine]))
    routed = EVENTS / seconds
    print(
        f"router (1 worker, exactly-once): {routed:8.0f} events/s  ({types['accepted']} accepted"
        f" + {types['derived']} derived events logged in {seconds:.1f} s)"
    )
    print(f"plain aiokafka consume->produce: {plain:8.0f} events/s")
    print(f"ratio router/plain: {routed / plain:.3f}  (quarantined: {refused})")
    _delete_topics(container)
    shutil.rmtree(home, ignore_errors=True)


def _delete_topics(container: Container) -> None:
    admin = KafkaAdminClient(**container.access(OPERATOR).kafka_python())
    try:
        admin.delete_topics([t for t in admin.list_topics() if t.startswith(container.topics.prefix)])
    finally:
        admin.close()


if __name__ == "__main__":
    main()
