"""Reading records off the log and the inboxes, the dispatch table, and the ecology assessment."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from projections.dispatch import HANDLERS, LOG_ONLY, NOT_INDEXED
from projections.inbox import inbox_row
from projections.queries import assess
from projections.testing import published
from schemas import EventError, SigningKey, decode_logged, encode_event, sign_event
from schemas.catalogue import EVENT_TYPES
from schemas.records import Delivery


def test_every_event_type_is_projected_or_known_to_be_log_only():
    assert set(EVENT_TYPES) == set(HANDLERS) | LOG_ONLY | NOT_INDEXED
    assert not set(HANDLERS) & (LOG_ONLY | NOT_INDEXED)


def test_a_logged_event_reads_back_equal_and_keeps_the_bytes_it_was_read_from():
    event = sign_event(published()[2].event, SigningKey.generate("yuzhong-letters:1"))
    raw = encode_event(event)
    read = decode_logged(raw)
    assert read == event
    assert read.wire == raw  # digests and re-encodings use the bytes as logged


@pytest.mark.parametrize(
    "raw",
    [b"\xff not json", b"[1, 2]", b'{"event_type": "NoSuchEvent"}', b'{"event_type": "ClueDisposed"}'],
)
def test_unreadable_log_records_raise_an_event_error(raw):
    with pytest.raises(EventError):
        decode_logged(raw)


def test_a_delivery_becomes_an_inbox_row_with_its_clue_and_delivery_time():
    event = published()[2].event
    data = event.model_dump(mode="json")
    data["payload"]["informant"] = None
    delivery = Delivery(
        recipient="city-commission", reasons=("jurisdiction",), redacted=("payload.informant",), event=data
    )
    at = datetime(2026, 3, 2, 12, 1, tzinfo=UTC)
    row = inbox_row(delivery, at)
    assert (row["recipient"], row["clue_id"], row["delivered_at"]) == ("city-commission", "clue-1", at)
    assert (row["reasons"], row["redacted"], row["classification"]) == (
        "jurisdiction",
        "payload.informant",
        "confidential",
    )
    assert json.loads(row["payload"])["informant"] is None


def _summary(**overrides):
    base = {
        "findings_by_severity": {},
        "rectifications_overdue": 0,
        "systemic_issues": 0,
        "open_clues": 0,
        "rectifications_open": 0,
    }
    return {**base, **overrides}


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (_summary(), "sound"),
        (_summary(findings_by_severity={"low": 3}), "sound"),
        (_summary(findings_by_severity={"high": 1}), "attention"),
        (_summary(open_clues=1), "attention"),
        (_summary(rectifications_open=2), "attention"),
        (_summary(findings_by_severity={"critical": 1}), "serious"),
        (_summary(rectifications_overdue=1), "serious"),
        (_summary(systemic_issues=1), "serious"),
    ],
)
def test_political_ecology_assessment(summary, expected):
    assert assess(summary) == expected
