"""Test support: a router over a registry file without Kafka, and a reader of what a router wrote."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from fourfold.registrar import DEMO_REGISTRY, correlation_of, load_registry_file, reference_facts
from schemas import Envelope, Payload, SigningKey, Subject, Topics, encode_event, new_event, sign_event
from schemas.access import KafkaAccess
from schemas.anchors import Anchor
from schemas.catalogue import CLOCK_TYPES
from schemas.categories import FindingCategory
from schemas.enums import Classification, Handling, HowFound, Severity, SubjectKind
from schemas.events.clues import Informant, ProblemClueReceived, SupervisionFindingRecorded
from streams import jurisdiction as j
from streams.admission import Gate
from streams.clock import clock_tick
from streams.derived import Policy
from streams.registry import Registry
from streams.router import IngestRecord, Outcome, Router
from streams.state import BusState, Finding

REGISTRAR = "registrar"
BUS = "bus"
REGISTERED_AT = datetime(2026, 1, 1, tzinfo=UTC)
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@dataclass
class Numbering:
    """Sequence numbers as a body's outbox gives them: the next of its source's count (or past
    what the bench's state has, when that is further), once per event id, so the same event
    published again keeps its number; a number already set stays."""

    given: dict[uuid.UUID, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def number(self, event: Envelope[Any], state: BusState | None = None) -> Envelope[Any]:
        if event.sequence is not None or event.event_type in CLOCK_TYPES:
            return event
        number = self.given.get(event.event_id)
        if number is None:
            source = event.source_body
            number = max(self.counts.get(source, 0), state.last_sequence(source) if state else 0) + 1
            self.given[event.event_id] = self.counts[source] = number
        return event.model_copy(update={"sequence": number})


@dataclass
class Bench:
    """A registry loaded from a file, every body's private key, and a router over them."""

    registry: Registry
    keys: dict[str, SigningKey]
    router: Router
    topics: Topics = field(default_factory=lambda: Topics("test"))
    _offsets: itertools.count[int] = field(default_factory=itertools.count)
    numbers: Numbering = field(default_factory=lambda: Numbering())

    @property
    def state(self) -> BusState:
        return self.router.state

    def sign(self, event: Envelope[Any], key: SigningKey | None = None) -> Envelope[Any]:
        """``event`` numbered as the SDK numbers it, and signed by its source (or ``key``)."""
        return sign_event(self.numbers.number(event, self.state), key or self.keys[event.source_body])

    def record(self, value: bytes, body_id: str, received_at: datetime | None = None) -> IngestRecord:
        """An ingest record as the broker appended it, at ``received_at`` (now when not given)."""
        received_at = received_at or datetime.now(UTC)
        return IngestRecord(self.topics.ingest(body_id), 0, next(self._offsets), received_at, value)

    def publish(self, event: Envelope[Any], key: SigningKey | None = None) -> Outcome:
        """Sign ``event`` as its source body and route it, as if read from that body's ingest topic."""
        return self.router.handle(self.record(encode_event(self.sign(event, key)), event.source_body))

    def send_raw(self, body_id: str, value: bytes) -> Outcome:
        return self.router.handle(self.record(value, body_id))

    def tick(self, at: datetime) -> Outcome:
        """Route the bus clock's tick for the second ``at`` falls in."""
        return self.publish(clock_tick(at, BUS))

    def fresh(self) -> Bench:
        """The same registry and keys, with an empty state: a second worker, or a replay. An event
        it publishes again keeps its number; a new one is numbered from its fresh count."""
        r = self.router
        router = Router(
            r.topics,
            self.registry,
            BusState(r.state.finding_horizon),
            gate=r.gate,
            bus_key=r.bus_key,
            policy=r.policy,
        )
        return Bench(self.registry, self.keys, router, numbers=Numbering(self.numbers.given))


def event(
    payload: Payload,
    source: str,
    *,
    at: datetime = AT,
    subject: Subject | None = None,
    correlation_id: str | None = None,
    classification: Classification = Classification.INTERNAL,
    handling: Handling = Handling.WITHIN_JURISDICTION,
    event_id: uuid.UUID | None = None,
) -> Envelope[Any]:
    """An unsigned event from ``source``; its subject defaults to the cadre or unit it names."""
    return new_event(
        payload,
        source_body=source,
        occurred_at=at,
        subject=subject or _subject_of(payload, source),
        classification=classification,
        handling=handling,
        correlation_id=correlation_id,
        event_id=event_id,
    )


def finding(
    unit_id: str,
    source: str,
    *,
    finding_id: str = "f-1",
    category: FindingCategory = FindingCategory.EIGHT_POINT_RULES,
    severity: Severity = Severity.LOW,
    summary: str = "Found.",
    **kw: Any,
) -> Envelope[Any]:
    """A supervision finding at ``unit_id`` recorded by ``source``."""
    payload = SupervisionFindingRecorded(
        finding_id=finding_id,
        unit_id=unit_id,
        category=category,
        severity=severity,
        how_found=HowFound.DAILY_SUPERVISION,
        summary=summary,
    )
    return event(payload, source, **kw)


def clue(
    cadre_id: str | None,
    unit_id: str,
    source: str,
    *,
    clue_id: str = "clue-1",
    informant: Informant | None = None,
    **kw: Any,
) -> Envelope[Any]:
    """A problem clue about ``cadre_id`` (or only the unit) received by ``source``."""
    payload = ProblemClueReceived(
        clue_id=clue_id, unit_id=unit_id, cadre_id=cadre_id, summary="A report.", informant=informant
    )
    return event(payload, source, **kw)


def _subject_of(payload: Payload, source: str) -> Subject:
    cadre_id = payload.get("cadre_id")
    if isinstance(cadre_id, str):
        return Subject(kind=SubjectKind.CADRE, id=cadre_id)
    unit_id = payload.get("unit_id")
    if isinstance(unit_id, str):
        return Subject(kind=SubjectKind.UNIT, id=unit_id)
    return Subject(kind=SubjectKind.BODY, id=source)


def demo_bench(
    path: Path = DEMO_REGISTRY, policy: Policy | None = None, *, require_sealed: bool = False
) -> Bench:
    """A router whose registry holds every reference event of ``path``, applied as the bus would.

    Unlike the bus (``FOURFOLD_REQUIRE_SEALED_FIELDS``, on by default), its gate takes a protected
    field in clear unless ``require_sealed``: the registry holds no encryption keys until a test
    registers them, and the routing rules are tested on clear values; a value sealed for a body
    that may not read it is refused either way."""
    data = load_registry_file(path)
    keys = {body["body_id"]: SigningKey.generate(f"{body['body_id']}:1") for body in data.get("bodies", [])}
    keys.setdefault(BUS, SigningKey.generate(f"{BUS}:1"))
    keys[REGISTRAR] = SigningKey.generate(f"{REGISTRAR}:1")
    registry = Registry()
    registry.trust(Anchor(REGISTRAR, keys[REGISTRAR].verify_key))
    registry.trust(Anchor(BUS, keys[BUS].verify_key))
    for fact in reference_facts(data, lambda body_id: keys[body_id].verify_key):
        payload, subject = fact
        event = new_event(
            payload,
            source_body=REGISTRAR,
            occurred_at=REGISTERED_AT,
            subject=subject,
            correlation_id=correlation_of(fact),
        )
        registry.apply(sign_event(event, keys[REGISTRAR]))
    policy = policy or Policy(bus_body=BUS)
    router = Router(
        Topics("test"),
        registry,
        BusState(finding_horizon=2 * policy.systemic_window),
        gate=Gate(REGISTRAR, BUS, 65_536, require_sealed=require_sealed),
        bus_key=keys[BUS],
        policy=policy,
    )
    return Bench(registry, keys, router)


def read_records(
    access: KafkaAccess, topics: Iterable[str], *, committed: bool = True
) -> list[tuple[str, bytes]]:
    """(topic, value) of every record on ``topics`` up to their current end, oldest first per
    partition; with ``committed=False`` also records of aborted and open transactions."""
    consumer = KafkaConsumer(
        **access.kafka_python(),
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed" if committed else "read_uncommitted",
    )
    try:
        tps = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning()
        end = consumer.end_offsets(tps)
        out: list[tuple[str, bytes]] = []
        while any(consumer.position(tp) < end[tp] for tp in tps):
            for batch in consumer.poll(timeout_ms=500).values():
                out.extend((r.topic, r.value) for r in batch)
        return out
    finally:
        consumer.close()


def literal_systemic_runs(findings: list[Finding], registry: Registry, policy: Policy) -> list[list[Finding]]:
    """The systemic rule's runs as its definition reads, one window per finding (quadratic): what
    ``streams.deadlines.systemic_runs`` must agree with, and the baseline it is timed against."""
    runs, i = [], 0
    while i < len(findings):
        end = findings[i].occurred_at + policy.systemic_window
        inside = [f for f in findings[i:] if f.occurred_at <= end]
        units = {f.unit_id for f in inside}
        regions = {r for f in inside if (r := j.region_of_unit(registry, f.unit_id))}
        sectors = {u.sector for f in inside if (u := registry.unit(f.unit_id))}
        if (
            len(units) >= policy.systemic_min_units
            or len(regions) >= policy.systemic_min_regions
            or len(sectors) >= policy.systemic_min_sectors
        ):
            runs.append(inside)
            i += len(inside)
        else:
            i += 1
    return runs
