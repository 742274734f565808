"""Upcasters turn an older schema version of an event into the current one when it is read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas.catalogue import payload_class
from schemas.errors import InvalidEvent

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Takes a whole event (envelope and payload) as JSON data at one version, returns the next."""

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
"""(event_type, version) -> the step from that version to version + 1.

Bumping an event's ``schema_version`` from N to N + 1 needs an entry for (event_type, N);
tests/unit/test_schemas_compat.py refuses a bump without one, as it refuses an incompatible
change without a bump. The step need not set ``schema_version``: upcast() does.
"""


def upcast(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` itself when it is at the current version, else a new, upcast dictionary."""
    current = payload_class(event_type).schema_version
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidEvent(
            f"{event_type}: schema_version: expected a positive integer, got {version!r}",
            event_type=event_type,
        )
    if version > current:
        raise InvalidEvent(
            f"{event_type}: schema_version {version} is newer than this reader's {current};"
            " upgrade the schemas package",
            event_type=event_type,
        )
    while version < current:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise InvalidEvent(
                f"{event_type}: no upcaster from schema version {version} to {version + 1}",
                event_type=event_type,
            )
        version += 1
        data = {**step(data), "schema_version": version}
    return data
