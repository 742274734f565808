"""Operator tasks the CLI and the demo share: provisioning, loading the registry, reading topics."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from fourfold.bootstrap import Container
from fourfold.registrar import body_ids, correlation_of, load_registry_file, reference_facts


def provision(container: Container, bodies: list[str]) -> list[str]:
    """Core topics, plus an ingest and an inbox topic for each body and the registrar."""
    s = container.settings
    created = container.admin.ensure_core()
    return created + container.admin.ensure_body([s.registrar_body, *bodies])


def publish_registry(container: Container, path: Path) -> int:
    """Check the whole file, then create topics and keys for new bodies and publish it as the
    registrar; returns a count. Raises RegistryInvalid, before creating or publishing anything,
    if any entry breaks a rule."""
    registry = load_registry_file(path)
    bodies = body_ids(registry)
    provision(container, bodies)
    keys = container.keys
    registrar = container.settings.registrar_body
    keys.load_or_create(registrar)
    now = datetime.now(UTC)
    count = 0
    with container.publisher(registrar) as publisher:
        for fact in reference_facts(registry, lambda b: keys.load_or_create(b).verify_key):
            payload, subject = fact
            publisher.publish(payload, subject=subject, occurred_at=now, correlation_id=correlation_of(fact))
            count += 1
    return count


def reference_events(bootstrap: str, reference_topic: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The reference facts the router has taken in, as JSON: the reference topic (committed records
    only) read up to its end, without waiting for more. For what the CLI tells a person; the
    router checks every fact itself."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, isolation_level="read_committed"
    )
    try:
        partitions = [
            TopicPartition(reference_topic, p) for p in consumer.partitions_for_topic(reference_topic) or ()
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout
        found: list[dict[str, Any]] = []
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{reference_topic} not read to its end within {timeout:.0f}s")
            for records in consumer.poll(timeout_ms=200).values():
                found.extend(json.loads(r.value) for r in records if r.value)
        return found
    finally:
        consumer.close()


def registered_bodies(bootstrap: str, reference_topic: str, timeout: float = 30.0) -> set[str]:
    """The bodies whose BodyRegistered the router has taken in."""
    events = reference_events(bootstrap, reference_topic, timeout)
    return {str(e["payload"]["body_id"]) for e in events if e.get("event_type") == "BodyRegistered"}


def revoked_keys(bootstrap: str, reference_topic: str, timeout: float = 30.0) -> dict[tuple[str, str], str]:
    """(body, key id) -> the reason, for every key the router has taken a revocation of."""
    events = reference_events(bootstrap, reference_topic, timeout)
    return {
        (str(e["payload"]["body_id"]), str(e["payload"]["key_id"])): str(e["payload"]["reason"])
        for e in events
        if e.get("event_type") == "SigningKeyRevoked"
    }


def read_topic(bootstrap: str, topic: str, timeout_ms: int = 2000) -> list[dict[str, Any]]:
    """Every record on ``topic`` (committed only), as JSON objects, oldest first per partition."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        consumer_timeout_ms=timeout_ms,
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        consumer.seek_to_beginning()
        return [json.loads(record.value) for record in consumer]
    finally:
        consumer.close()
