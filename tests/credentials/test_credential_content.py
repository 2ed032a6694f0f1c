"""What an issued credential says: OB3 schema validity, EU elements, learner privacy, status."""

from __future__ import annotations

import uuid

import httpx
from jsonschema import Draft201909Validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.credentials.models import Credential
from app.credentials.ob3_schema import OB3_SCHEMA_URL, published_schema, schema_errors
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant


async def test_a_credential_passes_the_published_ob3_schema_it_names(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    credential = (await issue(client, tenant, achievement["id"]))["credential"]
    assert credential["credentialSchema"][0]["id"] == OB3_SCHEMA_URL
    assert credential["credentialStatus"]["statusPurpose"] == "revocation"
    assert list(Draft201909Validator(published_schema()).iter_errors(credential)) == []
    assert schema_errors(credential) == []


async def test_a_suspendable_credential_differs_from_the_published_schema_only_in_its_status(
    client: httpx.AsyncClient, suspending_tenant: Tenant
) -> None:
    """And so names Stapel's variant, which allows the list (and is served; see test_schemas)."""
    achievement = await published_achievement(client, suspending_tenant)
    credential = (await issue(client, suspending_tenant, achievement["id"]))["credential"]
    assert credential["credentialSchema"][0]["id"] == (
        "https://stapel.test/schemas/ob3/achievementcredential-status-lists.json"
    )
    errors = list(Draft201909Validator(published_schema()).iter_errors(credential))
    assert [e.json_path for e in errors] == ["$.credentialStatus"]
    assert schema_errors(credential) == []


async def test_every_eu_standard_element_is_machine_readable(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    credential = (await issue(client, tenant, achievement["id"]))["credential"]
    subject = credential["credentialSubject"]
    a = subject["achievement"]
    issuer = credential["issuer"]
    alignments = {x["targetType"]: x for x in a["alignment"]}
    assert {i["identityType"] for i in subject["identifier"]} == {
        "sisSourcedId",
        "emailAddress",
        "name",
    }
    assert a["name"] == "Data Literacy for Policy Makers"
    assert issuer["address"]["addressCountryCode"] == "NL"
    assert issuer["address"]["addressRegion"] == "Utrecht"
    assert issuer["name"] == "Hogeschool Voorbeeld"
    assert credential["validFrom"].endswith("Z")
    assert credential["awardedDate"] == "2026-07-01T00:00:00Z"
    assert [o["text"] for o in a["learningOutcome"]][1].startswith("Presents")
    assert alignments["ceasn:Competency"]["targetUrl"].startswith(
        "http://data.europa.eu/esco/skill/"
    )
    assert a["creditsAvailable"] == 5
    assert subject["creditsEarned"] == 5
    assert a["workloadHours"] == 140
    assert alignments["ext:EQFLevel"]["targetUrl"] == "http://data.europa.eu/snb/eqf/6"
    assert a["qfEheaCycle"] == "first"
    assert a["assessmentType"] == "project"
    assert a["participationType"] == "blended"
    assert a["qualityAssurance"]["qualityAssuranceType"] == "accredited_programme"
    assert alignments["ext:QualityAssurance"]["targetUrl"] == "https://www.nvao.net/"
    assert a["prerequisites"] == ["Basic statistics at secondary-school level."]
    assert a["supervisionType"] == "supervised_onsite_verification"
    assert subject["identityChecked"] is True
    assert subject["result"][0]["value"] == "8.5"
    assert subject["result"][0]["resultDescription"] == a["resultDescription"][0]["id"]
    assert a["integrationOptions"] == "Counts towards the minor Data & Society."
    assert a["achievementType"] == "MicroCredential"
    assert alignments["ext:ISCEDF"]["targetCode"] == "0311"
    assert a["languages"] == ["nl", "en"]
    assert credential["evidence"][0]["description"] == "OSIRIS/2025-2026/DLPM-01/result-88231"


async def test_learner_email_and_student_number_never_stored_in_clear(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    issued = await issue(client, tenant, achievement["id"])
    async with sessionmaker() as session:
        row = (
            await session.execute(
                select(Credential).where(Credential.id == uuid.UUID(issued["id"]))
            )
        ).scalar_one()
    stored = f"{row.document} {row.jwt} {row.learner_lookup}".lower()
    assert "s1234567" not in stored
    assert "sanne.devries@student" not in stored
    hashed = [i for i in issued["credential"]["credentialSubject"]["identifier"] if i["hashed"]]
    assert all(i["identityHash"].startswith("sha256$") and i["salt"] for i in hashed)


async def test_hashed_identifier_matches_learner_email_with_its_salt(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    import hashlib

    achievement = await published_achievement(client, tenant)
    credential = (await issue(client, tenant, achievement["id"]))["credential"]
    email = next(
        i
        for i in credential["credentialSubject"]["identifier"]
        if i["identityType"] == "emailAddress"
    )
    expected = hashlib.sha256(("sanne.devries@student.voorbeeld.nl" + email["salt"]).encode())
    assert email["identityHash"] == "sha256$" + expected.hexdigest()


async def test_status_entries_for_revocation_and_suspension_share_a_random_index(
    client: httpx.AsyncClient, suspending_tenant: Tenant
) -> None:
    tenant = suspending_tenant
    achievement = await published_achievement(client, tenant)
    indexes = set()
    for _ in range(5):
        status = (await issue(client, tenant, achievement["id"]))["credential"]["credentialStatus"]
        assert [s["statusPurpose"] for s in status] == ["revocation", "suspension"]
        assert all(s["type"] == "BitstringStatusListEntry" for s in status)
        assert isinstance(status[0]["statusListIndex"], str)
        assert status[0]["statusListIndex"] == status[1]["statusListIndex"]
        indexes.add(int(status[0]["statusListIndex"]))
        listed = await client.get(
            status[0]["statusListCredential"].removeprefix("https://stapel.test")
        )
        assert listed.status_code == 200
    assert len(indexes) == 5
    assert indexes != set(range(5))


async def test_credential_keeps_the_version_it_was_issued_from(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    first = await issue(client, tenant, achievement["id"])
    edited = await client.patch(
        f"/v1/achievements/{achievement['id']}",
        json={"title": "Data Literacy, 2nd edition"},
        headers=tenant.headers,
    )
    assert edited.status_code == 200
    assert edited.json()["version"] == 2
    second = await issue(client, tenant, achievement["id"])
    assert first["achievement_version"] == 1
    assert first["credential"]["credentialSubject"]["achievement"]["name"] == (
        "Data Literacy for Policy Makers"
    )
    assert second["achievement_version"] == 2
    assert second["credential"]["credentialSubject"]["achievement"]["id"].endswith("/versions/2")
    stored = await client.get(f"/v1/credentials/{first['id']}", headers=tenant.headers)
    assert stored.json()["achievement_version"] == 1


async def test_edit_before_any_issuance_stays_in_the_same_version(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    edited = await client.patch(
        f"/v1/achievements/{achievement['id']}", json={"ects": 6}, headers=tenant.headers
    )
    assert edited.json()["version"] == 1
    versions = await client.get(
        f"/v1/achievements/{achievement['id']}/versions", headers=tenant.headers
    )
    assert len(versions.json()) == 1
