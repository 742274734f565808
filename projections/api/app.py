"""The read API's routes: every one answers for the calling body only, or says 403."""

import json
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query
from sqlalchemy import Engine

from projections import access, audit, health_report, queries
from projections.api import models
from projections.api.auth import Caller, caller_dependency
from projections.api.health_models import IntegrationHealth
from projections.reveal import reveal
from projections.versions import SCHEMA_VERSION, ReadStore
from schemas.confidential import Keyring

DESCRIPTION = """Read models of the Fourfold bus, per body. Authenticate with your body's bearer token
(`fourfold tokens issue BODY`). You see your own inbox, the clues you hold, held or were sent, what
your jurisdiction covers and what you supervise, lead or were assigned; leadership sees aggregates.
Anything else is 403 Forbidden, never an empty answer."""

FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"description": "The calling body has no need to know this."}
}


def _entry(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "reasons": [r for r in row["reasons"].split(",") if r],
        "redacted": [r for r in row["redacted"].split(",") if r],
        "payload": json.loads(row["payload"]),
    }


def create_app(
    store: ReadStore, identity: Engine | None = None, *, keyring: Keyring | None = None
) -> FastAPI:
    """The FastAPI application over ``store``'s live read models; tokens are checked in ``identity``
    (the identity database, projections/identity.py). Protected fields stay sealed in the read models;
    they are opened for a permitted caller whose keys ``keyring`` holds (projections/reveal.py)."""
    app = FastAPI(title="Fourfold read API", version=f"{SCHEMA_VERSION}", description=DESCRIPTION)
    Me = Annotated[Caller, Depends(caller_dependency(store, identity))]

    @app.get("/health", response_model=models.Health, tags=["service"])
    def health() -> dict[str, Any]:
        """Whether the read models this server reads are the live ones."""
        live = store.live_version()
        return {"schema_version": SCHEMA_VERSION, "live_version": live, "serving": live == SCHEMA_VERSION}

    @app.get("/me", response_model=models.Me, tags=["service"])
    def me(caller: Me) -> dict[str, Any]:
        """The body your token belongs to."""
        r = caller.reader
        return {"body_id": r.body_id, "kind": r.kind, "aggregates_only": r.aggregates_only}

    @app.get(
        "/bodies/{body_id}/inbox", response_model=list[models.InboxEntry], responses=FORBIDDEN, tags=["inbox"]
    )
    def inbox(body_id: str, caller: Me, as_of: datetime | None = None) -> list[dict[str, Any]]:
        """A body's inbox, as delivered (withheld fields removed); only your own."""
        if body_id != caller.body_id:
            raise caller.deny(f"the inbox of {body_id}")
        moment = _aware(as_of) if as_of is not None else None
        rows = audit.knowledge(caller.conn, body_id, moment)
        return [reveal(_entry(r), caller.reader, keyring) for r in rows]

    @app.get("/clues", response_model=list[models.Clue], responses=FORBIDDEN, tags=["clues"])
    def clue_register(caller: Me) -> list[dict[str, Any]]:
        """The clue register: clues you hold, held or were sent."""
        caller.rows_only()
        return queries.clue_rows(caller.conn, access.readable_clues(caller.conn, caller.reader))

    @app.get("/clues/{clue_id}", response_model=models.ClueDetail, responses=FORBIDDEN, tags=["clues"])
    def clue(clue_id: str, caller: Me) -> dict[str, Any]:
        """One clue with its custody chain."""
        rows = _readable_clue(caller, clue_id)
        return {**rows[0], "custody": audit.custody(caller.conn, clue_id)}

    @app.get("/units/{unit_id}/dossier", response_model=models.Dossier, responses=FORBIDDEN, tags=["units"])
    def dossier(unit_id: str, caller: Me) -> dict[str, Any]:
        """Everything known about a unit your jurisdiction covers, with its political-ecology summary."""
        caller.rows_only()
        found = queries.dossier(caller.conn, unit_id, caller.body_id) if unit_id in caller.covered else None
        if found is None:
            raise caller.deny(f"the dossier of unit {unit_id}")
        return found

    @app.get("/units/{unit_id}/ecology", response_model=models.Ecology, responses=FORBIDDEN, tags=["units"])
    def ecology(unit_id: str, caller: Me) -> dict[str, Any]:
        """A unit's political-ecology summary (counts only): for leadership and the unit's supervisors."""
        if not (caller.reader.aggregates_only or unit_id in caller.covered):
            raise caller.deny(f"the political ecology of unit {unit_id}")
        return queries.ecology(caller.conn, unit_id)

    @app.get(
        "/rectifications", response_model=list[models.Rectification], responses=FORBIDDEN, tags=["boards"]
    )
    def rectification_board(caller: Me) -> list[dict[str, Any]]:
        """The rectification board: what you supervise or required, or at units you cover."""
        caller.rows_only()
        return queries.board(
            caller.conn, access.readable_rectifications(caller.conn, caller.reader, caller.covered)
        )

    @app.get(
        "/inspection-rounds",
        response_model=list[models.InspectionRound],
        responses=FORBIDDEN,
        tags=["boards"],
    )
    def inspection_rounds(caller: Me) -> list[dict[str, Any]]:
        """Inspection rounds you take part in, with the briefings asked for and received."""
        caller.rows_only()
        return queries.rounds(caller.conn, access.readable_rounds(caller.conn, caller.reader, caller.covered))

    @app.get(
        "/inspection-rounds/{round_id}",
        response_model=models.InspectionRound,
        responses=FORBIDDEN,
        tags=["boards"],
    )
    def inspection_round(round_id: str, caller: Me) -> dict[str, Any]:
        caller.rows_only()
        if round_id not in access.readable_rounds(caller.conn, caller.reader, caller.covered):
            raise caller.deny(f"inspection round {round_id}")
        return queries.rounds(caller.conn, [round_id])[0]

    @app.get(
        "/systemic-issues", response_model=list[models.SystemicIssue], responses=FORBIDDEN, tags=["boards"]
    )
    def systemic_issues(caller: Me) -> list[dict[str, Any]]:
        """Systemic issues involving units you cover (all of them, for comprehensive supervision)."""
        caller.rows_only()
        return queries.issues(caller.conn, access.readable_issues(caller.conn, caller.reader, caller.covered))

    @app.get(
        "/oversight-matters",
        response_model=list[models.OversightMatter],
        responses=FORBIDDEN,
        tags=["boards"],
    )
    def oversight_matters(caller: Me) -> list[dict[str, Any]]:
        """Collaborative oversight plans you lead or take part in, or that involve units you cover."""
        caller.rows_only()
        return queries.matters(
            caller.conn, access.readable_matters(caller.conn, caller.reader, caller.covered)
        )

    @app.get("/plans", response_model=list[models.Plan], responses=FORBIDDEN, tags=["boards"])
    def supervision_plans(caller: Me) -> list[dict[str, Any]]:
        """Supervision plans with the items assigned to you (every item, for comprehensive supervision)."""
        caller.rows_only()
        return queries.plan_list(caller.conn, access.assigned_items(caller.conn, caller.reader))

    @app.get("/aggregates", response_model=models.Aggregates, responses=FORBIDDEN, tags=["leadership"])
    def aggregates(caller: Me) -> dict[str, Any]:
        """Counts across the bus, for leadership and comprehensive supervision."""
        if not (caller.reader.aggregates_only or caller.reader.coordinates):
            raise caller.deny("aggregates across the bus")
        return queries.aggregates(caller.conn)

    @app.get(
        "/integration-health", response_model=IntegrationHealth, responses=FORBIDDEN, tags=["leadership"]
    )
    def integration_health(
        caller: Me, body_id: str | None = None, start: datetime | None = None, end: datetime | None = None
    ) -> dict[str, Any]:
        """Briefings, reports, rectifications, acknowledgements, notifications and transferred clues
        due in [start, end): yours; any body's or all together for comprehensive supervision; all
        together only for leadership."""
        r = caller.reader
        if r.aggregates_only and body_id is not None:
            raise caller.deny(f"{body_id}'s integration health (leadership reads the aggregate)")
        if not (r.aggregates_only or r.coordinates):
            if body_id not in (None, r.body_id):
                raise caller.deny(f"{body_id}'s integration health")
            body_id = r.body_id
        start, end = (_aware(m) if m else None for m in (start, end))
        return health_report.integration_health(caller.conn, body_id, start, end)

    @app.get(
        "/audit/clues/{clue_id}/custody",
        response_model=list[models.CustodySpell],
        responses=FORBIDDEN,
        tags=["audit"],
    )
    def custody(clue_id: str, caller: Me) -> list[dict[str, Any]]:
        """Who held a clue, and when."""
        _readable_clue(caller, clue_id)
        return audit.custody(caller.conn, clue_id)

    @app.get(
        "/audit/events/{event_id}/recipients",
        response_model=models.EventRecipients,
        responses=FORBIDDEN,
        tags=["audit"],
    )
    def recipients(event_id: str, caller: Me) -> dict[str, Any]:
        """Which bodies received an event, and when: all, for its source; your own receipt, for you."""
        event = audit.logged_event(caller.conn, event_id)
        receipts = audit.recipients(caller.conn, event_id)
        if event is None or event["source_body"] != caller.body_id:
            receipts = [r for r in receipts if r["recipient"] == caller.body_id]
            if event is None or not receipts:
                raise caller.deny(f"who received event {event_id}")
        return {"event": event, "recipients": [_receipt(r) for r in receipts]}

    @app.get(
        "/audit/bodies/{body_id}/knowledge",
        response_model=list[models.InboxEntry],
        responses=FORBIDDEN,
        tags=["audit"],
    )
    def knowledge(
        body_id: str, caller: Me, as_of: Annotated[datetime, Query()], valid_at: datetime | None = None
    ) -> list[dict[str, Any]]:
        """What a body knew as of a moment (what had been delivered to it by then), with ``valid_at``
        only about facts that had occurred by then (event time); only yourself."""
        if body_id != caller.body_id:
            raise caller.deny(f"what {body_id} knew")
        rows = audit.knowledge(caller.conn, body_id, _aware(as_of), _aware(valid_at) if valid_at else None)
        return [reveal(_entry(r), caller.reader, keyring) for r in rows]

    return app


def _readable_clue(caller: Caller, clue_id: str) -> list[dict[str, Any]]:
    caller.rows_only()
    rows = (
        queries.clue_rows(caller.conn, [clue_id])
        if access.may_read_clue(caller.conn, caller.reader, clue_id)
        else []
    )
    if not rows:
        raise caller.deny(f"clue {clue_id}")
    return rows


def _receipt(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "reasons": [r for r in row["reasons"].split(",") if r],
        "redacted": [r for r in row["redacted"].split(",") if r],
    }


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise HTTPException(
            HTTPStatus.UNPROCESSABLE_ENTITY, "as_of needs a timezone, e.g. 2026-03-02T10:00:00Z"
        )
    return moment
