"""Typed identifiers, bounded text and the one UTC timestamp type every event uses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PlainSerializer, StringConstraints

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
"""Lower-case letters, digits, '_' and '-', starting with a letter or digit, at most 64."""


def _identifier(title: str, of: str) -> Any:
    return Field(title=title, description=f"Identifier of {of}.", pattern=ID_PATTERN)


BodyId = Annotated[str, _identifier("BodyId", "a supervisory body")]
RegionId = Annotated[str, _identifier("RegionId", "a region (the city or a district)")]
UnitId = Annotated[str, _identifier("UnitId", "a supervised unit")]
CadreId = Annotated[str, _identifier("CadreId", "a supervised cadre")]
ClueId = Annotated[str, _identifier("ClueId", "a problem clue")]
RecordId = Annotated[str, _identifier("RecordId", "a finding, round, rectification, plan, case or matter")]
UserName = Annotated[
    str,
    Field(
        title="UserName",
        description="A person's sign-in name on the dashboards, e.g. wang.li.",
        pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$",
    ),
]


def _encodable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"text has a lone surrogate at position {exc.start}") from None
    return value


Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4000),
    AfterValidator(_encodable),
    Field(title="Text", description="Free text, 1 to 4000 characters."),
]
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(_encodable),
    Field(title="Name", description="A short name, 1 to 200 characters."),
]
MatterId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128),
    AfterValidator(_encodable),
    Field(title="MatterId", description="The matter an event belongs to; its partition key."),
]
Sector = Annotated[
    str,
    Field(
        title="Sector",
        description="A unit's system (sector), e.g. education, health, finance.",
        pattern=r"^[a-z][a-z_]{0,39}$",
    ),
]
KeyId = Annotated[
    str,
    Field(
        title="KeyId",
        description="Names one signing key of a body.",
        pattern=r"^[A-Za-z0-9_.:-]{1,128}$",
    ),
]
PublicKey = Annotated[
    str,
    Field(
        title="PublicKey",
        description="A raw Ed25519 public key, base64url.",
        pattern=r"^[A-Za-z0-9_-]{43}=$",
    ),
]
Signature = Annotated[
    str,
    Field(
        title="Signature",
        description="Ed25519 signature over the canonical bytes without it, base64url.",
        pattern=r"^[A-Za-z0-9_-]{86}==$",
    ),
]


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a timezone (UTC expected), not be naive")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("timestamp is out of range once converted to UTC") from None


def format_timestamp(value: datetime) -> str:
    """The one timestamp format on the wire: 2026-01-31T08:00:00.000000Z."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


UtcDateTime = Annotated[
    datetime,
    AfterValidator(_require_utc),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
    Field(
        title="UtcDateTime",
        description="A timezone-aware instant, written in UTC as 2026-01-31T08:00:00.000000Z.",
    ),
]
"""A timezone-aware instant, normalised to UTC and written as 2026-01-31T08:00:00.000000Z."""
