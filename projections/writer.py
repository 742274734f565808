"""Writes a batch of changes with one statement per table and aspect, whatever the batch's size."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from projections.changes import Change, Insert, Latest, key_of
from projections.db import insert_ignoring_duplicates, upsert_newer


def write_changes(conn: Connection, changes: list[Change]) -> None:
    """Apply ``changes`` in the open transaction, with the same outcome as ``Memory.apply``."""
    inserts: dict[Table, dict[tuple[Any, ...], dict[str, Any]]] = defaultdict(dict)
    newest: dict[tuple[Table, str, bool], dict[tuple[Any, ...], Latest]] = defaultdict(dict)
    for change in changes:
        key = key_of(change.table, change.row)
        if isinstance(change, Insert):
            inserts[change.table].setdefault(key, change.row)
            continue
        best = newest[(change.table, change.aspect, change.earliest)]
        held = best.get(key)
        if held is None or change.beats(held.version):
            best[key] = change
    for table, rows in inserts.items():
        for group in _by_columns(list(rows.values())):
            insert_ignoring_duplicates(conn, table, group)
    for (table, _, earliest), winners in newest.items():
        first = next(iter(winners.values()))
        values = [w.values() for w in winners.values()]
        for group in _by_columns(values):
            upsert_newer(conn, table, group, first.version_column, earliest=earliest)


def _by_columns(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped by the columns they set, in the order a handler set them (each handler always
    builds a row the same way): one executemany needs one shape."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(row)].append(row)
    return list(groups.values())
