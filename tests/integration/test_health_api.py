"""The integration-health answer over the read API: a body its own, comprehensive supervision any
body's or all, leadership all together only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fourfold.registrar import DEMO_REGISTRY
from projections import tokens
from projections.api import create_app
from projections.batch import apply_batch
from projections.testing import history, log_records, reference_history, sample_recipients, sealed_intake
from projections.versions import SCHEMA_VERSION, ReadStore
from schemas import Topics

pytestmark = pytest.mark.integration

TOPICS = Topics("health")
KINDS = ["briefing", "report", "rectification", "acknowledgement", "notification", "clue_wait"]


@pytest.fixture
def api(database_url):
    store = ReadStore(database_url)
    records = log_records(TOPICS, reference_history(DEMO_REGISTRY) + history(), sample_recipients)
    with store.engine().begin() as conn:
        apply_batch(conn, records, sealed_intake(TOPICS), {})
    store.switch(SCHEMA_VERSION, "test data")
    client = TestClient(create_app(store))

    def as_body(body_id: str) -> TestClient:
        client.headers["Authorization"] = f"Bearer {tokens.issue(store.control, body_id)}"
        return client

    yield as_body
    store.dispose()


def test_a_body_reads_its_own_integration_health(api):
    answer = api("city-office-1").get("/integration-health").json()
    assert answer["body_id"] == "city-office-1" and [k["kind"] for k in answer["kinds"]] == KINDS
    rectification = answer["kinds"][KINDS.index("rectification")]
    assert rectification["total"] >= 1  # it supervises the sample's rectifications
    briefing = answer["kinds"][0]
    assert briefing["on_time"] + briefing["late"] >= 1  # it briefed the team in the sample
    assert (
        api("city-office-1").get("/integration-health", params={"body_id": "stationed-education"}).status_code
        == 403
    )


def test_comprehensive_supervision_reads_any_body_and_leadership_the_aggregate(api):
    coordinator = api("city-comprehensive")
    one = coordinator.get("/integration-health", params={"body_id": "city-office-1"}).json()
    assert one["body_id"] == "city-office-1"
    everyone = coordinator.get("/integration-health").json()
    assert everyone["body_id"] is None
    assert all(a["total"] >= o["total"] for a, o in zip(everyone["kinds"], one["kinds"], strict=True))
    leadership = api("city-leadership")
    assert leadership.get("/integration-health").json()["body_id"] is None
    assert leadership.get("/integration-health", params={"body_id": "city-office-1"}).status_code == 403


def test_a_period_needs_a_timezone(api):
    client = api("city-office-1")
    assert client.get("/integration-health", params={"start": "2026-03-01T00:00:00"}).status_code == 422
    answer = client.get("/integration-health", params={"start": "2099-01-01T00:00:00Z"}).json()
    assert all(k["total"] == 0 for k in answer["kinds"])
