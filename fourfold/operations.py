"""Operator tasks the CLI and the demo share: provisioning, loading the registry, reading topics."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from fourfold.acl import OPERATOR, Grant
from fourfold.bootstrap import Container
from fourfold.encryption import directory_of, registry_on_the_log, write_directory
from fourfold.registrar import (
    ReferenceFact,
    body_ids,
    correlation_of,
    load_registry_file,
    reference_facts,
)
from fourfold.trust import TrustMissing
from schemas import new_event
from schemas.access import KafkaAccess
from schemas.chain import LogRecord

log = logging.getLogger(__name__)

Progress = Callable[[int, int], object]


def provision(container: Container, bodies: list[str]) -> list[str]:
    """Core topics, an ingest and an inbox topic for each body and the registrar, and their
    principals on the broker with what each may do; returns the topics created."""
    everyone = [container.settings.registrar_body, *bodies]
    created = container.admin.ensure_core() + container.admin.ensure_body(everyone)
    container.admit_principals(everyone)
    return created


def prepare(container: Container) -> None:
    """Before a service starts: as the operator, when this machine holds the operator's password,
    make the core topics and the services' principals and grants; elsewhere the operator has
    done it (`fourfold acl sync`)."""
    from fourfold.access import CredentialsMissing

    try:
        provision(container, [])
    except CredentialsMissing:
        log.info("no operator credentials here: the bus's topics and principals are the operator's to make")


def publish_registry(container: Container, path: Path) -> int:
    """Check the whole file, then create topics and keys for new bodies and publish it as the
    registrar; returns a count. Raises RegistryInvalid, before creating or publishing anything,
    if any entry breaks a rule."""
    registry = load_registry_file(path)
    bodies = body_ids(registry)
    provision(container, bodies)
    keys, sealing = container.keys, container.encryption_keys
    registrar = container.settings.registrar_body
    keys.load_or_create(registrar)
    now = datetime.now(UTC)
    facts = list(
        reference_facts(
            registry,
            lambda b: keys.load_or_create(b).verify_key,
            lambda b: sealing.load_or_create(b).recipient,
        )
    )
    with container.publisher(registrar) as publisher:
        for fact in facts:
            payload, subject = fact
            publisher.publish(payload, subject=subject, occurred_at=now, correlation_id=correlation_of(fact))
    try:
        export_key_directory(container, pending=facts)
    except TrustMissing as exc:
        log.warning("no key directory written, so publishers here cannot seal informants: %s", exc)
    return len(facts)


def export_key_directory(
    container: Container, *, pending: Iterable[ReferenceFact] = (), out: Path | None = None
) -> tuple[Path, int]:
    """Write the key directory the SDK seals protected fields with (``out``, or the settings' file):
    the registry the router has taken in (its sealed records only), with the ``pending`` facts just
    published applied on top, so it is current before the router has read them. Returns the path
    and the number of keys in it."""
    registry = registry_on_the_log(
        container.access(OPERATOR), container.topics.reference, container.trust.load_seal()
    )
    at = datetime.now(UTC)
    for payload, subject in pending:
        registry.apply(
            new_event(payload, source_body=container.settings.registrar_body, occurred_at=at, subject=subject)
        )
    directory = directory_of(registry)
    path = out or container.settings.key_directory_file
    write_directory(path, directory)
    return path, sum(len(keys) for keys in directory.keys.values())


def registered_bodies(access: KafkaAccess, reference_topic: str, timeout: float = 30.0) -> set[str]:
    """The bodies whose BodyRegistered the router has taken in."""
    events = read_topic(access, reference_topic, timeout)
    return {str(e["payload"]["body_id"]) for e in events if e.get("event_type") == "BodyRegistered"}


def revoked_keys(
    access: KafkaAccess, reference_topic: str, timeout: float = 30.0
) -> dict[tuple[str, str], str]:
    """(body, key id) -> the reason, for every key the router has taken a revocation of."""
    events = read_topic(access, reference_topic, timeout)
    return {
        (str(e["payload"]["body_id"]), str(e["payload"]["key_id"])): str(e["payload"]["reason"])
        for e in events
        if e.get("event_type") == "SigningKeyRevoked"
    }


def active_bodies(access: KafkaAccess, reference_topic: str) -> set[str]:
    """The bodies registered on the log and not retired: a body whose every key is revoked is retired."""
    events = read_topic(access, reference_topic)
    bodies = {str(e["payload"]["body_id"]) for e in events if e.get("event_type") == "BodyRegistered"}
    keys: dict[str, set[str]] = {}
    revoked: dict[str, set[str]] = {}
    for e in events:
        p = e.get("payload", {})
        if e.get("event_type") == "SigningKeyRegistered":
            keys.setdefault(p["body_id"], set()).add(p["key_id"])
        elif e.get("event_type") == "SigningKeyRevoked":
            revoked.setdefault(p["body_id"], set()).add(p["key_id"])
    return {b for b in bodies if not keys.get(b) or not keys[b] <= revoked.get(b, set())}


def sync_acls(container: Container) -> tuple[set[Grant], set[Grant]]:
    """Make the broker's ACLs on this bus match the registry on the log: grants for the services
    and every active body, none for a retired one. Returns (added, removed)."""
    operator = container.access(OPERATOR)
    bodies = sorted(active_bodies(operator, container.topics.reference) | {container.settings.registrar_body})
    return container.admit_principals(bodies, remove_others=True)


def delete_bus(container: Container) -> list[str]:
    """Delete every topic of this bus's prefix and every grant on them (a test's or a benchmark's
    bus on a shared broker, whose disk and open files the topics would otherwise hold, and whose
    grants every later bus's start would read); the topic names deleted."""
    admin = KafkaAdminClient(**container.access(OPERATOR).kafka_python())
    try:
        mine = [t for t in admin.list_topics() if t.startswith(f"{container.topics.prefix}.")]
        if mine:
            admin.delete_topics(mine)
    finally:
        admin.close()
    if container.settings.kafka_security != "plaintext":
        container.acl.revoke(container.topics)
    return mine


def read_topic(access: KafkaAccess, topic: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Every record on ``topic`` (committed only) up to its end as of now, as JSON objects, oldest
    first per partition; TimeoutError if the broker does not deliver them within ``timeout``."""
    return [json.loads(r.value) for r in read_partitions(access, topic, timeout=timeout) if r.value]


def read_partitions(
    access: KafkaAccess, topic: str, progress: Progress | None = None, timeout: float = 120.0
) -> list[LogRecord]:
    """Every committed record of ``topic`` up to its end as of now, with its headers, in offset order
    per partition. Where a partition starts does not matter: records deleted from its start are
    missing links of their chains."""
    consumer = KafkaConsumer(
        **access.kafka_python(), group_id=None, enable_auto_commit=False, isolation_level="read_committed"
    )
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        starts = consumer.beginning_offsets(tps)
        ends = consumer.end_offsets(tps)
        consumer.seek_to_beginning()
        total = sum(ends[tp] - starts[tp] for tp in tps)
        found: list[LogRecord] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic} not read to its end within {timeout:.0f}s")
            for records in consumer.poll(timeout_ms=200, max_records=5000).values():
                found.extend(
                    LogRecord(r.partition, r.offset, r.key, r.value, list(r.headers or ())) for r in records
                )
            if progress is not None:
                progress(len(found), total)
        found.sort(key=lambda r: (r.partition, r.offset))
        return found
    finally:
        consumer.close()
