"""Claim links: made at every issuance, shown once, kept as a hash, renewed by staff."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.sharing.models import ClaimLink
from tests.credentials.helpers import issue, issue_payload, published_achievement
from tests.factories import Tenant


def _path(claim_url: str) -> str:
    assert claim_url.startswith("https://stapel.test/claim/")
    return claim_url.removeprefix("https://stapel.test")


async def test_issuance_answers_with_a_claim_link_that_opens_the_credential(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    issued = await issue(client, tenant, achievement["id"])
    page = await client.get(_path(issued["claim_url"]))
    assert page.status_code == 200
    assert "Data Literacy for Policy Makers" in page.text
    assert "Sanne de Vries" in page.text


async def test_only_a_hash_of_the_link_is_stored(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    issued = await issue(client, tenant, achievement["id"])
    token = issued["claim_url"].rsplit("/", 1)[1]
    key_id, _, secret = token.partition("-")
    async with sessionmaker() as session:
        row = (await session.execute(text("SELECT * FROM claim_links"))).mappings().one()
    assert row["key_id"] == key_id
    assert bytes(row["secret_hash"]) == hashlib.sha256(secret.encode()).digest()
    assert secret not in str(dict(row))


async def test_a_replay_has_no_claim_link_to_show_again(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    headers = {**tenant.headers, "Idempotency-Key": "once"}
    body = issue_payload(achievement["id"])
    first = await client.post("/v1/credentials", json=body, headers=headers)
    again = await client.post("/v1/credentials", json=body, headers=headers)
    assert first.json()["claim_url"]
    assert again.status_code == 200
    assert again.json()["claim_url"] is None


async def test_every_item_of_a_batch_gets_its_own_link(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    items = [
        issue_payload(achievement["id"], learner={"name": f"L {i}", "student_number": f"s{i}"})
        for i in range(3)
    ]
    response = await client.post(
        "/v1/credentials/batch", json={"items": items}, headers=tenant.headers
    )
    urls = {r["credential"]["claim_url"] for r in response.json()["results"]}
    assert len(urls) == 3
    assert None not in urls


async def test_the_vc_api_answers_with_a_claim_link(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.post(
        "/credentials/issue",
        json={
            "credential": {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"],
                "credentialSubject": {"id": "did:example:learner"},
            }
        },
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    page = await client.get(_path(response.json()["claimUrl"]))
    assert page.status_code == 200


async def test_renewal_ends_the_old_link_and_is_audited(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    issued = await issue(client, tenant, achievement["id"])
    renewed = await client.post(
        f"/v1/credentials/{issued['id']}/claim-link", headers=tenant.headers
    )
    assert renewed.status_code == 201
    new_url = renewed.json()["claim_url"]
    assert new_url != issued["claim_url"]
    old = await client.get(_path(issued["claim_url"]))
    assert old.status_code == 410
    assert "no longer works" in old.text
    assert (await client.get(_path(new_url))).status_code == 200
    audit = await client.get(
        "/v1/audit-events",
        params={"action": "credential.claim_link_renewed"},
        headers=tenant.headers,
    )
    assert [e["target_id"] for e in audit.json()["items"]] == [issued["id"]]


async def test_another_tenant_cannot_renew_the_link(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    issued = await issue(client, tenant, achievement["id"])
    refused = await client.post(
        f"/v1/credentials/{issued['id']}/claim-link", headers=other_tenant.headers
    )
    assert refused.status_code == 404
    assert (await client.get(_path(issued["claim_url"]))).status_code == 200


async def test_an_expired_link_is_gone(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    issued = await issue(client, tenant, achievement["id"])
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(ClaimLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    page = await client.get(_path(issued["claim_url"]))
    assert page.status_code == 410
    assert page.headers["content-type"].startswith("text/html")


async def test_unknown_wrong_and_malformed_links_all_read_as_not_found(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    issued = await issue(client, tenant, achievement["id"])
    key_id = issued["claim_url"].rsplit("/", 1)[1].partition("-")[0]
    wrong_secret = f"/claim/{key_id}-{'A' * 43}"
    unknown = f"/claim/{'0' * 16}-{'A' * 43}"
    pages = [await client.get(p) for p in (wrong_secret, unknown, "/claim/nonsense", "/claim/%00")]
    assert [p.status_code for p in pages] == [404, 404, 404, 404]
    assert len({p.text for p in pages[:3]}) == 1  # nothing tells which links exist
