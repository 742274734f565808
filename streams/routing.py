"""Who must know an accepted event: routing rules as a table of small pure functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas import Envelope
from schemas.catalogue import REFERENCE_TYPES
from schemas.enums import BodyKind
from schemas.events.clues import ProblemClueReceived
from streams.jurisdiction import case_management_of, clue_holder
from streams.registry import Registry

Recipients = dict[str, set[str]]
"""Body id -> the reasons it receives the event."""

Rule = Callable[[Envelope[Any], Registry], Recipients]

PROTECTED_FIELDS: dict[str, tuple[str, ...]] = {"ProblemClueReceived": ("payload.informant",)}
"""Fields only letters-and-visits and case management may see."""

SEES_PROTECTED = frozenset({BodyKind.LETTERS_VISITS, BodyKind.CASE_MANAGEMENT})


def route_clue(event: Envelope[Any], registry: Registry) -> Recipients:
    clue: ProblemClueReceived = event.payload
    holder = clue_holder(registry, clue.unit_id, clue.cadre_id)
    out: Recipients = {event.source_body: {"source"}}
    if holder is not None:
        out.setdefault(holder, set()).add("jurisdiction")
        register = case_management_of(registry, holder)
        if register is not None:
            out.setdefault(register, set()).add("clue_register")
    return out


ROUTES: dict[str, list[Rule]] = {
    "ProblemClueReceived": [route_clue],
}


def recipients(event: Envelope[Any], registry: Registry) -> Recipients:
    """Every body that must receive ``event``, with why; reference data goes to no inbox."""
    if event.event_type in REFERENCE_TYPES:
        return {}
    merged: Recipients = {}
    for rule in ROUTES.get(event.event_type, []):
        for body_id, reasons in rule(event, registry).items():
            merged.setdefault(body_id, set()).update(reasons)
    return merged


def withheld_from(event: Envelope[Any], body_id: str, registry: Registry) -> tuple[str, ...]:
    """The protected fields ``body_id`` may not see in ``event``."""
    fields = PROTECTED_FIELDS.get(event.event_type, ())
    body = registry.body(body_id)
    if not fields or (body is not None and body.kind in SEES_PROTECTED):
        return ()
    return fields
