"""Builds the Open Badges 3.0 ``OpenBadgeCredential`` (VC Data Model 2.0) that Stapel signs.

Every EU standard element has a fixed place; ``docs/eu-elements.md`` maps each one to its JSON
path. Keep the two in step.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from app.achievements.links import achievement_url
from app.achievements.schemas import AchievementContent
from app.config import get_settings
from app.contexts import EU_MICROCREDENTIAL_V1, OB_V3P0, VC_V2
from app.credentials.learners import identity_objects
from app.credentials.schemas import CredentialIssue
from app.institutions.models import Institution
from app.keys.did import institution_did

OB3_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
EQF_URL = "http://data.europa.eu/snb/eqf/{level}"
ISCED_F_URL = "http://data.europa.eu/snb/isced-f/{code}"

_IDENTIFIER_TYPES = {
    "brin": "ext:BRIN",
    "erasmus": "ext:ErasmusCode",
    "schac_home_organisation": "ext:SCHACHomeOrganisation",
    "pic": "ext:PIC",
    "ror": "ext:ROR",
    "other": "identifier",
}
_RESULT_TYPES = {
    "numeric": "ext:NumericGrade",
    "letter": "LetterGrade",
    "pass_fail": "Status",
    "percent": "Percent",
}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_start(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


@dataclass(frozen=True, slots=True)
class AchievementSnapshot:
    """The achievement version a credential is issued from."""

    achievement_id: uuid.UUID
    version: int
    content: AchievementContent


def issuer_profile(institution: Institution) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "id": institution_did(institution.slug),
        "type": ["Profile"],
        "name": institution.display_name,
        "legalName": institution.legal_name,
        "address": {"type": ["Address"], "addressCountryCode": institution.country_code},
    }
    if institution.region:
        profile["address"]["addressRegion"] = institution.region
    if institution.url:
        profile["url"] = institution.url
    if institution.contact_email:
        profile["email"] = institution.contact_email
    if institution.logo_url:
        profile["image"] = {"id": institution.logo_url, "type": "Image"}
    if institution.identifiers:
        profile["otherIdentifier"] = [
            {
                "type": "IdentifierEntry",
                "identifier": i["value"],
                "identifierType": _IDENTIFIER_TYPES[i["type"]],
            }
            for i in institution.identifiers
        ]
    if institution.quality_assurance_statement:
        profile["qualityAssuranceStatement"] = institution.quality_assurance_statement
    if institution.quality_assurance_framework:
        profile["qualityAssuranceFramework"] = institution.quality_assurance_framework
    return profile


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


def _base_url() -> str:
    return get_settings().public_base_url


def achievement_document(snapshot: AchievementSnapshot, institution: Institution) -> dict[str, Any]:
    c = snapshot.content
    url = achievement_url(snapshot.achievement_id, snapshot.version)
    doc: dict[str, Any] = {
        "id": url,
        "type": ["Achievement"],
        "achievementType": "MicroCredential" if c.kind == "formal" else "Badge",
        "microCredentialKind": c.kind,
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
            f"{_base_url()}/achievements/{target}" for target in c.stackability.stacks_into
        ] + list(c.stackability.external_urls) or None
    doc.update({k: v for k, v in optional.items() if v is not None})
    return doc


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


def credential_document(
    *,
    credential_id: uuid.UUID,
    request: CredentialIssue,
    issuer: dict[str, Any],
    achievement: dict[str, Any],
    issued_at: datetime,
    valid_until: datetime | None,
    status: list[dict[str, Any]],
) -> dict[str, Any]:
    """One credential; ``issuer`` and ``achievement`` are built once per batch and shared."""
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": identity_objects(request.learner),
        "achievement": achievement,
        "identityChecked": request.identity_verified,
    }
    if request.learner.did:
        subject = {"id": request.learner.did, **subject}
    if "creditsAvailable" in achievement:
        subject["creditsEarned"] = achievement["creditsAvailable"]
    if request.assessment_date:
        subject["assessmentDate"] = request.assessment_date.isoformat()
        subject["activityEndDate"] = day_start(request.assessment_date)
    if request.grade is not None:
        result: dict[str, Any] = {"type": ["Result"], "value": request.grade}
        if "resultDescription" in achievement:
            result["resultDescription"] = achievement["resultDescription"][0]["id"]
        subject["result"] = [result]
    document: dict[str, Any] = {
        "@context": [VC_V2, OB_V3P0, EU_MICROCREDENTIAL_V1],
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "issuer": issuer,
        "validFrom": iso(issued_at),
        "awardedDate": day_start(request.awarded_on),
        "credentialSubject": subject,
        "credentialStatus": status,
        "credentialSchema": [{"id": OB3_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if valid_until is not None:
        document["validUntil"] = iso(valid_until)
    evidence = _evidence(request)
    if evidence:
        document["evidence"] = evidence
    return document


def _evidence(request: CredentialIssue) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for e in request.evidence:
        item: dict[str, Any] = {"type": ["Evidence"]}
        item.update(
            {
                k: v
                for k, v in {"id": e.id, "name": e.name, "description": e.description}.items()
                if v
            }
        )
        items.append(item)
    if request.sis_reference:
        items.append(
            {
                "type": ["Evidence"],
                "name": "Student information system record",
                "description": request.sis_reference,
            }
        )
    return items
