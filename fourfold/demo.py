"""The demo scenario: a registry, a few clues and one forged event, shown in the bodies' inboxes."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console

from fourfold.bootstrap import Container
from fourfold.processes import Child
from fourfold.registrar import DEMO_REGISTRY
from schemas import Envelope, SigningKey, Subject, encode_event, new_event, sign_event
from schemas.categories import FindingCategory
from schemas.enums import (
    Classification,
    Handling,
    HowFound,
    InformationCredibility,
    Severity,
    SourceReliability,
    SubjectKind,
)
from schemas.events.clues import Informant, ProblemClueReceived, SupervisionFindingRecorded
from schemas.events.inspection import InspectionRoundPlanned
from schemas.events.rectification import RectificationRequired

DEMO_NAMESPACE = uuid.UUID("6d7c1f4e-3b1a-4c55-9a8e-0f4b7d2f1a10")


def demo_id(name: str) -> uuid.UUID:
    """Fixed ids, so running the demo twice republishes the same events (and the bus dedupes)."""
    return uuid.uuid5(DEMO_NAMESPACE, name)


@dataclass(frozen=True)
class ScenarioEvent:
    body_id: str
    event: Envelope  # type: ignore[type-arg]
    note: str


def scenario() -> list[ScenarioEvent]:
    """Two clues: one about a municipal-managed cadre, received in a district; one within it."""
    at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    return [
        ScenarioEvent(
            "yuzhong-letters",
            new_event(
                ProblemClueReceived(
                    clue_id="clue-0001",
                    unit_id="yuzhong-hospital",
                    cadre_id="cadre-qian",
                    summary="Report that the hospital president accepted banquets paid by a supplier.",
                    reliability=SourceReliability.B,
                    credibility=InformationCredibility.DIRECT,
                    informant=Informant(name="A. Citizen", contact="+86 23 0000 0000"),
                ),
                source_body="yuzhong-letters",
                occurred_at=at,
                subject=Subject(kind=SubjectKind.CADRE, id="cadre-qian"),
                classification=Classification.CONFIDENTIAL,
                handling=Handling.WITHIN_JURISDICTION,
                correlation_id="clue-0001",
                event_id=demo_id("clue-0001"),
            ),
            "municipal-managed cadre, received by a district office: goes to the city commission",
        ),
        ScenarioEvent(
            "city-letters",
            new_event(
                ProblemClueReceived(
                    clue_id="clue-0002",
                    unit_id="yuzhong-hospital",
                    cadre_id="cadre-sun",
                    summary="Report of irregular procurement approvals in the hospital's logistics unit.",
                ),
                source_body="city-letters",
                occurred_at=at.replace(hour=11),
                subject=Subject(kind=SubjectKind.CADRE, id="cadre-sun"),
                classification=Classification.RESTRICTED,
                correlation_id="clue-0002",
                event_id=demo_id("clue-0002"),
            ),
            "district-managed cadre: goes to the Yuzhong district commission",
        ),
    ]


def commission_clue() -> ScenarioEvent:
    """A district commission receives a clue about a municipal-managed cadre: accepted, and sent up."""
    return ScenarioEvent(
        "yuzhong-commission",
        new_event(
            ProblemClueReceived(
                clue_id="clue-0003",
                unit_id="city-education",
                cadre_id="cadre-zhao",
                summary="Report that the deputy director steered a textbook contract to a relative.",
                reliability=SourceReliability.C,
            ),
            source_body="yuzhong-commission",
            occurred_at=datetime(2026, 3, 2, 14, tzinfo=UTC),
            subject=Subject(kind=SubjectKind.CADRE, id="cadre-zhao"),
            classification=Classification.RESTRICTED,
            correlation_id="clue-0003",
            event_id=demo_id("clue-0003"),
        ),
        "municipal-managed cadre, received by a district commission: transferred up to the city",
    )


def forged(key: SigningKey) -> Envelope:  # type: ignore[type-arg]
    """A clue claiming to come from the city letters office but signed with another key."""
    event = new_event(
        ProblemClueReceived(clue_id="clue-forged", unit_id="city-bank", summary="Forged report."),
        source_body="city-letters",
        occurred_at=datetime(2026, 3, 2, 12, tzinfo=UTC),
        subject=Subject(kind=SubjectKind.UNIT, id="city-bank"),
        event_id=demo_id("clue-forged"),
    )
    return sign_event(event, key)


def wait_for(
    condition: Callable[[], bool],
    timeout: float,
    interval: float = 0.5,
    give_up: Callable[[], bool] = lambda: False,
) -> bool:
    """Poll ``condition`` until it holds, ``give_up`` says there is no point, or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not give_up():
        if condition():
            return True
        time.sleep(interval)
    return condition()


