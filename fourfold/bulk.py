"""Bulk import: every line of a file validated, numbered, signed and stored in the outbox, in batches."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from producers import EventRefused, Prepared, Publisher
from producers.lines import Format, Line, draft_of, read_lines
from schemas.catalogue import PROTECTED_FIELDS

PROTECTED_NAMES = frozenset(p.removeprefix("payload.") for paths in PROTECTED_FIELDS.values() for p in paths)
WITHHELD = "(withheld: protected field)"


@dataclass(frozen=True)
class RefusedLine:
    line: int
    reason: str
    problems: tuple[str, ...]
    text: str


@dataclass
class ImportResult:
    read: int = 0
    accepted: int = 0
    """Stored in the outbox by this run."""
    already: int = 0
    """Already in the outbox from an earlier run (same event id), so not stored twice."""
    refused: list[RefusedLine] = field(default_factory=list)
    stopped_after: int | None = None
    """The last line handled when the import was interrupted."""


def import_file(
    publisher: Publisher,
    path: Path,
    fmt: Format | None = None,
    *,
    batch_size: int = 500,
    stopping: Callable[[], bool] = lambda: False,
    advance: Callable[[int], None] = lambda n: None,
) -> ImportResult:
    """Refuse bad lines with their reasons; store the rest, ``batch_size`` lines per transaction,
    so an interruption leaves every line either stored whole or not at all."""
    result = ImportResult()
    batch: list[Prepared] = []
    last = 0
    for line in read_lines(path, fmt):
        result.read += 1
        last = line.number
        staged = _stage(publisher, line, result)
        if staged is not None:
            batch.append(staged)
        if len(batch) >= batch_size:
            _store(publisher, batch, result)
        advance(1)
        if stopping():
            result.stopped_after = last
            break
    _store(publisher, batch, result)
    return result


def _stage(publisher: Publisher, line: Line, result: ImportResult) -> Prepared | None:
    if line.error is not None:
        result.refused.append(RefusedLine(line.number, "unreadable", (line.error,), reported_text(line)))
        return None
    try:
        draft = draft_of(line.record, body_id=publisher.body_id)
        event = publisher.envelope(draft.payload, **dict(draft.options))
        return publisher.prepare(event)
    except EventRefused as exc:
        result.refused.append(RefusedLine(line.number, exc.reason, exc.problems, reported_text(line)))
        return None


def reported_text(line: Line) -> str:
    """The line as the refusal report shows it: protected fields (an informant) withheld; a line
    that cannot be read but names one is withheld whole."""
    payload = line.record.get("payload")
    if isinstance(payload, dict) and PROTECTED_NAMES & payload.keys():
        shown = {k: WITHHELD if k in PROTECTED_NAMES else v for k, v in payload.items()}
        return json.dumps({**line.record, "payload": shown}, ensure_ascii=False)
    if any(name in line.text for name in PROTECTED_NAMES):
        return WITHHELD
    return line.text


def _store(publisher: Publisher, batch: list[Prepared], result: ImportResult) -> None:
    if not batch:
        return
    stored = publisher.submit(batch)
    result.accepted += sum(stored)
    result.already += len(stored) - sum(stored)
    batch.clear()


def write_report(path: Path, refused: list[RefusedLine]) -> None:
    """One JSON object per refused line: its number, the reason code, the problems and the text."""
    with path.open("w", encoding="utf-8") as out:
        for r in refused:
            row = {"line": r.line, "reason": r.reason, "problems": list(r.problems), "text": r.text}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
