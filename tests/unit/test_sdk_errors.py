"""Kafka's errors map onto the SDK's own; retries back off; subjects, matters and metric labels."""

from __future__ import annotations

import os
import ssl

import pytest
from kafka import errors as kafka_errors
from prometheus_client import CollectorRegistry

from producers import (
    BrokerUnavailable,
    NotAuthenticated,
    NotAuthorised,
    PublishError,
    PublishTimeout,
    RetryPolicy,
    SdkMetrics,
    TopicMissing,
)
from producers.errors import is_permanent, translate
from producers.facts import matter_of, subject_of
from producers.ids import new_event_id
from schemas.categories import FindingCategory
from schemas.enums import Severity
from schemas.events.clues import ProblemClueReceived
from schemas.events.coordination import CaseConcluded
from schemas.events.inspection import ClueHandedOver, InspectionFindingReported
from schemas.events.rectification import RectificationProgressReported, RectificationRequired


@pytest.mark.parametrize(
    ("kafka_error", "sdk_error"),
    [
        (kafka_errors.SaslAuthenticationFailedError("bad password"), NotAuthenticated),
        (kafka_errors.IllegalSaslStateError(), NotAuthenticated),
        (ssl.SSLError("certificate verify failed"), NotAuthenticated),
        (kafka_errors.TopicAuthorizationFailedError(), NotAuthorised),
        (kafka_errors.ClusterAuthorizationFailedError(), NotAuthorised),
        (kafka_errors.UnknownTopicOrPartitionError(), TopicMissing),
        (kafka_errors.KafkaConnectionError("refused"), BrokerUnavailable),
        (kafka_errors.KafkaTimeoutError("expired"), PublishTimeout),
        (kafka_errors.MessageSizeTooLargeError(), PublishError),
    ],
)
def test_kafka_errors_become_the_sdks_own(kafka_error, sdk_error):
    error = translate(kafka_error, "fourfold.ingest.city-letters")
    assert type(error) is sdk_error
    assert "city-letters" in str(error) or sdk_error in (NotAuthenticated, BrokerUnavailable)


def test_only_record_level_refusals_are_given_up_on():
    assert is_permanent(kafka_errors.MessageSizeTooLargeError())
    assert not is_permanent(kafka_errors.TopicAuthorizationFailedError())  # an operator may grant it
    assert not is_permanent(kafka_errors.KafkaTimeoutError())


def test_retries_back_off_exponentially_up_to_a_ceiling():
    policy = RetryPolicy(initial=0.5, maximum=8.0, jitter=0.2)
    for attempt, base in [(1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0), (30, 8.0)]:
        delays = [policy.delay(attempt) for _ in range(50)]
        assert all(base * 0.8 <= d <= base * 1.2 for d in delays), (attempt, min(delays), max(delays))


CLUE = ProblemClueReceived(clue_id="clue-1", unit_id="city-bank", cadre_id="cadre-zhao", summary="s")


@pytest.mark.parametrize(
    ("payload", "subject", "matter"),
    [
        (CLUE, ("cadre", "cadre-zhao"), "clue-1"),
        (CLUE.model_copy(update={"cadre_id": None}), ("unit", "city-bank"), "clue-1"),
        (
            ClueHandedOver(round_id="round-1", clue_id="clue-2", unit_id="city-bank", summary="s"),
            ("unit", "city-bank"),
            "clue-2",
        ),
        (
            InspectionFindingReported(
                round_id="round-1",
                finding_id="f-1",
                unit_id="city-bank",
                category=FindingCategory.ABUSE_OF_POWER,
                severity=Severity.HIGH,
                summary="s",
            ),
            ("unit", "city-bank"),
            "round-1",
        ),
        (
            CaseConcluded(case_id="case-1", unit_id="city-bank", clue_id="clue-1", outcome="o"),
            ("unit", "city-bank"),
            "case-1",
        ),
        (
            RectificationProgressReported(rectification_id="rect-1", percent_complete=50, note="n"),
            None,
            "rect-1",
        ),
    ],
)
def test_subject_and_matter_come_from_the_payload(payload, subject, matter):
    found = subject_of(payload)
    assert (None if found is None else (found.kind, found.id)) == subject
    assert matter_of(payload) == matter


def test_a_rectification_citing_a_finding_is_its_own_matter():
    payload = RectificationRequired.model_validate(
        {
            "rectification_id": "rect-2",
            "unit_id": "city-bank",
            "finding_id": "f-9",
            "description": "d",
            "deadline": "2026-06-30T00:00:00Z",
            "supervising_bodies": ["city-commission"],
        },
        strict=False,
    )
    assert matter_of(payload) == "rect-2"


def test_metric_labels_are_the_body_and_a_catalogue_event_type_only():
    registry = CollectorRegistry()
    metrics = SdkMetrics.create(registry).for_body("city-letters")
    metrics.published("ProblemClueReceived", 0.004)
    metrics.refused("Payload with the informant's name in it")
    metrics.outbox_depth(7)
    for family in registry.collect():
        for sample in family.samples:
            assert set(sample.labels) <= {"body", "event_type", "le"}, sample
            assert sample.labels.get("event_type", "unknown") in {"ProblemClueReceived", "unknown"}
    assert registry.get_sample_value("fourfold_sdk_outbox_depth", {"body": "city-letters"}) == 7
    assert (
        registry.get_sample_value(
            "fourfold_sdk_send_latency_seconds_count",
            {"body": "city-letters", "event_type": "ProblemClueReceived"},
        )
        == 1
    )


def test_event_ids_are_unique_version_4_and_not_shared_with_a_forked_child():
    ids = {new_event_id() for _ in range(5_000)}
    assert len(ids) == 5_000 and {i.version for i in ids} == {4}
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id must not be the parent's next one
        os.write(write, new_event_id().bytes)
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 16) != new_event_id().bytes
