"""The projector's narrow seam onto kafka-python: a group-less consumer over the log and the inboxes."""

from __future__ import annotations

import importlib.util
import re
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from projections.batch import Record
from schemas import Topics
from schemas.access import KafkaAccess

FAST_CRC = importlib.util.find_spec("crc32c") is not None
"""Whether kafka-python can check record-batch CRCs in C. Its pure-Python CRC32C costs more than
the whole projection of a batch, so without the ``crc32c`` package the projector leaves the check to
the broker (which checks every batch it appends) and to parsing: a damaged record fails to parse and
is kept in ``unreadable_records``; the read models can always be rebuilt by replay."""


def consumer(access: KafkaAccess, **config: Any) -> KafkaConsumer:
    """Reads committed records only, outside any consumer group: offsets live in the database."""
    return KafkaConsumer(
        **access.kafka_python(),
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        check_crcs=FAST_CRC,
        **config,
    )


def projected_partitions(kafka: KafkaConsumer, topics: Topics) -> set[TopicPartition]:
    """Every partition of the canonical log and of every inbox topic that exists now."""
    pattern = re.compile(topics.inbox_pattern)
    return {
        TopicPartition(name, p)
        for name in kafka.topics()
        if name == topics.log or pattern.match(name)
        for p in (kafka.partitions_for_topic(name) or ())
    }


def polled(kafka: KafkaConsumer, timeout_ms: int, max_records: int) -> list[Record]:
    batches = kafka.poll(timeout_ms=timeout_ms, max_records=max_records)
    return [
        Record(r.topic, r.partition, r.offset, r.timestamp, r.value, r.key, r.headers)
        for batch in batches.values()
        for r in batch
    ]


def end_offsets(kafka: KafkaConsumer, partitions: set[TopicPartition]) -> dict[TopicPartition, int]:
    """Where each partition ends for a read_committed reader (transaction markers included)."""
    return dict(kafka.end_offsets(sorted(partitions))) if partitions else {}
