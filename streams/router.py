"""The router's decision for one ingest record, as plain data the faust agent then writes out."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import to_json

from schemas import EVENT_TYPES, Envelope, SigningKey, Topics, encode_event, new_event, sign_event
from schemas.catalogue import REFERENCE_TYPES
from schemas.confidential import withhold_raw
from schemas.events.refusal import EventRefused
from schemas.records import Quarantined
from streams.admission import Gate, Refusal, admit
from streams.derivations import NEEDS_WHOLE_LOG, derive
from streams.derived import Policy, derived_id
from streams.registry import Registry, entity_key
from streams.routing import recipients, withheld_from
from streams.spilled import DamagedState
from streams.state import BusState, short_digest

log = logging.getLogger(__name__)

MAX_DERIVATION_DEPTH = 3
"""Derived events are routed and may derive again, this many generations deep at most."""

MAX_OUTPUT_BYTES = 900_000
"""Largest record the router writes; under the broker's default limit of 1 MiB, so a write is never
refused for its size. A record whose outputs would be larger is quarantined instead."""

RAW_PREFIX_BYTES = 512
MAX_DETAIL_CHARS = 1000
"""A quarantine record keeps a prefix of the refused bytes (a protected field in clear withheld),
their SHA-256 and length, never the whole."""


@dataclass(frozen=True)
class IngestRecord:
    topic: str
    partition: int
    offset: int
    timestamp: datetime
    value: bytes


@dataclass(frozen=True)
class Write:
    """One record to produce: ``role`` is the kind of topic (log, inbox, reference, quarantine)."""

    topic: str
    key: str
    value: bytes
    role: str
    event_type: str


@dataclass(frozen=True)
class Outcome:
    """What one ingest record comes to; ``event_type`` is a catalogue name or "unknown"."""

    event_type: str
    writes: tuple[Write, ...] = ()
    quarantined: Quarantined | None = None
    duplicate: bool = False
    logged: tuple[Envelope[Any], ...] = ()
    """The events appended to the log: the accepted one, then those it derived."""


@dataclass(frozen=True)
class Refused:
    """A refusal, and the refused event when its signature proved who sent it."""

    quarantined: Quarantined
    authentic: Envelope[Any] | None = None


Admitted = Envelope[Any] | Refused


class Router:
    """Admits, de-duplicates, routes and derives; keeps the registry and the state current."""

    def __init__(
        self,
        topics: Topics,
        registry: Registry,
        state: BusState,
        *,
        gate: Gate,
        bus_key: SigningKey,
        policy: Policy,
    ):
        self.topics = topics
        self.registry = registry
        self.state = state
        self.gate = gate
        self.bus_key = bus_key
        self.policy = policy

    def handle(self, record: IngestRecord) -> Outcome:
        return self.route(record, self.admit(record))

    def admit(self, record: IngestRecord) -> Admitted:
        """The record's verified event, or why it is quarantined."""
        try:
            return admit(
                record.value,
                topic_body=self.topics.body_of(record.topic),
                received_at=record.timestamp,
                registry=self.registry,
                state=self.state,
                gate=self.gate,
            )
        except Refusal as refusal:
            return refused(record, refusal)

    @staticmethod
    def needs_whole_log(admitted: Admitted) -> bool:
        """Whether routing it looks across all matters, so the state must first catch up."""
        return isinstance(admitted, Envelope) and admitted.event_type in NEEDS_WHOLE_LOG

    def route(self, record: IngestRecord, admitted: Admitted) -> Outcome:
        if isinstance(admitted, Refused):
            return self._refused(record, admitted)
        try:
            outcome = self._accept(record, admitted)
        except DamagedState:  # not the record's fault: nothing may be decided
            raise
        except Exception as exc:  # a defect in a rule must cost one record, not stall the partition
            log.error("routing %s %s failed", admitted.event_type, admitted.event_id, exc_info=True)
            refusal = Refusal("router_error", f"{type(exc).__name__} while routing", admitted, authentic=True)
            return self._refused(record, refused(record, refusal))
        too_large = [w for w in outcome.writes if len(w.value) > MAX_OUTPUT_BYTES]
        if too_large:
            detail = f"an output to {too_large[0].topic} would be {len(too_large[0].value)} bytes"
            refusal = Refusal("output_too_large", detail, admitted, authentic=True)
            return self._refused(record, refused(record, refusal))
        return outcome

    def _accept(self, record: IngestRecord, event: Envelope[Any]) -> Outcome:
        known = self.state.digest_of(str(event.event_id))
        if known is not None:
            return self._repeated(record, event, known)
        writes: list[Write] = []
        logged: list[Envelope[Any]] = []
        queue: list[tuple[Envelope[Any], int]] = [(event, 0)]
        while queue:
            current, depth = queue.pop(0)
            if self.state.digest_of(str(current.event_id)) is not None:
                continue
            children = (
                derive(current, self.registry, self.state, self.policy)
                if depth < MAX_DERIVATION_DEPTH
                else []
            )
            writes.extend(self._writes_for(current))
            logged.append(current)
            queue.extend((sign_event(child, self.bus_key), depth + 1) for child in children)
        return Outcome(event.event_type, tuple(writes), logged=tuple(logged))

    def _writes_for(self, event: Envelope[Any]) -> list[Write]:
        """Log it, deliver it, and only then fold it into the state (rules see the state before it)."""
        raw = encode_event(event, max_bytes=1 << 20)
        writes = [Write(self.topics.log, event.correlation_id, raw, "log", event.event_type)]
        if event.event_type in REFERENCE_TYPES:
            writes.append(Write(self.topics.reference, entity_key(event), raw, "reference", event.event_type))
            self.registry.apply(event)
        for recipient, value in deliveries_for(event, self.registry, self.state):
            writes.append(
                Write(self.topics.inbox(recipient), event.correlation_id, value, "inbox", event.event_type)
            )
        self.state.apply(event)
        return writes

    def _repeated(self, record: IngestRecord, event: Envelope[Any], known: str) -> Outcome:
        """An id the log has: for other content, a reuse; for the same, nothing to route, but a
        re-publication under a new number has that number accounted for on the log."""
        if known != short_digest(event):
            detail = f"event id {event.event_id} is on the log with other content"
            return self._refused(
                record, refused(record, Refusal("duplicate_id", detail, event, authentic=True))
            )
        if event.sequence is None or event.sequence <= self.state.last_sequence(event.source_body):
            return Outcome(event.event_type, duplicate=True)
        detail = f"event {event.event_id} is on the log already; its number {event.sequence} is counted"
        writes, logged = self._account(record, event, "duplicate", detail)
        return Outcome(event.event_type, writes, duplicate=True, logged=logged)

    def _refused(self, record: IngestRecord, refused: Refused) -> Outcome:
        """Quarantine it; an authentic event's refusal also goes on the log and to its sender."""
        kept = refused.quarantined
        event_type = kept.event_type if kept.event_type in EVENT_TYPES else "unknown"
        value = kept.model_dump_json().encode()
        quarantined = Write(self.topics.quarantine, kept.source_topic, value, "quarantine", event_type)
        if refused.authentic is None:
            return Outcome(event_type, (quarantined,), quarantined=kept)
        writes, logged = self._account(record, refused.authentic, kept.reason, kept.detail)
        return Outcome(event_type, (quarantined, *writes), quarantined=kept, logged=logged)

    def _account(
        self, record: IngestRecord, event: Envelope[Any], reason: str, detail: str
    ) -> tuple[tuple[Write, ...], tuple[Envelope[Any], ...]]:
        """The writes and logged events that tell the log, and the sender, that ``event`` was not
        taken in and why; none when the same record was accounted for before."""
        notice = refusal_notice(record, event, reason, detail, self.policy)
        if self.state.digest_of(str(notice.event_id)) is not None:
            return (), ()
        signed = sign_event(notice, self.bus_key)
        return tuple(self._writes_for(signed)), (signed,)


