"""Closed vocabularies of the domain (DOMAIN.md §1 and §3), with Chinese and English labels."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Self


class LabelledEnum(StrEnum):
    """A vocabulary whose members carry a Chinese and an English label beside their value."""

    label_zh: str
    label_en: str

    def __new__(cls, value: str, label_zh: str = "", label_en: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_zh = label_zh
        member.label_en = label_en
        return member

    @property
    def label(self) -> str:
        return f"{self.label_zh} ({self.label_en})"


@cache
def _ranks(vocabulary: type[LabelledEnum]) -> dict[LabelledEnum, int]:
    """Each member's place in its vocabulary's declared order: the routing rules and the state
    compare codes for every event they fold, so the order is not looked up afresh each time."""
    return {member: place for place, member in enumerate(vocabulary)}


class BodyKind(LabelledEnum):
    COMMISSION = "commission", "纪委监委", "Discipline inspection and supervision commission"
    COMPREHENSIVE_OFFICE = (
        "comprehensive_office",
        "综合监督室（党风政风监督室）",
        "Comprehensive supervision office",
    )
    SUPERVISION_OFFICE = "supervision_office", "监督检查室", "Supervision-inspection office"
    LETTERS_VISITS = "letters_visits", "信访室", "Letters and visits office"
    CASE_MANAGEMENT = "case_management", "案件监督管理室", "Case management office"
    REVIEW_INVESTIGATION = "review_investigation", "审查调查室", "Review and investigation office"
    STATIONED_AGENCY = "stationed_agency", "派驻（派出）机构", "Stationed agency"
    INSPECTION_OFFICE = "inspection_office", "巡视（巡察）办", "Inspection office"
    INSPECTION_TEAM = "inspection_team", "巡视（巡察）组", "Inspection team"
    LEADERSHIP = "leadership", "常委会、巡视工作领导小组", "Leadership"
    SYSTEM = "system", "系统", "The registrar and the bus itself"
    DASHBOARD = "dashboard", "看板", "The dashboards, which record who opened what"


class Classification(LabelledEnum):
    """How sensitive a fact is, least to most."""

    INTERNAL = "internal", "内部", "Internal"
    RESTRICTED = "restricted", "限制", "Restricted"
    CONFIDENTIAL = "confidential", "机密", "Confidential"

    @property
    def rank(self) -> int:
        return _ranks(type(self))[self]


class Handling(LabelledEnum):
    """What a receiver may do with a fact, least to most restrictive."""

    WITHIN_JURISDICTION = (
        "within_jurisdiction",
        "可在管辖范围内传递",
        "May be passed on within the receiver's jurisdiction",
    )
    WITH_CONSENT = "with_consent", "经来源同意方可传递", "Passed on only with the source's consent"
    SUPERVISION_ONLY = "supervision_only", "仅用于监督", "Used for supervision only"
    NEVER_PASS_ON = "never_pass_on", "不得传递", "Never passed on"

    @property
    def rank(self) -> int:
        return _ranks(type(self))[self]


class SubjectKind(StrEnum):
    REGION = "region"
    UNIT = "unit"
    CADRE = "cadre"
    BODY = "body"


class UnitLevel(StrEnum):
    MUNICIPAL = "municipal"
    DISTRICT = "district"


class ManagementLevel(LabelledEnum):
    MUNICIPAL = "municipal", "市管干部", "Municipal-managed cadre"
    DISTRICT = "district", "区管干部", "District-managed cadre"
    UNIT = "unit", "单位管理干部", "Unit-managed cadre"


class JurisdictionRole(StrEnum):
    TERRITORIAL = "territorial"
    """A commission over its regions and the cadre management levels it manages."""
    CONTACT_AREA = "contact_area"
    """A supervision-inspection office over the regions and units it looks after."""
    STATIONED = "stationed"
    """A stationed agency over the units it is stationed at."""


class Severity(LabelledEnum):
    LOW = "low", "一般", "Low"
    MEDIUM = "medium", "较重", "Medium"
    HIGH = "high", "严重", "High"
    CRITICAL = "critical", "特别严重", "Critical"


class HowFound(LabelledEnum):
    DAILY_SUPERVISION = "daily_supervision", "日常监督", "Daily supervision"
    INSPECTION = "inspection", "巡视巡察", "Inspection"
    LETTERS_VISITS = "letters_visits", "信访举报", "Letters and visits"
    CASE_REVIEW = "case_review", "审查调查", "Case review"
    BIG_DATA = "big_data", "大数据监督", "Big-data supervision"
    AUDIT = "audit", "审计", "Audit"


class Disposition(LabelledEnum):
    """The four ways a problem clue is disposed."""

    TALK_AND_INQUIRY = "talk_and_inquiry", "谈话函询", "Talk and inquiry"
    PRELIMINARY_VERIFICATION = "preliminary_verification", "初步核实", "Preliminary verification"
    SHELVED_PENDING = "shelved_pending", "暂存待查", "Shelved pending"
    CLOSED = "closed", "予以了结", "Closed"


class SourceReliability(LabelledEnum):
    A = "A", "可靠", "Reliable"
    B = "B", "基本可靠", "Mostly reliable"
    C = "C", "不可靠", "Not reliable"
    X = "X", "无法判断", "Unknown"


class InformationCredibility(LabelledEnum):
    KNOWN_TRUE = "1", "确认属实", "Known to be true"
    DIRECT = "2", "来源直接知悉", "Known to the source directly"
    HEARSAY = "3", "传闻", "Hearsay"
    CANNOT_JUDGE = "4", "无法判断", "Cannot be judged"


class PlanKind(LabelledEnum):
    ANNUAL = "annual", "年度监督计划", "Annual supervision plan"
    SPECIAL = "special", "专项监督计划", "Special supervision plan"


class ViewedRecord(LabelledEnum):
    """What a person may open on the dashboards that is recorded on the log."""

    CLUE = "clue", "问题线索", "Problem clue"
    DOSSIER = "dossier", "单位档案", "Unit dossier"


class VerificationOutcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
