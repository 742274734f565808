"""Dashboards for people, in the read API's own FastAPI app: server-rendered pages, sign-in per person."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from projections.identity import IdentityStore
from projections.versions import ReadStore
from projections.web.live import live_router
from projections.web.pages import Quarantine, pages_router
from projections.web.rendering import render
from projections.web.signin import NotSignedIn, WebConfig, login_redirect, signin_router
from projections.web.viewer import Denied, NotServing
from projections.web.viewlog import ViewLog, ViewsNotRecorded

__all__ = ["ViewLog", "ViewsNotRecorded", "WebConfig", "add_dashboards"]

STATIC = Path(__file__).parent / "static"


def add_dashboards(
    app: FastAPI,
    store: ReadStore,
    people: IdentityStore,
    config: WebConfig | None = None,
    *,
    views: ViewLog,
    quarantine: Quarantine | None = None,
) -> FastAPI:
    """Serve the dashboards under /ui of ``app`` (which keeps its JSON API for machines); ``views``
    records each clue or dossier opened (projections/web/viewlog.py)."""
    config = config or WebConfig()
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    app.include_router(signin_router(people, config))
    app.include_router(pages_router(store, people, quarantine, views))
    app.include_router(live_router(store, people))

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/")

    @app.exception_handler(NotSignedIn)
    def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        return login_redirect(request)

    @app.exception_handler(Denied)
    def denied(request: Request, exc: Denied) -> Response:
        return render(request, "error.html", 403, viewer=None, code=403, what=exc.what)

    @app.exception_handler(NotServing)
    def not_serving(request: Request, exc: NotServing) -> Response:
        return render(request, "error.html", 503, viewer=None, code=503, what="")

    @app.exception_handler(ViewsNotRecorded)
    def not_recorded(request: Request, exc: ViewsNotRecorded) -> Response:
        return render(request, "error.html", 503, viewer=None, code=503, what="views")

    return app
