"""Which of the router's decisions read state another partition key wrote: the ground for
partitioning the router's state (docs/partitioned-state.md, §2 and §3).

A router over a scenario that sets off every rule: each map of its ``BusState`` is watched. Folding
an event records it as a writer of every entry it touches; deciding records each entry read and the
function that read it. A read is co-partitioned when every writer of what it read shares the
reader's key: the body for ``sequences`` (the ingest topic's key), the matter (``correlation_id``,
the log's key) for everything else. The reads that are not must be exactly those the proposal
lists: a new cross-matter read fails here until the proposal says how it is served, and a listed
one the code no longer makes fails too.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from producers.facts import matter_of
from schemas import Envelope, Subject
from schemas.catalogue import CLOCK_TYPES
from schemas.categories import FindingCategory
from schemas.enums import Handling, PlanKind, Severity, SubjectKind, ViewedRecord
from schemas.events.audit import RecordViewed
from schemas.events.clues import ClueTransferred
from schemas.events.coordination import (
    CaseReformRecommended,
    CollaborativeOversightApproved,
    CollaborativeOversightCompleted,
    PlanItem,
    PlanItemCompleted,
    SupervisionPlanIssued,
)
from schemas.events.followup import PassOnConsented, ReportCadence, ReportingCadenceSet
from schemas.events.inspection import InspectionFindingReported, InspectionRoundPlanned
from schemas.events.rectification import RectificationCompleted, RectificationRequired
from streams import router as router_module
from streams.clock import clock_tick
from streams.derived import Policy
from streams.state import BusState
from streams.testing import AT, Bench, clue, demo_bench, event, finding

EVERY = object()
"""The key of a read that scans a whole map."""
DEFERRED: Any = object()
"""The reader while the gate decodes: not known yet."""

_HELPERS = {
    str(Path(m.__file__).resolve()) for m in (sys.modules["streams.state"], sys.modules["streams.followups"])
}
_HELPERS.add(str(Path(__file__).resolve()))


@dataclass
class Watch:
    """Who wrote each entry, and each read a decision made of one written under another key."""

    writers: dict[str, dict[Any, list[Envelope[Any]]]] = field(default_factory=lambda: defaultdict(dict))
    reader: list[Envelope[Any] | None] = field(default_factory=list)
    folding: list[Envelope[Any]] = field(default_factory=list)
    pending: list[tuple[str, Any, str, list[Envelope[Any]]]] = field(default_factory=list)
    tick_reads: set[str] = field(default_factory=set)
    """The maps a clock tick's flows read: every partition's, by design (§3)."""
    crossed: dict[tuple[str, str], str] = field(default_factory=dict)
    """(reading function, map) -> an example: who read, under which key, what another key wrote."""

    @contextmanager
    def reading_for(self, event: Envelope[Any] | None) -> Iterator[None]:
        self.reader.append(event)
        try:
            yield
        finally:
            self.reader.pop()

    @contextmanager
    def fold_of(self, event: Envelope[Any]) -> Iterator[None]:
        self.folding.append(event)
        try:
            yield
        finally:
            self.folding.pop()

    @contextmanager
    def admitting(self) -> Iterator[list[Envelope[Any] | None]]:
        """Reads made before the event is known (the gate decodes it): judged once it is."""
        admitted: list[Envelope[Any] | None] = []
        self.reader.append(DEFERRED)
        start = len(self.pending)
        try:
            yield admitted
        finally:
            self.reader.pop()
            held, self.pending[start:] = self.pending[start:], []
            if admitted and admitted[0] is not None:
                for name, key, decider, writers in held:
                    self._judge(admitted[0], name, key, decider, writers)

    def touched(self, name: str, key: Any) -> None:
        if self.folding:
            if key is not EVERY:
                self.writers[name].setdefault(key, []).append(self.folding[-1])
            return
        reader = self.reader[-1] if self.reader else None
        if reader is None:  # not a decision: the bench numbering an event, the gate on a forgery
            return
        if reader is not DEFERRED and reader.event_type in CLOCK_TYPES:
            self.tick_reads.add(name)
            return
        written = self.writers[name]
        writers = [w for ws in written.values() for w in ws] if key is EVERY else list(written.get(key, []))
        if reader is DEFERRED:
            self.pending.append((name, key, _decider(), writers))
        else:
            self._judge(reader, name, key, _decider(), writers)

    def _judge(
        self, reader: Envelope[Any], name: str, key: Any, decider: str, writers: list[Envelope[Any]]
    ) -> None:
        mine = partition_key(name, reader)
        other = [w for w in writers if partition_key(name, w) != mine]
        if other:
            shown = "*" if key is EVERY else key
            self.crossed.setdefault(
                (decider, name),
                f"{reader.event_type} under {mine!r} read {name}[{shown}], "
                f"written by {other[0].event_type} under {partition_key(name, other[0])!r}",
            )


def partition_key(name: str, event: Envelope[Any]) -> str:
    """The key a read of ``name`` is co-partitioned on today: the ingest topic's (the source body)
    for sequence numbers, the log's (the matter) for everything else."""
    if name == "sequences":
        return event.source_body if event.event_type != "EventRefused" else event.payload.sender
    return event.correlation_id


