"""Live updates: server-sent events of new inbox rows, filtered exactly like the inbox page.

The stream polls the read models (the projector writes them) once a second for rows delivered to the
viewer's body since the stream began, with the page's own filters; it ends when the session does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from projections import readmarks, sessions
from projections.identity import IdentityStore
from projections.versions import ReadStore
from projections.web import views
from projections.web.rendering import language, render_text
from projections.web.signin import SESSION_COOKIE
from projections.web.viewer import Viewer, viewing

POLL_SECONDS = 1.0
LATE_DELIVERY = timedelta(seconds=30)
"""How far before the stream began a delivery may be stamped and still count as new: the projector
writes a row some time after the router delivered it."""


def live_router(store: ReadStore, people: IdentityStore) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/ui/live")
    def live(request: Request) -> StreamingResponse:
        with viewing(request, store, people) as viewer:
            viewer.rows_only()
            body_id, user_id = viewer.body_id, viewer.user.user_id
        filters = views.InboxFilter.parse(dict(request.query_params))
        token = request.cookies.get(SESSION_COOKIE, "")
        lang = language(request)
        started = datetime.now(UTC)
        seen: set[str] = set(request.query_params.getlist("seen"))

        def poll() -> list[str] | None:
            session = sessions.lookup(people.engine, token)
            if session is None:
                return None  # signed out, expired or disabled: the stream ends
            read = readmarks.read_ids(people.engine, user_id)
            with store.engine().connect() as conn:
                rows = views.delivered_since(conn, body_id, filters, read, started - LATE_DELIVERY)
            fresh = [r for r in rows if r["event_id"] not in seen]
            seen.update(r["event_id"] for r in fresh)
            return [
                _event(
                    "inbox",
                    {
                        "event_id": r["event_id"],
                        "clue_id": r["clue_id"],
                        "html": render_text("_row.html", lang, r=r, viewer=_Shown(session)),
                    },
                )
                for r in fresh
            ]

        async def stream() -> AsyncIterator[str]:
            yield ": connected\n\n"
            while not await request.is_disconnected():
                events = await run_in_threadpool(poll)
                if events is None:
                    yield _event("ended", {})
                    return
                for event in events:
                    yield event
                yield ": keep-alive\n\n"
                await asyncio.sleep(POLL_SECONDS)

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    return router


class _Shown:
    """What the row template needs of the viewer: the CSRF token of its mark-read form."""

    def __init__(self, session: sessions.Session):
        self.csrf_token = session.csrf_token


def _event(name: str, data: dict[str, object]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


__all__ = ["Viewer", "live_router"]
