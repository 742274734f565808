"""The outbox keeps every stored event, in order, across processes, until it is acknowledged."""

from __future__ import annotations

import sqlite3
import stat
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from producers import DeliveryState, Outbox, StagedEvent

TOPIC = "fourfold.ingest.city-letters"


def staged(n: int) -> StagedEvent:
    return StagedEvent(
        uuid.uuid4(), "SupervisionFindingRecorded", f"matter-{n}".encode(), f"event {n}".encode()
    )


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.db")
    yield box
    box.close()


def test_events_wait_in_order_until_acknowledged(outbox: Outbox):
    events = [staged(i) for i in range(5)]
    assert outbox.add("city-letters", TOPIC, events) == [True] * 5
    assert outbox.add("city-letters", "other.topic", [staged(9)]) == [True]
    pending = outbox.pending(TOPIC, limit=3)
    assert [r.event_id for r in pending] == [e.event_id for e in events[:3]]
    assert (pending[0].key, pending[0].value) == (b"matter-0", b"event 0")

    outbox.mark_sent([(pending[0].seq, 2, 41)])
    outbox.mark_failed([pending[1].seq], "broker did not acknowledge in time")
    outbox.mark_failed([pending[2].seq], "record too large", give_up=True)

    assert outbox.depth(TOPIC) == 3
    sent = outbox.status(events[0].event_id)
    assert (sent.state, sent.partition, sent.offset, sent.attempts) == (DeliveryState.SENT, 2, 41, 1)
    retrying = outbox.status(events[1].event_id)
    assert (retrying.state, retrying.attempts, retrying.last_error) == (
        DeliveryState.PENDING,
        1,
        "broker did not acknowledge in time",
    )
    assert outbox.status(events[2].event_id).state is DeliveryState.FAILED
    assert [r.event_id for r in outbox.pending(TOPIC, limit=10)] == [
        e.event_id for e in (events[1], *events[3:])
    ]
    assert outbox.status(uuid.uuid4()).state is DeliveryState.UNKNOWN


def test_the_same_event_is_stored_once(outbox: Outbox):
    event = staged(1)
    assert outbox.add("city-letters", TOPIC, [event, staged(2)]) == [True, True]
    assert outbox.add("city-letters", TOPIC, [event]) == [False]
    assert outbox.depth(TOPIC) == 2


def test_what_is_stored_survives_the_process_and_is_private(tmp_path: Path):
    path = tmp_path / "outbox.db"
    first = Outbox(path)
    event = staged(1)
    first.add("city-letters", TOPIC, [event])
    first.close()  # as a process that ends would
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    second = Outbox(path)
    assert [r.event_id for r in second.pending(TOPIC, limit=10)] == [event.event_id]
    second.close()


class _Interrupted(Sequence[StagedEvent]):
    """A batch whose third event never arrives: Ctrl-C while the batch is being stored."""

    def __init__(self, events: list[StagedEvent]):
        self._events = events

    def __len__(self) -> int:
        return len(self._events)

    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        if i == 2:
            raise KeyboardInterrupt
        return self._events[i]


def test_an_interrupted_batch_is_stored_whole_or_not_at_all(outbox: Outbox):
    with pytest.raises(KeyboardInterrupt):
        outbox.add("city-letters", TOPIC, _Interrupted([staged(i) for i in range(4)]))
    assert outbox.depth(TOPIC) == 0
    assert outbox.add("city-letters", TOPIC, [staged(5)]) == [True]


def test_acknowledged_events_can_be_pruned(outbox: Outbox):
    events = [staged(i) for i in range(3)]
    outbox.add("city-letters", TOPIC, events)
    rows = outbox.pending(TOPIC, limit=10)
    outbox.mark_sent([(rows[0].seq, 0, 0), (rows[1].seq, 0, 1)])
    assert outbox.prune(sent_before=float("inf")) == 2
    assert outbox.status(events[0].event_id).state is DeliveryState.UNKNOWN
    assert outbox.depth(TOPIC) == 1
