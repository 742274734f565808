"""Opens the protected fields of a delivered event for the body reading it, when it may read them."""

from __future__ import annotations

import uuid
from typing import Any

from projections.access import Reader
from schemas.confidential import Keyring, open_protected

SEES_PROTECTED = frozenset({"letters_visits", "case_management"})
"""Kinds of body that read protected fields, besides an event's own source."""


def may_open(entry: dict[str, Any], reader: Reader) -> bool:
    """Whether ``reader`` may see ``entry``'s protected fields in clear: its own delivery, nothing
    withheld from it, and it is letters-and-visits, case management or the event's source."""
    own = entry["recipient"] == reader.body_id and not entry["redacted"]
    return own and (reader.kind in SEES_PROTECTED or entry["source_body"] == reader.body_id)


def reveal(entry: dict[str, Any], reader: Reader, keyring: Keyring | None) -> dict[str, Any]:
    """``entry`` (an inbox row with its payload parsed) with each protected field opened for
    ``reader`` when it may read it and this process holds one of its keys; left sealed otherwise."""
    if keyring is None or not keyring.holds(reader.body_id) or not may_open(entry, reader):
        return entry
    payload, _ = open_protected(
        entry["event_type"], uuid.UUID(entry["event_id"]), entry["payload"], reader.body_id, keyring
    )
    return {**entry, "payload": payload}
