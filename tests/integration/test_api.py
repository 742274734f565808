"""The read API over real SQLite and PostgreSQL: each body's token reads what was routed to it or is
in its remit; anything else is 403, never an empty answer; leadership reads aggregates only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fourfold.registrar import DEMO_REGISTRY
from projections import tokens
from projections.api import create_app
from projections.batch import apply_batch
from projections.testing import (
    START,
    history,
    log_records,
    reference_history,
    sample_recipients,
    sealed_intake,
)
from projections.versions import SCHEMA_VERSION, ReadStore
from schemas import Topics

pytestmark = pytest.mark.integration

TOPICS = Topics("api")
EVENTS = reference_history(DEMO_REGISTRY) + history()
CLUE_1 = next(e for e in EVENTS if e.event_type == "ProblemClueReceived")


@pytest.fixture
def store(database_url):
    store = ReadStore(database_url)
    records = log_records(TOPICS, EVENTS, sample_recipients)
    with store.engine().begin() as conn:
        apply_batch(conn, records, sealed_intake(TOPICS), {})
    store.switch(SCHEMA_VERSION, "test data")
    yield store
    store.dispose()


@pytest.fixture
def api(store):
    client = TestClient(create_app(store))

    def as_body(body_id: str) -> TestClient:
        client.headers["Authorization"] = f"Bearer {tokens.issue(store.control, body_id)}"
        return client

    return as_body


def test_openapi_is_published_with_bearer_security(store):
    client = TestClient(create_app(store))
    spec = client.get("/openapi.json").json()
    assert {"/clues/{clue_id}", "/units/{unit_id}/dossier", "/aggregates"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "403" in spec["paths"]["/clues/{clue_id}"]["get"]["responses"]
    assert client.get("/docs").status_code == 200


def test_no_token_or_a_wrong_token_is_401(store):
    client = TestClient(create_app(store))
    assert client.get("/me").status_code == 401
    assert client.get("/me", headers={"Authorization": "Bearer ff_not-a-token"}).status_code == 401


def test_a_body_reads_its_own_inbox_and_no_other(api):
    client = api("city-commission")
    mine = client.get("/bodies/city-commission/inbox")
    assert mine.status_code == 200
    assert {e["event_type"] for e in mine.json()} >= {"ProblemClueReceived", "ClueTransferred"}
    other = client.get("/bodies/yuzhong-commission/inbox")
    assert other.status_code == 403
    assert "no need to know" in other.json()["detail"]


def test_clues_only_to_their_holders_past_and_present_and_those_sent_them(api):
    holder = api("city-commission")
    assert {c["clue_id"] for c in holder.get("/clues").json()} == {"clue-1"}
    detail = holder.get("/clues/clue-1").json()
    assert detail["holder"] == "city-commission"
    assert [s["holder"] for s in detail["custody"]] == ["yuzhong-letters", "city-commission"]
    assert detail["custody"][0]["until"] == detail["custody"][1]["since"]
    assert "A. Citizen" not in str(detail)
    assert holder.get("/clues/clue-2").status_code == 403

    former = api("yuzhong-letters")
    assert former.get("/clues/clue-1").json()["holder"] == "city-commission"

    outsider = api("jiangbei-commission")
    assert outsider.get("/clues").json() == []
    assert outsider.get("/clues/clue-1").status_code == 403
    assert outsider.get("/clues/no-such-clue").status_code == 403
    assert outsider.get("/audit/clues/clue-1/custody").status_code == 403


def test_leadership_reads_aggregates_only(api):
    leadership = api("city-leadership")
    for path in ("/clues", "/clues/clue-1", "/units/yuzhong-hospital/dossier", "/rectifications", "/plans"):
        assert leadership.get(path).status_code == 403, path
    totals = leadership.get("/aggregates").json()
    assert totals["clues_by_status"] == {"disposed": 1, "received": 1, "transferred": 1}
    assert totals["rectifications_overdue"] == 1
    assert {c["category"]: c["count"] for c in totals["findings_by_category"]} == {
        "corruption": 1,
        "eight_point_rules": 2,
    }
    assert leadership.get("/units/yuzhong-hospital/ecology").json()["assessment"] == "serious"
    assert api("city-office-1").get("/aggregates").status_code == 403


def test_unit_dossier_for_the_bodies_whose_jurisdiction_covers_the_unit(api):
    dossier = api("yuzhong-commission").get("/units/yuzhong-hospital/dossier").json()
    assert dossier["unit"]["sector"] == "health"
    assert [(c["category"], c["label_en"], c["count"]) for c in dossier["findings_by_category"]] == [
        ("corruption", "Corruption and bribery", 1)
    ]
    assert {c["clue_id"] for c in dossier["clues"]} == {"clue-1", "clue-2", "clue-3"}
    assert [r["round_id"] for r in dossier["inspections"]] == ["round-1"]
    board = {r["rectification_id"]: r for r in dossier["rectifications"]}
    assert board["rect-1"]["overdue"] and not board["reform-1"]["overdue"]
    assert dossier["ecology"]["open_clues"] == 2 and dossier["ecology"]["cases_concluded"] == 1
    assert api("city-office-1").get("/units/yuzhong-hospital/dossier").status_code == 200
    assert api("jiangbei-commission").get("/units/yuzhong-hospital/dossier").status_code == 403
    stationed = api("stationed-education")
    assert stationed.get("/units/yuzhong-hospital/dossier").status_code == 403
    assert stationed.get("/units/city-education/dossier").status_code == 200


def test_boards_show_each_body_its_share(api):
    office = api("city-office-1")
    assert {r["rectification_id"] for r in office.get("/rectifications").json()} == {
        "rect-1",
        "rect-2",
        "reform-1",
    }
    assert api("jiangbei-commission").get("/rectifications").json() == []

    [round_one] = api("city-letters").get("/inspection-rounds").json()
    assert {(b["unit_id"], b["body_id"], b["submitted_at"] is not None) for b in round_one["briefings"]} == {
        ("yuzhong-school", "city-letters", True),
        ("yuzhong-hospital", "city-office-1", True),
        ("yuzhong-hospital", "stationed-education", False),
    }
    assert api("jiangbei-commission").get("/inspection-rounds/round-1").status_code == 403

    assert [i["issue_id"] for i in api("stationed-education").get("/systemic-issues").json()] == ["issue-1"]
    assert api("jiangbei-commission").get("/systemic-issues").json() == []
    assert [m["status"] for m in api("yuzhong-commission").get("/oversight-matters").json()] == ["completed"]

    [plan] = api("stationed-education").get("/plans").json()
    assert [i["item_id"] for i in plan["items"]] == ["item-2"]
    [whole] = api("city-comprehensive").get("/plans").json()
    assert [(i["item_id"], i["status"]) for i in whole["items"]] == [
        ("item-1", "completed"),
        ("item-2", "overdue"),
    ]


def test_audit_who_received_an_event_and_what_a_body_knew(api):
    event_id = str(CLUE_1.event_id)
    source = api("yuzhong-letters").get(f"/audit/events/{event_id}/recipients").json()
    assert source["event"]["event_type"] == "ProblemClueReceived"
    assert [r["recipient"] for r in source["recipients"]] == [
        "city-case-mgmt",
        "city-commission",
        "yuzhong-letters",
    ]
    own = api("city-commission").get(f"/audit/events/{event_id}/recipients").json()
    assert [r["recipient"] for r in own["recipients"]] == ["city-commission"]
    assert api("jiangbei-commission").get(f"/audit/events/{event_id}/recipients").status_code == 403

    client = api("city-commission")
    before = client.get("/audit/bodies/city-commission/knowledge", params={"as_of": START.isoformat()})
    assert before.json() == []
    after = client.get(
        "/audit/bodies/city-commission/knowledge", params={"as_of": "2026-03-02T12:30:00Z"}
    ).json()
    assert [(e["event_type"], e["source_body"]) for e in after] == [
        ("ProblemClueReceived", "yuzhong-letters"),
        ("ClueTransferred", "bus"),
    ]
    assert after[0]["event_id"] == event_id
    assert (
        client.get("/audit/bodies/city-case-mgmt/knowledge", params={"as_of": START.isoformat()}).status_code
        == 403
    )


def test_the_api_serves_only_when_its_version_is_live(store, api):
    client = api("city-commission")
    assert client.get("/health").json()["serving"]
    store.switch(SCHEMA_VERSION + 1, "a newer version took over")
    assert client.get("/me").status_code == 503
    assert client.get("/health").json() == {
        "schema_version": SCHEMA_VERSION,
        "live_version": SCHEMA_VERSION + 1,
        "serving": False,
    }
