"""What an event is about and which matter it belongs to, read from its payload where it says so."""

from __future__ import annotations

from functools import cache

from schemas import Payload, Subject
from schemas.enums import SubjectKind

MATTER_FIELDS = (
    "case_id",
    "clue_id",
    "rectification_id",
    "round_id",
    "matter_id",
    "plan_id",
    "finding_id",
)
"""Fields naming a matter, most specific first: a case stays one matter with its reform
recommendations; a clue handed over by an inspection round enters the clue's own matter; a
rectification that cites a finding belongs to the rectification."""

SUBJECT_FIELDS = (("cadre_id", SubjectKind.CADRE), ("unit_id", SubjectKind.UNIT))
"""A cadre named in the payload is the subject; otherwise the unit."""


def matter_of(payload: Payload) -> str | None:
    """The correlation id the payload implies, or None (the event is then a matter of its own)."""
    for name in _present(type(payload), MATTER_FIELDS):
        value = getattr(payload, name)
        if isinstance(value, str):
            return value
    return None


def subject_of(payload: Payload) -> Subject | None:
    """The subject the payload names, or None when the caller must say."""
    for name in _present(type(payload), tuple(name for name, _ in SUBJECT_FIELDS)):
        value = getattr(payload, name)
        if isinstance(value, str):
            return Subject(kind=_SUBJECT_KINDS[name], id=value)
    return None


_SUBJECT_KINDS = dict(SUBJECT_FIELDS)


@cache
def _present(cls: type[Payload], names: tuple[str, ...]) -> tuple[str, ...]:
    """Which of ``names`` the payload class has, in order (asking a model for a field it lacks is slow)."""
    return tuple(name for name in names if name in cls.model_fields)
