"""The digest of a read-model database: SHA-256 over a canonical dump of every read-model table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, func, select
from sqlalchemy.engine import Connection

from projections.changes import State
from projections.schema import read_model_tables
from schemas.types import format_timestamp


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    return value


def _rows_digest(h: Any, table: Table, rows: Iterable[Iterable[Any]]) -> None:
    """Rows in a canonical order: sorted by their canonical text (the key makes each one unique)."""
    lines = sorted(
        json.dumps([_canonical(v) for v in row], ensure_ascii=False, separators=(",", ":")) for row in rows
    )
    h.update(f"{table.name}\n".encode())
    for line in lines:
        h.update(line.encode("utf-8") + b"\n")


def digest(engine: Engine) -> str:
    """The same for the same knowledge, whichever backend, batch size or order of arrival built it;
    tracking and other bookkeeping are left out."""
    with engine.connect() as conn:
        return connection_digest(conn)


def connection_digest(conn: Connection) -> str:
    """The digest as ``conn`` sees the read models (inside its transaction: one snapshot)."""
    h = hashlib.sha256()
    for table in read_model_tables():
        _rows_digest(h, table, (tuple(r) for r in conn.execute(select(*table.columns))))
    return h.hexdigest()


def memory_digest(state: State) -> str:
    """The digest of read models folded in memory (``changes.Memory``): equal to the database's."""
    h = hashlib.sha256()
    for table in read_model_tables():
        rows = state.get(table.name, {}).values()
        _rows_digest(h, table, ([row[c.name] for c in table.columns] for row in rows))
    return h.hexdigest()


def counts(engine: Engine) -> dict[str, int]:
    """Rows per read-model table."""
    with engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) or 0 for t in read_model_tables()}
