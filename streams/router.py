"""The router's decision for one ingest record, as plain data the faust agent then writes out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas import Envelope
from schemas.catalogue import REFERENCE_TYPES
from schemas.records import Delivery, Quarantined
from streams.admission import Refusal, admit
from streams.registry import Registry, entity_key
from streams.routing import recipients, withheld_from


@dataclass(frozen=True)
class Accepted:
    event: Envelope[Any]
    deliveries: list[Delivery] = field(default_factory=list)
    reference_key: str | None = None


@dataclass(frozen=True)
class IngestRecord:
    topic: str
    partition: int
    offset: int
    timestamp: datetime
    value: bytes


def decide(
    record: IngestRecord, *, topic_body: str, registry: Registry, registrar: str, max_bytes: int
) -> Accepted | Quarantined:
    """Accept and route the record's event, or say why it is quarantined."""
    try:
        event = admit(
            record.value,
            topic_body=topic_body,
            registry=registry,
            registrar=registrar,
            max_bytes=max_bytes,
        )
    except Refusal as refusal:
        return quarantine(record, refusal)
    if event.event_type in REFERENCE_TYPES:
        return Accepted(event, reference_key=entity_key(event))
    return Accepted(event, deliveries_for(event, registry))


def deliveries_for(event: Envelope[Any], registry: Registry) -> list[Delivery]:
    """One delivery per recipient, with what that recipient may not see removed."""
    out = []
    for body_id, reasons in sorted(recipients(event, registry).items()):
        withheld = withheld_from(event, body_id, registry)
        out.append(
            Delivery(
                recipient=body_id,
                reasons=tuple(sorted(reasons)),
                redacted=withheld,
                event=_without(event.model_dump(mode="json"), withheld),
            )
        )
    return out


def quarantine(record: IngestRecord, refusal: Refusal) -> Quarantined:
    event = refusal.event
    return Quarantined(
        reason=refusal.reason,
        detail=refusal.detail,
        source_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        received_at=record.timestamp,
        event_id=str(event.event_id) if event else None,
        event_type=event.event_type if event else None,
        raw=record.value.decode("utf-8", errors="replace"),
    )


def _without(data: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    for path in paths:
        *parents, leaf = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[leaf] = None
    return data
