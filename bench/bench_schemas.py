"""Events per second on one core: validate + encode + sign, against plain json.dumps."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas import (
    Payload,
    SigningKey,
    Subject,
    decode_event,
    encode_event,
    new_event,
    sign_event,
    verify_event,
)
from schemas.catalogue import envelope_for
from schemas.categories import FindingCategory
from schemas.enums import (
    Classification,
    Disposition,
    Handling,
    HowFound,
    InformationCredibility,
    PlanKind,
    Severity,
    SourceReliability,
    SubjectKind,
)
from schemas.events.clock import ClockTicked
from schemas.events.clues import (
    ClueDisposed,
    ClueTransferred,
    Informant,
    ProblemClueReceived,
    SupervisionFindingRecorded,
)
from schemas.events.coordination import PlanItem, SupervisionPlanIssued
from schemas.events.rectification import RectificationRequired

EVENTS = 10_000
ROUNDS = 3
KEY = SigningKey.generate("city-commission:1")
VERIFY_KEY = KEY.verify_key
WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
UNIT = Subject(kind=SubjectKind.UNIT, id="yuzhong-school-3")
CADRE = Subject(kind=SubjectKind.CADRE, id="cadre-0042")


def _payloads() -> list[tuple[Payload, Subject]]:
    item = PlanItem(
        item_id="item-07",
        content="对区属学校食堂采购开展专项监督检查，重点核查供应商资质与价格。",
        standard="每所学校抽查不少于三个月的采购台账",
        due_at=WHEN + timedelta(days=90),
        assigned_bodies=("office-2", "stationed-education"),
    )
    return [
        (ClockTicked(tick_at=WHEN), Subject(kind=SubjectKind.BODY, id="bus")),
        (
            SupervisionFindingRecorded(
                finding_id="finding-2026-0113",
                unit_id="yuzhong-school-3",
                category=FindingCategory.EIGHT_POINT_RULES,
                severity=Severity.HIGH,
                how_found=HowFound.DAILY_SUPERVISION,
                summary="学校负责人多次使用公款宴请，违反中央八项规定精神。",
            ),
            UNIT,
        ),
        (
            ProblemClueReceived(
                clue_id="clue-2026-0457",
                unit_id="yuzhong-school-3",
                cadre_id="cadre-0042",
                summary="群众反映该校副校长在教材采购中收受供应商礼金。",
                reliability=SourceReliability.B,
                credibility=InformationCredibility.HEARSAY,
                informant=Informant(name="匿名", contact="信访室登记号 2026-0311"),
            ),
            CADRE,
        ),
        (
            ClueTransferred(
                clue_id="clue-2026-0457",
                from_body="yuzhong-commission",
                to_body="city-commission",
                reason="市管干部，按干部管理权限移送。",
            ),
            CADRE,
        ),
        (
            ClueDisposed(
                clue_id="clue-2026-0457",
                disposition=Disposition.PRELIMINARY_VERIFICATION,
                reason="线索具体，具备可查性。",
            ),
            CADRE,
        ),
        (
            RectificationRequired(
                rectification_id="rect-2026-0031",
                unit_id="yuzhong-school-3",
                finding_id="finding-2026-0113",
                description="建立公务接待审批与台账制度，清退违规费用。",
                deadline=WHEN + timedelta(days=60),
                supervising_bodies=("stationed-education", "office-2"),
            ),
            UNIT,
        ),
        (
            SupervisionPlanIssued(
                plan_id="plan-2026",
                year=2026,
                kind=PlanKind.ANNUAL,
                title="2026年度监督计划",
                items=(item,) * 5,
            ),
            Subject(kind=SubjectKind.REGION, id="city"),
        ),
    ]


def _dictionaries() -> list[dict[str, Any]]:
    """What a producer holds before publishing: plain dictionaries of native values."""
    found = []
    for payload, subject in _payloads():
        event = new_event(
            payload,
            source_body="city-commission",
            occurred_at=WHEN,
            subject=subject,
            classification=Classification.RESTRICTED,
            handling=Handling.SUPERVISION_ONLY,
            correlation_id="matter-2026-0457",
            causation_id=uuid.uuid4(),
        )
        found.append(event.model_dump())
    return found


def validate_encode_sign(data: dict[str, Any]) -> bytes:
    event = envelope_for(data["event_type"]).model_validate(data)
    return encode_event(sign_event(event, KEY))


def plain_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, default=str).encode("utf-8")


def decode_verify(raw: bytes) -> None:
    verify_event(decode_event(raw), VERIFY_KEY)


def _rate(work: Callable[[Any], object], inputs: list[Any]) -> float:
    """Best of ROUNDS runs over EVENTS inputs, in events per second."""
    batch = [inputs[i % len(inputs)] for i in range(EVENTS)]
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for item in batch:
            work(item)
        best = min(best, time.perf_counter() - start)
    return EVENTS / best


def _one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to cpu {cpu}"
    return "one thread"


def main() -> None:
    core = _one_core()
    dictionaries = _dictionaries()
    wire = [validate_encode_sign(data) for data in dictionaries]
    size = sum(map(len, wire)) / len(wire)
    print(f"{EVENTS:,} events per run, best of {ROUNDS}; {len(dictionaries)} event types,")
    print(f"mean {size:.0f} bytes on the wire; {core}\n")
    ours = _rate(validate_encode_sign, dictionaries)
    baseline = _rate(plain_json, dictionaries)
    receive = _rate(decode_verify, wire)
    signing = _rate(KEY.sign, wire)
    _report("validate + encode + sign", ours)
    _report("json.dumps (baseline)", baseline)
    print(f"{'ratio':<25}: {baseline / ours:>10.1f} × the cost of json.dumps")
    _report("decode + verify (router)", receive)
    _report("Ed25519 sign alone", signing)


def _report(what: str, rate: float) -> None:
    print(f"{what:<25}: {rate:>10,.0f} events/s  ({1e6 / rate:6.1f} µs/event)")


if __name__ == "__main__":
    main()
