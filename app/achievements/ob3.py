"""An achievement version as an Open Badges 3.0 ``Achievement``, with the EU elements.

``docs/eu-elements.md`` maps each EU standard element to its place; keep the two in step.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Final

from app.achievements.links import achievement_url, latest_achievement_url
from app.achievements.schemas import AchievementContent
from app.config import get_settings
from app.institutions.models import Institution

EQF_URL = "http://data.europa.eu/snb/eqf/{level}"
ISCED_F_URL = "http://data.europa.eu/snb/isced-f/{code}"

_RESULT_TYPES = {
    "numeric": "ext:NumericGrade",
    "letter": "LetterGrade",
    "pass_fail": "Status",
    "percent": "Percent",
}


@dataclass(frozen=True, slots=True)
class AchievementSnapshot:
    """The achievement version a credential is issued from."""

    achievement_id: uuid.UUID
    version: int
    content: AchievementContent


def _alignments(c: AchievementContent, institution: Institution) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if c.eqf_level is not None:
        found.append(
            _alignment(
                "ext:EQFLevel",
                f"EQF level {c.eqf_level}",
                EQF_URL.format(level=c.eqf_level),
                code=str(c.eqf_level),
                framework="European Qualifications Framework",
            )
        )
    if c.field_of_study:
        found.append(
            _alignment(
                "ext:ISCEDF",
                f"ISCED-F {c.field_of_study}",
                ISCED_F_URL.format(code=c.field_of_study),
                code=c.field_of_study,
                framework="ISCED Fields of Education and Training 2013",
            )
        )
    found.extend(
        _alignment("ceasn:Competency", o.text, o.esco_skill, framework="ESCO")
        for o in c.learning_outcomes
        if o.esco_skill
    )
    qa = c.quality_assurance
    qa_url = (qa.reference_url if qa else None) or institution.url
    if qa and qa_url:
        found.append(
            _alignment(
                "ext:QualityAssurance",
                qa.name or qa.type,
                qa_url,
                description=qa.description,
            )
        )
    return found


def _alignment(
    target_type: str,
    name: str,
    url: str,
    *,
    code: str | None = None,
    framework: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": ["Alignment"],
        "targetType": target_type,
        "targetName": name,
        "targetUrl": url,
    }
    optional = {"targetCode": code, "targetFramework": framework, "targetDescription": description}
    entry.update({k: v for k, v in optional.items() if v is not None})
    return entry


def achievement_document(snapshot: AchievementSnapshot, institution: Institution) -> dict[str, Any]:
    c = snapshot.content
    url = achievement_url(snapshot.achievement_id, snapshot.version)
    doc: dict[str, Any] = {
        "id": url,
        "type": ["Achievement"],
        "achievementType": "Badge" if c.kind == "informal" else "MicroCredential",
        # A stacked micro-credential is a formal one to its readers; its pathway is ours.
        "microCredentialKind": "informal" if c.kind == "informal" else "formal",
        "name": c.title,
        "description": c.description,
        "criteria": {"narrative": c.criteria or _outcomes_narrative(c)},
        "version": str(snapshot.version),
        "inLanguage": c.languages[0],
        "languages": c.languages,
        "learningOutcome": [
            {
                "type": "LearningOutcome",
                "text": o.text,
                **({"escoSkill": o.esco_skill} if o.esco_skill else {}),
            }
            for o in c.learning_outcomes
        ],
        "assessmentType": c.assessment.type,
        "participationType": c.participation_form,
    }
    optional: dict[str, Any] = {
        "creditsAvailable": c.ects,
        "workloadHours": c.workload_hours,
        "eqfLevel": c.eqf_level,
        "qfEheaCycle": c.qf_ehea_cycle,
        "fieldOfStudy": c.field_of_study,
        "assessmentDescription": c.assessment.description,
        "supervisionType": c.supervision,
        "prerequisites": c.prerequisites or None,
        "furtherInformation": c.further_information_url,
        "image": {"id": c.image_url, "type": "Image"} if c.image_url else None,
        "qualityAssurance": _quality_assurance(c),
        "alignment": _alignments(c, institution) or None,
        "resultDescription": _result_descriptions(c, url),
    }
    if c.stackability:
        optional["integrationOptions"] = c.stackability.description
        optional["stacksInto"] = [
            latest_achievement_url(target) for target in c.stackability.stacks_into
        ] + list(c.stackability.external_urls) or None
    doc.update({k: v for k, v in optional.items() if v is not None})
    return doc


# A frozen version never changes (an edit makes a new version), so its document is built once
# per process rather than once per issuing transaction: a group of single issuances from many
# institutions names dozens of achievements, and building their documents was a tenth of the
# group's own work. Besides the version, a document depends only on the institution's address
# (the fallback quality-assurance link) and this instance's public URL, which join the key.
_FROZEN_DOCUMENTS_KEPT: Final = 1024
_FrozenKey = tuple[uuid.UUID, str | None, str]
_frozen_documents: OrderedDict[_FrozenKey, dict[str, Any]] = OrderedDict()


def frozen_achievement_document(
    snapshot: AchievementSnapshot, version_id: uuid.UUID, institution: Institution
) -> dict[str, Any]:
    """``achievement_document`` of a frozen version, kept (shared: treat it as read-only)."""
    key = (version_id, institution.url, get_settings().public_base_url)
    kept = _frozen_documents.get(key)
    if kept is not None:
        _frozen_documents.move_to_end(key)
        return kept
    document = _frozen_documents[key] = achievement_document(snapshot, institution)
    if len(_frozen_documents) > _FROZEN_DOCUMENTS_KEPT:
        _frozen_documents.popitem(last=False)
    return document


def _outcomes_narrative(c: AchievementContent) -> str:
    return "The learner has shown these learning outcomes: " + "; ".join(
        o.text for o in c.learning_outcomes
    )


def _quality_assurance(c: AchievementContent) -> dict[str, Any] | None:
    qa = c.quality_assurance
    if qa is None:
        return None
    doc: dict[str, Any] = {"type": "QualityAssurance", "qualityAssuranceType": qa.type}
    optional = {"name": qa.name, "description": qa.description, "url": qa.reference_url}
    doc.update({k: v for k, v in optional.items() if v is not None})
    return doc


def _result_descriptions(c: AchievementContent, url: str) -> list[dict[str, Any]] | None:
    if c.grading is None:
        return None
    g = c.grading
    doc: dict[str, Any] = {
        "id": f"{url}#grade",
        "type": ["ResultDescription"],
        "name": g.description or "Final grade",
        "resultType": _RESULT_TYPES[g.scheme],
    }
    optional = {"valueMin": g.min_value, "valueMax": g.max_value, "requiredValue": g.pass_value}
    doc.update({k: v for k, v in optional.items() if v is not None})
    return [doc]
