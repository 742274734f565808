"""Imports every read model, so ``metadata`` knows all their tables; and lists what the digest covers."""

from __future__ import annotations

from sqlalchemy import Table

from projections import batch, dispatch, inbox, log_index  # noqa: F401 - register tables
from projections.db import BOOKKEEPING, metadata


def read_model_tables() -> list[Table]:
    """Every table that holds what the bus knows, by name; bookkeeping left out."""
    return [t for name, t in sorted(metadata.tables.items()) if name not in BOOKKEEPING]
