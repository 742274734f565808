"""Turns a registry file (regions, bodies, units, cadres, jurisdictions) into reference events."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from schemas import Payload, Subject
from schemas.enums import SubjectKind
from schemas.events.reference import (
    BodyRegistered,
    CadreRegistered,
    JurisdictionAssigned,
    RegionRegistered,
    SigningKeyRegistered,
    UnitRegistered,
)
from schemas.signing import VerifyKey

DEMO_REGISTRY = Path(__file__).resolve().parent.parent / "deploy" / "demo" / "registry.json"

ReferenceFact = tuple[Payload, Subject]

_SECTIONS: list[tuple[str, type[Payload], SubjectKind, str]] = [
    ("regions", RegionRegistered, SubjectKind.REGION, "region_id"),
    ("bodies", BodyRegistered, SubjectKind.BODY, "body_id"),
    ("units", UnitRegistered, SubjectKind.UNIT, "unit_id"),
    ("cadres", CadreRegistered, SubjectKind.CADRE, "cadre_id"),
    ("jurisdictions", JurisdictionAssigned, SubjectKind.BODY, "body_id"),
]


def load_registry_file(path: Path) -> dict[str, list[dict[str, Any]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - {name for name, *_ in _SECTIONS}
    if unknown:
        raise ValueError(f"{path}: unknown sections {sorted(unknown)}")
    return data


def body_ids(registry: dict[str, list[dict[str, Any]]]) -> list[str]:
    return [body["body_id"] for body in registry.get("bodies", [])]


def reference_facts(
    registry: dict[str, list[dict[str, Any]]], key_for: Callable[[str], VerifyKey]
) -> Iterator[ReferenceFact]:
    """Every reference event the file describes, plus each body's signing-key registration."""
    for section, cls, kind, id_field in _SECTIONS:
        for entry in registry.get(section, []):
            yield cls.model_validate(entry, strict=False), Subject(kind=kind, id=entry[id_field])
    for body_id in body_ids(registry):
        key = key_for(body_id)
        payload = SigningKeyRegistered(body_id=body_id, key_id=key.key_id, public_key=key.text)
        yield payload, Subject(kind=SubjectKind.BODY, id=body_id)


def correlation_of(fact: ReferenceFact) -> str:
    _, subject = fact
    return f"registry:{subject.kind}:{subject.id}"
