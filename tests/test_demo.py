"""Demo data: a realistic, published catalogue in an empty database_url, and never twice."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from app.achievements.models import Achievement
from app.auth.models import ApiClient
from app.certificates import development
from app.certificates.service import DEVELOPMENT_MARK
from app.cli import cli
from app.config import get_settings
from app.demo import DEMO_SLUG, certify_demo_key, load_demo_data
from app.institutions.models import Institution, OrgUnit
from app.worker.runner import Worker
from tests.factories import bearer

API_KEY = re.compile(r"stapel_[0-9a-f]{16}_\S+")


async def load(sessionmaker: async_sessionmaker[AsyncSession]) -> str | None:
    async with sessionmaker() as session, session.begin():
        return await load_demo_data(session)


async def row_counts(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessionmaker() as session:
        return {
            model.__tablename__: (
                await session.execute(select(func.count()).select_from(model))
            ).scalar_one()
            for model in (Institution, OrgUnit, Achievement, ApiClient)
        }


async def catalogue(client: httpx.AsyncClient, api_key: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/achievements", headers=bearer(api_key))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_demo_is_one_institution_with_a_published_catalogue(
    sessionmaker: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    api_key = await load(sessionmaker)

    assert api_key is not None
    assert await row_counts(sessionmaker) == {
        "institutions": 1,
        "org_units": 2,
        "achievements": 9,
        "api_clients": 1,
    }
    items = await catalogue(client, api_key)
    assert {item["state"] for item in items} == {"published"}
    formal = [item for item in items if item["kind"] == "formal"]
    informal = [item for item in items if item["kind"] == "informal"]
    stacked = [item for item in items if item["kind"] == "stacked"]
    assert len(formal) == 7
    assert len(informal) == 1
    assert len(stacked) == 1
    assert informal[0]["ects"] is None


async def test_demo_micro_credentials_look_like_the_dutch_pilot(
    sessionmaker: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    api_key = await load(sessionmaker)
    assert api_key is not None

    formal = [i for i in await catalogue(client, api_key) if i["kind"] == "formal"]

    for item in formal:
        assert 3 <= item["ects"] <= 30, item["title"]
        assert 5 <= item["eqf_level"] <= 7, item["title"]
        assert set(item["languages"]) <= {"nl", "en"}
        assert item["learning_outcomes"]
        assert item["assessment"]["type"]
        assert item["participation_form"]
        assert item["quality_assurance"]["type"]
        assert re.fullmatch(r"\d{4}", item["field_of_study"])
        assert item["org_unit_id"] is not None
    assert {item["eqf_level"] for item in formal} == {5, 6, 7}


async def test_demo_institution_is_a_recognised_dutch_issuer_with_an_es256_key(
    sessionmaker: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    api_key = await load(sessionmaker)
    assert api_key is not None

    (institution,) = (await client.get("/v1/institutions", headers=bearer(api_key))).json()
    did = await client.get(f"/issuers/{DEMO_SLUG}/did.json")

    assert institution["country_code"] == "NL"
    assert institution["recognised"] is True
    assert {i["type"] for i in institution["identifiers"]} == {"brin", "schac_home_organisation"}
    assert "NVAO" in institution["quality_assurance_statement"]
    method, _multikey = did.json()["verificationMethod"]
    assert method["publicKeyJwk"]["crv"] == "P-256"


async def test_demo_key_issues_a_credential_for_a_demo_achievement(
    sessionmaker: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    """The README walkthrough: the printed key issues a credential whose claim link publishes it."""
    api_key = await load(sessionmaker)
    assert api_key is not None
    achievement = next(i for i in await catalogue(client, api_key) if i["kind"] == "formal")

    issued = await client.post(
        "/v1/credentials",
        json={
            "achievement_id": achievement["id"],
            "learner": {"student_number": "s1234567", "email": "a@example.org", "name": "A. Li"},
            "awarded_on": "2026-07-01",
        },
        headers=bearer(api_key),
    )
    assert issued.status_code == 201, issued.text
    fetched = await client.get(
        f"/v1/credentials/{issued.json()['id']}",
        headers={**bearer(api_key), "Accept": "application/vc+jwt"},
    )
    assert fetched.status_code == 200
    assert fetched.text.count(".") == 2
    claim = issued.json()["claim_url"].removeprefix("https://stapel.test")
    assert (await client.get(claim)).status_code == 200
    assert (await client.post(f"{claim}/publish")).status_code == 303
    shown = await client.get(f"/v1/credentials/{issued.json()['id']}", headers=bearer(api_key))
    public = await client.get(shown.json()["public_url"].removeprefix("https://stapel.test"))
    assert public.status_code == 200
    assert "banner-valid" in public.text


async def test_demo_loads_nothing_into_a_database_with_an_institution(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    assert await load(sessionmaker) is not None
    before = await row_counts(sessionmaker)

    assert await load(sessionmaker) is None
    assert await row_counts(sessionmaker) == before


def test_demo_command_prints_the_key_only_on_the_first_run(database_url: str) -> None:
    runner = CliRunner()

    first = runner.invoke(cli, ["demo"])
    second = runner.invoke(cli, ["demo"])

    assert first.exit_code == 0, first.output
    assert len(API_KEY.findall(first.stdout)) == 1
    assert second.exit_code == 0, second.output
    assert not API_KEY.search(second.output)
    assert f"api-key create --institution {DEMO_SLUG}" in second.stdout


async def test_the_demo_key_is_certified_once_by_the_development_ca(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    api_key = await load(sessionmaker)
    assert api_key is not None
    authority = development.load_or_create(tmp_path, get_settings().kek_bytes)
    async with sessionmaker() as session, session.begin():
        first = await certify_demo_key(session, authority)
    async with sessionmaker() as session, session.begin():
        again = await certify_demo_key(session, authority)
    assert first is not None
    assert first == again  # certified once, then found
    assert first.development
    assert DEVELOPMENT_MARK in first.subject
    listed = await client.get("/v1/certificates", headers=bearer(api_key))
    [certificate] = listed.json()
    assert certificate["development"] is True
    assert certificate["current"] is True


async def test_issuing_the_three_demo_modules_brings_the_certificate(
    sessionmaker: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    """The README's pathway walk-through: three modules issued, the worker adds the certificate."""
    api_key = await load(sessionmaker)
    assert api_key is not None
    items = await catalogue(client, api_key)
    (certificate,) = [i for i in items if i["kind"] == "stacked"]
    for module in certificate["pathway"]["components"]:
        issued = await client.post(
            "/v1/credentials",
            json={
                "achievement_id": module,
                "learner": {"student_number": "s2345678", "name": "Noor Bakker"},
                "awarded_on": "2026-07-01",
            },
            headers=bearer(api_key),
        )
        assert issued.status_code == 201, issued.text
    worker = Worker(get_settings(), sessionmaker)
    # The three modules' events, then the certificate's own (it could count towards more).
    assert await worker.pathway_round() == 4
    assert await worker.pathway_round() == 0
    found = await client.get(
        "/v1/credentials",
        params={"achievement_id": certificate["id"], "student_number": "s2345678"},
        headers=bearer(api_key),
    )
    (stacked,) = found.json()["items"]
    assert stacked["credential"]["credentialSubject"]["creditsEarned"] == 15