def run_demo(container: Container, console: Console, *, keep_running: bool = False) -> int:
    """Start everything, publish the scenario, and print the inboxes; returns an exit code."""
    from fourfold.acl import OPERATOR
    from fourfold.operations import provision, publish_registry, read_topic
    from projections.inbox import inbox_of

    settings = container.settings
    with console.status("Starting Kafka (the first run fetches it from Maven Central)…"):
        bootstrap = container.ensure_broker()
    console.print(f"[green]✓[/green] Kafka answering on {bootstrap}")
    for made in container.trust.init():  # before the worker, which refuses to start without them
        console.print(f"[green]✓[/green] Made the {made}")
    provision(container, [])  # the services' principals and what each may do, before they start
    operator = container.access(OPERATOR)
    children = [
        Child("worker", ["worker"], settings.home / "logs"),
        Child("projector", ["project"], settings.home / "logs"),
    ]
    try:
        count = publish_registry(container, DEMO_REGISTRY)
        console.print(f"[green]✓[/green] Registrar published {count} reference events")
        with console.status("Waiting for the router to take in the registry…"):
            registered = wait_for(
                lambda: len(read_topic(operator, container.topics.reference)) >= count,
                timeout=120,
                give_up=lambda: not all(c.alive for c in children),
            )
        if not registered:
            return _report_failure(console, children, "The router did not take in the registry in time.")
        for item in [*scenario(), commission_clue()]:
            with container.publisher(item.body_id) as publisher:
                publisher.publish_event(item.event)
            console.print(f"[green]✓[/green] {item.body_id} published {item.event.event_type}: {item.note}")
        with container.publisher("city-letters") as publisher:
            publisher.send_raw("forged", encode_event(forged(SigningKey.generate("city-letters:1"))))
        console.print("[green]✓[/green] a forged event was sent on city-letters' ingest topic")
        expected = {"city-commission": 1, "city-case-mgmt": 1, "yuzhong-commission": 1}
        with console.status("Waiting for the router and projector…"):
            done = wait_for(
                lambda: all(len(inbox_of(container.engine, b)) >= n for b, n in expected.items()),
                timeout=180,
                give_up=lambda: not all(c.alive for c in children),
            )
        if not done:
            return _report_failure(console, children, "The inboxes did not fill in time.")
        for body_id in expected:
            _print_inbox(console, body_id, inbox_of(container.engine, body_id))
        if not _show_custody(container, console, commission_clue(), children):
            return _report_failure(console, children, "The clue did not reach the city commission in time.")
        if not _show_derived_flows(container, console, children):
            return _report_failure(console, children, "The derived flows did not reach the inboxes in time.")
        refused = read_topic(operator, container.topics.quarantine)
        for record in refused:
            console.print(f"[yellow]quarantined[/yellow] {record['reason']}: {record['detail']}")
        console.print(f"Read models: {settings.sqlalchemy_url}  ·  logs: {settings.home / 'logs'}")
        console.print("Next: .venv/bin/fourfold inbox city-commission · … quarantine · … broker down")
        return 0
    finally:
        if not keep_running:
            for child in children:
                child.stop()


def _report_failure(console: Console, children: list[Child], message: str) -> int:
    console.print(f"[red]{message}[/red]")
    for child in children:
        state = "running" if child.alive else f"exited with {child.process.returncode}"
        console.print(f"  {child.name}: {state}; log: {child.log_path}")
    return 1


def _show_custody(container: Container, console: Console, item: ScenarioEvent, children: list[Child]) -> bool:
    """Wait until the commission's clue has gone up, then print its custody chain."""
    from projections.audit import custody

    clue_id = item.event.payload.clue_id

    def chain() -> list[dict[str, Any]]:
        with container.engine.connect() as conn:
            return custody(conn, clue_id)

    if not wait_for(
        lambda: len(chain()) >= 2, timeout=120, give_up=lambda: not all(c.alive for c in children)
    ):
        return False
    console.rule(f"[bold]Custody of {clue_id}[/bold] ({item.note})")
    for spell in chain():
        until = spell["until"].isoformat() if spell["until"] else "now"
        came = f"from {spell['from_body']} " if spell["from_body"] else ""
        console.print(f"{spell['holder']}: {spell['since'].isoformat()} → {until} · {came}via {spell['via']}")
        if spell["reason"] and spell["via"] == "ClueTransferred":
            console.print(f"  {spell['reason']}", style="dim")
    return True


def _print_inbox(console: Console, body_id: str, rows: list[dict[str, Any]]) -> None:
    console.rule(f"[bold]Inbox of {body_id}[/bold] ({len(rows)})")
    for row in rows:
        payload = json.loads(row["payload"])
        withheld = f" · withheld: {row['redacted']}" if row["redacted"] else ""
        console.print(
            f"[bold]{row['event_type']}[/bold] from {row['source_body']} about {row['subject']}"
            f" \\[{row['classification']}] · why: {row['reasons']}{withheld}"
        )
        if payload.get("summary"):
            console.print(f"  {payload['summary']}", style="dim")


