"""Bad input is refused with a message naming what failed; nothing raises anything else."""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import (
    EVENT_TYPES,
    EventError,
    InvalidEvent,
    SignatureInvalid,
    SigningKey,
    Subject,
    UnknownEventType,
    decode_event,
    encode_event,
    new_event,
    sign_event,
    verify_event,
)
from schemas.canonical import canonical_json, reference_canonical_json
from schemas.codec import MAX_EVENT_BYTES
from schemas.enums import PlanKind, SubjectKind
from schemas.errors import EventTooLarge, NotCanonical
from schemas.events.clues import ProblemClueReceived
from schemas.events.coordination import PlanItem, SupervisionPlanIssued
from schemas.events.rectification import RectificationProgressReported

KEY = SigningKey.generate("city-letters:1")
_BASE64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
WHEN = datetime(2026, 1, 31, 8, 0, tzinfo=UTC)
UNIT = Subject(kind=SubjectKind.UNIT, id="city-hospital")


def _raw() -> bytes:
    payload = ProblemClueReceived(clue_id="clue-1", unit_id="city-hospital", summary="红包")
    event = new_event(payload, source_body="city-letters", occurred_at=WHEN, subject=UNIT)
    return encode_event(sign_event(event, KEY))


RAW = _raw()


def _edited(edit: Callable[[dict[str, Any]], object]) -> bytes:
    data = json.loads(RAW)
    edit(data)
    return canonical_json(data)


def _set(path: str, value: object) -> bytes:
    *parents, last = path.split(".")

    def edit(data: dict[str, Any]) -> None:
        for key in parents:
            data = data[key]
        data[last] = value

    return _edited(edit)


