"""The EU Learning Credential (``urn:eu.europa.ec.eudi:learning:credential:1``) read from the
credential record's own Open Badges document.

Every claim comes from the signed document of the record, never from the catalogue as it is
now, so the Learning Credential and the Open Badges credential always say the same thing. A
claim the document does not carry is left out rather than made up; ``docs/eu-elements.md``
maps each claim to its EU element and its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from app.credentials.learners import FAMILY_NAME, GIVEN_NAME

VCT = "urn:eu.europa.ec.eudi:learning:credential:1"

ClaimType = Literal["string", "date", "integer", "string_list"]


@dataclass(frozen=True, slots=True)
class ClaimSpec:
    name: str
    label_en: str
    label_nl: str
    type: ClaimType
    # As the EU reference issuer's Learning Credential configuration marks it.
    mandatory: bool


CLAIMS: tuple[ClaimSpec, ...] = (
    ClaimSpec("issuing_authority", "Issuing authority", "Uitgevende instelling", "string", True),
    ClaimSpec("issuing_country", "Issuing country", "Land van uitgifte", "string", True),
    ClaimSpec("date_of_issuance", "Date of issuance", "Datum van uitgifte", "date", True),
    ClaimSpec("date_of_expiry", "Date of expiry", "Geldig tot", "date", False),
    ClaimSpec("family_name", "Family name(s)", "Achternaam", "string", True),
    ClaimSpec("given_name", "Given name(s)", "Voornamen", "string", False),
    ClaimSpec("learner_identification", "Learner identification", "Identificatie", "string", True),
    ClaimSpec("achievement_title", "Achievement title", "Titel", "string", True),
    ClaimSpec(
        "achievement_description", "Achievement description", "Omschrijving", "string", False
    ),
    ClaimSpec("learning_outcomes", "Learning outcomes", "Leerresultaten", "string_list", False),
    ClaimSpec("assessment_grade", "Assessment grade", "Beoordeling", "string", False),
    ClaimSpec("language_of_classes", "Language of classes", "Onderwijstaal", "string_list", True),
    ClaimSpec("expected_study_time", "Expected study time", "Studielast", "string", True),
    ClaimSpec("level_of_learning_experience", "Level (EQF)", "Niveau (EQF)", "integer", True),
    ClaimSpec(
        "form_of_participation", "Form of participation", "Vorm van deelname", "string", False
    ),
    ClaimSpec(
        "types_of_quality_assurance",
        "Types of quality assurance",
        "Kwaliteitszorg",
        "string_list",
        True,
    ),
    ClaimSpec(
        "prerequisites_to_enroll",
        "Prerequisites to enroll",
        "Toelatingseisen",
        "string_list",
        False,
    ),
    ClaimSpec(
        "evaluator_verification",
        "Supervision and identity verification",
        "Toezicht en identiteitscontrole",
        "string",
        False,
    ),
    ClaimSpec(
        "integration_stackability_options",
        "Integration or stackability options",
        "Stapelbaarheid",
        "string",
        False,
    ),
)
CLAIM_NAMES = frozenset(spec.name for spec in CLAIMS)


def learning_claims(document: dict[str, Any]) -> dict[str, Any]:
    """The selectively disclosable claims of the Learning Credential, in ``CLAIMS`` order."""
    issuer = _object(document.get("issuer"))
    subject = _object(document.get("credentialSubject"))
    achievement = _object(subject.get("achievement"))
    quality = _object(achievement.get("qualityAssurance"))
    results = subject.get("result")
    grade = _object(results[0]).get("value") if isinstance(results, list) and results else None
    workload = achievement.get("workloadHours")
    found: dict[str, Any] = {
        "issuing_authority": issuer.get("name"),
        "issuing_country": _object(issuer.get("address")).get("addressCountryCode"),
        "date_of_issuance": _day(document.get("validFrom")),
        "date_of_expiry": _day(document.get("validUntil")),
        # Only when the name was given in parts: a split of the whole name would be a guess.
        "family_name": _identity(subject, FAMILY_NAME),
        "given_name": _identity(subject, GIVEN_NAME),
        "learner_identification": subject.get("id"),
        "achievement_title": achievement.get("name"),
        "achievement_description": achievement.get("description"),
        "learning_outcomes": [
            outcome["text"]
            for outcome in achievement.get("learningOutcome", [])
            if isinstance(outcome, dict) and isinstance(outcome.get("text"), str)
        ],
        "assessment_grade": str(grade) if grade is not None else None,
        "language_of_classes": achievement.get("languages"),
        # ISO 8601 duration: the workload the achievement states, in hours.
        "expected_study_time": f"PT{workload}H" if isinstance(workload, int) else None,
        "level_of_learning_experience": achievement.get("eqfLevel"),
        "form_of_participation": achievement.get("participationType"),
        "types_of_quality_assurance": (
            [quality["qualityAssuranceType"]] if "qualityAssuranceType" in quality else None
        ),
        "prerequisites_to_enroll": achievement.get("prerequisites"),
        "evaluator_verification": achievement.get("supervisionType"),
        "integration_stackability_options": achievement.get("integrationOptions"),
    }
    return {
        spec.name: found[spec.name] for spec in CLAIMS if found.get(spec.name) not in (None, "", [])
    }


def _identity(subject: dict[str, Any], identity_type: str) -> Any:
    """The clear value of the subject's identifier of ``identity_type``, if it has one."""
    identifiers = subject.get("identifier")
    for identity in identifiers if isinstance(identifiers, list) else []:
        if _object(identity).get("identityType") == identity_type and not identity.get("hashed"):
            return identity.get("identityHash")
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _day(moment: Any) -> str | None:
    """``2026-01-31T12:00:00Z`` -> ``2026-01-31`` (ISO 8601 full-date, as the EU issuer uses)."""
    return moment[:10] if isinstance(moment, str) and len(moment) >= 10 else None
