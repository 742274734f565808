"""A sample history over the demo registry that touches every read model, for tests and the benchmark."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from projections.batch import Intake, Record
from schemas import Envelope, Payload, Subject, Topics, encode_event, new_event
from schemas.catalogue import REFERENCE_TYPES, payload_class
from schemas.categories import FindingCategory
from schemas.enums import (
    Classification,
    Disposition,
    HowFound,
    InformationCredibility,
    PlanKind,
    Severity,
    SourceReliability,
    SubjectKind,
    VerificationOutcome,
)
from schemas.events.clues import (
    ClueDisposed,
    ClueRegraded,
    ClueTransferred,
    Informant,
    ProblemClueReceived,
    SupervisionFindingRecorded,
)
from schemas.events.coordination import (
    CaseConcluded,
    CaseReformRecommended,
    CollaborativeOversightApproved,
    CollaborativeOversightCompleted,
    CollaborativeOversightProposed,
    PlanItem,
    PlanItemCompleted,
    PlanItemOverdue,
    SupervisionPlanIssued,
)
from schemas.events.inspection import (
    BriefingRequested,
    BriefingSubmitted,
    ClueHandedOver,
    ConsultationAnswered,
    ConsultationRequested,
    InspectionFindingReported,
    InspectionRoundPlanned,
)
from schemas.events.rectification import (
    RectificationCompleted,
    RectificationOverdue,
    RectificationProgressReported,
    RectificationRequired,
    RectificationVerified,
)
from schemas.events.sharing import OutstandingIssueNotified, SystemicIssueDetected
from schemas.records import Delivery
from schemas.seal import Seal

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NAMESPACE = uuid.UUID("0b7c0f7e-6a51-4f0e-9d3c-5e1a2f4b8c90")
BUS = "bus"


@dataclass(frozen=True)
class Step:
    body_id: str
    event: Envelope[Any]


def _unit(unit_id: str) -> Subject:
    return Subject(kind=SubjectKind.UNIT, id=unit_id)


def _cadre(cadre_id: str) -> Subject:
    return Subject(kind=SubjectKind.CADRE, id=cadre_id)


class _Story:
    """Events one after another, an hour apart, with ids fixed by a name and a run tag."""

    def __init__(self, tag: str, start: datetime):
        self.tag = tag
        self.at = start
        self.steps: list[Step] = []

    def id(self, name: str) -> str:
        return f"{name}-{self.tag}" if self.tag else name

    def add(
        self,
        body_id: str,
        payload: Payload,
        subject: Subject,
        matter: str,
        classification: Classification = Classification.INTERNAL,
        at: datetime | None = None,
    ) -> None:
        self.at = at or self.at + timedelta(hours=1)
        event = new_event(
            payload,
            source_body=body_id,
            occurred_at=self.at,
            subject=subject,
            classification=classification,
            correlation_id=matter,
            event_id=uuid.uuid5(NAMESPACE, f"{self.tag}/{len(self.steps)}/{payload.event_type}"),
        )
        self.steps.append(Step(body_id, event))


def published(tag: str = "", start: datetime = START) -> list[Step]:
    """What bodies publish themselves (every one allowed to): findings, clues, an inspection round,
    rectifications, a case and its reform, a plan, a joint oversight matter."""
    s = _Story(tag, start)
    f1, f2, f3 = s.id("f-1"), s.id("f-2"), s.id("f-3")
    clue1, clue2, clue3 = s.id("clue-1"), s.id("clue-2"), s.id("clue-3")
    round1, r1, r2 = s.id("round-1"), s.id("rect-1"), s.id("rect-2")
    s.add(
        "city-office-1",
        SupervisionFindingRecorded(
            finding_id=f1,
            unit_id="yuzhong-school",
            category=FindingCategory.EIGHT_POINT_RULES,
            severity=Severity.HIGH,
            how_found=HowFound.DAILY_SUPERVISION,
            summary="Banquets paid from public funds.",
        ),
        _unit("yuzhong-school"),
        f1,
    )
    s.add(
        "stationed-education",
        SupervisionFindingRecorded(
            finding_id=f2,
            unit_id="city-education",
            category=FindingCategory.EIGHT_POINT_RULES,
            severity=Severity.MEDIUM,
            how_found=HowFound.DAILY_SUPERVISION,
            summary="Gifts accepted at festivals.",
        ),
        _unit("city-education"),
        f2,
    )
    s.add(
        "yuzhong-letters",
        ProblemClueReceived(
            clue_id=clue1,
            unit_id="yuzhong-hospital",
            cadre_id="cadre-qian",
            summary="Banquets paid by a supplier.",
            reliability=SourceReliability.B,
            credibility=InformationCredibility.DIRECT,
            informant=Informant(name="A. Citizen", contact="+86 23 0000 0000"),
        ),
        _cadre("cadre-qian"),
        clue1,
        Classification.CONFIDENTIAL,
    )
    s.add(
        "city-commission",
        ClueRegraded(
            clue_id=clue1,
            reliability=SourceReliability.A,
            credibility=InformationCredibility.KNOWN_TRUE,
            reason="Invoices obtained.",
        ),
        _cadre("cadre-qian"),
        clue1,
        Classification.CONFIDENTIAL,
    )
    s.add(
        "city-commission",
        ClueDisposed(
            clue_id=clue1, disposition=Disposition.PRELIMINARY_VERIFICATION, reason="Specific and verifiable."
        ),
        _cadre("cadre-qian"),
        clue1,
        Classification.CONFIDENTIAL,
    )
    s.add(
        "city-letters",
        ProblemClueReceived(
            clue_id=clue2,
            unit_id="yuzhong-hospital",
            cadre_id="cadre-sun",
            summary="Irregular procurement approvals.",
        ),
        _cadre("cadre-sun"),
        clue2,
        Classification.RESTRICTED,
    )
    s.add(
        "inspection-team-1",
        InspectionRoundPlanned(
            round_id=round1,
            team_body_id="inspection-team-1",
            unit_ids=("yuzhong-school", "yuzhong-hospital"),
            starts_at=s.at + timedelta(minutes=30),
            ends_at=s.at + timedelta(days=60),
        ),
        Subject(kind=SubjectKind.REGION, id="yuzhong"),
        round1,
    )
    s.add(
        "city-letters",
        BriefingSubmitted(
            round_id=round1,
            unit_id="yuzhong-school",
            team_body_id="inspection-team-1",
            summary="Three letters about the canteen.",
        ),
        _unit("yuzhong-school"),
        round1,
    )
    s.add(
        "city-office-1",
        BriefingSubmitted(
            round_id=round1,
            unit_id="yuzhong-hospital",
            team_body_id="inspection-team-1",
            summary="Procurement is the weak point.",
        ),
        _unit("yuzhong-hospital"),
        round1,
    )
    s.add(
        "inspection-team-1",
        ConsultationRequested(
            round_id=round1,
            consultation_id=s.id("cons-1"),
            asked_of="city-office-1",
            question="Earlier findings at the hospital?",
        ),
        _unit("yuzhong-hospital"),
        round1,
    )
    s.add(
        "city-office-1",
        ConsultationAnswered(
            round_id=round1,
            consultation_id=s.id("cons-1"),
            team_body_id="inspection-team-1",
            answer="One, in 2025, rectified.",
        ),
        _unit("yuzhong-hospital"),
        round1,
    )
    s.add(
        "inspection-team-1",
        InspectionFindingReported(
            round_id=round1,
            finding_id=f3,
            unit_id="yuzhong-hospital",
            category=FindingCategory.CORRUPTION,
            severity=Severity.CRITICAL,
            summary="Kickbacks on equipment.",
        ),
        _unit("yuzhong-hospital"),
        round1,
    )
    s.add(
        "inspection-team-1",
        ClueHandedOver(
            round_id=round1,
            clue_id=clue3,
            unit_id="yuzhong-hospital",
            cadre_id="cadre-sun",
            summary="Kickbacks on equipment purchases.",
        ),
        _cadre("cadre-sun"),
        clue3,
        Classification.CONFIDENTIAL,
    )
    s.add(
        "inspection-team-1",
        RectificationRequired(
            rectification_id=r1,
            unit_id="yuzhong-hospital",
            finding_id=f3,
            description="Retender the equipment contracts.",
            deadline=start + timedelta(days=60),
            supervising_bodies=("city-office-1", "yuzhong-commission"),
        ),
        _unit("yuzhong-hospital"),
        r1,
    )
    s.add(
        "city-office-1",
        RectificationProgressReported(
            rectification_id=r1, percent_complete=40, note="Two of five contracts retendered."
        ),
        _unit("yuzhong-hospital"),
        r1,
    )
    s.add(
        "city-office-1",
        RectificationRequired(
            rectification_id=r2,
            unit_id="yuzhong-school",
            finding_id=f1,
            description="A register of official receptions.",
            deadline=datetime(2030, 1, 1, tzinfo=UTC),
            supervising_bodies=("city-office-1",),
        ),
        _unit("yuzhong-school"),
        r2,
    )
    s.add(
        "city-office-1",
        RectificationCompleted(rectification_id=r2, summary="Register in use."),
        _unit("yuzhong-school"),
        r2,
    )
    s.add(
        "city-office-1",
        RectificationVerified(
            rectification_id=r2, outcome=VerificationOutcome.ACCEPTED, note="Checked on site."
        ),
        _unit("yuzhong-school"),
        r2,
    )
    plan = s.id("plan-2026")
    items = (
        PlanItem(
            item_id="item-1",
            content="Canteen procurement in district schools.",
            standard="Three months of ledgers per school.",
            due_at=datetime(2030, 6, 30, tzinfo=UTC),
            assigned_bodies=("city-office-1",),
        ),
        PlanItem(
            item_id="item-2",
            content="Hospital equipment purchases.",
            standard="Every tender since 2024.",
            due_at=start + timedelta(days=30),
            assigned_bodies=("stationed-education", "city-office-1"),
        ),
    )
    s.add(
        "city-comprehensive",
        SupervisionPlanIssued(
            plan_id=plan, year=2026, kind=PlanKind.ANNUAL, title="Annual supervision plan 2026", items=items
        ),
        Subject(kind=SubjectKind.REGION, id="city"),
        plan,
    )
    s.add(
        "city-office-1",
        PlanItemCompleted(plan_id=plan, item_id="item-1", summary="Forty schools checked."),
        Subject(kind=SubjectKind.REGION, id="city"),
        plan,
    )
    s.add(
        "city-review",
        CaseConcluded(
            case_id=s.id("case-1"),
            unit_id="yuzhong-hospital",
            clue_id=clue1,
            cadre_id="cadre-qian",
            outcome="Party disciplinary sanction.",
        ),
        _cadre("cadre-qian"),
        clue1,
        Classification.CONFIDENTIAL,
    )
    s.add(
        "city-review",
        CaseReformRecommended(
            case_id=s.id("case-1"),
            recommendation_id=s.id("reform-1"),
            unit_id="yuzhong-hospital",
            recommendations="Rotate procurement staff yearly.",
            deadline=datetime(2030, 6, 30, tzinfo=UTC),
        ),
        _unit("yuzhong-hospital"),
        clue1,
    )
    matter = s.id("matter-1")
    s.add(
        "city-comprehensive",
        CollaborativeOversightApproved(
            matter_id=matter,
            lead_body="city-office-1",
            participating_bodies=("stationed-education", "yuzhong-commission"),
        ),
        Subject(kind=SubjectKind.REGION, id="city"),
        matter,
    )
    s.add(
        "city-office-1",
        CollaborativeOversightCompleted(matter_id=matter, summary="Joint checks done."),
        Subject(kind=SubjectKind.REGION, id="city"),
        matter,
    )
    return s.steps


def derived(tag: str = "", start: datetime = START) -> list[Step]:
    """What the router derives from ``published`` (signed by the bus), as it would."""
    s = _Story(tag, start)
    pub = [step.event for step in published(tag, start)]

    def after(event_type: str, minutes: int, nth: int = 0) -> datetime:
        found = [e.occurred_at for e in pub if e.event_type == event_type]
        return found[nth] + timedelta(minutes=minutes)

    round1, plan, matter = s.id("round-1"), s.id("plan-2026"), s.id("matter-1")
    s.add(
        BUS,
        ClueTransferred(
            clue_id=s.id("clue-1"),
            from_body="yuzhong-letters",
            to_body="city-commission",
            reason="A municipal-managed cadre.",
        ),
        _cadre("cadre-qian"),
        s.id("clue-1"),
        Classification.CONFIDENTIAL,
        at=after("ProblemClueReceived", 0),
    )
    s.add(
        BUS,
        ClueTransferred(
            clue_id=s.id("clue-3"),
            from_body="inspection-team-1",
            to_body="yuzhong-commission",
            reason="A district-managed cadre.",
        ),
        _cadre("cadre-sun"),
        s.id("clue-3"),
        Classification.CONFIDENTIAL,
        at=after("ClueHandedOver", 5),
    )
    s.add(
        BUS,
        OutstandingIssueNotified(
            finding_id=s.id("f-3"),
            unit_id="yuzhong-hospital",
            category=FindingCategory.CORRUPTION,
            severity=Severity.CRITICAL,
            notified_bodies=("yuzhong-commission",),
        ),
        _unit("yuzhong-hospital"),
        s.id("f-3"),
        at=after("InspectionFindingReported", 5),
    )
    for unit, body in (
        ("yuzhong-school", "city-letters"),
        ("yuzhong-hospital", "city-office-1"),
        ("yuzhong-hospital", "stationed-education"),
    ):
        s.add(
            BUS,
            BriefingRequested(
                round_id=round1,
                unit_id=unit,
                team_body_id="inspection-team-1",
                requested_from=body,
                due_at=start + timedelta(days=5),
            ),
            _unit(unit),
            round1,
            at=after("InspectionRoundPlanned", 5 + len(s.steps)),
        )
    s.add(
        BUS,
        RectificationOverdue(
            rectification_id=s.id("rect-1"), unit_id="yuzhong-hospital", deadline=start + timedelta(days=60)
        ),
        _unit("yuzhong-hospital"),
        s.id("rect-1"),
        at=start + timedelta(days=61),
    )
    s.add(
        BUS,
        SystemicIssueDetected(
            issue_id=s.id("issue-1"),
            category=FindingCategory.EIGHT_POINT_RULES,
            unit_ids=("yuzhong-school", "city-education"),
            region_ids=("yuzhong", "city"),
            finding_ids=(s.id("f-1"), s.id("f-2")),
            window_start=START,
            window_end=start + timedelta(days=90),
        ),
        Subject(kind=SubjectKind.REGION, id="city"),
        s.id("issue-1"),
        at=after("SupervisionFindingRecorded", 5, nth=1),
    )
    s.add(
        BUS,
        CollaborativeOversightProposed(
            matter_id=matter,
            unit_ids=("yuzhong-school", "city-education"),
            region_ids=("yuzhong", "city"),
            sectors=("education",),
            reason="Spans a district and a municipal system.",
        ),
        Subject(kind=SubjectKind.REGION, id="city"),
        matter,
        at=after("SupervisionFindingRecorded", 10, nth=1),
    )
    s.add(
        BUS,
        PlanItemOverdue(plan_id=plan, item_id="item-2", due_at=start + timedelta(days=30)),
        Subject(kind=SubjectKind.REGION, id="city"),
        plan,
        at=start + timedelta(days=31),
    )
    return s.steps


def history(tag: str = "", start: datetime = START) -> list[Envelope[Any]]:
    """Published and derived events of one story, in the order they happened."""
    steps = published(tag, start) + derived(tag, start)
    return sorted((s.event for s in steps), key=lambda e: (e.occurred_at, str(e.event_id)))


TEST_SEAL = Seal(b"fourfold-tests-seal-key-not-secret")
"""The seal key of records made without a router, in tests of the read side."""


def sealed_intake(topics: Topics) -> Intake:
    """What a projector of ``topics`` takes in when records are sealed with TEST_SEAL."""
    return Intake(topics, TEST_SEAL)


def as_router_writes(
    topics: Topics, event: Envelope[Any], recipients: dict[str, tuple[str, ...]]
) -> list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]]:
    """The (topic, key, value, headers) records the router writes for an accepted event, sealed
    with TEST_SEAL: the event on the log, and a delivery to each recipient's inbox
    (``recipients``: body -> reasons)."""
    key = event.correlation_id.encode()
    out = [(topics.log, key, encode_event(event))]
    for body_id, reasons in sorted(recipients.items()):
        delivery = Delivery(recipient=body_id, reasons=reasons, event=event.model_dump(mode="json"))
        out.append((topics.inbox(body_id), key, delivery.model_dump_json().encode()))
    return [(topic, k, value, TEST_SEAL.headers(topic, k, value)) for topic, k, value in out]


SAMPLE_ROUTES: dict[str, tuple[str, ...]] = {
    "clue-1": ("city-commission", "city-case-mgmt"),
    "clue-2": ("yuzhong-commission", "yuzhong-case-mgmt"),
    "clue-3": ("yuzhong-commission", "yuzhong-case-mgmt"),
    "rect-1": ("city-office-1", "yuzhong-commission"),
    "rect-2": ("city-office-1",),
}
"""Who, besides the source, receives the sample's clue and rectification events (a fixed table, so
the tests of the read side do not depend on how the router's rules evolve)."""