REFUSED: list[tuple[str, object, type[EventError], list[str]]] = [
    ("wrong type", _set("payload.summary", 123), InvalidEvent,
     ["ProblemClueReceived v1", "payload.summary", "valid string", "got 123"]),
    ("missing field", _edited(lambda d: d["payload"].pop("clue_id")), InvalidEvent,
     ["payload.clue_id: required field is missing"]),
    ("missing envelope field", _edited(lambda d: d.pop("occurred_at")), InvalidEvent,
     ["occurred_at: required field is missing"]),
    ("unexpected field", _set("payload.colour", "red"), InvalidEvent,
     ["payload.colour: unexpected field", "got 'red'"]),
    ("unknown event type", _set("event_type", "ClueEaten"), UnknownEventType,
     ["unknown event type 'ClueEaten'"]),
    ("event type not a string", _set("event_type", 7), InvalidEvent,
     ["event_type: expected a string", "got 7"]),
    ("no event type", _edited(lambda d: d.pop("event_type")), InvalidEvent,
     ["event_type: expected a string", "got None"]),
    ("naive datetime", _set("occurred_at", "2026-01-31T08:00:00"), InvalidEvent,
     ["occurred_at: timestamp must carry a timezone", "got '2026-01-31T08:00:00'"]),
    ("instant out of range", _set("occurred_at", "0001-01-01T00:00:00+01:00"), InvalidEvent,
     ["occurred_at: timestamp is out of range"]),
    ("not a datetime", _set("occurred_at", "yesterday"), InvalidEvent,
     ["occurred_at", "got 'yesterday'"]),
    ("value not in the enumeration", _set("payload.reliability", "Z"), InvalidEvent,
     ["payload.reliability", "'A', 'B', 'C' or 'X'", "got 'Z'"]),
    ("identifier off pattern", _set("payload.cadre_id", "Zhang San"), InvalidEvent,
     ["payload.cadre_id", "should match pattern", "got 'Zhang San'"]),
    ("text too long", _set("payload.summary", "x" * 4001), InvalidEvent,
     ["payload.summary", "at most 4000 characters"]),
    ("newer schema version", _set("schema_version", 2), InvalidEvent,
     ["schema_version 2 is newer than this reader's 1"]),
    ("schema version as text", _set("schema_version", "1"), InvalidEvent,
     ["schema_version: expected a positive integer, got '1'"]),
    ("schema version true", _set("schema_version", True), InvalidEvent,
     ["schema_version", "valid integer", "got True"]),
    ("subject not an object", _set("subject", "city-hospital"), InvalidEvent,
     ["subject: Input should be an object"]),
    ("oversized", RAW + b" " * (MAX_EVENT_BYTES - len(RAW) + 1), EventTooLarge,
     [f"{MAX_EVENT_BYTES + 1} bytes, over the limit of {MAX_EVENT_BYTES} bytes"]),
    ("invalid UTF-8", RAW.replace("红包".encode(), b"\xff\xfe"), InvalidEvent,
     ["not valid UTF-8 (bad byte at offset"]),
    ("lone surrogate", RAW.replace("红包".encode(), b"\\ud800"), InvalidEvent,
     ["not JSON this reader accepts"]),
    ("not JSON", b'{"event_type":', InvalidEvent, ["event is not JSON"]),
    ("empty", b"", InvalidEvent, ["event is not JSON"]),
    ("JSON but not an object", b'["ProblemClueReceived"]', InvalidEvent,
     ["must be a JSON object, got list"]),
    ("nested too deeply", b"[" * 50_000, InvalidEvent, ["recursion limit exceeded"]),
    ("NaN", RAW[:-1] + b',"x":NaN}', InvalidEvent,
     ["not JSON this reader accepts: expected value at line 1"]),
    ("not bytes", RAW.decode(), InvalidEvent, ["event must be bytes, got str"]),
    ("tombstone", None, InvalidEvent, ["event must be bytes, got NoneType"]),
    ("whitespace", json.dumps(json.loads(RAW)).encode(), NotCanonical,
     ["not in canonical form", "first difference at byte"]),
    ("duplicate key", RAW[:-1] + b',"source_body":"city-letters"}', NotCanonical,
     ["not in canonical form"]),
    ("upper-case UUID", _edited(lambda d: d.update(event_id=d["event_id"].upper())), NotCanonical,
     ["not in canonical form"]),
    ("other timestamp format", _set("occurred_at", "2026-01-31T08:00:00Z"), NotCanonical,
     ["not in canonical form"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "refusal", "fragments"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_bad_input_is_refused_with_a_message_that_says_what_failed(
    raw: bytes, refusal: type[EventError], fragments: list[str]
) -> None:
    with pytest.raises(refusal) as caught:
        decode_event(raw)

    for fragment in fragments:
        assert fragment in str(caught.value)


def test_a_refusal_lists_every_problem_with_its_path() -> None:
    raw = _edited(lambda d: d["payload"].update(clue_id="Bad Id", summary=None))

    with pytest.raises(InvalidEvent) as caught:
        decode_event(raw)

    assert caught.value.event_type == "ProblemClueReceived"
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "payload.clue_id",
        "payload.summary",
    ]


def test_refusal_reasons_are_short_codes() -> None:
    assert {exc.reason for exc in (InvalidEvent, UnknownEventType, EventTooLarge)} == {
        "invalid",
        "unknown_type",
        "too_large",
    }
    assert NotCanonical.reason == "not_canonical"
    assert SignatureInvalid.reason == "bad_signature"


def test_an_event_over_the_limit_is_not_encoded() -> None:
    item = PlanItem(
        item_id="item",
        content="内" * 4000,
        standard="标" * 4000,
        due_at=WHEN,
        assigned_bodies=("city-commission",),
    )
    payload = SupervisionPlanIssued(
        plan_id="plan-2026", year=2026, kind=PlanKind.ANNUAL, title="2026", items=(item,) * 3
    )
    event = new_event(payload, source_body="city-office", occurred_at=WHEN, subject=UNIT)

    with pytest.raises(EventTooLarge, match="over the limit of 65536 bytes"):
        encode_event(event)


def test_values_are_checked_when_a_payload_is_built() -> None:
    with pytest.raises(ValueError, match="less than or equal to 100"):
        RectificationProgressReported(rectification_id="r-1", percent_complete=101, note="n")


def test_a_period_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="starts_at must not be after ends_at"):
        EVENT_TYPES["InspectionRoundPlanned"](
            round_id="round-1",
            team_body_id="team-1",
            unit_ids=("unit-1",),
            starts_at=WHEN,
            ends_at=datetime(2026, 1, 1, tzinfo=UTC),
        )


@pytest.mark.parametrize("identifier", ["", "A", "-a", "_a", "a b", "a\n", "ä", "a" * 65, "a.b", "a/b"])
def test_identifiers_outside_the_pattern_are_refused(identifier: str) -> None:
    with pytest.raises(InvalidEvent, match=r"payload\.unit_id"):
        decode_event(_set("payload.unit_id", identifier))


@pytest.mark.parametrize("identifier", ["a", "0", "city-hospital", "cadre_7", "a" * 64])
def test_identifiers_inside_the_pattern_are_accepted(identifier: str) -> None:
    raw = _set("payload.unit_id", identifier)

    assert decode_event(raw).payload.unit_id == identifier


def test_verification_names_what_failed() -> None:
    event = decode_event(RAW)
    other = SigningKey("city-letters:1", Ed25519PrivateKey.generate())

    with pytest.raises(SignatureInvalid, match="does not match its content"):
        verify_event(event, other.verify_key)
    with pytest.raises(SignatureInvalid, match="signed with key 'city-letters:1', not 'k:2'"):
        verify_event(event, SigningKey.generate("k:2").verify_key)
    with pytest.raises(SignatureInvalid, match="is not signed"):
        verify_event(event.model_copy(update={"signature": None}), KEY.verify_key)
    with pytest.raises(SignatureInvalid, match="does not match its content"):
        verify_event(event.model_copy(update={"source_body": "city-office"}), KEY.verify_key)


def test_a_signature_in_non_canonical_base64_is_malformed() -> None:
    signature = json.loads(RAW)["signature"]
    twin = _BASE64URL[_BASE64URL.index(signature[-3]) ^ 1]
    changed = signature[:-3] + twin + "=="
    assert base64.urlsafe_b64decode(changed) == base64.urlsafe_b64decode(signature)

    with pytest.raises(SignatureInvalid, match="malformed signature"):
        verify_event(decode_event(_set("signature", changed)), KEY.verify_key)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, database=None)
@given(_JSON)
def test_the_fast_canonical_encoder_writes_exactly_the_reference_bytes(value: Any) -> None:
    assert canonical_json(value) == reference_canonical_json(value)


@settings(max_examples=150, deadline=None, database=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        _JSON.map(lambda value: json.dumps(value).encode()),
        st.fixed_dictionaries(
            {"event_type": st.sampled_from(sorted(EVENT_TYPES)), "schema_version": _JSON},
            optional={"payload": _JSON, "occurred_at": _JSON, "subject": _JSON},
        ).map(canonical_json),
    )
)
def test_arbitrary_bytes_raise_nothing_but_event_errors(raw: bytes) -> None:
    with pytest.raises(EventError):
        decode_event(raw)
