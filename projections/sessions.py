"""Web sessions: a random cookie value stored only as its SHA-256, a CSRF token, an expiry."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Engine, String, Table, select, update

from projections.db import UtcDateTime
from projections.identity import User, identity, users

web_sessions = Table(
    "web_sessions",
    identity,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", String(64), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
)
"""A copy of this table lets no one in: the cookie value itself is never stored."""


@dataclass(frozen=True)
class Session:
    """A signed-in user's session, as one request sees it."""

    user: User
    csrf_token: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(engine: Engine, user: User, lifetime: timedelta) -> tuple[str, Session]:
    """A new session for ``user``: (the cookie value, shown once, and the session)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + lifetime
    row = {"session_hash": _hash(token), "user_id": user.user_id, "csrf_token": csrf}
    with engine.begin() as conn:
        conn.execute(web_sessions.insert().values(**row, started_at=now, expires_at=expires))
    return token, Session(user, csrf, expires)


def lookup(engine: Engine, token: str) -> Session | None:
    """The live session behind a cookie value: not ended, not expired, its user not disabled."""
    s, u = web_sessions.c, users.c
    query = (
        select(u.user_id, u.body_id, u.role, s.csrf_token, s.expires_at)
        .join(users, users.c.user_id == s.user_id)
        .where(s.session_hash == _hash(token), s.ended_at.is_(None), u.disabled_at.is_(None))
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None or row.expires_at <= datetime.now(UTC):
        return None
    return Session(User(row.user_id, row.body_id, row.role), row.csrf_token, row.expires_at)


def end(engine: Engine, token: str) -> None:
    """Sign out: the session is ended for good."""
    stmt = update(web_sessions).where(web_sessions.c.session_hash == _hash(token))
    with engine.begin() as conn:
        conn.execute(stmt.values(ended_at=datetime.now(UTC)))