def derived_scenario() -> list[ScenarioEvent]:
    """Events that set off each derived flow of the bus (the clock's tick comes after them)."""
    at = datetime(2026, 3, 3, 10, tzinfo=UTC)

    def finding(
        name: str,
        unit_id: str,
        source: str,
        category: FindingCategory,
        severity: Severity,
        day: int,
        matter: str | None = None,
    ) -> Envelope:  # type: ignore[type-arg]
        payload = SupervisionFindingRecorded(
            finding_id=name,
            unit_id=unit_id,
            category=category,
            severity=severity,
            how_found=HowFound.DAILY_SUPERVISION,
            summary=f"{category.label_en} found at {unit_id}.",
        )
        return new_event(
            payload,
            source_body=source,
            occurred_at=at + timedelta(days=day),
            subject=Subject(kind=SubjectKind.UNIT, id=unit_id),
            correlation_id=matter or name,
            event_id=demo_id(name),
        )

    procurement, formalism = FindingCategory.CORRUPTION, FindingCategory.FORMALISM_BUREAUCRATISM
    round_ = InspectionRoundPlanned(
        round_id="round-2026-1",
        team_body_id="inspection-team-1",
        unit_ids=("city-education", "jiangbei-school"),
        starts_at=at + timedelta(days=10),
        ends_at=at + timedelta(days=40),
    )
    rectification = RectificationRequired(
        rectification_id="rect-canteen",
        unit_id="city-education",
        description="Re-tender the canteen contracts.",
        deadline=at + timedelta(days=14),
        supervising_bodies=("stationed-education", "city-office-1"),
    )
    return [
        ScenarioEvent(
            "city-office-1",
            finding(
                "f-hospital",
                "yuzhong-hospital",
                "city-office-1",
                procurement,
                Severity.HIGH,
                0,
                "matter-procurement",
            ),
            "a contact office's serious finding: shared at once (OutstandingIssueNotified)",
        ),
        ScenarioEvent(
            "jiangbei-commission",
            finding(
                "f-jiangbei",
                "jiangbei-school",
                "jiangbei-commission",
                procurement,
                Severity.MEDIUM,
                1,
                "matter-procurement",
            ),
            "the same matter in another district: CollaborativeOversightProposed",
        ),
        ScenarioEvent(
            "inspection-office",
            new_event(
                round_,
                source_body="inspection-office",
                occurred_at=at,
                subject=Subject(kind=SubjectKind.REGION, id="city"),
                event_id=demo_id("round-2026-1"),
            ),
            "an inspection round: its briefers are asked (BriefingRequested)",
        ),
        ScenarioEvent(
            "stationed-education",
            new_event(
                rectification,
                source_body="stationed-education",
                occurred_at=at,
                correlation_id="rect-canteen",
                subject=Subject(kind=SubjectKind.UNIT, id="city-education"),
                event_id=demo_id("rect-canteen"),
            ),
            "a rectification due in two weeks, never reported done: RectificationOverdue",
        ),
        *(
            ScenarioEvent(
                source,
                finding(f"f-paper-{unit}", unit, source, formalism, Severity.LOW, day),
                "formalism in a third region within a month: SystemicIssueDetected"
                if day == 4
                else "formalism, one more unit",
            )
            for unit, source, day in (
                ("city-education", "stationed-education", 2),
                ("yuzhong-school", "yuzhong-commission", 3),
                ("jiangbei-school", "jiangbei-commission", 4),
            )
        ),
    ]


def _show_derived_flows(container: Container, console: Console, children: list[Child]) -> bool:
    """Publish the derived-flow scenario, then a tick of the bus clock, and print who learnt what."""
    from fourfold.acl import OPERATOR
    from fourfold.operations import read_topic
    from projections.inbox import inbox_of
    from streams.clock import clock_tick

    operator = container.access(OPERATOR)
    items = derived_scenario()
    for item in items:
        with container.publisher(item.body_id) as publisher:
            publisher.publish_event(item.event)
        console.print(f"[green]✓[/green] {item.body_id} published {item.event.event_type}: {item.note}")
    ids = {str(item.event.event_id) for item in items}
    logged = wait_for(
        lambda: ids <= {e["event_id"] for e in read_topic(operator, container.topics.log)},
        timeout=120,
        give_up=lambda: not all(c.alive for c in children),
    )
    if not logged:
        return False
    bus = container.settings.bus_body
    with container.publisher(bus) as publisher:  # time passes: the bus clock's tick, a month on
        publisher.publish_event(clock_tick(datetime(2026, 4, 3, tzinfo=UTC), bus))
    console.print("[green]✓[/green] the bus clock ticked: 2026-04-03")
    expected = {
        "city-comprehensive": {
            "BriefingRequested",
            "CollaborativeOversightProposed",
            "SystemicIssueDetected",
        },
        "yuzhong-stationed-health": {"OutstandingIssueNotified"},
        "stationed-education": {"RectificationOverdue"},
    }
    done = wait_for(
        lambda: all(
            types <= {r["event_type"] for r in inbox_of(container.engine, b)} for b, types in expected.items()
        ),
        timeout=120,
        give_up=lambda: not all(c.alive for c in children),
    )
    for body_id in expected:
        _print_inbox(console, body_id, inbox_of(container.engine, body_id))
    return done
