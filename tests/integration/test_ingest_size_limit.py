"""The broker itself refuses an ingest record over the bus's event size limit, from any client."""

from __future__ import annotations

from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka import errors as kafka_errors
from kafka.admin import ConfigResource, ConfigResourceType

from fourfold.acl import OPERATOR
from fourfold.bootstrap import Container
from fourfold.operations import provision
from producers import Publisher
from schemas import SigningKey
from schemas.access import KafkaAccess
from schemas.categories import FindingCategory
from schemas.enums import HowFound, Severity
from schemas.topics import RECORD_FRAMING_BYTES

pytestmark = pytest.mark.integration

BODY = "city-letters"
LONGEST_KEY = b"m" * 128  # a matter id is at most 128 characters


def _topic_config(access: KafkaAccess, topic: str, name: str) -> str | None:
    """A config set on the topic itself (None when the broker's default applies)."""
    admin = KafkaAdminClient(**access.kafka_python())
    try:
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        entry = described["topic"][topic].get(name)
        return None if entry is None else str(entry["value"])
    finally:
        admin.close()


def _count(access: KafkaAccess, topic: str) -> int:
    consumer = KafkaConsumer(**access.kafka_python())
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends, starts = consumer.end_offsets(partitions), consumer.beginning_offsets(partitions)
        return sum(ends[p] - starts[p] for p in partitions)
    finally:
        consumer.close()


def test_the_broker_refuses_an_ingest_record_over_the_event_size_limit(container: Container):
    limit = container.settings.max_event_bytes
    provision(container, [BODY])
    operator = container.access(OPERATOR)
    topic = container.topics.ingest(BODY)
    assert _topic_config(operator, topic, "max.message.bytes") == str(limit + RECORD_FRAMING_BYTES)
    assert _topic_config(operator, container.topics.inbox(BODY), "max.message.bytes") is None, (
        "only ingest topics, where publishers write, are held to the event limit"
    )

    # The body's own client would send ten times the limit: only the broker can refuse.
    producer = KafkaProducer(**container.access(BODY).kafka_python(), max_request_size=10 * limit, acks="all")
    try:
        largest = producer.send(topic, key=LONGEST_KEY, value=b"x" * limit).get(timeout=30)
        assert largest.offset >= 0, "the largest event the bus accepts fits, with its key and framing"
        with pytest.raises(kafka_errors.MessageSizeTooLargeError):
            producer.send(topic, key=b"k", value=b"x" * (limit + RECORD_FRAMING_BYTES + 1)).get(timeout=30)
        with pytest.raises(kafka_errors.MessageSizeTooLargeError):
            producer.send(topic, key=b"k", value=b"x" * (4 * limit)).get(timeout=30)
    finally:
        producer.close()
    assert _count(operator, topic) == 1


@pytest.mark.parametrize("with_outbox", [False, True], ids=["direct", "outbox"])
def test_the_sdk_delivers_a_burst_to_a_limited_ingest_topic_in_batches_within_the_limit(
    container: Container, tmp_path: Path, with_outbox: bool
):
    """The broker's limit counts a whole record batch. kafka-python splits a batch the broker
    refuses, but with kafka-python 3.0.12 a flush during the split fails ('Future not done') and
    the outbox sender retries the same oversized batch for ever; the SDK's batches must fit,
    and the SDK keeps them within the event size limit by itself."""
    limit = container.settings.max_event_bytes
    provision(container, [BODY])
    total = 1500
    with Publisher(
        BODY,
        SigningKey.generate(f"{BODY}:1"),
        container.settings.bootstrap_servers,
        topics=container.topics,
        outbox=tmp_path / "outbox.db" if with_outbox else None,
        max_event_bytes=limit,
        producer_config=container.access(BODY).security(),
    ) as publisher:
        for i in range(total):
            publisher.record_finding(
                finding_id=f"finding-{i}",
                unit_id="city-hospital",
                category=FindingCategory.FORMALISM_BUREAUCRATISM,
                severity=Severity.LOW,
                how_found=HowFound.DAILY_SUPERVISION,
                summary="Meetings held to be seen, not to decide. " * 10,
            )
        publisher.flush(timeout=120)
    assert _count(container.access(OPERATOR), container.topics.ingest(BODY)) == total
