"""An external credential as evidence: accepted only verified, recognised and the learner's."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.keys.did import institution_did
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.learner_requests.support import ask, asked, recognise_tenant, stored_counts


def claim_path(issued: dict[str, Any]) -> str:
    return "/claim/" + str(issued["claim_url"]).rsplit("/claim/", 1)[1]


async def _theirs(client: httpx.AsyncClient, other: Tenant, **learner: str) -> dict[str, Any]:
    """A credential of ``other`` (an institution on this instance) for the same learner."""
    achievement = await published_achievement(client, other, title="Statistics in Practice")
    who = {"name": "Sanne de Vries", "student_number": "s1234567", **learner}
    return await issue(client, other, achievement["id"], learner=who)


async def test_a_recognised_issuers_credential_naming_the_learner_is_accepted(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await recognise_tenant(client, tenant, other_tenant)
    ours = await published_achievement(client, tenant)
    # The default form names the learner by a keyed e-mail pseudonym, which only this
    # instance can check.
    theirs = await _theirs(client, other_tenant, email="sanne.devries@student.voorbeeld.nl")
    created = await asked(client, tenant, ours["id"], external_credential=theirs["jwt"])
    external = created["external_credential"]
    assert external["issuer_did"] == institution_did(other_tenant.slug)
    assert external["document_id"] == theirs["credential_id"]
    assert external["achievement_name"] == "Statistics in Practice"
    assert external["ects"] == 5
    assert external["eqf_level"] == 6
    async with sessionmaker() as session:
        row = (await session.execute(text("SELECT * FROM external_credentials"))).one()
    assert "Sanne" not in " ".join(str(v) for v in row)  # the token is not kept

    again = await asked(client, tenant, ours["id"], external_credential=theirs["jwt"])
    assert again["external_credential"]["id"] == external["id"]  # accepted once


async def test_a_baked_badge_carries_the_credential_as_well(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    await recognise_tenant(client, tenant, other_tenant)
    ours = await published_achievement(client, tenant)
    theirs = await _theirs(client, other_tenant, email="sanne.devries@student.voorbeeld.nl")
    png = await client.get(f"{claim_path(theirs)}/badge.png")
    assert png.status_code == 200
    created = await asked(
        client, tenant, ours["id"], external_badge=base64.b64encode(png.content).decode()
    )
    assert created["external_credential"]["document_id"] == theirs["credential_id"]


async def test_an_unrecognised_issuer_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ours = await published_achievement(client, tenant)
    theirs = await _theirs(client, other_tenant, email="sanne.devries@student.voorbeeld.nl")
    before = await stored_counts(sessionmaker)
    refused = await ask(client, tenant, ours["id"], external_credential=theirs["jwt"])
    assert refused.status_code == 422
    assert refused.json()["code"] == "issuer_not_recognised"
    assert await stored_counts(sessionmaker) == before


async def test_a_credential_naming_someone_else_is_refused(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await recognise_tenant(client, tenant, other_tenant)
    ours = await published_achievement(client, tenant)
    someone_else = await _theirs(
        client, other_tenant, student_number="s7654321", email="piet@student.voorbeeld.nl"
    )
    before = await stored_counts(sessionmaker)
    refused = await ask(client, tenant, ours["id"], external_credential=someone_else["jwt"])
    assert refused.status_code == 422
    assert refused.json()["code"] == "identity_mismatch"
    assert await stored_counts(sessionmaker) == before


async def test_a_credential_naming_no_identifier_of_the_learner_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    """The student number is left out of credentials by default: a credential naming the
    learner by nothing else cannot be matched, however alike the names."""
    await recognise_tenant(client, tenant, other_tenant)
    ours = await published_achievement(client, tenant)
    by_number_only = await _theirs(client, other_tenant)
    refused = await ask(client, tenant, ours["id"], external_credential=by_number_only["jwt"])
    assert refused.status_code == 422
    assert refused.json()["code"] == "identity_mismatch"


async def test_a_tampered_or_revoked_credential_is_refused(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await recognise_tenant(client, tenant, other_tenant)
    ours = await published_achievement(client, tenant)
    theirs = await _theirs(client, other_tenant, email="sanne.devries@student.voorbeeld.nl")
    header, payload, signature = theirs["jwt"].split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    before = await stored_counts(sessionmaker)
    tampered = await ask(
        client, tenant, ours["id"], external_credential=f"{header}.{payload}.{flipped}"
    )
    assert tampered.status_code == 422
    assert tampered.json()["code"] == "external_credential_unverified"
    assert "signature" in {e["code"].removeprefix("check_") for e in tampered.json()["errors"]}
    garbage = await ask(client, tenant, ours["id"], external_credential="not a credential")
    assert garbage.json()["code"] == "external_credential_unverified"
    assert garbage.status_code == 422

    revoked = await client.post(
        f"/v1/credentials/{theirs['id']}/revoke",
        json={"reason_code": "issued_in_error"},
        headers=other_tenant.headers,
    )
    assert revoked.status_code == 200
    refused = await ask(client, tenant, ours["id"], external_credential=theirs["jwt"])
    assert refused.status_code == 422
    assert refused.json()["code"] == "external_credential_unverified"
    assert await stored_counts(sessionmaker) == before
