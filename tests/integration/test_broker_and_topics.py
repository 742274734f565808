"""The local broker answers, and topics are created idempotently with their configs."""

from __future__ import annotations

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from fourfold.acl import OPERATOR
from fourfold.bootstrap import Container
from schemas import SigningKey
from schemas.access import KafkaAccess

pytestmark = pytest.mark.integration


def _configs(access: KafkaAccess, topic: str) -> dict[str, str]:
    admin = KafkaAdminClient(**access.kafka_python())
    try:
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        return {name: entry["value"] for name, entry in described["topic"][topic].items()}
    finally:
        admin.close()


def _partitions(access: KafkaAccess, names: list[str]) -> list[int]:
    admin = KafkaAdminClient(**access.kafka_python())
    try:
        described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(names)}
        return [described[n] for n in names]
    finally:
        admin.close()


def test_local_broker_reports_itself_running(base_settings, bootstrap):
    container = Container(base_settings)
    if not container.settings.uses_local_broker:
        pytest.skip("an external cluster is configured")
    status = container.local_broker.status()
    assert status.running and status.answering and status.bootstrap == bootstrap


def test_topics_are_created_once_with_explicit_configs(container: Container):
    admin = container.admin
    created = admin.ensure_core() + admin.ensure_body(["city-letters"])
    topics = container.topics
    assert sorted(created) == sorted(
        [
            topics.log,
            topics.reference,
            topics.quarantine,
            topics.checkpoints,
            topics.ingest("city-letters"),
            topics.inbox("city-letters"),
        ]
    )
    assert admin.ensure_core() == [] and admin.ensure_body(["city-letters"]) == []
    operator = container.access(OPERATOR)
    assert _configs(operator, topics.log)["retention.ms"] == "-1"
    assert _configs(operator, topics.checkpoints)["retention.ms"] == "-1"
    assert _configs(operator, topics.reference)["cleanup.policy"] == "compact"
    assert admin.existing(topics.ingest_pattern) == [topics.ingest("city-letters")]
    partitions = _partitions(
        operator, [topics.ingest("city-letters"), topics.inbox("city-letters"), topics.log]
    )
    assert partitions == [1, container.settings.partitions, container.settings.partitions]


def test_topics_are_usable_as_soon_as_ensure_returns(bus_settings):
    """Creating a few dozen topics at once used to return before the broker served them, and the
    demo's first publish was told its topic did not exist."""
    bodies = [f"office-{i}" for i in range(20)]
    for round_ in range(2):
        container = Container(
            bus_settings.model_copy(update={"topic_prefix": f"{bus_settings.topic_prefix}r{round_}"})
        )
        container.admit_principals(bodies[:1])  # first, so nothing stands between ensure and the publish
        container.admin.ensure_body(bodies)

        with container.publisher(bodies[0], SigningKey.generate(f"{bodies[0]}:1")) as publisher:
            publisher.send_raw("k", b"{}")
