"""The fixed taxonomy of finding categories, each with its Chinese and English label."""

from __future__ import annotations

from schemas.enums import LabelledEnum


class FindingCategory(LabelledEnum):
    """What kind of problem a finding is; one category at many units is a systemic issue."""

    EIGHT_POINT_RULES = (
        "eight_point_rules",
        "违反中央八项规定精神",
        "Breach of the eight-point rules",
    )
    FORMALISM_BUREAUCRATISM = (
        "formalism_bureaucratism",
        "形式主义、官僚主义",
        "Formalism and bureaucratism",
    )
    ABUSE_OF_POWER = "abuse_of_power", "滥用职权", "Abuse of power"
    CORRUPTION = "corruption", "贪污贿赂", "Corruption and bribery"
    WEAK_RECTIFICATION = "weak_rectification", "整改不力", "Weak rectification"
    POLITICAL_DISCIPLINE = "political_discipline", "违反政治纪律", "Breach of political discipline"
    ORGANISATIONAL_DISCIPLINE = (
        "organisational_discipline",
        "违反组织纪律",
        "Breach of organisational discipline",
    )
    INTEGRITY_DISCIPLINE = "integrity_discipline", "违反廉洁纪律", "Breach of integrity discipline"
    MASS_DISCIPLINE = "mass_discipline", "违反群众纪律", "Breach of mass discipline"
    WORK_DISCIPLINE = "work_discipline", "违反工作纪律", "Breach of work discipline"
    DERELICTION_OF_DUTY = "dereliction_of_duty", "失职失责", "Dereliction of duty"
