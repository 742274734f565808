"""Upcasters turn an older schema version of an event into the current one when it is read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas.catalogue import payload_class
from schemas.errors import InvalidEvent

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
"""(event_type, version) -> function returning the event at version + 1."""


def upcast(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` itself when it is at the current version, else a new, upcast dictionary."""
    current = payload_class(event_type).schema_version
    version = data.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise InvalidEvent(f"{event_type}: schema_version: expected a positive integer", event_type=event_type)
    if version > current:
        raise InvalidEvent(
            f"{event_type}: schema_version {version} is newer than this reader's {current}",
            event_type=event_type,
        )
    while version < current:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise InvalidEvent(f"{event_type}: no upcaster from schema version {version}", event_type=event_type)
        version += 1
        data = {**step(data), "schema_version": version}
    return data
