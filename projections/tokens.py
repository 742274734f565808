"""API tokens: one or more per body, issued at random and stored only as their SHA-256, in the identity
database (projections/identity.py), which a rebuild of the read models leaves alone."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import Column, Engine, String, Table, inspect, select, update

from projections.db import UtcDateTime
from projections.identity import identity

api_tokens = Table(
    "api_tokens",
    identity,
    Column("token_hash", String(64), primary_key=True),
    Column("body_id", String(64), nullable=False, index=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)
"""A stolen copy of this table lets no one in: the tokens themselves are never stored."""

PREFIX = "ff_"


def ensure(engine: Engine) -> None:
    """Create the token table in ``engine`` unless it is there (the identity store makes it itself)."""
    api_tokens.create(engine, checkfirst=True)


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
        ensure(engine)
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


def adopt_legacy(identity_engine: Engine, control_engine: Engine) -> int:
    """Copy the tokens an older version kept beside the read models into the identity database
    (those not there yet); returns how many. The old table is left as it was."""
    if not inspect(control_engine).has_table(api_tokens.name):
        return 0
    with control_engine.connect() as conn:
        old = [dict(r._mapping) for r in conn.execute(select(api_tokens))]
    with identity_engine.begin() as conn:
        have = set(conn.scalars(select(api_tokens.c.token_hash)))
        new = [row for row in old if row["token_hash"] not in have]
        if new:
            conn.execute(api_tokens.insert(), new)
    return len(new)
