"""Read models of the sample history, an identity database with one person per body, and the app
serving both: shared by the dashboard tests (tests/integration) and the browser tests (tests/browser)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from fourfold.registrar import DEMO_REGISTRY
from projections.api import create_app
from projections.batch import apply_batch
from projections.identity import IdentityStore, add_user
from projections.testing import history, log_records, reference_history, sample_recipients, sealed_intake
from projections.versions import SCHEMA_VERSION, ReadStore
from projections.web import ViewLog, WebConfig, add_dashboards
from schemas import Topics

TOPICS = Topics("web")
PASSWORD = "correct horse battery"
PEOPLE = {
    "wang": ("city-commission", "staff"),
    "li": ("jiangbei-commission", "staff"),
    "zhou": ("yuzhong-commission", "staff"),
    "chen": ("city-office-1", "staff"),
    "liu": ("city-leadership", "head"),
    "zhang": ("city-comprehensive", "head"),
    "ops": ("bus", "operator"),
}
"""user -> (body, role); every one has PASSWORD."""

QUARANTINE = [
    {
        "reason": "bad_signature",
        "detail": "informant name A. Citizen rejected",
        "source_topic": "web.ingest.yuzhong-letters",
        "partition": 0,
        "offset": 7,
        "received_at": "2026-03-02T10:00:00Z",
        "event_type": "ProblemClueReceived",
        "raw": '{"informant": {"name": "A. Citizen"}}',
        "raw_length": 812,
    }
]
"""A refused record whose detail and bytes carry a protected field, which no page may show."""


def populated_store(database_url: str) -> ReadStore:
    store = ReadStore(database_url)
    events = reference_history(DEMO_REGISTRY) + history()
    with store.engine().begin() as conn:
        apply_batch(conn, log_records(TOPICS, events, sample_recipients), sealed_intake(TOPICS), {})
    store.switch(SCHEMA_VERSION, "test data")
    return store


def people_store(path: Path) -> IdentityStore:
    people = IdentityStore(f"sqlite:///{path / 'identity.db'}")
    for user_id, (body_id, role) in PEOPLE.items():
        add_user(people.engine, user_id, body_id, role, PASSWORD)
    return people


def dashboard_app(
    store: ReadStore, people: IdentityStore, views: ViewLog | None = None, **config: Any
) -> FastAPI:
    """The dashboards; ``views`` takes each RecordViewed (they go nowhere when it is not given)."""
    app = create_app(store, people.engine)
    config_ = WebConfig(**config)
    return add_dashboards(
        app, store, people, config_, views=views or (lambda viewed: None), quarantine=lambda: QUARANTINE
    )
