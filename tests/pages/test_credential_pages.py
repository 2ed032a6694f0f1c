"""The claim view and the public view of a credential, over HTTP (the browser tests are apart)."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.pages.i18n import MESSAGES
from app.pages.security import CONTENT_SECURITY_POLICY
from tests.factories import Tenant
from tests.pages.helpers import issued_claim, publish


async def test_the_claim_view_is_private_and_strict(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, claim = await issued_claim(client, tenant)
    page = await client.get(claim)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src" not in CONTENT_SECURITY_POLICY  # no script may run at all
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "<script" not in page.text
    assert 'property="og:' not in page.text  # a private page has nothing to preview


async def test_a_credential_is_private_until_published_and_again_after_unpublishing(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    credential_id, claim = await issued_claim(client, tenant)
    assert "/c/" not in (await client.get(claim)).text
    public = await publish(client, claim)
    shown = await client.get(public)
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-cache"
    assert f'<meta property="og:url" content="https://stapel.test{public}">' in shown.text
    assert 'name="twitter:card"' in shown.text
    assert "data:image/svg+xml" in shown.text  # the QR code
    assert "<form" not in shown.text  # no consent controls on the public view
    state = await client.get(f"/v1/credentials/{credential_id}", headers=tenant.headers)
    assert state.json()["public_url"] == f"https://stapel.test{public}"

    assert (await client.post(f"{claim}/unpublish")).status_code == 303
    assert (await client.get(public)).status_code == 404
    republished = await publish(client, claim)
    assert republished != public  # an address shared before stays dead
    async with sessionmaker() as session:
        actions = (
            await session.execute(
                text("SELECT action, actor FROM audit_events WHERE target_id = :id ORDER BY id"),
                {"id": credential_id},
            )
        ).all()
    consent = [a for a, actor in actions if actor.startswith("learner:claim_link:")]
    assert consent == ["credential.published", "credential.unpublished", "credential.published"]


async def test_publishing_twice_keeps_one_address(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, claim = await issued_claim(client, tenant)
    assert await publish(client, claim) == await publish(client, claim)


async def test_the_banner_follows_revocation_and_a_revoked_credential_cannot_be_published(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential_id, claim = await issued_claim(client, tenant)
    public = await publish(client, claim)
    assert "banner-valid" in (await client.get(public)).text
    revoked = await client.post(
        f"/v1/credentials/{credential_id}/revoke",
        json={"reason_code": "fraud"},
        headers=tenant.headers,
    )
    assert revoked.status_code == 200
    page = await client.get(public, headers={"Accept-Language": "en"})
    assert "banner-revoked" in page.text
    assert "The issuer revoked this credential on" in page.text
    await client.post(f"{claim}/unpublish")
    refused = await client.post(f"{claim}/publish")
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("text/html")
    assert "cannot be shared" in refused.text


async def test_suspension_shows_and_lifts(
    client: httpx.AsyncClient, suspending_tenant: Tenant
) -> None:
    tenant = suspending_tenant
    credential_id, claim = await issued_claim(client, tenant)
    await client.post(
        f"/v1/credentials/{credential_id}/suspend",
        json={"reason_code": "under_investigation"},
        headers=tenant.headers,
    )
    assert "banner-suspended" in (await client.get(claim)).text
    await client.post(f"/v1/credentials/{credential_id}/reinstate", headers=tenant.headers)
    assert "banner-valid" in (await client.get(claim)).text


async def test_every_eu_element_is_shown_in_plain_words(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, claim = await issued_claim(client, tenant)
    page = (await client.get(claim, params={"lang": "en"})).text
    for words in (
        "Formal micro-credential",
        "5 ECTS credits",
        "140 hours of study",
        "Level 6 of the European Qualifications Framework",
        "First cycle (bachelor)",
        "Project: Individual policy brief with data.",
        "Blended (online and on site)",
        "Accredited programme: NVAO accredited bachelor programme",
        "Basic statistics at secondary-school level.",
        "Supervised on site, identity verified",
        "The learner&#39;s identity was checked at the assessment.",
        "8.5",
        "Counts towards the minor Data &amp; Society.",
        "Interprets descriptive statistics in policy documents.",
        "Accredited by the NVAO.",  # the institution's quality statement
        "Netherlands, Utrecht",
        "Hogeschool Voorbeeld",
        "1 July 2026",
    ):
        assert words in page, words


async def test_language_from_accept_language_or_the_switch(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, claim = await issued_claim(client, tenant)
    dutch = await client.get(claim, headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.8"})
    assert '<html lang="nl">' in dutch.text
    assert "Formeel microcredential" in dutch.text
    assert "Nederland, Utrecht" in dutch.text
    assert "1 juli 2026" in dutch.text
    english = await client.get(claim, params={"lang": "en"}, headers={"Accept-Language": "nl"})
    assert '<html lang="en">' in english.text
    assert (await client.get(claim, headers={"Accept-Language": "fr"})).headers[
        "content-language"
    ] == "en"


async def test_an_informal_badge_is_marked_as_such(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    from tests.factories import informal_badge_payload

    created = await client.post(
        "/v1/achievements", json=informal_badge_payload(), headers=tenant.headers
    )
    achievement_id = created.json()["id"]
    await client.post(f"/v1/achievements/{achievement_id}/publish", headers=tenant.headers)
    from tests.credentials.helpers import issue

    credential = await issue(client, tenant, achievement_id, grade=None)
    page = await client.get(credential["claim_url"].removeprefix("https://stapel.test"))
    assert "kind-informal" in page.text
    assert "Informal badge" in page.text
    assert "<dt>Workload</dt><dd>6 hours of study</dd>" in page.text  # hours, no ECTS


async def test_another_tenants_or_an_unpublished_credential_is_not_found(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for path in ("/c/doesnotexist", "/c/" + "x" * 200, "/c/%00"):
        page = await client.get(path)
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html")


def test_both_languages_have_every_message() -> None:
    assert MESSAGES["nl"].keys() == MESSAGES["en"].keys()
