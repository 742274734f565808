"""The dashboards' record of who opened what: RecordViewed, published as the dashboard body."""

from __future__ import annotations

import threading
from collections.abc import Callable

from fourfold.keys import KeyStore
from producers import Publisher
from projections.web import ViewsNotRecorded
from schemas import SigningKey, Subject
from schemas.enums import SubjectKind
from schemas.events.audit import RecordViewed


class ViewRecorder:
    """Signs each RecordViewed with the dashboard body's key and leaves it in that body's outbox,
    whose sender delivers it to the body's ingest topic: a page waits for a local write, never for
    Kafka, and a view recorded during a broker outage is delivered once the broker is back.

    The publisher is made at the first view, so the API and the other pages serve without the key;
    without it, a clue or dossier is not shown (ViewsNotRecorded)."""

    def __init__(self, keys: KeyStore, body_id: str, connect: Callable[[SigningKey], Publisher]):
        self._keys = keys
        self._body_id = body_id
        self._connect = connect
        self._publisher: Publisher | None = None
        self._lock = threading.Lock()

    def __call__(self, viewed: RecordViewed) -> None:
        """The view is in the outbox when this returns. Its subject is the viewer's body (which the
        router checks is in the dashboard body's remit); its matter, the record viewed."""
        with self._lock:
            self._open().publish(
                viewed,
                subject=Subject(kind=SubjectKind.BODY, id=viewed.viewer_body),
                correlation_id=f"views:{viewed.record}:{viewed.record_id}",
            )

    def _open(self) -> Publisher:
        if self._publisher is None:
            if not self._keys.path(self._body_id).exists():
                raise ViewsNotRecorded(
                    f"no signing key for the dashboard body {self._body_id!r} at"
                    f" {self._keys.path(self._body_id)}: register it (a body of kind dashboard in the"
                    " registry file, `fourfold registry FILE`) on this machine"
                )
            self._publisher = self._connect(self._keys.load(self._body_id))
        return self._publisher

    def close(self) -> None:
        """Send for up to 5 seconds what is waiting; the rest stays in the outbox for the next start."""
        with self._lock:
            if self._publisher is not None:
                self._publisher.close(timeout=5)
                self._publisher = None
