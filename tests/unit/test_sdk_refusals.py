"""Invalid events are refused before they leave the machine, with the reason; nothing is stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from producers import DeliveryState, EventRefused, Publisher, SdkMetrics, unit
from schemas import Payload, SigningKey, Subject, new_event
from schemas.categories import FindingCategory
from schemas.enums import (
    BodyKind,
    HowFound,
    InformationCredibility,
    Severity,
    SourceReliability,
    SubjectKind,
)
from schemas.events.clues import ClueRegraded, SupervisionFindingRecorded
from schemas.events.reference import SigningKeyRegistered
from schemas.events.sharing import OutstandingIssueNotified

BODY = "city-supervision-1"
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NOWHERE = "127.0.0.1:9"  # nothing is sent in these tests, so nothing must listen


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def publisher(tmp_path: Path, registry: CollectorRegistry) -> Publisher:
    return Publisher(
        BODY,
        SigningKey.generate(f"{BODY}:1"),
        NOWHERE,
        outbox=tmp_path / "outbox.db",
        body_kind=BodyKind.SUPERVISION_OFFICE,
        max_event_bytes=2_000,
        metrics=SdkMetrics.create(registry),
    )


def finding(**changes: object) -> SupervisionFindingRecorded:
    fields: dict[str, object] = {
        "finding_id": "finding-1",
        "unit_id": "city-hospital",
        "category": FindingCategory.EIGHT_POINT_RULES,
        "severity": Severity.HIGH,
        "how_found": HowFound.DAILY_SUPERVISION,
        "summary": "Banquets paid by a supplier.",
    }
    return SupervisionFindingRecorded(**{**fields, **changes})  # type: ignore[arg-type]


class NotInTheCatalogue(Payload):
    note: str


def refusal(call) -> EventRefused:  # type: ignore[no-untyped-def]
    with pytest.raises(EventRefused) as caught:
        call()
    return caught.value


CASES = {
    "derived by the bus": (
        lambda p: p.publish(
            OutstandingIssueNotified(
                finding_id="f-1",
                unit_id="city-hospital",
                category=FindingCategory.EIGHT_POINT_RULES,
                severity=Severity.HIGH,
                notified_bodies=("city-commission",),
            ),
            occurred_at=AT,
        ),
        "derived",
        "only the bus derives OutstandingIssueNotified",
    ),
    "reference data from a supervision office": (
        lambda p: p.publish(
            SigningKeyRegistered(body_id=BODY, key_id=f"{BODY}:2", public_key="A" * 43 + "="),
            subject=Subject(kind=SubjectKind.BODY, id=BODY),
            occurred_at=AT,
        ),
        "unauthorised",
        "may not publish SigningKeyRegistered",
    ),
    "naive timestamp": (
        lambda p: p.publish(finding(), occurred_at=datetime(2026, 3, 2, 9, 30)),
        "invalid",
        "occurred_at: timestamp must carry a timezone",
    ),
    "bad subject id": (
        lambda p: p.publish(finding(), subject=unit("No Such Unit"), occurred_at=AT),
        "invalid",
        "subject.id: String should match pattern",
    ),
    "no subject to take": (
        lambda p: p.publish(
            ClueRegraded(
                clue_id="clue-1",
                reliability=SourceReliability.A,
                credibility=InformationCredibility.KNOWN_TRUE,
                reason="Confirmed by a second source.",
            ),
            occurred_at=AT,
        ),
        "invalid",
        "name the subject",
    ),
    "too large": (
        lambda p: p.publish(finding(summary="x" * 3_000), occurred_at=AT),
        "too_large",
        "over the limit of 2000 bytes",
    ),
    "invalid field through a typed helper": (
        lambda p: p.record_finding(
            finding_id="finding-1",
            unit_id="City Hospital",
            category=FindingCategory.EIGHT_POINT_RULES,
            severity=Severity.HIGH,
            how_found=HowFound.DAILY_SUPERVISION,
            summary="x",
        ),
        "invalid",
        "payload.unit_id: String should match pattern",
    ),
    "another body's event": (
        lambda p: p.publish_event(
            new_event(finding(), source_body="city-commission", occurred_at=AT, subject=unit("city-hospital"))
        ),
        "unauthorised",
        "names source 'city-commission'",
    ),
    "not in the catalogue": (
        lambda p: p.publish(NotInTheCatalogue(note="x"), subject=unit("city-hospital"), occurred_at=AT),
        "unknown_type",
        "not an event type of the catalogue",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_invalid_events_are_refused_before_leaving_with_the_reason(publisher: Publisher, case: str):
    call, reason, words = CASES[case]
    refused = refusal(lambda: call(publisher))
    assert refused.reason == reason
    assert words in str(refused), str(refused)
    assert publisher.outbox_depth == 0


def test_a_refusal_lists_every_problem_and_counts_in_the_metrics(
    publisher: Publisher, registry: CollectorRegistry
):
    refused = refusal(
        lambda: publisher.publish(finding(), occurred_at=datetime(2026, 1, 1), causation_id="not-a-uuid")  # type: ignore[arg-type]
    )
    assert [p.split(":")[0] for p in refused.problems] == ["occurred_at", "causation_id"], refused.problems
    refusal(lambda: publisher.publish(NotInTheCatalogue(note="x"), subject=unit("u"), occurred_at=AT))
    labels = {"body": BODY, "event_type": "SupervisionFindingRecorded"}
    assert registry.get_sample_value("fourfold_sdk_refused_total", labels) == 1
    assert (
        registry.get_sample_value("fourfold_sdk_refused_total", {"body": BODY, "event_type": "unknown"}) == 1
    )


def test_a_valid_event_is_stored_and_pending_until_the_broker_acknowledges(publisher: Publisher):
    event_id = publisher.publish(finding(), occurred_at=AT)
    status = publisher.status(event_id)
    assert status.state is DeliveryState.PENDING
    assert publisher.outbox_depth == 1
    assert publisher.status(uuid.uuid4()).state is DeliveryState.UNKNOWN
    assert publisher.publish(finding(), occurred_at=AT, event_id=event_id) == event_id  # the same event again
    assert publisher.outbox_depth == 1
    publisher.close(timeout=0)


def test_the_registrar_may_publish_reference_data(tmp_path: Path):
    registrar = Publisher(
        "registrar",
        SigningKey.generate("registrar:1"),
        NOWHERE,
        outbox=tmp_path / "o.db",
        body_kind=BodyKind.SYSTEM,
        metrics=SdkMetrics.create(CollectorRegistry()),
    )
    registrar.publish(
        SigningKeyRegistered(body_id=BODY, key_id=f"{BODY}:2", public_key="A" * 43 + "="),
        subject=Subject(kind=SubjectKind.BODY, id=BODY),
        occurred_at=AT,
    )
    assert registrar.outbox_depth == 1
    registrar.close(timeout=0)
