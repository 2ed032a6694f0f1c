"""Controlled vocabularies for the EU standard elements.

The values follow the European Learning Model (ELM) vocabularies where one exists, so that the
credentials map onto Europass without translation tables.
"""

from __future__ import annotations

from typing import Literal

# A stacked achievement is a formal one earned by a pathway of others (app/pathways).
AchievementKind = Literal["formal", "informal", "stacked"]
AchievementState = Literal["draft", "published", "archived"]

# Form of participation (ELM "learning setting" / mode of learning).
ParticipationForm = Literal["online", "onsite", "blended"]

# Type of assessment.
AssessmentType = Literal[
    "written_exam",
    "oral_exam",
    "practical_exam",
    "project",
    "portfolio",
    "presentation",
    "online_test",
    "continuous_assessment",
    "peer_assessment",
    "self_assessment",
    "attendance_only",
]

# Supervision and identity verification during assessment (ELM supervision-verification).
Supervision = Literal[
    "none",
    "supervised_no_verification",
    "supervised_online_verification",
    "supervised_onsite_verification",
]

# Type of quality assurance.
QualityAssuranceType = Literal[
    "accredited_programme",
    "institutional_accreditation",
    "internal_quality_assurance",
    "external_quality_assurance",
    "sector_standard",
]

# Qualifications Framework of the European Higher Education Area.
QfEheaCycle = Literal["short", "first", "second", "third"]

GradingScheme = Literal["numeric", "letter", "pass_fail", "percent"]

EQF_LEVEL_URL = "http://data.europa.eu/snb/eqf/{level}"
QF_EHEA_URL = "http://data.europa.eu/snb/qf-ehea/{cycle}"
ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
