"""Older versions are upcast when read, and their signatures still verify over what was signed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings

from schemas import (
    EVENT_TYPES,
    InvalidEvent,
    SignatureInvalid,
    SigningKey,
    Subject,
    decode_event,
    encode_event,
    event_digest,
    new_event,
    sign_event,
    verify_event,
)
from schemas.catalogue import envelope_for
from schemas.enums import InformationCredibility, SourceReliability, SubjectKind
from schemas.envelope import Payload
from schemas.events.clues import ClueRegraded
from schemas.registry import committed, event_schema
from schemas.testing import json_data
from schemas.types import BodyId, ClueId, Text
from schemas.upcasting import UPCASTERS, upcast

KEY = SigningKey.generate("city-cm:1")


class ClueRegradedV2(Payload):
    """ClueRegraded as a later version might have it: who graded it is now required."""

    schema_version = 2
    clue_id: ClueId
    reliability: SourceReliability
    credibility: InformationCredibility
    reason: Text
    graded_by: BodyId


ClueRegradedV2.event_type = "ClueRegraded"


def _to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "payload": {**data["payload"], "graded_by": data["source_body"]}}


@pytest.fixture
def version_2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The catalogue with ClueRegraded at version 2 and an upcaster from version 1."""
    monkeypatch.setitem(EVENT_TYPES, "ClueRegraded", ClueRegradedV2)
    monkeypatch.setitem(UPCASTERS, ("ClueRegraded", 1), _to_v2)
    envelope_for.cache_clear()
    yield
    envelope_for.cache_clear()


def _v1_raw() -> bytes:
    payload = ClueRegraded(
        clue_id="clue-1",
        reliability=SourceReliability.B,
        credibility=InformationCredibility.DIRECT,
        reason="a second informant",
    )
    event = new_event(
        payload,
        source_body="city-cm",
        occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        subject=Subject(kind=SubjectKind.CADRE, id="cadre-7"),
    )
    return encode_event(sign_event(event, KEY))


V1 = _v1_raw()


@pytest.mark.usefixtures("version_2")
def test_an_older_version_is_upcast_when_read() -> None:
    event = decode_event(V1)

    assert event.schema_version == 2
    assert isinstance(event.payload, ClueRegradedV2)
    assert event.payload.graded_by == "city-cm"


@pytest.mark.usefixtures("version_2")
def test_an_upcast_event_verifies_over_the_bytes_its_source_signed() -> None:
    event = decode_event(V1)

    verify_event(event, KEY.verify_key)
    assert encode_event(event) == V1
    assert event_digest(event) == hashlib.sha256(V1).hexdigest()


@pytest.mark.usefixtures("version_2")
def test_an_upcast_event_equals_the_same_event_built_at_the_new_version() -> None:
    event = decode_event(V1)
    fields = {name: getattr(event, name) for name in type(event).model_fields}

    assert type(event)(**fields) == event


@pytest.mark.usefixtures("version_2")
def test_a_changed_upcast_event_no_longer_verifies() -> None:
    event = decode_event(V1).model_copy(update={"source_body": "city-office"})

    with pytest.raises(SignatureInvalid, match="does not match its content"):
        verify_event(event, KEY.verify_key)


@pytest.mark.usefixtures("version_2")
def test_an_older_version_must_still_be_canonical() -> None:
    with pytest.raises(InvalidEvent, match="not in canonical form"):
        decode_event(json.dumps(json.loads(V1)).encode())


@pytest.mark.usefixtures("version_2")
def test_every_event_valid_under_the_committed_v1_schema_upcasts_to_a_valid_v2() -> None:
    old = committed()[("ClueRegraded", 1)]

    @settings(max_examples=30, deadline=None, database=None)
    @given(json_data(old))
    def upcasts(data: dict[str, Any]) -> None:
        envelope_for("ClueRegraded").model_validate_json(json.dumps(upcast("ClueRegraded", data)))

    upcasts()


def test_without_an_upcaster_the_older_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(EVENT_TYPES, "ClueRegraded", ClueRegradedV2)
    envelope_for.cache_clear()
    try:
        with pytest.raises(InvalidEvent, match="no upcaster from schema version 1 to 2"):
            decode_event(V1)
    finally:
        envelope_for.cache_clear()


def test_the_current_version_passes_through_unchanged() -> None:
    data = json.loads(V1)

    assert upcast("ClueRegraded", data) is data
    assert event_schema(ClueRegraded)["properties"]["schema_version"]["const"] == 1
