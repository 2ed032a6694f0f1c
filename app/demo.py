"""Demo data: one made-up Dutch university of applied sciences with a small published catalogue.

The catalogue is shaped like the micro-credentials of the Dutch pilot (3-30 ECTS, EQF 5-7, every
EU standard element filled in) so that a first look at the service shows realistic credentials.
Names and web addresses are invented; the addresses use the reserved ``.example`` domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements import service as achievements
from app.achievements.schemas import AchievementCreate
from app.auth import service as auth
from app.auth.principal import Principal
from app.auth.scopes import INSTITUTION_SCOPES
from app.certificates import development
from app.certificates import service as certificates
from app.errors import NotFound
from app.institutions import repository as institutions_repository
from app.institutions import service as institutions
from app.institutions.models import Institution
from app.institutions.schemas import InstitutionCreate, OrgUnitCreate
from app.keys import repository as keys_repository

DEMO_SLUG = "hogeschool-lindewijk"
DEMO_ACTOR = "demo-loader"
DEMO_KEY_NAME = "demo admin key"

# Any fixed number: concurrent loaders (two `stapel dev` at once) queue on it, so only one loads.
_DEMO_LOCK_ID = 0x57A9E1


def _institution() -> InstitutionCreate:
    return InstitutionCreate.model_validate(
        {
            "slug": DEMO_SLUG,
            "legal_name": "Stichting Hogeschool Lindewijk",
            "display_name": "Hogeschool Lindewijk",
            "country_code": "NL",
            "region": "Gelderland",
            "identifiers": [
                {"type": "brin", "value": "99LW"},
                {"type": "schac_home_organisation", "value": "lindewijk.example"},
            ],
            "url": "https://www.lindewijk.example",
            "contact_email": "microcredentials@lindewijk.example",
            "recognised": True,
            "quality_assurance_statement": (
                "Hogeschool Lindewijk passed the NVAO institutional audit; its bachelor and "
                "master programmes are accredited by the NVAO (Accreditation Organisation of the "
                "Netherlands and Flanders). Its micro-credentials follow the joint quality "
                "agreements of the Dutch higher-education micro-credentials pilot."
            ),
            "quality_assurance_framework": "NVAO accreditation framework (Instellingstoets)",
            "signing_algorithm": "ES256",
        }
    )


_NVAO = "https://www.nvao.net/"
_TEN_POINT_SCALE = {"scheme": "numeric", "min_value": "1", "max_value": "10", "pass_value": "5.5"}
_MORE_INFO = "https://www.lindewijk.example/microcredentials/"


def _data_analysis() -> dict[str, Any]:
    return {
        "kind": "formal",
        "title": "Data-analyse met Python",
        "description": "Gegevens inlezen, opschonen, analyseren en visualiseren met Python en "
        "pandas, voor professionals zonder programmeerachtergrond.",
        "criteria": "Eindopdracht (data-analyse op een eigen dataset) met ten minste een 5,5.",
        "learning_outcomes": [
            {"text": "Leest en schoont een dataset op met pandas."},
            {"text": "Kiest en past beschrijvende statistiek toe op een vraagstuk."},
            {"text": "Presenteert bevindingen in heldere visualisaties."},
        ],
        "ects": 5,
        "workload_hours": 140,
        "eqf_level": 6,
        "qf_ehea_cycle": "first",
        "assessment": {
            "type": "project",
            "description": "Individuele data-analyse met verslag en notebook.",
        },
        "participation_form": "blended",
        "quality_assurance": {
            "type": "accredited_programme",
            "name": "NVAO-geaccrediteerde bacheloropleiding HBO-ICT",
            "reference_url": _NVAO,
        },
        "prerequisites": ["Wiskunde op havo-niveau."],
        "supervision": "supervised_onsite_verification",
        "stackability": {"description": "Telt mee voor de minor Data Science."},
        "languages": ["nl"],
        "field_of_study": "0613",
        "grading": _TEN_POINT_SCALE,
        "further_information_url": f"{_MORE_INFO}data-analyse-met-python",
        "sis_course_codes": ["ATI-DAP-01"],
    }


def _cyber_security() -> dict[str, Any]:
    return {
        "kind": "formal",
        "title": "Cyber Security Fundamentals",
        "description": "Threats, controls and incident response for small and medium-sized "
        "enterprises.",
        "learning_outcomes": [
            {"text": "Identifies common attack vectors against an SME network."},
            {"text": "Configures basic network and endpoint security controls."},
        ],
        "ects": 3,
        "workload_hours": 84,
        "eqf_level": 5,
        "qf_ehea_cycle": "short",
        "assessment": {"type": "practical_exam", "description": "Hands-on exam in a virtual lab."},
        "participation_form": "online",
        "quality_assurance": {
            "type": "accredited_programme",
            "name": "NVAO-accredited Associate degree IT Service Management",
            "reference_url": _NVAO,
        },
        "supervision": "supervised_online_verification",
        "stackability": {
            "description": "Counts towards the Associate degree IT Service Management."
        },
        "languages": ["en"],
        "field_of_study": "0612",
        "grading": {"scheme": "pass_fail"},
        "further_information_url": f"{_MORE_INFO}cyber-security-fundamentals",
        "sis_course_codes": ["ATI-CSF-01"],
    }


def _care_technology() -> dict[str, Any]:
    return {
        "kind": "formal",
        "title": "Zorgtechnologie in de wijkverpleging",
        "description": "Inzet van zorgtechnologie (telemonitoring, e-health, leefstijlmonitoring) "
        "in de thuiszorg, van keuze tot implementatie.",
        "criteria": "Portfolio en criteriumgericht interview voldoende.",
        "learning_outcomes": [
            {"text": "Beoordeelt welke zorgtechnologie past bij de zorgvraag."},
            {"text": "Begeleidt cliënten en mantelzorgers bij het gebruik ervan."},
            {"text": "Stelt een implementatieplan op voor het eigen team."},
        ],
        "ects": 15,
        "workload_hours": 420,
        "eqf_level": 6,
        "qf_ehea_cycle": "first",
        "assessment": {
            "type": "portfolio",
            "description": "Portfolio uit de praktijk met criteriumgericht interview.",
        },
        "participation_form": "onsite",
        "quality_assurance": {
            "type": "accredited_programme",
            "name": "NVAO-geaccrediteerde bacheloropleiding Verpleegkunde",
            "reference_url": _NVAO,
        },
        "prerequisites": ["Werkzaam in de wijkverpleging (mbo-4 of hbo)."],
        "supervision": "supervised_onsite_verification",
        "languages": ["nl"],
        "field_of_study": "0913",
        "grading": _TEN_POINT_SCALE,
        "further_information_url": f"{_MORE_INFO}zorgtechnologie-in-de-wijkverpleging",
        "sis_course_codes": ["AGW-ZTW-01"],
    }


def _leading_change() -> dict[str, Any]:
    return {
        "kind": "formal",
        "title": "Leading Change in Healthcare Organisations",
        "description": "Master-level module on leading sustainable change in care organisations, "
        "combining change theory with a practice-based project.",
        "learning_outcomes": [
            {"text": "Analyses an organisational change issue with change theory."},
            {"text": "Designs and leads a change intervention with stakeholders."},
            {"text": "Evaluates the intervention and reflects on own leadership."},
        ],
        "ects": 30,
        "workload_hours": 840,
        "eqf_level": 7,
        "qf_ehea_cycle": "second",
        "assessment": {
            "type": "oral_exam",
            "description": "Defence of a change project before two examiners.",
        },
        "participation_form": "blended",
        "quality_assurance": {
            "type": "accredited_programme",
            "name": "NVAO-accredited Master Advanced Nursing Practice",
            "reference_url": _NVAO,
        },
        "prerequisites": ["A bachelor's degree in health care or social work."],
        "supervision": "supervised_onsite_verification",
        "stackability": {"description": "Exempts from the leadership module of the master."},
        "languages": ["en", "nl"],
        "field_of_study": "0413",
        "grading": _TEN_POINT_SCALE,
        "further_information_url": f"{_MORE_INFO}leading-change-in-healthcare",
        "sis_course_codes": ["AGW-LCH-01"],
    }


def _formal_catalogue() -> list[tuple[OrgUnitCreate, list[dict[str, Any]]]]:
    """Two organisational units, each with the formal micro-credentials it offers."""
    return [
        (
            OrgUnitCreate(name="Academie Techniek & ICT", code="ATI"),
            [_data_analysis(), _cyber_security()],
        ),
        (
            OrgUnitCreate(name="Academie Gezondheid & Welzijn", code="AGW"),
            [_care_technology(), _leading_change()],
        ),
    ]


def _informal_badge() -> dict[str, Any]:
    """An open badge: no credits and no level, which the issuing policy requires of one."""
    return {
        "kind": "informal",
        "title": "Peer Feedback Geven",
        "description": "Geeft medestudenten bruikbare, onderbouwde feedback op hun werk.",
        "learning_outcomes": [
            {"text": "Geeft feedback volgens het feed-up, feedback, feed-forward model."}
        ],
        "workload_hours": 8,
        "assessment": {"type": "peer_assessment"},
        "participation_form": "online",
        "languages": ["nl"],
    }


async def has_institutions(session: AsyncSession) -> bool:
    return await session.scalar(select(Institution.id).limit(1)) is not None


async def load_demo_data(session: AsyncSession) -> str | None:
    """Fill an empty database with the demo institution and catalogue.

    Returns the institution's admin API key (shown once; only its hash is stored), or None when
    the database holds an institution already, in which case nothing is changed. The caller owns
    the transaction.
    """
    await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _DEMO_LOCK_ID})
    if await has_institutions(session):
        return None
    institution = await institutions.create_institution(session, _institution(), DEMO_ACTOR)
    client, api_key = await auth.create_institution_client(
        session, institution.id, DEMO_KEY_NAME, INSTITUTION_SCOPES, DEMO_ACTOR
    )
    admin = Principal(
        client_id=client.id, institution_id=institution.id, scopes=frozenset(client.scopes)
    )
    await _load_catalogue(session, admin)
    return api_key


async def issue_demo_key(session: AsyncSession, actor: str) -> str:
    """A new admin key for the demo institution, for when the first one was not kept."""
    institution = await institutions_repository.get_by_slug(session, DEMO_SLUG)
    if institution is None:
        raise NotFound(f"This database holds no demo institution '{DEMO_SLUG}'.")
    _, api_key = await auth.create_institution_client(
        session, institution.id, DEMO_KEY_NAME, INSTITUTION_SCOPES, actor
    )
    return api_key


async def _load_catalogue(session: AsyncSession, admin: Principal) -> None:
    for unit_body, offered in _formal_catalogue():
        unit = await institutions.create_org_unit(session, admin, unit_body)
        for payload in offered:
            await _publish(session, admin, {**payload, "org_unit_id": str(unit.id)})
    await _publish(session, admin, _informal_badge())


async def _publish(session: AsyncSession, admin: Principal, payload: dict[str, Any]) -> None:
    body = AchievementCreate.model_validate(payload)
    created = await achievements.create_achievement(session, admin, body)
    await achievements.publish_achievement(session, admin, created.id)


@dataclass(frozen=True)
class DemoCertificate:
    subject: str
    not_after: datetime
    development: bool


async def certify_demo_key(
    session: AsyncSession, authority: development.CertificateAuthority
) -> DemoCertificate | None:
    """The demo institution's current certificate, made with the development CA when it has none.

    None when the database holds no demo institution (``stapel dev`` on a database of its own).
    """
    institution = await institutions_repository.get_by_slug(session, DEMO_SLUG)
    if institution is None:
        return None
    key = await keys_repository.active_key(session, institution.id)
    if key is None:
        return None
    for listed in await certificates.list_certificates(session, institution.id):
        if listed.current and listed.certificate.signing_key_id == key.id:
            row = listed.certificate
            return DemoCertificate(row.subject, row.not_after, row.development)
    row = await development.certify_active_key(session, institution.id, authority, DEMO_ACTOR)
    return DemoCertificate(row.subject, row.not_after, row.development)
