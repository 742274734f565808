"""Events for bulk publishing, read from JSON Lines or CSV: one event per line or row.

A JSON line: ``{"event_type": ..., "occurred_at": ..., "payload": {...}}`` plus, optionally,
``subject`` ({"kind", "id"}), ``classification``, ``handling``, ``correlation_id``,
``causation_id`` and ``event_id``. A CSV row: the same envelope fields as columns (``subject_kind``
and ``subject_id`` for the subject); every other column is a payload field, empty cells are left
out, and cells holding a JSON list or object (``[...]``, ``{...}``) are read as JSON.

Without an ``event_id`` the id is derived from the body and the line's content, so importing the
same file again publishes nothing twice.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from producers.errors import EventRefused
from producers.staging import refusal
from schemas import EVENT_TYPES, Payload, Subject
from schemas.enums import Classification, Handling
from schemas.types import MatterId, UtcDateTime

Format = Literal["jsonl", "csv"]
LINE_NAMESPACE = uuid.UUID("0f6b7f2a-5d0c-4a8e-9f39-7c1d8e4b2a61")
CSV_ENVELOPE = (
    "event_type",
    "occurred_at",
    "classification",
    "handling",
    "correlation_id",
    "causation_id",
    "event_id",
)


class EnvelopeOptions(BaseModel):
    """The envelope fields a line may give; the SDK fills in the rest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    occurred_at: UtcDateTime
    subject: Subject | None = None
    classification: Classification = Classification.INTERNAL
    handling: Handling = Handling.WITHIN_JURISDICTION
    correlation_id: MatterId | None = None
    causation_id: uuid.UUID | None = None
    event_id: uuid.UUID


@dataclass(frozen=True)
class Line:
    """One line or row of the input: its number, its text, and what it holds or why it is unreadable."""

    number: int
    text: str
    record: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Draft:
    payload: Payload
    options: EnvelopeOptions


def format_of(path: Path) -> Format:
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


def read_lines(path: Path, fmt: Format | None = None) -> Iterator[Line]:
    """Every non-blank line (JSON Lines) or data row (CSV) of ``path``, numbered as in the file."""
    if (fmt or format_of(path)) == "csv":
        yield from _csv_rows(path)
        return
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if text.strip():
                yield _json_line(number, text.rstrip("\n"))


def count_lines(path: Path, fmt: Format | None = None) -> int:
    return sum(1 for _ in read_lines(path, fmt))


def draft_of(record: dict[str, Any], *, body_id: str) -> Draft:
    """The payload and envelope options a record describes, or EventRefused saying what is wrong."""
    record = dict(record)
    event_type = record.pop("event_type", None)
    cls = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    if cls is None:
        raise EventRefused("unknown_type", f"event_type: {event_type!r} is not in the catalogue")
    payload = record.pop("payload", None)
    if not isinstance(payload, dict):
        raise EventRefused(
            "invalid", "payload: expected a JSON object of the event's fields", event_type=cls.event_type
        )
    record.setdefault("event_id", str(_derived_id(body_id, event_type, payload, record)))
    problems: list[str] = []
    try:
        built = cls.model_validate(payload, strict=False)
    except ValidationError as exc:
        problems += refusal(cls.event_type, exc, "payload.").problems
    try:
        options = EnvelopeOptions.model_validate(record, strict=False)
    except ValidationError as exc:
        problems += refusal(cls.event_type, exc).problems
    if problems:
        message = f"{cls.event_type}: " + "; ".join(problems)
        raise EventRefused("invalid", message, problems=problems, event_type=cls.event_type)
    return Draft(built, options)


def _derived_id(body_id: str, event_type: str, payload: dict[str, Any], rest: dict[str, Any]) -> uuid.UUID:
    content = json.dumps(
        [body_id, event_type, payload, rest], sort_keys=True, ensure_ascii=False, default=str
    )
    return uuid.uuid5(LINE_NAMESPACE, content)


def _json_line(number: int, text: str) -> Line:
    try:
        record = json.loads(text)
    except ValueError as exc:
        return Line(number, text, error=f"not valid JSON: {exc}")
    if not isinstance(record, dict):
        return Line(number, text, error=f"expected a JSON object, got {type(record).__name__}")
    return Line(number, text, record)


def _csv_rows(path: Path) -> Iterator[Line]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            text = ",".join(v or "" for v in row.values() if isinstance(v, str))
            if None in row:
                yield Line(reader.line_num, text, error="more cells than the header has columns")
                continue
            if any(v for v in row.values()):
                yield Line(reader.line_num, text, _record_of_row(row))


def _record_of_row(row: dict[str, str]) -> dict[str, Any]:
    cells = {k.strip(): v for k, v in row.items() if v not in ("", None)}
    record: dict[str, Any] = {k: cells.pop(k) for k in CSV_ENVELOPE if k in cells}
    kind, subject_id = cells.pop("subject_kind", None), cells.pop("subject_id", None)
    if kind is not None or subject_id is not None:
        record["subject"] = {"kind": kind, "id": subject_id}
    record["payload"] = {k: _cell(v) for k, v in cells.items()}
    return record


def _cell(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
