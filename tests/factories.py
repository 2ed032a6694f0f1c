"""Builders of valid requests and of ready-made tenants for the tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth import service as auth_service
from app.auth.scopes import INSTITUTION_SCOPES


@dataclass(frozen=True)
class Tenant:
    institution: dict[str, Any]
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def id(self) -> str:
        return str(self.institution["id"])

    @property
    def slug(self) -> str:
        return str(self.institution["slug"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def operator_token(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    async with sessionmaker() as session, session.begin():
        _, token = await auth_service.create_operator_client(session, "test operator", "test")
    return token


def institution_payload(**overrides: Any) -> dict[str, Any]:
    slug = overrides.pop("slug", f"inst-{uuid.uuid4().hex[:8]}")
    payload: dict[str, Any] = {
        "slug": slug,
        "legal_name": "Stichting Hogeschool Voorbeeld",
        "display_name": "Hogeschool Voorbeeld",
        "country_code": "NL",
        "region": "Utrecht",
        "identifiers": [
            {"type": "brin", "value": "99XX"},
            {"type": "schac_home_organisation", "value": "voorbeeld.nl"},
        ],
        "url": "https://www.voorbeeld.nl",
        "contact_email": "credentials@voorbeeld.nl",
        "recognised": True,
        "quality_assurance_statement": "Accredited by the NVAO.",
        "quality_assurance_framework": "NVAO accreditation framework",
    }
    payload.update(overrides)
    return payload


async def create_tenant(
    client: httpx.AsyncClient,
    operator: str,
    scopes: frozenset[str] | set[str] = INSTITUTION_SCOPES,
    **institution: Any,
) -> Tenant:
    created = await client.post(
        "/v1/institutions", json=institution_payload(**institution), headers=bearer(operator)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    key = await client.post(
        "/v1/api-clients",
        json={"name": "test key", "scopes": sorted(scopes), "institution_id": body["id"]},
        headers=bearer(operator),
    )
    assert key.status_code == 201, key.text
    return Tenant(institution=body, token=key.json()["api_key"])


async def add_key(client: httpx.AsyncClient, tenant: Tenant, scopes: set[str]) -> str:
    response = await client.post(
        "/v1/api-clients",
        json={"name": "scoped key", "scopes": sorted(scopes)},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["api_key"])


def achievement_payload(**overrides: Any) -> dict[str, Any]:
    """A formal micro-credential shaped like one of the Dutch pilot's."""
    payload: dict[str, Any] = {
        "kind": "formal",
        "title": "Data Literacy for Policy Makers",
        "description": "Reading, questioning and presenting data in public policy work.",
        "criteria": "Pass the final project with at least a 5.5.",
        "learning_outcomes": [
            {
                "text": "Interprets descriptive statistics in policy documents.",
                "esco_skill": "http://data.europa.eu/esco/skill/"
                "3f8a2a5c-1d3f-4a88-9a4c-3c3d5c3e9f1a",
            },
            {"text": "Presents a data-driven argument to a lay audience."},
        ],
        "ects": 5,
        "workload_hours": 140,
        "eqf_level": 6,
        "qf_ehea_cycle": "first",
        "assessment": {"type": "project", "description": "Individual policy brief with data."},
        "participation_form": "blended",
        "quality_assurance": {
            "type": "accredited_programme",
            "name": "NVAO accredited bachelor programme",
            "reference_url": "https://www.nvao.net/",
        },
        "prerequisites": ["Basic statistics at secondary-school level."],
        "supervision": "supervised_onsite_verification",
        "stackability": {"description": "Counts towards the minor Data & Society."},
        "languages": ["nl", "en"],
        "field_of_study": "0311",
        "grading": {"scheme": "numeric", "min_value": "1", "max_value": "10", "pass_value": "5.5"},
        "validity_months": 60,
        "sis_course_codes": ["DLPM-01"],
    }
    payload.update(overrides)
    return payload


def informal_badge_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": "informal",
        "title": "Library Research Skills",
        "description": "Finds, evaluates and cites sources with the library's tools.",
        "learning_outcomes": [{"text": "Uses the catalogue and databases to find sources."}],
        "workload_hours": 6,
        "assessment": {"type": "online_test"},
        "participation_form": "online",
        "languages": ["en"],
    }
    payload.update(overrides)
    return payload
