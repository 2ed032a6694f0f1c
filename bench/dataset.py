"""Request bodies of the data set: institutions, a varied catalogue, learners and results.

Deterministic (seeded by position) so that two runs at the same scale seed the same shape.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

TOPICS = (
    ("Data Literacy for Policy Makers", "0311"),
    ("Introduction to Machine Learning", "0613"),
    ("Sustainable Water Management", "0712"),
    ("Intercultural Communication", "0314"),
    ("Circular Economy in Practice", "0413"),
    ("Clinical Reasoning for Nurses", "0913"),
    ("Didactics of Mathematics", "0114"),
    ("Cyber Security Essentials", "0612"),
    ("Dutch Constitutional Law", "0421"),
    ("Renewable Energy Systems", "0713"),
    ("Project Management Fundamentals", "0413"),
    ("Academic Writing in English", "0231"),
)
ASSESSMENTS = ("project", "written_exam", "portfolio", "oral_exam", "presentation", "online_test")
PARTICIPATION = ("online", "onsite", "blended")
LANGUAGES = (["nl"], ["en"], ["nl", "en"], ["en", "de"])
EQF_CYCLES = {5: "short", 6: "first", 7: "second", 8: "third"}
QA_TYPES = ("accredited_programme", "institutional_accreditation", "internal_quality_assurance")
SUPERVISION = ("supervised_onsite_verification", "supervised_online_verification", "none")


def institution_payload(index: int, run_tag: str) -> dict[str, Any]:
    slug = f"bench-{run_tag}-{index:02d}"
    return {
        "slug": slug,
        "legal_name": f"Stichting Hogeschool Bench {index}",
        "display_name": f"Hogeschool Bench {index}",
        "country_code": "NL",
        "region": "Utrecht",
        "identifiers": [
            {"type": "brin", "value": f"{index:02d}BX"},
            {"type": "schac_home_organisation", "value": f"bench{index}.example.org"},
        ],
        "url": f"https://www.bench{index}.example.org",
        "contact_email": f"credentials@bench{index}.example.org",
        "recognised": True,
        "quality_assurance_statement": "Accredited by the NVAO.",
        "quality_assurance_framework": "NVAO accreditation framework",
    }


def is_formal(index: int) -> bool:
    """Whether achievement ``index`` is a formal micro-credential with every EU element."""
    return index % 5 != 4


def achievement_payload(index: int) -> dict[str, Any]:
    """One of a varied catalogue: mostly formal micro-credentials, every fifth an open badge."""
    title, field_of_study = TOPICS[index % len(TOPICS)]
    course_code = f"BENCH-{index:05d}"
    common: dict[str, Any] = {
        "title": f"{title} {index // len(TOPICS) + 1}",
        "description": f"{title}: a course of the benchmark catalogue, number {index}.",
        "criteria": "Pass the final assessment with at least a 5.5.",
        "learning_outcomes": [
            {
                "text": f"Applies the core methods of {title.lower()} to a realistic case.",
                "esco_skill": "http://data.europa.eu/esco/skill/"
                "3f8a2a5c-1d3f-4a88-9a4c-3c3d5c3e9f1a",
            },
            {"text": "Reports on the results to a professional audience."},
        ],
        "assessment": {"type": ASSESSMENTS[index % len(ASSESSMENTS)], "description": "Graded."},
        "participation_form": PARTICIPATION[index % len(PARTICIPATION)],
        "languages": LANGUAGES[index % len(LANGUAGES)],
        "field_of_study": field_of_study,
        "sis_course_codes": [course_code],
    }
    if not is_formal(index):
        return {**common, "kind": "informal", "workload_hours": 8 + index % 20}
    eqf = 5 + index % 4
    ects = 3 + index % 28
    return {
        **common,
        "kind": "formal",
        "ects": ects,
        "workload_hours": ects * 28,
        "eqf_level": eqf,
        "qf_ehea_cycle": EQF_CYCLES[eqf],
        "quality_assurance": {
            "type": QA_TYPES[index % len(QA_TYPES)],
            "name": "NVAO accredited programme",
            "reference_url": "https://www.nvao.net/",
        },
        "prerequisites": ["Basic statistics at secondary-school level."],
        "supervision": SUPERVISION[index % len(SUPERVISION)],
        "stackability": {"description": "Counts towards a minor."},
        "grading": {"scheme": "numeric", "min_value": "1", "max_value": "10", "pass_value": "5.5"},
        "validity_months": 60,
    }


def pathway_component(index: int, course_code: str) -> dict[str, Any]:
    """Module ``index`` (0, 1, 2, ...) of a pathway: a formal micro-credential of the catalogue
    whose passed SIS results (``course_code``) earn it."""
    body = achievement_payload(index * 5)  # a formal one, whatever the index
    return {
        **body,
        "title": f"Pathway module {index + 1}: {body['title']}",
        "sis_course_codes": [course_code],
    }


def stacked_achievement(components: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The certificate earned with every one of ``components`` ((id, payload) pairs), issued
    by the worker on its own: its credits are theirs together."""
    ects = sum(float(payload["ects"]) for _, payload in components)
    first = components[0][1]
    return {
        **first,
        "kind": "stacked",
        "title": "Pathway certificate",
        "description": "The certificate for whoever passed every module of the pathway.",
        "ects": ects,
        "workload_hours": round(ects * 28),
        "stackability": None,
        "sis_course_codes": [],
        "pathway": {"rule": "all", "components": [a for a, _ in components]},
    }