def _decider() -> str:
    """The first function up the stack outside the state's own helpers: the rule that read."""
    frame = sys._getframe(1)
    while frame.f_code.co_filename in _HELPERS:
        frame = frame.f_back  # type: ignore[assignment]
    module = frame.f_globals.get("__name__", "?")
    return f"{module.removeprefix('streams.')}.{frame.f_code.co_name}"


class Watched:
    """A map or set of the state whose every access by key or scan is told to a ``Watch``."""

    def __init__(self, inner: Any, name: str, watch: Watch):
        self._inner, self._name, self._watch = inner, name, watch

    def _by(self, key: Any) -> None:
        self._watch.touched(self._name, key)

    def _all(self) -> None:
        self._watch.touched(self._name, EVERY)

    def get(self, key: Any, default: Any = None) -> Any:
        self._by(key)
        return self._inner.get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._by(key)
        return self._inner[key]

    def __contains__(self, key: Any) -> bool:
        self._by(key)
        return key in self._inner

    def __setitem__(self, key: Any, value: Any) -> None:
        self._by(key)
        self._inner[key] = value

    def __delitem__(self, key: Any) -> None:
        self._by(key)
        del self._inner[key]

    def setdefault(self, key: Any, default: Any) -> Any:
        self._by(key)
        return self._inner.setdefault(key, default)

    def add(self, key: Any) -> None:
        self._by(key)
        self._inner.add(key)

    def items(self) -> Any:
        self._all()
        return self._inner.items()

    def values(self) -> Any:
        self._all()
        return self._inner.values()

    def keys(self) -> Any:
        self._all()
        return self._inner.keys()

    def __iter__(self) -> Iterator[Any]:
        self._all()
        return iter(self._inner)

    def __len__(self) -> int:
        self._all()
        return len(self._inner)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"the watch does not see {self._name}.{name}: add it to Watched")


