"""The dashboard pages: each one reads only what the viewer's body may read (projections/access.py),
exactly as the read API does; anything else is a 403 page, never an empty one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from projections import access, audit, halfyear, queries, readmarks
from projections.identity import IdentityStore
from projections.oversight import oversight_matters
from projections.plans import plans
from projections.systemic import systemic_issues
from projections.versions import ReadStore
from projections.web import charts, views
from projections.web import report as report_files
from projections.web.i18n import Language
from projections.web.rendering import language, render
from projections.web.signin import check_csrf
from projections.web.viewer import Denied, Viewer, viewing
from projections.web.viewlog import ViewLog, record_view
from schemas.enums import ViewedRecord

Quarantine = Callable[[], list[dict[str, Any]]]
"""Reads the quarantine topic's records (wired by the composition root; the read side has no Kafka)."""

QUARANTINE_FIELDS = (
    "reason",
    "event_type",
    "source_topic",
    "partition",
    "offset",
    "received_at",
    "raw_length",
)
"""What the quarantine page shows of a refused record: never its bytes nor the validator's detail,
which may quote a protected field."""


def pages_router(
    store: ReadStore, people: IdentityStore, quarantine: Quarantine | None, view_log: ViewLog
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def page(request: Request, name: str, viewer: Viewer, **context: Any) -> Response:
        return render(request, name, viewer=viewer, now=datetime.now(UTC), **context)

    @router.get("/ui/")
    def home(request: Request) -> Response:
        with viewing(request, store, people) as viewer:
            if viewer.is_operator:
                target = "/ui/quarantine"
            elif viewer.reader.aggregates_only:
                target = "/ui/leadership"
            else:
                target = "/ui/inbox"
        return RedirectResponse(target, status.HTTP_303_SEE_OTHER)

    @router.get("/ui/inbox")
    def inbox(request: Request) -> Response:
        with viewing(request, store, people) as viewer:
            viewer.rows_only()
            filters = views.InboxFilter.parse(dict(request.query_params))
            read = readmarks.read_ids(people.engine, viewer.user.user_id)
            rows = views.inbox_rows(viewer.conn, viewer.body_id, filters, read)
            total = views.inbox_count(viewer.conn, viewer.body_id, filters, read)
            types = views.event_types(viewer.conn, viewer.body_id)
            units = sorted(viewer.covered)
            return page(
                request, "inbox.html", viewer, rows=rows, total=total, f=filters, types=types, units=units
            )

    @router.post("/ui/inbox/read")
    def mark_read(
        request: Request,
        csrf_token: str = Form(...),
        event_id: list[str] = Form([]),  # noqa: B008
    ) -> Response:
        with viewing(request, store, people) as viewer:
            check_csrf(viewer.session, csrf_token)
            viewer.rows_only()
            mine = views.own_events(viewer.conn, viewer.body_id, event_id)
            readmarks.mark_read(people.engine, viewer.user.user_id, [e for e in event_id if e in mine])
        back = request.headers.get("referer", "")
        target = back[back.index("/ui/") :] if "/ui/inbox" in back else "/ui/inbox"
        return RedirectResponse(target, status.HTTP_303_SEE_OTHER)

    @router.get("/ui/clues")
    def clue_register(request: Request) -> Response:
        with viewing(request, store, people) as viewer:
            viewer.rows_only()
            rows = queries.clue_rows(viewer.conn, access.readable_clues(viewer.conn, viewer.reader))
            return page(request, "clues.html", viewer, rows=rows)

    @router.get("/ui/clues/{clue_id}")
    def clue(request: Request, clue_id: str) -> Response:
        with viewing(request, store, people) as viewer:
            viewer.rows_only()
            rows = queries.clue_rows(viewer.conn, [clue_id])
            if not rows or not access.may_read_clue(viewer.conn, viewer.reader, clue_id):
                raise Denied(f"clue {clue_id}")
            record_view(view_log, viewer, ViewedRecord.CLUE, clue_id)
            custody = audit.custody(viewer.conn, clue_id)
            history = views.clue_history(viewer.conn, viewer.body_id, clue_id)
            chart = _custody_chart(custody, language(request))
            return page(
                request,
                "clue.html",
                viewer,
                clue=rows[0],
                custody=custody,
                history=history,
                custody_chart=chart,
            )

    @router.get("/ui/units")
    def unit_list(request: Request) -> Response:
        with viewing(request, store, people) as viewer:
            viewer.rows_only()
            ecologies = [queries.ecology(viewer.conn, u) | {"unit_id": u} for u in sorted(viewer.covered)]
            return page(request, "units.html", viewer, units=ecologies)

    @router.get("/ui/units/{unit_id}")
    def dossier(request: Request, unit_id: str) -> Response:
        with viewing(request, store, people) as viewer:
            viewer.rows_only()
            covered = unit_id in viewer.covered
            found = (
                queries.dossier(viewer.conn, unit_id, viewer.body_id, first=views.PAGE_SIZE)
                if covered
                else None
            )
            if found is None:
                raise Denied(f"the dossier of unit {unit_id}")
            record_view(view_log, viewer, ViewedRecord.DOSSIER, unit_id)
            months, by_category = views.by_month(found["findings"])
            lang = language(request)
            series = [(lang.gettext(cat), counts) for cat, counts in by_category.items()]
            return page(request, "dossier.html", viewer, d=found, months=months, series=series)

    @router.get("/ui/rectifications")
    def board(request: Request) -> Response:
        with viewing(request, store, people) as viewer:
            viewer.rows_only()
            ids = access.readable_rectifications(viewer.conn, viewer.reader, viewer.covered)
            rows = queries.board(viewer.conn, ids, first=views.PAGE_SIZE)
            now = datetime.now(UTC)
            shown = {row["rectification_id"] for row in rows}
            histories = views.rectification_histories(viewer.conn, viewer.body_id, shown)
            for row in rows:
                row["days_left"] = (row["deadline"] - now).days if row["deadline"] else None
                row["history"] = histories.get(row["rectification_id"], [])
            return page(request, "board.html", viewer, rows=rows, total=len(ids))

    @router.get("/ui/rounds")
    def rounds(request: Request) -> Response:
        with viewing(request, store, people) as viewer:
            viewer.rows_only()
            ids = sorted(access.readable_rounds(viewer.conn, viewer.reader, viewer.covered))
            shown = queries.rounds(viewer.conn, ids[: views.PAGE_SIZE])
            return page(request, "rounds.html", viewer, rounds=shown, total=len(ids))

    @router.get("/ui/rounds/{round_id}")
    def inspection_round(request: Request, round_id: str) -> Response:
        with viewing(request, store, people) as viewer:
            viewer.rows_only()
            if round_id not in access.readable_rounds(viewer.conn, viewer.reader, viewer.covered):
                raise Denied(f"inspection round {round_id}")
            [found] = queries.rounds(viewer.conn, [round_id])
            readable = access.readable_clues(viewer.conn, viewer.reader)
            follow = views.round_follow_up(viewer.conn, round_id, readable, viewer.covered)
            return page(request, "round.html", viewer, r=found, follow=follow)

    @router.get("/ui/coordination")
    def coordination(request: Request) -> Response:
        with viewing(request, store, people) as viewer:
            viewer.rows_only()
            conn, who, covered, first = viewer.conn, viewer.reader, viewer.covered, views.PAGE_SIZE
            issue_ids = access.readable_issues(conn, who, covered)
            matter_ids = access.readable_matters(conn, who, covered)
            items = access.assigned_items(conn, who)
            totals = {
                "issues": queries.how_many(conn, systemic_issues, issue_ids),
                "matters": queries.how_many(conn, oversight_matters, matter_ids),
                "plans": queries.how_many(conn, plans, None if items is None else queries.plan_ids(items)),
            }
            return page(
                request,
                "coordination.html",
                viewer,
                issues=queries.issues(conn, issue_ids, first=first),
                matters=queries.matters(conn, matter_ids, first=first),
                plans=queries.plan_list(conn, items, first=first),
                totals=totals,
            )

    @router.get("/ui/quarantine")
    def quarantined(request: Request) -> Response:
        with viewing(request, store, people) as viewer:
            if not viewer.is_operator:
                raise Denied("the quarantine (operators only)")
            records = [_refused(r) for r in (quarantine() if quarantine else [])]
            reasons = Counter(r["reason"] for r in records).most_common()
            return page(request, "quarantine.html", viewer, records=records[-500:][::-1], reasons=reasons)

    @router.get("/ui/leadership")
    def leadership(request: Request) -> Response:
        with viewing(request, store, people) as viewer:
            viewer.aggregates_only()
            return page(request, "leadership.html", viewer, a=queries.aggregates(viewer.conn))

    @router.get("/ui/report")
    def half_year(request: Request) -> Response:
        with viewing(request, store, people) as viewer:
            viewer.aggregates_only()
            half = _half(request)
            with halfyear.snapshot(store.engine()) as conn:
                figures = halfyear.report(conn, half)
            return page(request, "report.html", viewer, report=figures, inline_style=None)

    @router.get("/ui/report.pdf")
    def half_year_pdf(request: Request) -> Response:
        with viewing(request, store, people) as viewer:
            viewer.aggregates_only()
            half = _half(request)
        with halfyear.snapshot(store.engine()) as conn:
            figures = halfyear.report(conn, half)
        document = report_files.pdf(figures, language(request))
        headers = {"Content-Disposition": f'attachment; filename="fourfold-report-{half}.pdf"'}
        return Response(document, media_type="application/pdf", headers=headers)

    return router


def _half(request: Request) -> halfyear.Half:
    text = request.query_params.get("half")
    try:
        return halfyear.Half.parse(text) if text else halfyear.Half.containing(datetime.now(UTC))
    except halfyear.BadHalf:
        return halfyear.Half.containing(datetime.now(UTC))


def _custody_chart(custody: list[dict[str, Any]], lang: Language) -> Markup:
    now = datetime.now(UTC)
    spells = [
        (
            s["holder"],
            s["since"],
            s["until"],
            lang.when(s["since"], "short"),
            lang.when(s["until"] or now, "short"),
        )
        for s in custody
    ]
    return charts.timeline(spells, now, lang.gettext("Custody timeline"))


def _refused(record: dict[str, Any]) -> dict[str, Any]:
    """The fields of a quarantine record the page may show, its time as an instant."""
    shown = {k: record.get(k) for k in QUARANTINE_FIELDS}
    if isinstance(shown["received_at"], str):
        shown["received_at"] = datetime.fromisoformat(shown["received_at"].replace("Z", "+00:00"))
    return shown
