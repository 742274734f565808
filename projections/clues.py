"""The clue register: each clue's holder, status, grading and disposition, and its custody chain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, String, Table, Text

from projections.changes import Change, Insert, Latest, id_text, version_of
from projections.db import UtcDateTime, metadata
from schemas import Envelope

clues = Table(
    "clues",
    metadata,
    Column("clue_id", String(64), primary_key=True),
    # aspect "received": what the clue is about and where it entered
    Column("unit_id", String(64)),
    Column("cadre_id", String(64)),
    Column("summary", Text),
    Column("origin", String(16)),
    Column("received_by", String(64)),
    Column("received_at", UtcDateTime),
    Column("round_id", String(64)),
    Column("received_version", String(80)),
    # aspect "grading": source reliability and information credibility
    Column("reliability", String(1)),
    Column("credibility", String(1)),
    Column("graded_at", UtcDateTime),
    Column("grading_version", String(80)),
    # aspect "holder": who holds custody now
    Column("holder", String(64)),
    Column("held_since", UtcDateTime),
    Column("holder_version", String(80)),
    # aspect "status": received, transferred or disposed
    Column("status", String(16)),
    Column("status_at", UtcDateTime),
    Column("status_version", String(80)),
    # aspect "disposition": one of the four ways
    Column("disposition", String(32)),
    Column("disposed_by", String(64)),
    Column("disposed_at", UtcDateTime),
    Column("disposition_reason", Text),
    Column("disposition_version", String(80)),
    Index("ix_clues_unit", "unit_id"),
    Index("ix_clues_round", "round_id"),
)
"""One row per clue. The informant's identity is never stored here: it reaches only the inboxes
of letters-and-visits and case management."""

clue_custody = Table(
    "clue_custody",
    metadata,
    Column("clue_id", String(64), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("from_body", String(64)),
    Column("since", UtcDateTime, nullable=False),
    Column("via", String(64), nullable=False),
    Column("reason", Text),
    Column("entry_version", String(80), nullable=False),
    Index("ix_clue_custody_holder", "holder"),
)
"""Every spell of custody: the clue entered with ``holder``, or was transferred to it from
``from_body``. Ordered by ``entry_version``; a spell lasts until the next one starts."""

RANK = {
    "ProblemClueReceived": 0,
    "ClueHandedOver": 0,
    "ClueRegraded": 1,
    "ClueTransferred": 2,
    "ClueDisposed": 3,
}
"""Within one instant a clue is received, then regraded, transferred, and disposed of last."""


def _v(event: Envelope[Any]) -> str:
    return version_of(event, RANK[event.event_type])


def _status(event: Envelope[Any], clue_id: str, status: str) -> Latest:
    return Latest(
        clues, "status", _v(event), {"clue_id": clue_id, "status": status, "status_at": event.occurred_at}
    )


def _custody(
    event: Envelope[Any], clue_id: str, holder: str, from_body: str | None, reason: str | None
) -> Insert:
    row = {
        "clue_id": clue_id,
        "event_id": id_text(event.event_id),
        "holder": holder,
        "from_body": from_body,
        "since": event.occurred_at,
        "via": event.event_type,
        "reason": reason,
        "entry_version": _v(event),
    }
    return Insert(clue_custody, row)


def _entered(event: Envelope[Any], origin: str, round_id: str | None) -> list[Change]:
    p, at = event.payload, event.occurred_at
    received = {
        "clue_id": p.clue_id,
        "unit_id": p.unit_id,
        "cadre_id": p.cadre_id,
        "summary": p.summary,
        "origin": origin,
        "received_by": event.source_body,
        "received_at": at,
        "round_id": round_id,
    }
    holder = {"clue_id": p.clue_id, "holder": event.source_body, "held_since": at}
    return [
        Latest(clues, "received", _v(event), received),
        Latest(clues, "holder", _v(event), holder),
        _status(event, p.clue_id, "received"),
        _custody(event, p.clue_id, event.source_body, None, origin),
    ]


def clue_received(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    grading = {
        "clue_id": p.clue_id,
        "reliability": str(p.reliability),
        "credibility": str(p.credibility),
        "graded_at": event.occurred_at,
    }
    return [*_entered(event, "received", None), Latest(clues, "grading", _v(event), grading)]


def clue_handed_over(event: Envelope[Any]) -> list[Change]:
    return _entered(event, "handed_over", event.payload.round_id)


def clue_regraded(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    grading = {
        "clue_id": p.clue_id,
        "reliability": str(p.reliability),
        "credibility": str(p.credibility),
        "graded_at": event.occurred_at,
    }
    return [Latest(clues, "grading", _v(event), grading)]


def clue_transferred(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    holder = {"clue_id": p.clue_id, "holder": p.to_body, "held_since": event.occurred_at}
    return [
        Latest(clues, "holder", _v(event), holder),
        _status(event, p.clue_id, "transferred"),
        _custody(event, p.clue_id, p.to_body, p.from_body, p.reason),
    ]


def clue_disposed(event: Envelope[Any]) -> list[Change]:
    p = event.payload
    disposition = {
        "clue_id": p.clue_id,
        "disposition": str(p.disposition),
        "disposed_by": event.source_body,
        "disposed_at": event.occurred_at,
        "disposition_reason": p.reason,
    }
    return [Latest(clues, "disposition", _v(event), disposition), _status(event, p.clue_id, "disposed")]


HANDLERS = {
    "ProblemClueReceived": clue_received,
    "ClueHandedOver": clue_handed_over,
    "ClueRegraded": clue_regraded,
    "ClueTransferred": clue_transferred,
    "ClueDisposed": clue_disposed,
}
