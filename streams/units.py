"""The units an event is about: named in its subject or payload."""

from __future__ import annotations

from typing import Any

from schemas import Payload, Subject
from schemas.enums import SubjectKind
from streams.registry import Registry

MATTER_TYPES = frozenset(
    {
        "SupervisionFindingRecorded",
        "ProblemClueReceived",
        "ClueHandedOver",
        "InspectionFindingReported",
        "RectificationRequired",
        "CaseConcluded",
        "CaseReformRecommended",
    }
)
"""Events whose units make up a matter (its correlation id) for cross-boundary detection."""


def units_named(payload: Payload, subject: Subject) -> list[str]:
    """Unit ids in the subject and the payload's ``unit_id`` / ``unit_ids``, in order, once each."""
    found: list[str] = [subject.id] if subject.kind == SubjectKind.UNIT else []
    unit_id: Any = payload.get("unit_id")
    if isinstance(unit_id, str) and unit_id:
        found.append(unit_id)
    found.extend(payload.get("unit_ids", ()))
    return list(dict.fromkeys(found))


def units_about(payload: Payload, subject: Subject, registry: Registry) -> list[str]:
    """Like ``units_named``, and the unit of a cadre named as subject or in ``cadre_id``."""
    found = units_named(payload, subject)
    cadre_ids = [subject.id] if subject.kind == SubjectKind.CADRE else []
    cadre_id: Any = payload.get("cadre_id")
    if isinstance(cadre_id, str):
        cadre_ids.append(cadre_id)
    for cadre_id in cadre_ids:
        cadre = registry.cadre(cadre_id)
        if cadre is not None:
            found.append(cadre.unit_id)
    return list(dict.fromkeys(found))
