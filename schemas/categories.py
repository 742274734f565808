"""The fixed taxonomy of finding categories, each with its Chinese and English label."""

from __future__ import annotations

from enum import StrEnum


class FindingCategory(StrEnum):
    EIGHT_POINT_RULES = "eight_point_rules"
    FORMALISM_BUREAUCRATISM = "formalism_bureaucratism"
    ABUSE_OF_POWER = "abuse_of_power"
    CORRUPTION = "corruption"
    WEAK_RECTIFICATION = "weak_rectification"
    POLITICAL_DISCIPLINE = "political_discipline"
    ORGANISATIONAL_DISCIPLINE = "organisational_discipline"
    INTEGRITY_DISCIPLINE = "integrity_discipline"
    MASS_DISCIPLINE = "mass_discipline"
    WORK_DISCIPLINE = "work_discipline"
    DERELICTION_OF_DUTY = "dereliction_of_duty"

    @property
    def label_zh(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]


_LABELS: dict[FindingCategory, tuple[str, str]] = {
    FindingCategory.EIGHT_POINT_RULES: ("违反中央八项规定精神", "Breach of the eight-point rules"),
    FindingCategory.FORMALISM_BUREAUCRATISM: ("形式主义、官僚主义", "Formalism and bureaucratism"),
    FindingCategory.ABUSE_OF_POWER: ("滥用职权", "Abuse of power"),
    FindingCategory.CORRUPTION: ("贪污贿赂", "Corruption and bribery"),
    FindingCategory.WEAK_RECTIFICATION: ("整改不力", "Weak rectification"),
    FindingCategory.POLITICAL_DISCIPLINE: ("违反政治纪律", "Breach of political discipline"),
    FindingCategory.ORGANISATIONAL_DISCIPLINE: (
        "违反组织纪律",
        "Breach of organisational discipline",
    ),
    FindingCategory.INTEGRITY_DISCIPLINE: ("违反廉洁纪律", "Breach of integrity discipline"),
    FindingCategory.MASS_DISCIPLINE: ("违反群众纪律", "Breach of mass discipline"),
    FindingCategory.WORK_DISCIPLINE: ("违反工作纪律", "Breach of work discipline"),
    FindingCategory.DERELICTION_OF_DUTY: ("失职失责", "Dereliction of duty"),
}