def deliveries_for(event: Envelope[Any], registry: Registry, state: BusState) -> list[tuple[str, bytes]]:
    """Each recipient and its delivery (``schemas.records.Delivery`` as JSON), with what it may not
    see removed: the event is encoded once, and once more per distinct set of withheld fields."""
    whole = event.model_dump(mode="json")
    encoded: dict[tuple[str, ...], bytes] = {}
    out = []
    for body_id, reasons in sorted(recipients(event, registry, state).items()):
        withheld = withheld_from(event, body_id, registry)
        if withheld not in encoded:
            encoded[withheld] = to_json(_without(whole, withheld) if withheld else whole)
        head = to_json({"recipient": body_id, "reasons": sorted(reasons), "redacted": withheld})
        out.append((body_id, head[:-1] + b',"event":' + encoded[withheld] + b"}"))
    return out


def refused(record: IngestRecord, refusal: Refusal) -> Refused:
    """The quarantine record of ``refusal``; with the event when its sender was authenticated."""
    return Refused(quarantine(record, refusal), refusal.event if refusal.authentic else None)


def refusal_notice(
    record: IngestRecord, event: Envelope[Any], reason: str, detail: str, policy: Policy
) -> Envelope[EventRefused]:
    """The log's account of not taking ``event`` in, dated when the bus received it, with the
    event's codes (a confidential event's refusal stays in its sender's jurisdiction). The same
    ingest bytes always give the same notice."""
    notice = EventRefused(
        refused_event_id=event.event_id,
        refused_event_type=event.event_type,
        sender=event.source_body,
        sequence=event.sequence,
        reason=reason,
        detail=_bounded(detail),
    )
    return new_event(
        notice,
        source_body=policy.bus_body,
        occurred_at=record.timestamp,
        subject=event.subject,
        classification=event.classification,
        handling=event.handling,
        correlation_id=event.correlation_id,
        causation_id=event.event_id,
        event_id=derived_id(event, EventRefused.event_type, hashlib.sha256(record.value).hexdigest()),
    )


def quarantine(record: IngestRecord, refusal: Refusal) -> Quarantined:
    """A bounded record of the refusal: where it came from, why, and a prefix and digest of the bytes."""
    event = refusal.event
    return Quarantined(
        reason=refusal.reason,
        detail=_bounded(refusal.detail),
        source_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        received_at=record.timestamp,
        event_id=str(event.event_id) if event else None,
        event_type=event.event_type if event else None,
        raw=withhold_raw(record.value)[:RAW_PREFIX_BYTES].decode("utf-8", errors="replace"),
        raw_length=len(record.value),
        raw_sha256=hashlib.sha256(record.value).hexdigest(),
    )


def _bounded(detail: str) -> str:
    return detail if len(detail) <= MAX_DETAIL_CHARS else detail[:MAX_DETAIL_CHARS] + "…"


def _without(data: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``data`` with each dotted path set to None; only the dicts along the paths are copied."""
    out = dict(data)
    for path in paths:
        *parents, leaf = path.split(".")
        node = out
        for part in parents:
            node[part] = node = dict(node[part])
        node[leaf] = None
    return out
