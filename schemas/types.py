"""Typed identifiers and the one UTC timestamp type every event uses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, StringConstraints

_ID = StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")

BodyId = Annotated[str, _ID]
RegionId = Annotated[str, _ID]
UnitId = Annotated[str, _ID]
CadreId = Annotated[str, _ID]
ClueId = Annotated[str, _ID]
RecordId = Annotated[str, _ID]
"""Identifier of a finding, round, rectification, plan, case or matter."""

Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a timezone (UTC expected), got a naive datetime")
    return value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


UtcDateTime = Annotated[
    datetime,
    AfterValidator(_require_utc),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]
"""A timezone-aware instant, normalised to UTC and written as 2026-01-31T08:00:00.000000Z."""
