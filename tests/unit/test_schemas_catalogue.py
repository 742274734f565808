"""The catalogue: complete, strict, frozen, documented, and its vocabularies labelled."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from schemas import EVENT_TYPES, Payload, Subject, new_event
from schemas.catalogue import DERIVED_TYPES, GROUPS, REFERENCE_TYPES, payload_class
from schemas.categories import FindingCategory
from schemas.docs import VOCABULARIES
from schemas.enums import BodyKind, Disposition, LabelledEnum, Severity, SubjectKind
from schemas.errors import UnknownEventType
from schemas.events import (
    audit,
    clock,
    clues,
    coordination,
    followup,
    inspection,
    rectification,
    reference,
    refusal,
    sharing,
)
from schemas.events.clock import ClockTicked
from schemas.events.clues import ClueDisposed

MODULES = (
    reference,
    clock,
    clues,
    inspection,
    rectification,
    sharing,
    coordination,
    followup,
    refusal,
    audit,
)


def test_every_payload_class_of_the_events_package_is_registered() -> None:
    defined = {
        cls
        for module in MODULES
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, Payload) and cls.__module__ == module.__name__
    }

    assert defined == set(EVENT_TYPES.values())
    assert len(EVENT_TYPES) == sum(len(group) for group in GROUPS.values())


@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=list(EVENT_TYPES))
def test_every_event_type_is_strict_frozen_closed_and_documented(cls: type[Payload]) -> None:
    assert cls.model_config.get("strict") is True
    assert cls.model_config.get("frozen") is True
    assert cls.model_config.get("extra") == "forbid"
    assert cls.__doc__ and cls.__doc__ != Payload.__doc__
    assert cls.receivers
    assert cls.event_type == cls.__name__
    assert cls.schema_version >= 1
    assert cls.publishers <= set(BodyKind)


def test_derived_and_reference_types_are_as_the_domain_says() -> None:
    assert set(DERIVED_TYPES) == {
        "BriefingRequested",
        "RectificationOverdue",
        "OutstandingIssueNotified",
        "SystemicIssueDetected",
        "CollaborativeOversightProposed",
        "PlanItemOverdue",
        "BriefingOverdue",
        "DailyReportOverdue",
        "CaseReformOverdue",
        "EventRefused",
    }
    assert set(REFERENCE_TYPES) == {
        "RegionRegistered",
        "BodyRegistered",
        "UnitRegistered",
        "CadreRegistered",
        "JurisdictionAssigned",
        "SigningKeyRegistered",
        "SigningKeyRevoked",
        "EncryptionKeyRegistered",
        "EncryptionKeyRevoked",
    }
    assert all(EVENT_TYPES[name].publishers == {BodyKind.SYSTEM} for name in REFERENCE_TYPES)


def test_an_unknown_event_type_names_itself() -> None:
    with pytest.raises(UnknownEventType, match="'ClueEaten'"):
        payload_class("ClueEaten")


def test_events_are_frozen() -> None:
    payload = ClueDisposed(clue_id="c-1", disposition=Disposition.CLOSED, reason="unfounded")

    with pytest.raises(ValidationError, match="frozen"):
        payload.reason = "changed"  # type: ignore[misc]


def test_strict_models_refuse_lax_python_input() -> None:
    with pytest.raises(ValidationError):
        ClueDisposed(clue_id="c-1", disposition=Disposition.CLOSED, reason=5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ClockTicked(tick_at="2026-01-01T00:00:00Z")  # type: ignore[arg-type]


def test_timestamps_must_be_aware_and_are_kept_in_utc() -> None:
    with pytest.raises(ValidationError, match="must carry a timezone"):
        ClockTicked(tick_at=datetime(2026, 1, 1))
    beijing = timezone(timedelta(hours=8))

    tick = ClockTicked(tick_at=datetime(2026, 1, 1, 8, tzinfo=beijing))

    assert tick.tick_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert tick.tick_at.tzinfo is UTC


def test_the_envelope_refuses_a_type_or_version_that_does_not_match_the_payload() -> None:
    event = new_event(
        ClockTicked(tick_at=datetime(2026, 1, 1, tzinfo=UTC)),
        source_body="bus",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        subject=Subject(kind=SubjectKind.BODY, id="bus"),
    )
    data = event.model_dump()

    with pytest.raises(ValidationError, match="does not match payload 'ClockTicked'"):
        type(event).model_validate({**data, "event_type": "ClueDisposed"})
    with pytest.raises(ValidationError, match="not ClockTicked's current version 1"):
        type(event).model_validate({**data, "schema_version": 2})


@pytest.mark.parametrize(
    "vocabulary", [v for v in VOCABULARIES if issubclass(v, LabelledEnum)], ids=lambda v: v.__name__
)
def test_every_member_of_a_labelled_vocabulary_has_both_labels(
    vocabulary: type[LabelledEnum],
) -> None:
    for member in vocabulary:
        assert member.label_zh and member.label_en
        assert vocabulary(member.value) is member


def test_the_labelled_vocabularies_include_those_the_issue_names() -> None:
    for vocabulary in (BodyKind, FindingCategory, Severity, Disposition):
        assert issubclass(vocabulary, LabelledEnum)
    assert FindingCategory.EIGHT_POINT_RULES.label_zh == "违反中央八项规定精神"
    assert [d.label_zh for d in Disposition] == ["谈话函询", "初步核实", "暂存待查", "予以了结"]


def test_nested_models_are_strict_and_frozen_too() -> None:
    nested = {
        cls
        for module in MODULES
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, BaseModel)
        and not issubclass(cls, Payload)
        and cls.__module__ == module.__name__
    }

    assert nested
    for cls in nested:
        assert cls.model_config.get("frozen") and cls.model_config.get("extra") == "forbid"
        assert inspect.getdoc(cls)
