"""Engine, metadata, the UTC timestamp type and the tracking table shared by every read model."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.compiler import SQLCompiler

from schemas.files import private_file
from schemas.types import format_timestamp

metadata = MetaData()
"""Every read-model table of the current schema version (see projections/versions.py)."""

BOOKKEEPING = frozenset({"tracking", "unreadable_records", "integrity_failures"})
"""Tables that say how far the projector got, not what it knows: left out of the digest."""


@lru_cache(maxsize=65_536)
def utc_text(value: datetime) -> str:
    """An instant as the one wire format (``2026-03-02T09:30:00.000000Z``); events repeat theirs often."""
    return format_timestamp(value)


def utc_from_text(text: str) -> datetime:
    """The instant ``utc_text`` wrote, as SQLite gives it back."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class UtcDateTime(TypeDecorator[datetime]):
    """A UTC instant on every backend: a timestamptz on PostgreSQL; on SQLite the fixed-width text
    ``2026-03-02T09:30:00.000000Z``, which sorts as time does and costs one format call to write."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(27))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: read models store UTC instants only")
        return utc_text(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return utc_from_text(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


tracking = Table(
    "tracking",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
)
"""Where the projector resumes: written in the same transaction as the rows it produced."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so readers never block the writer,
    and a database file that is new is created readable by the owner only."""
    # hide_parameters: an error (logged, or kept in unreadable_records) never quotes a row's values
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:" and not engine.url.query.get("uri"):
            private_file(Path(database))  # SQLite gives its -wal and -shm files the same mode
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=FULL")  # a committed batch survives a power cut, not only a crash
    cursor.close()


def create_schema(engine: Engine) -> None:
    """Create every read-model table that does not exist yet."""
    import projections.schema  # noqa: F401 - registers every read model's tables on ``metadata``

    metadata.create_all(engine)


def _dialect(dialect: Dialect) -> Any:
    return postgresql if dialect.name == "postgresql" else sqlite


def insert_ignoring_duplicates(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert rows, skipping any whose primary key is already there (an event applied twice)."""
    listed = [dict(row) for row in rows]
    if listed:
        execute_many(conn, _insert(conn.dialect, table, tuple(listed[0])), listed)


def upsert_newer(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    version_column: str,
    *,
    earliest: bool = False,
) -> None:
    """Insert rows, or overwrite the row with the same key where this row's version is newer
    (older, with ``earliest``); the other columns of an existing row are left as they are."""
    if rows:
        execute_many(conn, _insert(conn.dialect, table, tuple(rows[0]), version_column, earliest), rows)


@dataclass(frozen=True)
class CompiledInsert:
    """An INSERT compiled for one dialect, ready for ``execute_many``."""

    table: Table
    sql: str
    order: tuple[str, ...]
    """The columns of the SQL's positional parameters, in order (SQLite)."""
    instants: tuple[int, ...]
    """Which of those are ``UtcDateTime`` columns, written as its text (SQLite)."""


@lru_cache(maxsize=1024)
def _insert(
    dialect: Dialect,
    table: Table,
    columns: tuple[str, ...],
    version_column: str | None = None,
    earliest: bool = False,
) -> CompiledInsert:
    """The INSERT of ``columns`` for ``upsert_newer`` (with a version column) or
    ``insert_ignoring_duplicates``, compiled once per dialect, table and shape: compiling it
    again for every batch took a tenth of the projector's time at a steady trickle of events."""
    stmt = _dialect(dialect).insert(table)
    if version_column is None:
        stmt = stmt.on_conflict_do_nothing()
    else:
        key = [c.name for c in table.primary_key.columns]
        stored, incoming = table.c[version_column], stmt.excluded[version_column]
        newer = incoming < stored if earliest else incoming > stored
        stmt = stmt.on_conflict_do_update(
            index_elements=key,
            set_={name: stmt.excluded[name] for name in columns if name not in key},
            where=stored.is_(None) | newer,
        )
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    order = tuple(cast(SQLCompiler, compiled).positiontup or ())
    instants = tuple(i for i, name in enumerate(order) if isinstance(table.c[name].type, UtcDateTime))
    return CompiledInsert(table, str(compiled), order, instants)


def execute_many(conn: Connection, insert: CompiledInsert, rows: list[dict[str, Any]]) -> None:
    """A compiled INSERT for every row, the rows handed to the driver as they are (instants
    written as ``UtcDateTime`` writes them): SQLAlchemy's own executemany processes each parameter
    of each row in Python, most of the cost of a large batch. SQLite gets one ``executemany``;
    PostgreSQL one statement over column arrays, one round trip instead of one per row.
    All rows must set the compiled columns; the statement must be an INSERT with one VALUES group."""
    if conn.dialect.name == "postgresql":
        _postgres_unnest(conn, insert.table, insert.sql, rows)
        return
    conn.exec_driver_sql(insert.sql, _sqlite_rows(insert, rows))


def _sqlite_rows(insert: CompiledInsert, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows as positional tuples, instants as ``UtcDateTime`` text; only those columns touched."""
    order = insert.order
    pick = itemgetter(*order)
    out = [pick(row) if len(order) > 1 else (pick(row),) for row in rows]
    if not insert.instants:
        return out
    converted = []
    for values in out:
        listed = list(values)
        for i in insert.instants:
            if listed[i] is not None:
                listed[i] = utc_text(listed[i])
        converted.append(tuple(listed))
    return converted


_BIND = re.compile(r"%\((\w+)\)s")


def _postgres_unnest(conn: Connection, table: Table, sql: str, rows: list[dict[str, Any]]) -> None:
    """One ``INSERT ... SELECT * FROM unnest(column arrays) ON CONFLICT ...``: a short statement
    with one array parameter per column, however many rows."""
    start = sql.index(" VALUES (")
    end = sql.index(") ON CONFLICT", start) + 1 if ") ON CONFLICT" in sql else len(sql)
    names = _BIND.findall(sql[start:end])
    arrays = ", ".join(f"%s::{table.c[name].type.compile(dialect=conn.dialect)}[]" for name in names)
    text = f"{sql[:start]} SELECT * FROM unnest({arrays}){sql[end:]}"
    conn.exec_driver_sql(text, tuple([row[name] for row in rows] for name in names))


def save_positions(conn: Connection, positions: Mapping[tuple[str, int], int]) -> None:
    """Record the next offset to read per partition."""
    if not positions:
        return
    stmt = _dialect(conn.dialect).insert(tracking)
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
