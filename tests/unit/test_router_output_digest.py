"""The router's redesign (batches, one encoding per delivery, chains) changed how records are written,
not what: on the same input, with the same keys, the log is byte for byte what the router of
d547957 (before the redesign) appended, but for the sequence numbers bodies now put on their events
(and so their signatures). The digest below was computed by that router, with the same code
leaving out each record's number and signature."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas import Envelope, SigningKey, Subject, new_event
from schemas.canonical import canonical_json
from schemas.categories import FindingCategory
from schemas.enums import HowFound, Severity, SubjectKind
from schemas.events.clues import Informant, ProblemClueReceived, SupervisionFindingRecorded
from streams.testing import demo_bench

LOG_BEFORE_THE_REDESIGN = "6e4ae8962f60cfcf8f1e766d12a63fa6cce6e641a1efc426c8cb6e048c167589"
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NAMESPACE = uuid.UUID("5f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b")


def _seeded(cls: type[SigningKey], key_id: str) -> SigningKey:
    return cls(key_id, Ed25519PrivateKey.from_private_bytes(hashlib.sha256(key_id.encode()).digest()))


def _input() -> list[Envelope[Any]]:
    """Clues (each derives a transfer down) and findings at two units, a minute apart."""
    events = []
    for i in range(60):
        payload: Any
        if i % 3 == 0:
            payload = ProblemClueReceived(
                clue_id=f"c-{i}",
                unit_id="yuzhong-hospital",
                cadre_id="cadre-sun",
                summary="S.",
                informant=Informant(name="A. Citizen"),
            )
            source, subject = "city-letters", Subject(kind=SubjectKind.CADRE, id="cadre-sun")
        else:
            unit, source = [
                ("yuzhong-hospital", "yuzhong-stationed-health"),
                ("city-education", "stationed-education"),
            ][i % 3 - 1]
            payload = SupervisionFindingRecorded(
                finding_id=f"f-{i}",
                unit_id=unit,
                category=FindingCategory.EIGHT_POINT_RULES,
                severity=Severity.LOW,
                how_found=HowFound.DAILY_SUPERVISION,
                summary="B.",
            )
            subject = Subject(kind=SubjectKind.UNIT, id=unit)
        events.append(
            new_event(
                payload,
                source_body=source,
                occurred_at=AT + timedelta(minutes=i),
                subject=subject,
                correlation_id=f"m-{i}",
                event_id=uuid.uuid5(NAMESPACE, str(i)),
            )
        )
    return events


def _unnumbered(value: bytes) -> bytes:
    data = json.loads(value)
    data.pop("sequence", None)
    data.pop("signature", None)
    return canonical_json(data)


def test_the_log_is_what_the_router_appended_before_the_redesign(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SigningKey, "generate", classmethod(_seeded))
    bench = demo_bench()
    digest = hashlib.sha256()
    logged = 0
    for event in _input():
        for write in bench.publish(event).writes:
            if write.role == "log":
                logged += 1
                for part in (write.key.encode(), _unnumbered(write.value)):
                    digest.update(len(part).to_bytes(8, "big") + part)
    assert logged == 80  # sixty events and the twenty transfers they derive
    assert digest.hexdigest() == LOG_BEFORE_THE_REDESIGN
