"""What a receiver may do with a fact by its handling code, beyond where the bus routes it.

- Whatever cites a fact (``causation_id``) is at least as restricted as the fact: the stricter
  classification and handling code win along a chain of facts, so nothing launders a fact into a
  weaker code by answering it.
- ``with_consent``: a clue that came onto the bus so marked is transferred by another body only once
  its source published PassOnConsented for that body.
- ``supervision_only``: no clue or case event may cite such a fact (it serves supervision, not
  case handling); its source may.
- PassOnConsented names an event of the consenting body's own.

The bus's derived flows keep the codes too: they inherit the cause's codes, and facts marked
``with_consent`` are not shared beyond their recipients (outstanding-issue notices, systemic
counts, cross-boundary proposals leave them out).
"""

from __future__ import annotations

from typing import Any

from schemas import Envelope
from schemas.enums import Handling
from schemas.events.reference import BodyRegistered
from streams.authority import OutsideRemit
from streams.followups import Restricted
from streams.state import BusState

CASE_TYPES = frozenset(
    {
        "ProblemClueReceived",
        "ClueRegraded",
        "ClueTransferred",
        "ClueDisposed",
        "ClueHandedOver",
        "CaseConcluded",
        "CaseReformRecommended",
    }
)
"""Clue and case handling: not supervision, so never citing a fact marked supervision_only."""


def check_handling(event: Envelope[Any], body: BodyRegistered, state: BusState) -> None:
    """Raise OutsideRemit if ``body`` would use a restricted fact beyond what its code allows."""
    f = state.followups
    if event.causation_id is not None:
        cited = f.restricted.get(str(event.causation_id))
        if cited is not None and cited.source != body.body_id:
            _check_citation(event, cited, str(event.causation_id))
    if event.event_type == "ClueTransferred":
        _check_transfer(event.payload.clue_id, body.body_id, state)
    if event.event_type == "PassOnConsented":
        named = f.restricted.get(event.payload.event_id)
        if named is None or named.source != body.body_id:
            raise OutsideRemit(
                "not_source", f"{body.body_id!r} may consent only to passing on a restricted fact of its own"
            )


def _check_transfer(clue_id: str, body_id: str, state: BusState) -> None:
    f = state.followups
    origin = f.clue_origin.get(clue_id)
    known = f.restricted.get(origin) if origin else None
    if known is None or known.handling != Handling.WITH_CONSENT or known.source == body_id:
        return
    if (origin, body_id) not in f.consents:
        raise OutsideRemit(
            "needs_consent",
            f"clue {clue_id!r} came with_consent from {known.source!r}; it is transferred only after"
            f" its PassOnConsented for {body_id!r}",
        )


def _check_citation(event: Envelope[Any], cited: Restricted, cited_id: str) -> None:
    if event.handling.rank < cited.handling.rank or event.classification.rank < cited.classification.rank:
        raise OutsideRemit(
            "handling_weakened",
            f"it cites {cited.event_type} {cited_id} ({cited.classification}, {cited.handling}) with the"
            f" weaker codes {event.classification}, {event.handling}; the stricter wins",
        )
    if cited.handling == Handling.SUPERVISION_ONLY and event.event_type in CASE_TYPES:
        raise OutsideRemit(
            "supervision_only",
            f"{cited.event_type} {cited_id} is for supervision only; {event.event_type} may not cite it",
        )