def sample_recipients(event: Envelope[Any], tag: str = "") -> dict[str, tuple[str, ...]]:
    payload = event.payload
    record = getattr(payload, "clue_id", None) or getattr(payload, "rectification_id", None) or ""
    if event.event_type in REFERENCE_TYPES:
        return {}
    out: dict[str, tuple[str, ...]] = {event.source_body: ("source",)} if event.source_body != BUS else {}
    for body in SAMPLE_ROUTES.get(record.removesuffix(f"-{tag}") if tag else record, ()):
        out[body] = ("sample_route",)
    return out


_REFERENCE_SECTIONS = {
    "regions": ("RegionRegistered", SubjectKind.REGION, "region_id"),
    "bodies": ("BodyRegistered", SubjectKind.BODY, "body_id"),
    "units": ("UnitRegistered", SubjectKind.UNIT, "unit_id"),
    "cadres": ("CadreRegistered", SubjectKind.CADRE, "cadre_id"),
    "jurisdictions": ("JurisdictionAssigned", SubjectKind.BODY, "body_id"),
}


def reference_history(path: Path, registrar: str = "registrar", at: datetime = START) -> list[Envelope[Any]]:
    """The reference events a registry file (deploy/demo/registry.json) stands for, as logged."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for section, (event_type, kind, id_field) in _REFERENCE_SECTIONS.items():
        for entry in data.get(section, []):
            payload = payload_class(event_type).model_validate(entry, strict=False)
            subject = Subject(kind=kind, id=entry[id_field])
            name = f"registry/{section}/{entry[id_field]}/{entry.get('role', '')}"
            event_id = uuid.uuid5(NAMESPACE, name)
            out.append(
                new_event(payload, source_body=registrar, occurred_at=at, subject=subject, event_id=event_id)
            )
    return out


def log_records(
    topics: Topics,
    events: list[Envelope[Any]],
    recipients: Any = lambda event: {},
    delay: timedelta = timedelta(minutes=1),
) -> list[Record]:
    """Records as the router writes them (one partition per topic), stamped ``delay`` after each
    event happened: for tests of the projection that need no broker."""
    offsets: dict[str, int] = {}
    out = []
    for event in events:
        stamp = int((event.occurred_at + delay).timestamp() * 1000)
        for topic, key, value, headers in as_router_writes(topics, event, recipients(event)):
            offset = offsets.get(topic, 0)
            offsets[topic] = offset + 1
            out.append(Record(topic, 0, offset, stamp, value, key, headers))
    return out


def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database made through ``admin_url``, dropped when the
    generator is closed (a test's or a benchmark's own)."""
    from sqlalchemy import create_engine, make_url, text

    name = f"ff_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
