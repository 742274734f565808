"""Typed helpers for the events a body publishes most: each builds the payload, picks its subject
and matter, and publishes it. Anything else goes through ``Publisher.publish(payload, ...)``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from producers.staging import refusing
from schemas import Subject
from schemas.categories import FindingCategory
from schemas.enums import (
    Classification,
    Disposition,
    HowFound,
    InformationCredibility,
    Severity,
    SourceReliability,
    SubjectKind,
)
from schemas.events.clues import (
    ClueDisposed,
    ClueRegraded,
    ClueTransferred,
    Informant,
    ProblemClueReceived,
    SupervisionFindingRecorded,
)
from schemas.events.coordination import PlanItemCompleted
from schemas.events.inspection import BriefingSubmitted, ConsultationAnswered
from schemas.events.rectification import (
    RectificationCompleted,
    RectificationProgressReported,
    RectificationRequired,
)
from schemas.events.sharing import DailySupervisionReported


def unit(unit_id: str) -> Subject:
    """The subject naming a unit (EventRefused if the id is not one)."""
    return _subject(SubjectKind.UNIT, unit_id)


def cadre(cadre_id: str) -> Subject:
    return _subject(SubjectKind.CADRE, cadre_id)


def region(region_id: str) -> Subject:
    return _subject(SubjectKind.REGION, region_id)


def body(body_id: str) -> Subject:
    return _subject(SubjectKind.BODY, body_id)


def _subject(kind: SubjectKind, subject_id: str) -> Subject:
    with refusing(None, "subject."):
        return Subject(kind=kind, id=subject_id)


class PublishHelpers:
    """Mixed into Publisher; every helper returns the new event's id. ``options`` are publish()'s
    keyword arguments (occurred_at, classification, handling, causation_id, event_id)."""

    body_id: str
    publish: Callable[..., uuid.UUID]

    def record_finding(
        self,
        *,
        finding_id: str,
        unit_id: str,
        category: FindingCategory,
        severity: Severity,
        how_found: HowFound,
        summary: str,
        **options: Any,
    ) -> uuid.UUID:
        """A problem found at a unit in daily supervision (matter: the finding)."""
        with refusing(SupervisionFindingRecorded.event_type):
            payload = SupervisionFindingRecorded(
                finding_id=finding_id,
                unit_id=unit_id,
                category=category,
                severity=severity,
                how_found=how_found,
                summary=summary,
            )
        return self.publish(payload, **options)

    def receive_clue(
        self,
        *,
        clue_id: str,
        unit_id: str,
        summary: str,
        cadre_id: str | None = None,
        reliability: SourceReliability = SourceReliability.X,
        credibility: InformationCredibility = InformationCredibility.CANNOT_JUDGE,
        informant: Informant | None = None,
        **options: Any,
    ) -> uuid.UUID:
        """A problem clue received (confidential unless said otherwise; subject: the cadre if named)."""
        with refusing(ProblemClueReceived.event_type):
            payload = ProblemClueReceived(
                clue_id=clue_id,
                unit_id=unit_id,
                cadre_id=cadre_id,
                summary=summary,
                reliability=reliability,
                credibility=credibility,
                informant=informant,
            )
        options.setdefault("classification", Classification.CONFIDENTIAL)
        return self.publish(payload, **options)

    def regrade_clue(
        self,
        *,
        clue_id: str,
        subject: Subject,
        reliability: SourceReliability,
        credibility: InformationCredibility,
        reason: str,
        **options: Any,
    ) -> uuid.UUID:
        with refusing(ClueRegraded.event_type):
            payload = ClueRegraded(
                clue_id=clue_id, reliability=reliability, credibility=credibility, reason=reason
            )
        options.setdefault("classification", Classification.CONFIDENTIAL)
        return self.publish(payload, subject=subject, **options)

    def transfer_clue(
        self,
        *,
        clue_id: str,
        subject: Subject,
        to_body: str,
        reason: str,
        informant: Informant | None = None,
        **options: Any,
    ) -> uuid.UUID:
        """Hand the clue's custody from this body to ``to_body``; give the ``informant`` (opened with
        this body's key) to have it sealed again for the new holder's readers."""
        with refusing(ClueTransferred.event_type):
            payload = ClueTransferred(
                clue_id=clue_id, from_body=self.body_id, to_body=to_body, reason=reason, informant=informant
            )
        options.setdefault("classification", Classification.CONFIDENTIAL)
        return self.publish(payload, subject=subject, **options)

    def dispose_clue(
        self, *, clue_id: str, subject: Subject, disposition: Disposition, reason: str, **options: Any
    ) -> uuid.UUID:
        with refusing(ClueDisposed.event_type):
            payload = ClueDisposed(clue_id=clue_id, disposition=disposition, reason=reason)
        options.setdefault("classification", Classification.CONFIDENTIAL)
        return self.publish(payload, subject=subject, **options)

    def report_daily_supervision(
        self,
        *,
        subject: Subject,
        period_start: datetime,
        period_end: datetime,
        summary: str,
        important: bool = False,
        **options: Any,
    ) -> uuid.UUID:
        with refusing(DailySupervisionReported.event_type):
            payload = DailySupervisionReported(
                period_start=period_start, period_end=period_end, summary=summary, important=important
            )
        return self.publish(payload, subject=subject, **options)

    def require_rectification(
        self,
        *,
        rectification_id: str,
        unit_id: str,
        description: str,
        deadline: datetime,
        supervising_bodies: Sequence[str],
        finding_id: str | None = None,
        **options: Any,
    ) -> uuid.UUID:
        with refusing(RectificationRequired.event_type):
            payload = RectificationRequired(
                rectification_id=rectification_id,
                unit_id=unit_id,
                finding_id=finding_id,
                description=description,
                deadline=deadline,
                supervising_bodies=tuple(supervising_bodies),
            )
        return self.publish(payload, **options)

    def report_rectification_progress(
        self, *, rectification_id: str, unit_id: str, percent_complete: int, note: str, **options: Any
    ) -> uuid.UUID:
        """Report progress on a rectification (or a case-driven reform, by its recommendation id).
        Give ``correlation_id`` when it was required under another matter than its own id (the
        bus derives one from an inspection finding under the finding's matter; a reform is in its
        case's): the bus refuses a follow-up outside that matter (``wrong_matter``)."""
        with refusing(RectificationProgressReported.event_type):
            payload = RectificationProgressReported(
                rectification_id=rectification_id, percent_complete=percent_complete, note=note
            )
        return self.publish(payload, subject=unit(unit_id), **options)

    def complete_rectification(
        self, *, rectification_id: str, unit_id: str, summary: str, **options: Any
    ) -> uuid.UUID:
        """Report a rectification (or a case-driven reform) done; its matter as for progress."""
        with refusing(RectificationCompleted.event_type):
            payload = RectificationCompleted(rectification_id=rectification_id, summary=summary)
        return self.publish(payload, subject=unit(unit_id), **options)

    def submit_briefing(
        self, *, round_id: str, unit_id: str, team_body_id: str, summary: str, **options: Any
    ) -> uuid.UUID:
        """Brief an inspection team on a unit before its round."""
        with refusing(BriefingSubmitted.event_type):
            payload = BriefingSubmitted(
                round_id=round_id, unit_id=unit_id, team_body_id=team_body_id, summary=summary
            )
        options.setdefault("classification", Classification.RESTRICTED)
        return self.publish(payload, **options)

    def answer_consultation(
        self,
        *,
        round_id: str,
        consultation_id: str,
        team_body_id: str,
        answer: str,
        subject: Subject,
        **options: Any,
    ) -> uuid.UUID:
        with refusing(ConsultationAnswered.event_type):
            payload = ConsultationAnswered(
                round_id=round_id, consultation_id=consultation_id, team_body_id=team_body_id, answer=answer
            )
        options.setdefault("classification", Classification.RESTRICTED)
        return self.publish(payload, subject=subject, **options)

    def complete_plan_item(
        self, *, plan_id: str, item_id: str, summary: str, subject: Subject, **options: Any
    ) -> uuid.UUID:
        with refusing(PlanItemCompleted.event_type):
            payload = PlanItemCompleted(plan_id=plan_id, item_id=item_id, summary=summary)
        return self.publish(payload, subject=subject, **options)
