"""Every valid event encodes, decodes to itself and verifies; no changed byte ever verifies."""

from __future__ import annotations

import hashlib
import operator
import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import (
    EVENT_TYPES,
    Envelope,
    EventError,
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
from schemas.canonical import reference_canonical_json
from schemas.codec import logged_event_id
from schemas.enums import SubjectKind
from schemas.events.clues import Informant, ProblemClueReceived
from schemas.testing import events

KEY = SigningKey.generate("city-letters:1")
PROPERTY = settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
_LOOKALIKES = b'0123456789abcdefABCDEFxzXZtT-_=+.:,"\\ {}[]nul'


def _never_verifies(raw: bytes) -> None:
    try:
        event = decode_event(raw)
    except EventError:
        return
    with pytest.raises(SignatureInvalid):
        verify_event(event, KEY.verify_key)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
@PROPERTY
@given(data=st.data())
def test_any_event_round_trips_verifies_and_resists_a_changed_byte(
    event_type: str, data: st.DataObject
) -> None:
    signed = sign_event(data.draw(events(event_type)), KEY)
    raw = encode_event(signed)

    decoded = decode_event(raw)

    assert raw == reference_canonical_json(signed.model_dump(mode="json", exclude_unset=True))
    assert decoded == signed
    assert encode_event(decoded) == raw
    assert logged_event_id(raw) == str(signed.event_id)
    assert event_digest(decoded) == hashlib.sha256(raw).hexdigest()
    verify_event(decoded, KEY.verify_key)
    for _ in range(3):
        index = data.draw(st.integers(0, len(raw) - 1), label="index")
        other = st.one_of(st.sampled_from(_LOOKALIKES), st.integers(0, 255))
        byte = data.draw(other.filter(partial(operator.ne, raw[index])), label="byte")
        _never_verifies(raw[:index] + bytes([byte]) + raw[index + 1 :])


def _tricky_event() -> Envelope[Any]:
    payload = ProblemClueReceived(
        clue_id="clue-0001",
        unit_id="city-hospital",
        cadre_id="cadre_7",
        summary='收受礼金 "红包"\x1f\t\\ at the 2026 Spring Festival',
        informant=Informant(name="匿名", contact=None),
    )
    event = new_event(
        payload,
        source_body="city-letters",
        occurred_at=datetime(2026, 1, 31, 8, 0, 0, 1, tzinfo=UTC),
        subject=Subject(kind=SubjectKind.CADRE, id="cadre_7"),
        causation_id=uuid.UUID("abcdefab-cdef-4abc-8def-abcdefabcdef"),
    )
    return sign_event(event, KEY)


def test_no_single_byte_change_of_a_signed_event_verifies() -> None:
    raw = encode_event(_tricky_event())
    for index, old in enumerate(raw):
        candidates = {old ^ 0x20, old ^ 0x01, old + 1 & 0xFF, 0x20, 0x30, 0x41, 0x7A}
        for byte in candidates - {old}:
            _never_verifies(raw[:index] + bytes([byte]) + raw[index + 1 :])


def test_timestamps_in_any_offset_are_kept_in_utc_and_written_in_one_format() -> None:
    event = _tricky_event()

    assert event.occurred_at.tzinfo == UTC
    assert b'"occurred_at":"2026-01-31T08:00:00.000001Z"' in encode_event(event)


def test_a_changed_copy_is_encoded_as_changed() -> None:
    event = _tricky_event()

    changed = event.model_copy(update={"source_body": "city-office"})

    assert b'"source_body":"city-office"' in encode_event(changed)
    with pytest.raises(SignatureInvalid, match="does not match its content"):
        verify_event(decode_event(encode_event(changed)), KEY.verify_key)


def test_unset_defaults_are_left_out_and_an_explicit_default_is_kept() -> None:
    raw = encode_event(_tricky_event())

    assert b'"reliability"' not in raw
    assert b'"contact":null' in raw
    assert decode_event(raw).payload.reliability == "X"


def test_the_logged_event_id_is_the_envelopes_own_whatever_its_text_says() -> None:
    event = _tricky_event()
    payload = event.payload.model_copy(
        update={"summary": 'see {"event_id":"not-this-one"} and "event_id":"x"'}
    )
    raw = encode_event(sign_event(event.model_copy(update={"payload": payload}), KEY))

    assert logged_event_id(raw) == str(event.event_id)
    assert logged_event_id(b'{"no":"id"}') == ""
    # the keys sorted before the envelope's event_id are plain values, never objects that could hold one
    assert [name for name in sorted(Envelope.model_fields) if name < "event_id"] == [
        "causation_id",
        "classification",
        "correlation_id",
    ]
