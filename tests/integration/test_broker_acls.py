"""The broker itself refuses what a principal may not do (issue 12): each body is a principal of its
own with the ACLs derived from the registry, and `fourfold acl sync` follows the registry."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka import errors as kafka_errors
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from fourfold.acl import PROJECTOR
from fourfold.bootstrap import Container
from fourfold.operations import delete_bus, provision, publish_registry, sync_acls
from producers import NotAuthorised, Publisher
from schemas import SigningKey, Subject
from schemas.access import KafkaAccess
from schemas.enums import SubjectKind
from schemas.events.reference import SigningKeyRevoked
from tests.conftest import RunningBus

pytestmark = pytest.mark.integration

A, B = "city-letters", "yuzhong-letters"
REFUSED = (
    kafka_errors.TopicAuthorizationFailedError,
    kafka_errors.ClusterAuthorizationFailedError,
    kafka_errors.TransactionalIdAuthorizationFailedError,
    kafka_errors.GroupAuthorizationFailedError,
    kafka_errors.AuthorizationError,
    kafka_errors.UnknownTopicOrPartitionError,  # the broker hides a topic from whoever may not describe it
)


@pytest.fixture
def bus(container: Container) -> Container:
    if container.settings.kafka_security == "plaintext":
        pytest.skip("the broker enforces nothing without security")
    provision(container, [A, B])
    return container


def _refused(action: Callable[[], Any]) -> bool:
    try:
        action()
    except REFUSED:
        return True
    return False


def _produce(access: KafkaAccess, topic: str) -> None:
    producer = KafkaProducer(**access.kafka_python(), acks="all", max_block_ms=10_000)
    try:
        producer.send(topic, b"x").get(timeout=15)
    finally:
        producer.close()


def _consume(access: KafkaAccess, topic: str) -> list[bytes]:
    """What ``access`` reads of partition 0; raises if the broker refuses outright."""
    consumer = KafkaConsumer(**access.kafka_python(), group_id=None, consumer_timeout_ms=3_000)
    try:
        consumer.assign([TopicPartition(topic, 0)])
        consumer.seek_to_beginning()
        return [record.value for record in consumer]
    finally:
        consumer.close()


def _cannot_read(access: KafkaAccess, topic: str) -> bool:
    """Refused outright, or given nothing of a partition that holds a record."""
    try:
        return _consume(access, topic) == []
    except REFUSED:
        return True


def _admin(access: KafkaAccess, act: Callable[[KafkaAdminClient], Any]) -> None:
    admin = KafkaAdminClient(**access.kafka_python())
    try:
        act(admin)
    finally:
        admin.close()


def _alter_refused(access: KafkaAccess, resource: ConfigResource) -> bool:
    admin = KafkaAdminClient(**access.kafka_python())
    try:
        answers = admin.alter_configs([resource], raise_on_unknown=False)
    except REFUSED:
        return True
    finally:
        admin.close()
    return all(result != "OK" for by_name in answers.values() for result in by_name.values())


def test_a_body_may_write_only_its_own_topic_and_read_only_its_own_inbox(
    bus: Container, operator: KafkaAccess
) -> None:
    topics, a = bus.topics, bus.access(A)
    for topic in (topics.inbox(A), topics.inbox(B), topics.log, topics.ingest(B)):
        producer = KafkaProducer(**operator.kafka_python(), acks="all")
        producer.send(topic, b"x", partition=0).get(timeout=15)
        producer.close()
    _produce(a, topics.ingest(A))
    assert _consume(a, topics.inbox(A)) == [b"x"]
    assert _refused(lambda: _produce(a, topics.ingest(B))), "wrote another body's ingest topic"
    assert _refused(lambda: _produce(a, topics.log)), "wrote the log"
    assert _cannot_read(a, topics.inbox(B)), "read another body's inbox"
    assert _cannot_read(a, topics.log), "read the log"
    assert _cannot_read(a, topics.ingest(B)), "read another body's ingest topic"


def test_nobody_but_the_operator_deletes_creates_or_reconfigures(bus: Container) -> None:
    topics = bus.topics
    for principal in (A, PROJECTOR):
        access = bus.access(principal)
        assert _refused(
            lambda a=access: _admin(a, lambda c: c.delete_records({TopicPartition(topics.log, 0): 1}))
        )
        assert _refused(
            lambda a=access: _admin(a, lambda c: c.create_topics([NewTopic(f"{topics.prefix}.x", 1, 1)]))
        )
        assert _refused(lambda a=access: _admin(a, lambda c: c.delete_topics([topics.log])))
        resource = ConfigResource(ConfigResourceType.TOPIC, topics.log, configs={"retention.ms": "1"})
        assert _alter_refused(access, resource), f"{principal} changed the log's retention"


def test_the_sdk_says_plainly_that_the_broker_refused(bus: Container) -> None:
    publisher = Publisher(B, SigningKey.generate(f"{B}:1"), bus.settings.bootstrap_servers,
                          topics=bus.topics, producer_config=bus.access(A).security())  # fmt: skip
    refused = pytest.raises(NotAuthorised, match="the broker refused: this principal may not publish")
    with refused, publisher:
        publisher.send_raw("k", b"x")
        publisher.flush(timeout=15)


def test_acl_sync_follows_the_registry_a_new_body_publishes_at_once_a_retired_one_no_more(
    running_bus: RunningBus, tmp_path: Path
) -> None:
    bus = running_bus.start(projector=False)
    container, newcomer = bus.container, "city-office-9"
    if container.settings.kafka_security == "plaintext":
        pytest.skip("the broker enforces nothing without security")
    entry = {"body_id": newcomer, "name": "Ninth Office", "kind": "supervision_office",
             "region_id": "city", "parent_body_id": "city-commission"}  # fmt: skip
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps({"bodies": [entry]}))
    publish_registry(container, registry)
    _produce(container.access(newcomer), container.topics.ingest(newcomer))  # at once, no sync needed

    key = container.keys.load(newcomer).verify_key
    with container.publisher(container.settings.registrar_body) as registrar:
        registrar.publish(
            SigningKeyRevoked(body_id=newcomer, key_id=key.key_id, reason="office merged"),
            subject=Subject(kind=SubjectKind.BODY, id=newcomer),
            occurred_at=datetime.now(UTC),
        )
    bus.wait_until(
        lambda: any(r["event_type"] == "SigningKeyRevoked" for r in bus.records(container.topics.reference)),
        60,
        "the router to take in the revocation",
    )
    _, removed = sync_acls(container)
    assert {g.principal for g in removed} == {newcomer}
    assert _refused(lambda: _produce(container.access(newcomer), container.topics.ingest(newcomer)))
    _produce(container.access(A), container.topics.ingest(A))  # the others keep theirs


def test_deleting_a_bus_deletes_its_grants(bus: Container) -> None:
    assert bus.acl.current(bus.topics)
    delete_bus(bus)
    assert bus.acl.current(bus.topics) == set()
