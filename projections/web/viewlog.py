"""Who looked at what: each clue or dossier a person opens is recorded on the log before it is shown."""

from __future__ import annotations

from collections.abc import Callable

from projections.web.viewer import Viewer
from schemas.enums import ViewedRecord
from schemas.events.audit import RecordViewed

ViewLog = Callable[[RecordViewed], object]
"""Puts a RecordViewed on its way to the log (wired by the composition root to the dashboard body's
publisher, whose outbox keeps it through a broker outage); raises ViewsNotRecorded when it cannot."""


class ViewsNotRecorded(RuntimeError):
    """Raised when the dashboards cannot record a view (no key of their own): the page is not shown."""


def record_view(views: ViewLog, viewer: Viewer, record: ViewedRecord, record_id: str) -> None:
    """Record that ``viewer`` opened ``record_id``: who, for which body, what; never what it showed."""
    views(
        RecordViewed(
            viewer=viewer.user.user_id, viewer_body=viewer.body_id, record=record, record_id=record_id
        )
    )
