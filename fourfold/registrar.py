"""Turns a registry file (regions, bodies, units, cadres, jurisdictions) into reference events.

The whole file is checked before anything is done with it: ``load_registry_file`` raises
``RegistryInvalid`` listing every problem with its place in the file, or returns entries that
are all valid.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from fourfold.acl import RESERVED
from schemas import Payload, Subject
from schemas.catalogue import EVENT_TYPES, PROTECTED_FIELDS
from schemas.confidential import RecipientKey
from schemas.enums import BodyKind, SubjectKind
from schemas.events.reference import (
    BodyRegistered,
    CadreRegistered,
    EncryptionKeyRegistered,
    JurisdictionAssigned,
    RegionRegistered,
    SigningKeyRegistered,
    UnitRegistered,
)
from schemas.signing import VerifyKey
from schemas.types import ID_PATTERN, Sector
from streams.confidentiality import READERS

DEMO_REGISTRY = Path(__file__).resolve().parent.parent / "deploy" / "demo" / "registry.json"

ReferenceFact = tuple[Payload, Subject]
Registry = dict[str, list[dict[str, Any]]]

_SECTIONS: list[tuple[str, type[Payload], SubjectKind, str]] = [
    ("regions", RegionRegistered, SubjectKind.REGION, "region_id"),
    ("bodies", BodyRegistered, SubjectKind.BODY, "body_id"),
    ("units", UnitRegistered, SubjectKind.UNIT, "unit_id"),
    ("cadres", CadreRegistered, SubjectKind.CADRE, "cadre_id"),
    ("jurisdictions", JurisdictionAssigned, SubjectKind.BODY, "body_id"),
]
SECTION_NAMES = tuple(name for name, *_ in _SECTIONS)


def _pattern_of(annotated: Any) -> str:
    return next(m.pattern for m in get_args(annotated)[1].metadata if getattr(m, "pattern", None))


PATTERNS_IN_WORDS = {
    ID_PATTERN: "an identifier: 1 to 64 characters, each a lower-case letter a-z, a digit 0-9,"
    " '_' or '-', the first a letter or digit",
    _pattern_of(Sector): "a sector: 1 to 40 characters, each a lower-case letter a-z or '_',"
    " the first a letter",
}
"""The patterns a registry's fields must match, as people say them."""


@dataclass(frozen=True)
class Problem:
    """One rule a registry file breaks, and where: e.g. ``bodies[2] ("City Office"): body_id``."""

    place: str
    field: str | None
    rule: str

    def __str__(self) -> str:
        return f"{self.place}: {self.field}: {self.rule}" if self.field else f"{self.place}: {self.rule}"


class RegistryInvalid(ValueError):
    """Raised when a registry file breaks any rule; ``problems`` lists every one."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = path
        self.problems = problems
        lines = "".join(f"\n  {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem(s), nothing published:{lines}")


def load_registry_file(path: Path) -> Registry:
    """The file's sections, every entry checked; raises RegistryInvalid with every problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise RegistryInvalid(
            path, [Problem("the file", None, f"is not UTF-8 text ({exc.reason})")]
        ) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise RegistryInvalid(
            path, [Problem("the file", None, f"is not JSON: {exc.msg} at {where}")]
        ) from None
    problems = check_registry(data)
    if problems:
        raise RegistryInvalid(path, problems)
    return data  # type: ignore[no-any-return]


def check_registry(data: Any) -> list[Problem]:
    """Every problem of a parsed registry file, in the order of the file; empty if it is valid."""
    if not isinstance(data, dict):
        return [Problem("the file", None, f"must be a JSON object with the sections {_listed()}")]
    problems = [
        Problem(f"section {name!r}", None, f"is not a registry section; the sections are {_listed()}")
        for name in data
        if name not in SECTION_NAMES
    ]
    for section, cls, _, id_field in _SECTIONS:
        entries = data.get(section, [])
        if not isinstance(entries, list):
            problems.append(Problem(f"section {section!r}", None, "must be a list of entries"))
            continue
        problems += _check_section(section, cls, id_field, entries)
    return problems


