"""The SDK numbers a body's events 1, 2, 3… where it stores or sends them: no gap when an import is
stored twice, one count shared by the processes on one outbox file, one count per bus."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from producers import EventRefused, Outbox, Prepared, StagedEvent
from producers.sequence import Sequencer
from producers.staging import Stager
from schemas import SigningKey, decode_event, verify_event
from streams.testing import finding

BODY = "city-office-1"
TOPIC = f"fourfold.ingest.{BODY}"
KEY = SigningKey.generate(f"{BODY}:1")


def prepared(n: int, **kw: Any) -> Prepared:
    stager = Stager(BODY, KEY, body_kind=None, max_event_bytes=65_536, **kw)
    return stager.prepare(finding("yuzhong-hospital", BODY, finding_id=f"f-{n}"))


def numbers(outbox: Outbox, topic: str = TOPIC) -> list[int]:
    return [decode_event(row.value).sequence for row in outbox.pending(topic, limit=100)]  # type: ignore[misc]


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.db")
    yield box
    box.close()


def test_a_prepared_event_is_keyed_by_its_body_and_signed_with_its_number() -> None:
    staged = prepared(1).numbered(7)
    event = decode_event(staged.value)
    assert staged.key == BODY.encode() and event.sequence == 7
    verify_event(event, KEY.verify_key)


def test_the_outbox_numbers_in_the_order_it_stores(outbox: Outbox) -> None:
    assert outbox.add(BODY, TOPIC, [prepared(i) for i in range(3)]) == [True] * 3
    assert numbers(outbox) == [1, 2, 3]


def test_storing_the_same_events_again_spends_no_number(outbox: Outbox) -> None:
    first = [prepared(i) for i in range(3)]
    outbox.add(BODY, TOPIC, first)
    again = [*first, prepared(3), first[0]]
    assert outbox.add(BODY, TOPIC, again) == [False, False, False, True, False]
    assert numbers(outbox) == [1, 2, 3, 4]


def test_raw_bytes_take_no_number(outbox: Outbox) -> None:
    raw = StagedEvent(uuid.uuid4(), "raw", b"k", b"{}")
    outbox.add(BODY, TOPIC, [prepared(0), raw, prepared(1)])
    assert [r.value == b"{}" for r in outbox.pending(TOPIC, limit=10)] == [False, True, False]
    assert _decodable(outbox) == [1, 2]


def test_two_processes_on_one_outbox_share_the_count(tmp_path: Path) -> None:
    a, b = Outbox(tmp_path / "outbox.db"), Outbox(tmp_path / "outbox.db")
    try:
        a.add(BODY, TOPIC, [prepared(0)])
        b.add(BODY, TOPIC, [prepared(1), prepared(2)])
        a.add(BODY, TOPIC, [prepared(3)])
        assert numbers(a) == [1, 2, 3, 4]
    finally:
        a.close()
        b.close()


def test_each_bus_has_its_own_count(outbox: Outbox) -> None:
    other = "test-1234.ingest.city-office-1"
    outbox.add(BODY, TOPIC, [prepared(0), prepared(1)])
    outbox.add(BODY, other, [prepared(2)])
    assert numbers(outbox, other) == [1]


def test_a_sequence_file_survives_its_process_and_is_shared_with_the_outbox(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    first = Sequencer(path)
    assert first.take(TOPIC, 2) == 1
    first.close()
    box = Outbox(path)
    box.add(BODY, TOPIC, [prepared(0)])
    box.close()
    again = Sequencer(path)
    assert again.take(TOPIC, 1) == 4
    again.close()


def test_the_count_in_memory_is_per_bus_and_shared_in_the_process() -> None:
    topic = f"test-{uuid.uuid4().hex[:8]}.ingest.{BODY}"
    assert Sequencer().take(topic, 2) == 1
    assert Sequencer().take(topic, 1) == 3


def test_an_event_too_large_for_any_number_is_refused_before_it_is_numbered() -> None:
    stager = Stager(BODY, KEY, body_kind=None, max_event_bytes=700)
    with pytest.raises(EventRefused) as refused:
        stager.prepare(finding("yuzhong-hospital", BODY, summary="x" * 400))
    assert refused.value.reason == "too_large"


def _decodable(outbox: Outbox) -> list[int | None]:
    return [decode_event(r.value).sequence for r in outbox.pending(TOPIC, limit=10) if r.value != b"{}"]
