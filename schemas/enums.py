"""Closed vocabularies of the domain (DOMAIN.md §1 and §3)."""

from __future__ import annotations

from enum import StrEnum


class BodyKind(StrEnum):
    COMMISSION = "commission"
    COMPREHENSIVE_OFFICE = "comprehensive_office"
    SUPERVISION_OFFICE = "supervision_office"
    LETTERS_VISITS = "letters_visits"
    CASE_MANAGEMENT = "case_management"
    REVIEW_INVESTIGATION = "review_investigation"
    STATIONED_AGENCY = "stationed_agency"
    INSPECTION_OFFICE = "inspection_office"
    INSPECTION_TEAM = "inspection_team"
    LEADERSHIP = "leadership"
    SYSTEM = "system"
    """The registrar and the bus itself."""


class Classification(StrEnum):
    """How sensitive a fact is, least to most."""

    INTERNAL = "internal"
    RESTRICTED = "restricted"
    CONFIDENTIAL = "confidential"

    @property
    def rank(self) -> int:
        return list(Classification).index(self)


class Handling(StrEnum):
    """What a receiver may do with a fact, least to most restrictive."""

    WITHIN_JURISDICTION = "within_jurisdiction"
    WITH_CONSENT = "with_consent"
    SUPERVISION_ONLY = "supervision_only"
    NEVER_PASS_ON = "never_pass_on"

    @property
    def rank(self) -> int:
        return list(Handling).index(self)


class SubjectKind(StrEnum):
    REGION = "region"
    UNIT = "unit"
    CADRE = "cadre"
    BODY = "body"


class UnitLevel(StrEnum):
    MUNICIPAL = "municipal"
    DISTRICT = "district"


class ManagementLevel(StrEnum):
    MUNICIPAL = "municipal"
    DISTRICT = "district"
    UNIT = "unit"


class JurisdictionRole(StrEnum):
    TERRITORIAL = "territorial"
    """A commission over its regions and the cadre management levels it manages."""
    CONTACT_AREA = "contact_area"
    """A supervision-inspection office over the regions and units it looks after."""
    STATIONED = "stationed"
    """A stationed agency over the units it is stationed at."""


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class HowFound(StrEnum):
    DAILY_SUPERVISION = "daily_supervision"
    INSPECTION = "inspection"
    LETTERS_VISITS = "letters_visits"
    CASE_REVIEW = "case_review"
    BIG_DATA = "big_data"
    AUDIT = "audit"


class Disposition(StrEnum):
    """The four ways a problem clue is disposed."""

    TALK_AND_INQUIRY = "talk_and_inquiry"
    PRELIMINARY_VERIFICATION = "preliminary_verification"
    SHELVED_PENDING = "shelved_pending"
    CLOSED = "closed"


class SourceReliability(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    X = "X"


class InformationCredibility(StrEnum):
    KNOWN_TRUE = "1"
    DIRECT = "2"
    HEARSAY = "3"
    CANNOT_JUDGE = "4"


class PlanKind(StrEnum):
    ANNUAL = "annual"
    SPECIAL = "special"


class VerificationOutcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
