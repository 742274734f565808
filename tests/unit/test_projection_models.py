"""Projection logic without a database: events in, read-model rows out (folded in memory)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fourfold.registrar import DEMO_REGISTRY
from projections.changes import Memory, unlisting
from projections.clues import clue_custody, clues
from projections.dispatch import changes_for
from projections.dossier import cases, findings
from projections.inspections import briefings, consultations, inspection_rounds, round_units
from projections.oversight import oversight_bodies, oversight_matters
from projections.plans import plan_items, plans
from projections.record_views import record_views
from projections.rectifications import rectification_bodies, rectifications
from projections.reference import bodies, jurisdictions, units
from projections.systemic import systemic_issues
from projections.testing import START, history, published, reference_history
from schemas import Subject, new_event
from schemas.enums import SubjectKind, ViewedRecord
from schemas.events.audit import RecordViewed


def fold(events) -> Memory:
    memory = Memory()
    for event in events:
        memory.apply(changes_for(event))
    return memory


@pytest.fixture(scope="module")
def models() -> Memory:
    return fold(reference_history(DEMO_REGISTRY) + history())


def test_clue_register_tracks_holder_status_grading_and_disposition(models):
    clue = models.row(clues, "clue-1")
    assert (clue["received_by"], clue["holder"], clue["status"]) == (
        "yuzhong-letters",
        "city-commission",
        "disposed",
    )
    assert (clue["reliability"], clue["credibility"]) == ("A", "1")
    assert clue["disposition"] == "preliminary_verification"
    assert clue["disposed_by"] == "city-commission"
    handed = models.row(clues, "clue-3")
    assert (handed["origin"], handed["round_id"], handed["holder"]) == (
        "handed_over",
        "round-1",
        "yuzhong-commission",
    )
    assert handed["status"] == "transferred"
    assert models.row(clues, "clue-2")["status"] == "received"


def test_clue_register_never_stores_the_informant(models):
    assert "A. Citizen" not in repr(models.state)


def test_custody_chain_records_every_holder_with_its_time(models):
    chain = sorted(
        (r for r in models.rows(clue_custody) if r["clue_id"] == "clue-1"), key=lambda r: r["entry_version"]
    )
    assert [(r["holder"], r["from_body"], r["via"]) for r in chain] == [
        ("yuzhong-letters", None, "ProblemClueReceived"),
        ("city-commission", "yuzhong-letters", "ClueTransferred"),
    ]
    assert chain[0]["since"] == chain[1]["since"], "the router transfers it the instant it is received"


def test_dossier_facts_findings_with_notice_and_cases(models):
    critical = models.row(findings, "f-3")
    assert (critical["unit_id"], critical["category"], critical["severity"]) == (
        "yuzhong-hospital",
        "corruption",
        "critical",
    )
    assert (critical["how_found"], critical["round_id"]) == ("inspection", "round-1")
    assert unlisting(critical["notified_bodies"]) == ["yuzhong-commission"]
    assert models.row(findings, "f-1")["notified_at"] is None
    assert models.row(cases, "case-1")["clue_id"] == "clue-1"


def test_rectification_board_has_deadline_status_progress_and_overdue(models):
    open_one = models.row(rectifications, "rect-1")
    assert (open_one["status"], open_one["percent_complete"]) == ("in_progress", 40)
    assert open_one["deadline"] == START + timedelta(days=60)
    assert open_one["overdue_at"] == START + timedelta(days=61)
    done = models.row(rectifications, "rect-2")
    assert (done["status"], done["outcome"], done["overdue_at"]) == ("verified", "accepted", None)
    reform = models.row(rectifications, "reform-1")
    assert (reform["kind"], reform["case_id"], reform["status"]) == ("case_reform", "case-1", "open")
    supervisors = {(r["rectification_id"], r["body_id"]) for r in models.rows(rectification_bodies)}
    assert {
        ("rect-1", "city-office-1"),
        ("rect-1", "yuzhong-commission"),
        ("reform-1", "city-review"),
    } <= supervisors


def test_inspection_round_with_briefings_requested_and_received(models):
    assert models.row(inspection_rounds, "round-1")["team_body_id"] == "inspection-team-1"
    assert {r["unit_id"] for r in models.rows(round_units)} == {"yuzhong-school", "yuzhong-hospital"}
    received = models.row(briefings, "round-1", "yuzhong-hospital", "city-office-1")
    assert received["requested_at"] is not None and received["summary"] == "Procurement is the weak point."
    unanswered = models.row(briefings, "round-1", "yuzhong-hospital", "stationed-education")
    assert unanswered["due_at"] is not None and unanswered["submitted_at"] is None
    assert models.row(consultations, "cons-1")["answer"] == "One, in 2025, rectified."


def test_systemic_issues_oversight_matters_and_plans(models):
    issue = models.row(systemic_issues, "issue-1")
    assert unlisting(issue["unit_ids"]) == ["yuzhong-school", "city-education"]
    matter = models.row(oversight_matters, "matter-1")
    assert (matter["status"], matter["lead_body"]) == ("completed", "city-office-1")
    assert unlisting(matter["sectors"]) == ["education"]
    assert {r["body_id"] for r in models.rows(oversight_bodies)} == {
        "city-office-1",
        "stationed-education",
        "yuzhong-commission",
    }
    assert models.row(plans, "plan-2026")["kind"] == "annual"
    assert models.row(plan_items, "plan-2026", "item-1")["status"] == "completed"
    overdue = models.row(plan_items, "plan-2026", "item-2")
    assert (overdue["status"], overdue["overdue_at"]) == ("overdue", START + timedelta(days=31))


def test_reference_data_newest_fact_wins(models):
    assert models.row(bodies, "city-leadership")["kind"] == "leadership"
    assert models.row(units, "yuzhong-hospital")["region_id"] == "yuzhong"
    remit = models.row(jurisdictions, "city-office-1", "contact_area")
    assert unlisting(remit["region_ids"]) == ["yuzhong", "jiangbei"]


def test_a_later_fact_about_the_same_key_replaces_the_earlier_one_only_in_its_aspect():
    steps = published()
    required = next(s.event for s in steps if s.event.event_type == "RectificationRequired")
    later = required.model_copy(
        update={
            "event_id": required.event_id.__class__(int=required.event_id.int + 1),
            "occurred_at": required.occurred_at + timedelta(days=1),
            "payload": required.payload.model_copy(update={"description": "Retender all contracts."}),
        }
    )
    progress = next(s.event for s in steps if s.event.event_type == "RectificationProgressReported")
    row = fold([later, progress, required]).row(rectifications, "rect-1")
    assert row["description"] == "Retender all contracts."
    assert row["percent_complete"] == 40
    assert row["status"] == "open"  # the re-issued requirement happened after the progress report


def test_each_view_is_one_row_of_who_opened_what_and_a_redelivery_adds_none():
    payload = RecordViewed(
        viewer="wang.li", viewer_body="city-commission", record=ViewedRecord.CLUE, record_id="clue-1"
    )
    view = new_event(
        payload,
        source_body="dashboard",
        occurred_at=START,
        subject=Subject(kind=SubjectKind.BODY, id="city-commission"),
    )
    memory = fold([view, view])
    assert [
        (r["viewer"], r["viewer_body"], r["record"], r["record_id"], r["recorded_by"])
        for r in memory.rows(record_views)
    ] == [("wang.li", "city-commission", "clue", "clue-1", "dashboard")]
