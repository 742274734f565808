"""People and machines that may sign in: users, their sessions and the API tokens, kept apart from the
read models (its own database), so a rebuild of the read models never loses them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, make_url, select, update

from projections.db import UtcDateTime, make_engine

ROLES = ("staff", "head", "auditor", "operator")
"""staff and head read their body's dashboards (heads also the half-yearly report); an auditor also
sees who viewed what; an operator sees the quarantine and nothing that was routed to a body."""

identity = MetaData()
"""Tables of the identity database: users, web sessions, API tokens (projections/tokens.py)."""

users = Table(
    "users",
    identity,
    Column("user_id", String(64), primary_key=True),
    Column("body_id", String(64), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime),
)
"""Passwords only as argon2id hashes; ``failed_logins`` counts failures since the last success."""

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password of anyone")
_USER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class IdentityError(ValueError):
    """Raised for a user that cannot be added or changed as asked (bad id or role, exists, unknown)."""


@dataclass(frozen=True)
class User:
    """A person who signs in: the body they act for and their role there."""

    user_id: str
    body_id: str
    role: str


@dataclass(frozen=True)
class Lockout:
    """After ``max_failures`` failed sign-ins in a row, a user waits ``seconds`` before the next try."""

    max_failures: int = 5
    seconds: float = 300.0


class IdentityStore:
    """The identity database (SQLite or PostgreSQL); its tables are created on first use."""

    def __init__(self, url: str):
        self.url = url

    @cached_property
    def engine(self) -> Engine:
        import projections.readmarks
        import projections.sessions
        import projections.tokens  # noqa: F401 - each registers its tables on ``identity``

        parsed = make_url(self.url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database or "").resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(self.url)
        identity.create_all(engine)
        return engine

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def add_user(engine: Engine, user_id: str, body_id: str, role: str, password: str) -> User:
    """A new user of ``body_id`` with ``role``; the password is kept only as its argon2id hash."""
    if not _USER_ID.match(user_id):
        raise IdentityError(f"{user_id!r}: a user id is 2-64 of a-z, 0-9, '.', '_', '-'")
    if role not in ROLES:
        raise IdentityError(f"{role!r} is not a role; one of {', '.join(ROLES)}")
    if len(password) < 12:
        raise IdentityError("a password needs at least 12 characters")
    with engine.begin() as conn:
        if conn.scalar(select(users.c.user_id).where(users.c.user_id == user_id)):
            raise IdentityError(f"user {user_id} exists already")
        conn.execute(
            users.insert().values(
                user_id=user_id,
                body_id=body_id,
                role=role,
                password_hash=_HASHER.hash(password),
                created_at=datetime.now(UTC),
                failed_logins=0,
            )
        )
    return User(user_id, body_id, role)


def disable_user(engine: Engine, user_id: str) -> None:
    """Disable a user: no more sign-ins, and every session of theirs ends at its next request."""
    stmt = update(users).where(users.c.user_id == user_id).values(disabled_at=datetime.now(UTC))
    with engine.begin() as conn:
        if conn.execute(stmt).rowcount == 0:
            raise IdentityError(f"no user {user_id}")


def listed(engine: Engine) -> list[dict[str, object]]:
    """Every user with body, role and state (never the hash)."""
    columns = [c for c in users.c if c.name != "password_hash"]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(*columns).order_by(users.c.user_id))]


def active_user(engine: Engine, user_id: str) -> User | None:
    query = select(users.c.body_id, users.c.role).where(
        users.c.user_id == user_id, users.c.disabled_at.is_(None)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return User(user_id, row.body_id, row.role) if row else None


class LockedOut(Exception):
    """Raised when a user tries to sign in while locked out after repeated failures."""

    def __init__(self, until: datetime):
        super().__init__(f"locked until {until.isoformat()}")
        self.until = until


def sign_in(engine: Engine, user_id: str, password: str, lockout: Lockout = Lockout()) -> User | None:
    """The user, if the password is theirs and they are neither disabled nor locked out; else None.
    Each failure is counted; at ``lockout.max_failures`` in a row the account waits (LockedOut)."""
    now = datetime.now(UTC)
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.user_id == user_id)).first()
    if row is None or row.disabled_at is not None:
        _verify(_DUMMY_HASH, password)  # as slow as a real check: no hint which ids exist
        return None
    if row.locked_until is not None and row.locked_until > now:
        raise LockedOut(row.locked_until)
    if not _verify(row.password_hash, password):
        failures = row.failed_logins + 1
        locked = now + timedelta(seconds=lockout.seconds) if failures >= lockout.max_failures else None
        failed = {"failed_logins": 0 if locked else failures, "locked_until": locked}
        with engine.begin() as conn:
            conn.execute(update(users).where(users.c.user_id == user_id).values(**failed))
        return None
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if _HASHER.check_needs_rehash(row.password_hash):
        values["password_hash"] = _HASHER.hash(password)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.user_id == user_id).values(**values))
    return User(row.user_id, row.body_id, row.role)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
