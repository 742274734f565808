"""The SDK against the real broker: events read back signed and intact, and each kind of
trouble (no topic, no broker, wrong credentials) is a clear error, soon, not a hang."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from prometheus_client import CollectorRegistry

from fourfold.acl import OPERATOR
from fourfold.bootstrap import Container
from fourfold.operations import provision
from producers import (
    BrokerUnavailable,
    DeliveryState,
    NotAuthenticated,
    Outbox,
    Publisher,
    RetryPolicy,
    SdkMetrics,
    TopicMissing,
    unit,
)
from producers.directory import Directory
from producers.link import KafkaLink
from producers.sender import OutboxDelivery
from schemas import SigningKey, decode_event, verify_event
from schemas.access import KafkaAccess
from schemas.categories import FindingCategory
from schemas.ciphertext import Sealed
from schemas.confidential import EncryptionKey, Keyring, open_value
from schemas.enums import Classification, HowFound, Severity, SourceReliability
from schemas.events.clues import Informant, ProblemClueReceived, SupervisionFindingRecorded

pytestmark = pytest.mark.integration

BODY = "city-letters"


def _raw_records(access: KafkaAccess, topic: str) -> list[bytes]:
    consumer = KafkaConsumer(**access.kafka_python(), enable_auto_commit=False, consumer_timeout_ms=1500)
    try:
        consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()])
        consumer.seek_to_beginning()
        return [record.value for record in consumer]
    finally:
        consumer.close()


def _directory() -> tuple[Directory, Keyring]:
    """A key directory for clues about city-hospital's municipal-managed cadres, and the readers' keys."""
    keys = [EncryptionKey.generate(b, f"{b}:enc:1") for b in ("city-letters", "city-case-mgmt")]
    directory = Directory(
        keys={k.body_id: (k.recipient,) for k in keys},
        readers={"city-commission": ("city-letters", "city-case-mgmt")},
        commissions={"city-letters": "city-commission", "city-case-mgmt": "city-commission"},
        unit_levels={"city-hospital": "municipal"},
        holders={"city-hospital": {"municipal": "city-commission"}},
        cadre_levels={"cadre-qian": "municipal"},
    )
    ring = Keyring()
    for key in keys:
        ring.add(key)
    return directory, ring


def _finding(publisher: Publisher, i: int) -> uuid.UUID:
    return publisher.record_finding(
        finding_id=f"finding-{i}",
        unit_id="city-hospital",
        category=FindingCategory.FORMALISM_BUREAUCRATISM,
        severity=Severity.LOW,
        how_found=HowFound.DAILY_SUPERVISION,
        summary="Meetings held to be seen, not to decide.",
    )


@pytest.mark.parametrize("with_outbox", [False, True], ids=["direct", "outbox"])
def test_published_events_read_back_signed_and_intact(
    container: Container, tmp_path: Path, with_outbox: bool
):
    provision(container, [BODY])
    key = SigningKey.generate(f"{BODY}:1")
    registry = CollectorRegistry()
    outbox = tmp_path / "outbox.db" if with_outbox else None
    directory, ring = _directory()
    with Publisher(
        BODY,
        key,
        container.settings.bootstrap_servers,
        topics=container.topics,
        outbox=outbox,
        metrics=SdkMetrics.create(registry),
        producer_config=container.access(BODY).security(),
        directory=directory,
    ) as publisher:
        clue_id = publisher.receive_clue(
            clue_id="clue-7",
            unit_id="city-hospital",
            cadre_id="cadre-qian",
            summary="A supplier paid for banquets.",
            reliability=SourceReliability.B,
            informant=Informant(name="A. Citizen"),
        )
        findings = [_finding(publisher, i) for i in range(20)]
        publisher.flush()
        statuses = [publisher.status(i) for i in [clue_id, *findings]]

    assert {s.state for s in statuses} == {DeliveryState.SENT}
    assert all(s.offset is not None for s in statuses)
    on_topic = _raw_records(container.access(OPERATOR), publisher.topic)
    events = {e.event_id: e for e in (decode_event(raw) for raw in on_topic)}
    assert set(events) == {clue_id, *findings}
    for event in events.values():
        verify_event(event, key.verify_key)
    clue = events[clue_id]
    assert isinstance(clue.payload, ProblemClueReceived)
    sealed = clue.payload.informant  # sealed before signing, for the readers of the jurisdiction
    assert isinstance(sealed, Sealed) and sealed.readers() == {"city-letters", "city-case-mgmt"}
    assert not any(b"A. Citizen" in raw for raw in on_topic)
    for reader in sealed.readers():
        opened = open_value(sealed, reader, ring, event_id=clue_id, path="payload.informant")
        assert Informant.model_validate(opened) == Informant(name="A. Citizen")
    assert (clue.subject.kind, clue.subject.id) == ("cadre", "cadre-qian")
    assert (clue.correlation_id, clue.classification) == ("clue-7", Classification.CONFIDENTIAL)
    assert events[findings[0]].subject == unit("city-hospital")
    assert events[findings[0]].correlation_id == "finding-0"
    published = registry.get_sample_value(
        "fourfold_sdk_published_total", {"body": BODY, "event_type": "SupervisionFindingRecorded"}
    )
    assert published == 20


def test_missing_topic_is_a_clear_error(container: Container, tmp_path: Path):
    container.admit_principals([BODY])  # the body may write its ingest topic, which does not exist yet
    key = SigningKey.generate(f"{BODY}:1")
    bootstrap = container.settings.bootstrap_servers
    security = container.access(BODY).security()
    direct = Publisher(BODY, key, bootstrap, topics=container.topics, producer_config=security)
    with pytest.raises(TopicMissing, match=r"ingest\.city-letters"):
        _finding(direct, 0)
    direct.close()

    with Publisher(
        BODY, key, bootstrap, topics=container.topics, outbox=tmp_path / "o.db", producer_config=security
    ) as publisher:
        event_id = _finding(publisher, 1)  # stored: the outbox does not need the topic yet
        with pytest.raises(TopicMissing):
            publisher.flush(timeout=3)
        assert publisher.status(event_id).state is DeliveryState.PENDING
        assert "does not exist" in (publisher.status(event_id).last_error or "")
        container.admin.ensure_body([BODY])  # the operator creates it; the sender carries on
        publisher.flush(timeout=60)
        assert publisher.status(event_id).state is DeliveryState.SENT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_no_broker_is_a_clear_error_soon():
    publisher = Publisher(
        BODY, SigningKey.generate(f"{BODY}:1"), f"127.0.0.1:{_free_port()}", connect_timeout=2
    )
    began = time.monotonic()
    with pytest.raises(BrokerUnavailable, match="no Kafka broker answered"):
        _finding(publisher, 0)
    assert time.monotonic() - began < 10
    publisher.close()


def _wrong_credentials(access: KafkaAccess) -> dict[str, Any]:
    """The body's own way in with a wrong SCRAM password; on a cluster without security, SASL
    offered to a plain-text listener, which refuses it just the same."""
    if access.secured:
        return {**access.security(), "sasl_plain_password": "wrong"}
    return {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "PLAIN",
        "sasl_plain_username": BODY,
        "sasl_plain_password": "wrong",
    }


def test_refused_credentials_are_an_authentication_error(container: Container):
    provision(container, [BODY])
    publisher = Publisher(
        BODY,
        SigningKey.generate(f"{BODY}:1"),
        container.settings.bootstrap_servers,
        topics=container.topics,
        connect_timeout=3,
        producer_config=_wrong_credentials(container.access(BODY)),
    )
    began = time.monotonic()
    with pytest.raises(NotAuthenticated, match="refused this client's credentials"):
        _finding(publisher, 0)
    assert time.monotonic() - began < 10
    publisher.close()


def test_flush_does_not_wait_out_the_outbox_senders_linger(container: Container, tmp_path: Path):
    """After a short batch the sender waits for more; flush() must cut that wait short."""
    provision(container, [BODY])
    security = container.access(BODY).security()
    preparer = Publisher(
        BODY, SigningKey.generate(f"{BODY}:1"), container.settings.bootstrap_servers, producer_config=security
    )
    payloads = [
        SupervisionFindingRecorded(
            finding_id=f"finding-{i}",
            unit_id="city-hospital",
            category=FindingCategory.FORMALISM_BUREAUCRATISM,
            severity=Severity.LOW,
            how_found=HowFound.DAILY_SUPERVISION,
            summary="Meetings held to be seen, not to decide.",
        )
        for i in range(2)
    ]
    first, second = (preparer.prepare(preparer.envelope(p)) for p in payloads)
    preparer.close()
    link = KafkaLink(
        container.settings.bootstrap_servers,
        container.topics.ingest(BODY),
        config=security,
        connect_timeout=10,
    )
    metrics = SdkMetrics.create(CollectorRegistry()).for_body(BODY)
    delivery = OutboxDelivery(
        Outbox(tmp_path / "outbox.db"),
        link,
        metrics,
        body_id=BODY,
        retry=RetryPolicy(),
        ack_timeout=30,
        linger=600,
    )
    try:
        delivery.submit([first])
        deadline = time.monotonic() + 20
        while delivery.depth() and time.monotonic() < deadline:  # sent alone: the sender now lingers
            time.sleep(0.05)
        assert delivery.depth() == 0

        delivery.submit([second])
        delivery.flush(timeout=20)  # raises PublishTimeout if it waited for the 600 s linger

        assert delivery.status(second.event_id).state is DeliveryState.SENT
    finally:
        delivery.close(timeout=5)