def awarded_on(today: date, index: int) -> date:
    return today - timedelta(days=1 + index % 300)


def credential_item(achievement_id: str, learner: str, index: int, today: date) -> dict[str, Any]:
    """One item of a batch (or the body of a single issuance) for a unique learner."""
    awarded = awarded_on(today, index)
    return {
        "achievement_id": achievement_id,
        "learner": {
            "name": f"Learner {learner}",
            "student_number": learner,
            "email": f"{learner}@student.example.org",
        },
        "awarded_on": awarded.isoformat(),
        "assessment_date": (awarded - timedelta(days=7)).isoformat(),
        "grade": f"{6 + index % 5}.{index % 10}",
        "identity_verified": True,
        "sis_reference": f"SIS/2025-2026/result-{index}",
    }


def minimal_credential_request(achievement_id: str, learner: str, today: date) -> dict[str, Any]:
    """The least a single issuance takes: the achievement, a named learner, the award day."""
    return {
        "achievement_id": achievement_id,
        "learner": {"name": f"Learner {learner}", "student_number": learner},
        "awarded_on": awarded_on(today, 0).isoformat(),
    }


def full_credential_request(achievement_id: str, learner: str, today: date) -> dict[str, Any]:
    """Every element the issuing API takes for one credential: the learner identified every
    way and named in parts, assessment date, grade, identity verification at assessment
    (the EU elements a request carries; the rest come from the achievement), evidence, the
    SIS reference and an expiry of its own."""
    awarded = awarded_on(today, 0)
    return {
        "achievement_id": achievement_id,
        "learner": {
            "name": f"Learner {learner}",
            "family_name": learner,
            "given_name": "Learner",
            "student_number": learner,
            "email": f"{learner}@student.example.org",
            "did": f"did:web:learners.example.org:{learner}",
        },
        "awarded_on": awarded.isoformat(),
        "assessment_date": (awarded - timedelta(days=7)).isoformat(),
        "grade": "7.5",
        "identity_verified": True,
        "evidence": [
            {
                "id": f"https://portfolio.example.org/{learner}/final-project",
                "name": "Final project",
                "description": "The report and the recorded presentation the grade is for.",
            }
        ],
        "sis_reference": f"SIS/bench/{learner}",
        "valid_until": datetime.combine(
            awarded + timedelta(days=5 * 365), time(), tzinfo=UTC
        ).isoformat(),
    }


def sis_result(index: int, course_code: str, passing: bool) -> dict[str, Any]:
    student = f"s{index:06d}"
    return {
        "student": {"id": student, "name": f"Student {index}", "email": f"{student}@example.org"},
        "course_code": course_code,
        "term": "2026-S1",
        "grade": "7.5" if passing else "4.0",
        "assessment_date": "2026-06-30",
        "identity_verified": True,
    }
