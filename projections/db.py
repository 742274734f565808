"""Engine, metadata and the tracking table shared by every read model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

metadata = MetaData()

tracking = Table(
    "tracking",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
)
"""Where each projector resumes: written in the same transaction as the rows it produced."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so readers never block the writer."""
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_schema(engine: Engine) -> None:
    metadata.create_all(engine)


def insert_ignoring_duplicates(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert rows, skipping any whose primary key is already there (an event applied twice)."""
    rows = list(rows)
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


def save_positions(conn: Connection, positions: Mapping[tuple[str, int], int]) -> None:
    """Record the next offset to read per partition."""
    if not positions:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(tracking)
    stmt = stmt.on_conflict_do_update(
        index_elements=[tracking.c.topic, tracking.c.partition],
        set_={"next_offset": stmt.excluded.next_offset},
    )
    conn.execute(
        stmt,
        [{"topic": t, "partition": p, "next_offset": o} for (t, p), o in positions.items()],
    )


def load_positions(conn: Connection) -> dict[tuple[str, int], int]:
    return {(r.topic, r.partition): r.next_offset for r in conn.execute(tracking.select())}
