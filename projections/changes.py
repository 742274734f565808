"""What a projection makes of an event: row changes that give one result in any order, any number of times.

Two kinds suffice. An ``Insert`` adds a row keyed by the event itself (or a pure set membership):
applying it again changes nothing. A ``Latest`` sets one *aspect* of a keyed row (a clue's holder,
a rectification's status) when the event is newer than the one that last set it, newer meaning a
later ``occurred_at``, then a higher rank, then a higher event id. Events of different matters sit on
different partitions and arrive in any interleaving; this is what makes the live projector and
every replay reach the same rows.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic_core import to_json
from sqlalchemy import Table

from projections.db import utc_text
from schemas import Envelope

State = dict[str, dict[tuple[Any, ...], dict[str, Any]]]
"""Read models in memory: table name -> primary key -> row; the reference for the SQL writer."""


@dataclass(frozen=True)
class Insert:
    """Add ``row`` unless a row with its primary key exists."""

    table: Table
    row: dict[str, Any]


@dataclass(frozen=True)
class Latest:
    """Set ``row``'s columns of one aspect when ``version`` beats the aspect's stored version."""

    table: Table
    aspect: str
    version: str
    row: dict[str, Any]
    earliest: bool = False
    """Keep the oldest instead (a first notice of being overdue, say)."""

    @property
    def version_column(self) -> str:
        return f"{self.aspect}_version"

    def values(self) -> dict[str, Any]:
        return {**self.row, self.version_column: self.version}

    def beats(self, stored: str | None) -> bool:
        if stored is None:
            return True
        return self.version < stored if self.earliest else self.version > stored


Change = Insert | Latest


def version_of(event: Envelope[Any], rank: int = 0) -> str:
    """Orders events by when they happened; ``rank`` (0-9) orders those of one instant."""
    return f"{utc_text(event.occurred_at)}|{rank}|{id_text(event.event_id)}"


@lru_cache(maxsize=65_536)
def id_text(event_id: uuid.UUID) -> str:
    """An event id as text; each is needed several times per event."""
    return str(event_id)


def key_of(table: Table, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[name] for name in _key_names(table))


@dataclass
class Memory:
    """Applies changes to plain dicts with the writer's semantics; unit tests fold events with it."""

    state: State = field(default_factory=dict)

    def apply(self, changes: list[Change]) -> Memory:
        for change in changes:
            rows = self.state.setdefault(change.table.name, {})
            key = key_of(change.table, change.row)
            if isinstance(change, Insert):
                rows.setdefault(key, _full_row(change.table, change.row))
                continue
            row = rows.get(key)
            if row is None:
                row = rows[key] = _full_row(
                    change.table, dict(zip(_key_names(change.table), key, strict=True))
                )
            if change.beats(row[change.version_column]):
                row.update(change.values())
        return self

    def rows(self, table: Table) -> list[dict[str, Any]]:
        return [row for _, row in sorted(self.state.get(table.name, {}).items())]

    def row(self, table: Table, *key: Any) -> dict[str, Any]:
        return self.state[table.name][tuple(key)]


_KEYS: dict[str, tuple[str, ...]] = {}


def _key_names(table: Table) -> tuple[str, ...]:
    names = _KEYS.get(table.name)
    if names is None:
        names = _KEYS[table.name] = tuple(c.name for c in table.primary_key.columns)
    return names


def _full_row(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    return {c.name: values.get(c.name) for c in table.columns}


def listing(values: tuple[Any, ...] | list[Any]) -> str:
    """A list column: JSON text in the event's order, so it is the same on every backend."""
    return to_json([str(v) for v in values]).decode("utf-8")


def unlisting(text: str | None) -> list[str]:
    return list(json.loads(text)) if text else []