def watch_state(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> Watch:
    """Watch every map of ``bench``'s state, and tell the watch which event each rule decides for."""
    watch = Watch()
    state = bench.state
    for owner in (state, state.followups):
        for name, value in vars(owner).items():
            if isinstance(value, dict | set) or hasattr(value, "hot"):
                setattr(owner, name, Watched(value, name, watch))
    _watch_steps(bench, watch, monkeypatch)
    return watch


def _watch_steps(bench: Bench, watch: Watch, monkeypatch: pytest.MonkeyPatch) -> None:
    router = bench.router
    real_apply, real_derive, real_deliveries = (
        BusState.apply,
        router_module.derive,
        router_module.deliveries_for,
    )
    real_admit, real_route = router.admit, router.route

    def apply(state: BusState, event: Envelope[Any]) -> bool:
        with watch.fold_of(event):
            return real_apply(state, event)

    def derive(event: Envelope[Any], *args: Any) -> Any:
        with watch.reading_for(event):
            return real_derive(event, *args)

    def deliveries_for(event: Envelope[Any], *args: Any) -> Any:
        with watch.reading_for(event):
            return real_deliveries(event, *args)

    def admit(record: Any) -> Any:
        with watch.admitting() as admitted:
            outcome = real_admit(record)
            admitted.append(outcome if isinstance(outcome, Envelope) else outcome.authentic)
            return outcome

    def route(record: Any, admitted: Any) -> Any:
        event = admitted if isinstance(admitted, Envelope) else admitted.authentic
        with watch.reading_for(event):
            return real_route(record, admitted)

    monkeypatch.setattr(BusState, "apply", apply)
    monkeypatch.setattr(router_module, "derive", derive)
    monkeypatch.setattr(router_module, "deliveries_for", deliveries_for)
    monkeypatch.setattr(router, "admit", admit)
    monkeypatch.setattr(router, "route", route)


DAY, HOUR = timedelta(days=1), timedelta(hours=1)
CITY = Subject(kind=SubjectKind.REGION, id="city")


def as_the_sdk_sends(e: Envelope[Any]) -> Envelope[Any]:
    """``e`` under the matter the SDK gives a fact whose publisher names none (``matter_of``)."""
    if e.correlation_id != str(e.event_id) or e.event_type in CLOCK_TYPES:
        return e
    return e.model_copy(update={"correlation_id": matter_of(e.payload) or e.correlation_id})


def scenario() -> list[Envelope[Any]]:
    """Facts that set off every rule. Those that name a matter name one a publisher may choose;
    the others get the SDK's default (``as_the_sdk_sends``)."""
    received = clue(
        "cadre-sun",
        "yuzhong-hospital",
        "yuzhong-letters",
        handling=Handling.WITH_CONSENT,
        correlation_id="m-clue",
    )
    cited = finding(
        "city-education", "city-office-1", finding_id="f-cited", handling=Handling.SUPERVISION_ONLY
    )
    round_ = InspectionRoundPlanned(
        round_id="round-9",
        team_body_id="inspection-team-1",
        unit_ids=("city-education",),
        starts_at=AT + 10 * DAY,
        ends_at=AT + 40 * DAY,
    )
    reported = InspectionFindingReported(
        round_id="round-9",
        finding_id="if-1",
        unit_id="city-education",
        category=FindingCategory.FORMALISM_BUREAUCRATISM,
        severity=Severity.MEDIUM,
        summary="Meetings instead of work.",
    )
    items = tuple(
        PlanItem(
            item_id=f"i-{n}",
            content="c",
            standard="s",
            due_at=AT + n * DAY,
            assigned_bodies=("city-office-1",),
        )
        for n in (1, 2)
    )
    plan = SupervisionPlanIssued(
        plan_id="plan-1", year=2026, kind=PlanKind.SPECIAL, title="Special", items=items
    )
    reforms = [
        CaseReformRecommended(
            case_id="case-1",
            recommendation_id=f"reform-{n}",
            unit_id="city-education",
            recommendations="Publish the canteen accounts.",
            deadline=AT + 50 * DAY,
        )
        for n in (1, 2)
    ]
    formalism = [
        finding(
            unit,
            source,
            at=AT + day * DAY,
            finding_id=f"f-{unit}",
            category=FindingCategory.FORMALISM_BUREAUCRATISM,
        )
        for unit, source, day in (
            ("yuzhong-school", "yuzhong-commission", 21),
            ("jiangbei-school", "jiangbei-commission", 22),
        )
    ]
    reused = finding(
        "yuzhong-hospital",
        "city-office-1",
        at=AT + 23 * DAY,
        finding_id="f-reused",
        event_id=received.event_id,
    )
    return [
        received,
        event(
            PassOnConsented(event_id=str(received.event_id), consented_to="yuzhong-commission"),
            "yuzhong-letters",
            at=AT + 2 * HOUR,
        ),
        event(
            ClueTransferred(
                clue_id="clue-1", from_body="yuzhong-commission", to_body="city-commission", reason="Wider."
            ),
            "yuzhong-commission",
            at=AT + 3 * HOUR,
            correlation_id="m-clue",
        ),
        event(
            RecordViewed(
                viewer="wang.li", viewer_body="city-commission", record=ViewedRecord.CLUE, record_id="clue-1"
            ),
            "dashboard",
            at=AT + 4 * HOUR,
            subject=Subject(kind=SubjectKind.BODY, id="city-commission"),
        ),
        cited,
        event(
            RectificationRequired(
                rectification_id="rect-h",
                unit_id="city-education",
                description="Fix it.",
                deadline=AT + 30 * DAY,
                supervising_bodies=("stationed-education",),
            ),
            "stationed-education",
            at=AT + HOUR,
            handling=Handling.NEVER_PASS_ON,
        ).model_copy(update={"causation_id": cited.event_id}),
        event(round_, "inspection-office", subject=CITY),
        finding(
            "city-education",
            "stationed-education",
            at=AT + 20 * DAY,
            finding_id="f-round",
            correlation_id="m-f",
        ),
        event(reported, "inspection-team-1", at=AT + 20 * DAY, correlation_id="matter-if"),
        *formalism,
        reused,
        event(
            RectificationCompleted(rectification_id="rect-if-1", summary="Done."),
            "stationed-education",
            at=AT + 45 * DAY,
            correlation_id="matter-if",
        ),
        event(
            RectificationRequired(
                rectification_id="rect-if-1",
                unit_id="city-education",
                description="Again.",
                deadline=AT + 90 * DAY,
                supervising_bodies=("stationed-education",),
            ),
            "stationed-education",
            at=AT + 46 * DAY,
        ),
        event(plan, "city-comprehensive", subject=CITY),
        event(
            PlanItemCompleted(plan_id="plan-1", item_id="i-1", summary="Done."), "city-office-1", at=AT + HOUR
        ),
        *(event(r, "city-review", correlation_id="case-1") for r in reforms),
        event(
            RectificationCompleted(rectification_id="reform-1", summary="Published."),
            "stationed-education",
            at=AT + 5 * DAY,
            correlation_id="case-1",
        ),
        event(
            CollaborativeOversightApproved(
                matter_id="m-ov", lead_body="city-office-1", participating_bodies=("stationed-education",)
            ),
            "city-comprehensive",
            subject=CITY,
            correlation_id="m-ov",
        ),
        event(
            CollaborativeOversightCompleted(matter_id="m-ov", summary="Done."),
            "city-comprehensive",
            at=AT + DAY,
            subject=CITY,
        ),
        event(
            ReportingCadenceSet(reporting_body="stationed-education", cadence=ReportCadence.MONTHLY),
            "city-office-1",
            subject=Subject(kind=SubjectKind.BODY, id="stationed-education"),
        ),
        clock_tick(AT + 60 * DAY, "bus"),
    ]


CROSS_KEY_READS: dict[tuple[str, str], str] = {
    ("router._accept", "seen"): "stage B, by event id: an id reused by another body, in another matter",
    ("admission._check_authenticated", "seen"): "stage B: an id another body logged skips the remit checks",
    ("ownership._check_new_ids", "taken"): "stage C, by entity id: entity ids are tied to no matter",
    ("authority._team_remit", "rounds"): "a global table: an inspection office plans a team's round",
    ("routing.route_finding", "rounds"): "a global table: the rounds covering a unit at a time",
    ("second_half.require_rectification", "rounds"): "a global table: the round a finding names",
    ("second_half._already_required", "rectifications"): "left open: the scan by finding id",
    ("handling.check_handling", "restricted"): "left open: citations and consents across matters",
    ("handling._check_transfer", "consents"): "not settled by the code: a consent names no matter",
    ("routing.current_holder", "clues"): "left open: the clue a view names",
}
"""Decisions that read state written under another key, and how the proposal serves each
(docs/partitioned-state.md §2 and §4). Follow-ups of a plan, a joint oversight, a rectification
or a reform are not here: the gate refuses them outside the matter of what they follow
(``wrong_matter``). Reads by a clock tick are §3's, listed apart."""


TICK_SCANS: dict[str, str] = {
    "seen": "B, by event id: whether what it derives is logged already",
    "rectifications": "D",
    "rect_statuses": "D",
    "overdue_notified": "D",
    "plans": "D",
    "plan_overdue_notified": "D",
    "briefings": "D",
    "briefed": "D",
    "briefing_overdue": "D",
    "reforms": "D",
    "reform_overdue": "D",
    "findings": "E, by category",
    "claimed_findings": "E, by category",
    "relations": "F, by reporting body",
    "reports": "F, by reporting body",
    "report_overdue": "F, by reporting body",
}
"""What a tick's flows read (§3), and the stage that holds each: a tick reaches every partition."""

REFUSED = {"RectificationRequired": "duplicate_id_reuse", "SupervisionFindingRecorded": "duplicate_id"}
"""The scenario's two reuses, by the event type refused."""


@dataclass
class Routed:
    crossed: dict[tuple[str, str], str]
    ticks: set[str]
    refused: dict[str, str]
    derived: list[str]


@pytest.fixture(scope="module")
def routed() -> Iterator[Routed]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        bench = demo_bench(
            policy=Policy(systemic_min_units=3, systemic_min_regions=9, systemic_min_sectors=9)
        )
        watch = watch_state(bench, monkeypatch)
        refused: dict[str, str] = {}
        derived: list[str] = []
        for e in map(as_the_sdk_sends, scenario()):
            outcome = bench.publish(e)
            if outcome.quarantined:
                refused[e.event_type] = outcome.quarantined.reason
            derived += [d.event_type for d in outcome.logged[1:]]
        yield Routed(watch.crossed, watch.tick_reads, refused, derived)


def test_the_scenario_sets_off_every_rule_it_is_meant_to(routed: Routed) -> None:
    assert routed.refused == REFUSED
    assert set(routed.derived) >= {
        "BriefingRequested",
        "RectificationRequired",
        "RectificationOverdue",
        "BriefingOverdue",
        "SystemicIssueDetected",
        "DailyReportOverdue",
        "CaseReformOverdue",
        "PlanItemOverdue",
    }


def test_every_read_across_keys_is_one_the_proposal_lists(routed: Routed) -> None:
    unlisted = {k: v for k, v in routed.crossed.items() if k not in CROSS_KEY_READS}
    assert not unlisted, (
        f"a decision reads state written under another key; say in the proposal how: {unlisted}"
    )
    gone = sorted(set(CROSS_KEY_READS) - set(routed.crossed))
    assert not gone, f"listed as reading across keys, but no longer does: {gone}"


def test_a_tick_reads_only_the_maps_the_proposal_gives_its_stages(routed: Routed) -> None:
    assert routed.ticks == set(TICK_SCANS)
