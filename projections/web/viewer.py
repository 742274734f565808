"""Who is looking: the signed-in person, their body as the read models know it, and what it may read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy.engine import Connection

from projections import access
from projections.identity import IdentityStore, User
from projections.sessions import Session
from projections.versions import SCHEMA_VERSION, ReadStore
from projections.web.signin import current_session


class Denied(Exception):
    """Raised when the viewer has no need to know what a page shows: the page answers 403."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class NotServing(Exception):
    """Raised when the read models of this code's schema version are not the live ones (503)."""


@dataclass
class Viewer:
    """One request's person, body and connection to the live read models."""

    session: Session
    reader: access.Reader
    conn: Connection
    _covered: set[str] | None = field(default=None, repr=False)

    @property
    def user(self) -> User:
        return self.session.user

    @property
    def body_id(self) -> str:
        return self.reader.body_id

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    @property
    def covered(self) -> set[str]:
        if self._covered is None:
            self._covered = access.covered_units(self.conn, self.reader)
        return self._covered

    @property
    def is_operator(self) -> bool:
        return self.user.role == "operator"

    @property
    def reads_aggregates(self) -> bool:
        """Leadership and comprehensive supervision read the aggregates, as in the API."""
        return not self.is_operator and (self.reader.aggregates_only or self.reader.coordinates)

    @property
    def reads_rows(self) -> bool:
        """Rows routed to or in the remit of the body: not for leadership, nor for an operator."""
        return not (self.is_operator or self.reader.aggregates_only)

    def rows_only(self) -> None:
        if not self.reads_rows:
            raise Denied("rows of the read models")

    def aggregates_only(self) -> None:
        if not self.reads_aggregates:
            raise Denied("aggregates across the bus")


@contextmanager
def viewing(request: Request, store: ReadStore, people: IdentityStore) -> Iterator[Viewer]:
    """The viewer of ``request`` with a connection to the live read models (NotSignedIn, NotServing)."""
    session = current_session(request, people)
    if store.live_version() != SCHEMA_VERSION:
        raise NotServing
    with store.engine().connect() as conn:
        yield Viewer(session, access.reader(conn, session.user.body_id), conn)
