"""API tokens: one or more per body, issued at random and stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import Column, Engine, String, Table, select, update

from projections.db import UtcDateTime
from projections.versions import control

api_tokens = Table(
    "api_tokens",
    control,
    Column("token_hash", String(64), primary_key=True),
    Column("body_id", String(64), nullable=False, index=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)
"""A stolen copy of this table lets no one in: the tokens themselves are never stored."""

PREFIX = "ff_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(engine: Engine, body_id: str) -> str:
    """A new token for ``body_id``; shown once, kept only as its hash."""
    [(_, token)] = issue_tokens(engine, [body_id])
    return token


def issue_tokens(engine: Engine, body_ids: list[str]) -> list[tuple[str, str]]:
    """A new token for each of ``body_ids``, all stored in one transaction: (body, token) pairs."""
    issued = [(body_id, PREFIX + secrets.token_urlsafe(32)) for body_id in body_ids]
    now = datetime.now(UTC)
    rows = [{"token_hash": _hash(token), "body_id": body_id, "issued_at": now} for body_id, token in issued]
    if rows:
        with engine.begin() as conn:
            conn.execute(api_tokens.insert(), rows)
    return issued


def authenticate(engine: Engine, token: str) -> str | None:
    """The body a live token belongs to, or None."""
    if not token.startswith(PREFIX):
        return None
    query = select(api_tokens.c.body_id).where(
        api_tokens.c.token_hash == _hash(token), api_tokens.c.revoked_at.is_(None)
    )
    with engine.connect() as conn:
        return conn.scalar(query)


def revoke(engine: Engine, body_id: str) -> int:
    """Revoke every live token of ``body_id``; returns how many."""
    stmt = update(api_tokens).where(api_tokens.c.body_id == body_id, api_tokens.c.revoked_at.is_(None))
    with engine.begin() as conn:
        return conn.execute(stmt.values(revoked_at=datetime.now(UTC))).rowcount


def listed(engine: Engine) -> list[dict[str, object]]:
    """Every token's body and dates (never the token)."""
    query = select(api_tokens.c.body_id, api_tokens.c.issued_at, api_tokens.c.revoked_at).order_by(
        api_tokens.c.body_id, api_tokens.c.issued_at
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
