"""The gate's check of protected fields: sealed, and only for keys of the bodies allowed to read them.

A pure function over the event and the registry, for streams/admission.py: ``sealed_problem``
returns the refusal (reason, detail) or None. The detail names bodies and key ids, never content.
"""

from __future__ import annotations

from typing import Any

from schemas import Envelope
from schemas.catalogue import PROTECTED_FIELDS
from schemas.ciphertext import Sealed
from schemas.enums import BodyKind
from streams import jurisdiction as j
from streams.registry import Registry

READERS = (BodyKind.LETTERS_VISITS, BodyKind.CASE_MANAGEMENT)


def allowed_readers(event: Envelope[Any], registry: Registry) -> set[str]:
    """Who may read ``event``'s protected fields: its source, and letters-and-visits and case
    management of the commission with jurisdiction (for a transfer, the new holder's commission)."""
    p = event.payload
    if event.event_type == "ClueTransferred":
        commission = j.commission_of(registry, p.to_body)
    elif hasattr(p, "unit_id"):
        commission = j.clue_holder(registry, p.unit_id, p.get("cadre_id"))
    else:
        commission = j.commission_of(registry, event.source_body)
    offices = {b for kind in READERS for b in j.offices_of(registry, commission, kind)}
    return offices | {event.source_body}


def sealed_problem(
    event: Envelope[Any], registry: Registry, *, require_sealed: bool
) -> tuple[str, str] | None:
    """Why ``event``'s protected fields may not be logged: ``unencrypted_protected`` (a value in
    clear, when ``require_sealed``), or ``unauthorised`` (sealed for a body that may not read it, or
    for a key that is not a registered, unrevoked encryption key of that body). None if they may."""
    paths = PROTECTED_FIELDS.get(event.event_type, ())
    for path in paths:
        value = getattr(event.payload, path.removeprefix("payload."))
        if value is None:
            continue
        if not isinstance(value, Sealed):
            if require_sealed:
                return "unencrypted_protected", f"{path} is protected and must be sealed by the SDK"
            continue
        allowed = allowed_readers(event, registry)
        registered = {(k.body_id, k.key_id) for body in allowed for k in registry.encryption_keys(body)}
        for wrapped in value.recipients:
            if wrapped.body_id not in allowed:
                return "unauthorised", f"{path} is sealed for {wrapped.body_id!r}, which may not read it"
            if (wrapped.body_id, wrapped.key_id) not in registered:
                return "unauthorised", (
                    f"{path} is sealed for key {wrapped.key_id!r} of {wrapped.body_id!r},"
                    " not a registered, unrevoked encryption key"
                )
    return None
