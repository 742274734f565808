"""Who is asking: a bearer token per body, checked against the stored hashes; 401, 403 and 503."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from projections import access, tokens
from projections.versions import SCHEMA_VERSION, ReadStore

bearer = HTTPBearer(auto_error=False, description="A body's token, from `fourfold tokens issue BODY`.")


@dataclass
class Caller:
    """The authenticated body and a connection to the live read models, for one request."""

    reader: access.Reader
    conn: Connection
    _covered: set[str] | None = field(default=None, repr=False)

    @property
    def body_id(self) -> str:
        return self.reader.body_id

    @property
    def covered(self) -> set[str]:
        if self._covered is None:
            self._covered = access.covered_units(self.conn, self.reader)
        return self._covered

    def deny(self, what: str) -> HTTPException:
        return HTTPException(status.HTTP_403_FORBIDDEN, f"{self.body_id} has no need to know {what}")

    def rows_only(self) -> None:
        """Refuse leadership, which reads aggregates only."""
        if self.reader.aggregates_only:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "leadership reads aggregates only (/aggregates)")


def caller_dependency(store: ReadStore, identity: Engine | None = None) -> Callable[..., Caller]:
    """The dependency that authenticates a request against the tokens in ``identity`` (the identity
    database; ``store``'s own database when None, for tests) and opens the live read models."""

    checked: list[Engine] = []

    def keys() -> Engine:
        if not checked:
            engine = identity if identity is not None else store.control
            tokens.ensure(engine)
            checked.append(engine)
        return checked[0]

    def connection() -> Iterator[Connection]:
        live = store.live_version()
        if live != SCHEMA_VERSION:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                f"read models of schema v{SCHEMA_VERSION} are not live (pointer at {live}); being built",
            )
        with store.engine().connect() as conn:
            yield conn

    def caller(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        conn: Annotated[Connection, Depends(connection)],
    ) -> Caller:
        body_id = tokens.authenticate(keys(), credentials.credentials) if credentials else None
        if body_id is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a valid bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Caller(access.reader(conn, body_id), conn)

    return caller