def _check_section(section: str, cls: type[Payload], id_field: str, entries: list[Any]) -> list[Problem]:
    problems: list[Problem] = []
    first_at: dict[tuple[str, ...], int] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(Problem(f"{section}[{i}]", None, "must be a JSON object"))
            continue
        place = _place(section, i, entry.get(id_field))
        try:
            cls.model_validate(entry, strict=False)
        except ValidationError as exc:
            problems += [Problem(place, _field(error["loc"]), _rule(error, cls)) for error in exc.errors()]
        if section == "bodies" and entry.get(id_field) in RESERVED:
            problems.append(Problem(place, id_field, "is the name of one of the broker's own principals"))
        parts = [entry.get(f) for f in _identity(section, id_field)]
        key = tuple(part for part in parts if isinstance(part, str))
        if len(key) < len(parts):
            continue
        if key in first_at:
            what = f"the {key[1]} jurisdiction of {key[0]!r}" if len(key) == 2 else repr(key[0])
            problems.append(Problem(place, id_field, f"{what} is already in {section}[{first_at[key]}]"))
        first_at.setdefault(key, i)
    return problems


def _identity(section: str, id_field: str) -> tuple[str, ...]:
    """The fields that name what an entry registers: a later entry with the same ones replaces it."""
    return (id_field, "role") if section == "jurisdictions" else (id_field,)


def _place(section: str, index: int, ident: Any) -> str:
    return f"{section}[{index}] ({ident!r})" if isinstance(ident, str) else f"{section}[{index}]"


def _field(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "entry"


def _rule(error: ErrorDetails, cls: type[Payload]) -> str:
    kind, given = error["type"], _shown(error.get("input"))
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return f"is not a field here; the fields are {', '.join(cls.model_fields)}"
    if kind == "enum":
        return f"must be one of {error.get('ctx', {}).get('expected')}; got {given}"
    if kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        return f"must be {PATTERNS_IN_WORDS.get(pattern, f'text matching {pattern}')}; got {given}"
    return f"{error['msg']}; got {given}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _listed() -> str:
    return ", ".join(SECTION_NAMES)


def body_ids(registry: Registry) -> list[str]:
    return [body["body_id"] for body in registry.get("bodies", [])]


PROTECTED_READER_KINDS = frozenset(READERS) | {
    kind for event_type in PROTECTED_FIELDS for kind in EVENT_TYPES[event_type].publishers
}
"""Who may read a protected field (streams/confidentiality.allowed_readers): letters-and-visits and
case management of the jurisdiction, and the event's source, of any kind that may publish one."""


def protected_readers(registry: Registry) -> list[str]:
    """The file's bodies that may read protected fields (an informant), so each gets an encryption key."""
    return [b["body_id"] for b in registry.get("bodies", []) if BodyKind(b["kind"]) in PROTECTED_READER_KINDS]


def reference_facts(
    registry: Registry,
    key_for: Callable[[str], VerifyKey],
    encryption_key_for: Callable[[str], RecipientKey] | None = None,
) -> Iterator[ReferenceFact]:
    """Every reference event the file describes, plus each body's signing-key registration and,
    with ``encryption_key_for``, each protected-field reader's encryption-key registration."""
    for section, cls, kind, id_field in _SECTIONS:
        for entry in registry.get(section, []):
            yield cls.model_validate(entry, strict=False), Subject(kind=kind, id=entry[id_field])
    for body_id in body_ids(registry):
        key = key_for(body_id)
        payload = SigningKeyRegistered(body_id=body_id, key_id=key.key_id, public_key=key.text)
        yield payload, Subject(kind=SubjectKind.BODY, id=body_id)
    if encryption_key_for is None:
        return
    for body_id in protected_readers(registry):
        public = encryption_key_for(body_id)
        sealing = EncryptionKeyRegistered(body_id=body_id, key_id=public.key_id, public_key=public.text)
        yield sealing, Subject(kind=SubjectKind.BODY, id=body_id)


def correlation_of(fact: ReferenceFact) -> str:
    _, subject = fact
    return f"registry:{subject.kind}:{subject.id}"
