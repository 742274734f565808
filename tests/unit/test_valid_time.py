"""Bitemporal audit: knowledge time (--as-of: what had been recorded) against event time
(--valid-at: what had occurred), on the inbox read model and on the records a replay applies."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from projections.audit import knowledge
from projections.batch import Record
from projections.db import create_schema, make_engine
from projections.inbox import inbox, inbox_row
from projections.validtime import happened_by
from schemas import encode_event
from schemas.records import Delivery
from streams.testing import AT, finding

HOUR = timedelta(hours=1)
LOG = "test.log"


def _delivery(finding_id: str, at_hours: int) -> Delivery:
    e = finding("city-education", "stationed-education", finding_id=finding_id, at=AT + at_hours * HOUR)
    return Delivery(recipient="city-office-1", reasons=("contact_office",), event=e.model_dump(mode="json"))


def test_a_late_report_of_an_early_fact_is_in_the_event_time_view_not_the_knowledge_view() -> None:
    engine = make_engine("sqlite://")
    create_schema(engine)
    early_fact_late_news = _delivery("f-early", 0)  # happened at AT, reached the office at AT + 10h
    on_time = _delivery("f-prompt", 2)  # happened at AT + 2h, reached it at once
    with engine.begin() as conn:
        conn.execute(
            insert(inbox),
            [inbox_row(early_fact_late_news, AT + 10 * HOUR), inbox_row(on_time, AT + 2 * HOUR)],
        )
    with engine.connect() as conn:

        def ids(**kw) -> list[str]:
            return [
                r["payload"].split('"finding_id":"')[1].split('"')[0]
                for r in knowledge(conn, "city-office-1", **kw)
            ]

        assert ids(as_of=AT + 3 * HOUR) == ["f-prompt"]  # what it knew then
        assert ids(as_of=None, valid_at=AT + HOUR) == ["f-early"]  # what had happened, known now
        assert ids(as_of=AT + 3 * HOUR, valid_at=AT + HOUR) == []  # what had happened, known then
        assert ids(as_of=None, valid_at=AT + 3 * HOUR) == ["f-prompt", "f-early"]


def test_a_replay_keeps_the_records_of_events_that_had_occurred() -> None:
    logged = finding("city-education", "stationed-education", at=AT)
    log_record = Record(LOG, 0, 0, 0, encode_event(logged))
    inbox_record = Record("test.inbox.city-office-1", 0, 0, 0, _delivery("f-2", 5).model_dump_json().encode())
    assert happened_by(log_record, LOG, AT) and not happened_by(log_record, LOG, AT - HOUR)
    assert happened_by(inbox_record, LOG, AT + 5 * HOUR) and not happened_by(inbox_record, LOG, AT + 4 * HOUR)
    assert happened_by(Record(LOG, 0, 1, 0, b"not json"), LOG, AT)  # the projector judges it
