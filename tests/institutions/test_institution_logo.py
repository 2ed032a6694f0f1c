"""The institution's logo: uploaded once, served from this host, named by new credentials."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant, add_key
from tests.images import samples


async def test_an_uploaded_logo_becomes_the_issuer_image_of_new_credentials(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    uploaded = await client.put(
        f"/v1/institutions/{tenant.id}/logo", content=samples.png(120, 40), headers=tenant.headers
    )
    assert uploaded.status_code == 200, uploaded.text
    logo_url = uploaded.json()["logo_url"]
    assert logo_url.startswith("https://stapel.test/images/")
    assert (await client.get(logo_url)).headers["content-type"] == "image/png"

    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"])
    assert credential["credential"]["issuer"]["image"] == {"id": logo_url, "type": "Image"}

    removed = await client.delete(f"/v1/institutions/{tenant.id}/logo", headers=tenant.headers)
    assert removed.status_code == 200
    assert removed.json()["logo_url"] is None
    async with sessionmaker() as session:
        actions = (
            await session.execute(
                text(
                    "SELECT action FROM audit_events WHERE action LIKE 'institution.logo%' "
                    "ORDER BY id"
                )
            )
        ).all()
    assert [a for (a,) in actions] == ["institution.logo_set", "institution.logo_removed"]


async def test_a_logo_needs_the_admin_scope_of_the_same_institution(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    writer = await add_key(client, tenant, {"catalogue:write"})
    refused = await client.put(
        f"/v1/institutions/{tenant.id}/logo",
        content=samples.png(),
        headers={"Authorization": f"Bearer {writer}"},
    )
    assert refused.status_code == 403
    elsewhere = await client.put(
        f"/v1/institutions/{tenant.id}/logo", content=samples.png(), headers=other_tenant.headers
    )
    assert elsewhere.status_code == 404


async def test_a_logo_that_is_not_an_image_changes_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    refused = await client.put(
        f"/v1/institutions/{tenant.id}/logo", content=b"GIF89a....", headers=tenant.headers
    )
    assert refused.status_code == 415
    assert refused.json()["code"] == "unsupported_image_type"
    current = await client.get(f"/v1/institutions/{tenant.id}", headers=tenant.headers)
    assert current.json()["logo_url"] is None
