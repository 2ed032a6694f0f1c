from __future__ import annotations

from typing import Any

from app.eudi.learning import CLAIM_NAMES, CLAIMS, learning_claims


def _document(**achievement: Any) -> dict[str, Any]:
    return {
        "issuer": {"name": "Hogeschool Voorbeeld", "address": {"addressCountryCode": "NL"}},
        "validFrom": "2026-07-01T09:30:00Z",
        "credentialSubject": {
            "id": "did:example:learner",
            "achievement": {"name": "Data Literacy", **achievement},
            "result": [{"type": ["Result"], "value": "8.5"}],
        },
    }


def test_each_claim_is_read_from_the_signed_document() -> None:
    claims = learning_claims(
        _document(
            description="Reading data.",
            learningOutcome=[{"text": "Interprets statistics."}, {"text": "Presents data."}],
            languages=["nl", "en"],
            workloadHours=140,
            eqfLevel=6,
            participationType="blended",
            qualityAssurance={"qualityAssuranceType": "accredited_programme"},
            prerequisites=["Basic statistics."],
            supervisionType="supervised_onsite_verification",
            integrationOptions="Counts towards the minor.",
        )
    )
    assert claims == {
        "issuing_authority": "Hogeschool Voorbeeld",
        "issuing_country": "NL",
        "date_of_issuance": "2026-07-01",
        "learner_identification": "did:example:learner",
        "achievement_title": "Data Literacy",
        "achievement_description": "Reading data.",
        "learning_outcomes": ["Interprets statistics.", "Presents data."],
        "assessment_grade": "8.5",
        "language_of_classes": ["nl", "en"],
        "expected_study_time": "PT140H",
        "level_of_learning_experience": 6,
        "form_of_participation": "blended",
        "types_of_quality_assurance": ["accredited_programme"],
        "prerequisites_to_enroll": ["Basic statistics."],
        "evaluator_verification": "supervised_onsite_verification",
        "integration_stackability_options": "Counts towards the minor.",
    }


def test_claims_the_record_lacks_are_left_out_not_made_up() -> None:
    document = _document()
    del document["credentialSubject"]["id"]
    del document["credentialSubject"]["result"]
    claims = learning_claims(document)
    assert set(claims) == {
        "issuing_authority",
        "issuing_country",
        "date_of_issuance",
        "achievement_title",
    }


def test_the_learner_name_is_not_split_into_family_and_given_names() -> None:
    document = _document()
    document["credentialSubject"]["identifier"] = [
        {"identityType": "name", "hashed": False, "identityHash": "Sanne de Vries"}
    ]
    claims = learning_claims(document)
    assert "family_name" not in claims
    assert "given_name" not in claims


def test_a_name_given_in_parts_becomes_family_and_given_name() -> None:
    document = _document()
    document["credentialSubject"]["identifier"] = [
        {"identityType": "name", "hashed": False, "identityHash": "Sanne de Vries"},
        {"identityType": "ext:familyName", "hashed": False, "identityHash": "de Vries"},
        {"identityType": "ext:givenName", "hashed": False, "identityHash": "Sanne"},
    ]
    claims = learning_claims(document)
    assert (claims["family_name"], claims["given_name"]) == ("de Vries", "Sanne")


def test_an_expiry_becomes_the_date_of_expiry() -> None:
    document = {**_document(), "validUntil": "2031-07-01T00:00:00Z"}
    assert learning_claims(document)["date_of_expiry"] == "2031-07-01"


def test_every_claim_of_the_list_has_a_distinct_name() -> None:
    assert len(CLAIM_NAMES) == len(CLAIMS)
