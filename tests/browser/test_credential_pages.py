"""The learner's pages in headless Chromium: claim, publish, share, unpublish, revocation and the
error pages, each checked with axe-core in Dutch and in English."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.pages.i18n import LANGUAGES, MESSAGES, Language
from tests.browser.conftest import (
    ContextFactory,
    Screenshot,
    assert_accessible,
    issued_credential,
    open_page,
)
from tests.credentials.helpers import issue_payload
from tests.factories import Tenant, achievement_payload, institution_payload

TITLE = achievement_payload()["title"]
LEARNER = issue_payload("")["learner"]["name"]
ISSUER = institution_payload()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_learner_publishes_and_unpublishes_and_the_public_address_follows(
    language: Language,
    served_client: httpx.AsyncClient,
    served_tenant: Tenant,
    page: Page,
    new_context: ContextFactory,
    screenshot: Screenshot,
) -> None:
    words = MESSAGES[language]
    credential = await issued_credential(served_client, served_tenant)
    claim_url = credential["claim_url"]
    assert claim_url.startswith(str(served_client.base_url))

    await open_page(page, claim_url, language)
    await page.get_by_role("heading", level=1, name=TITLE).wait_for()
    await page.get_by_text(LEARNER, exact=True).wait_for()
    issuer = page.locator("dd").filter(has_text=ISSUER["legal_name"])
    assert await issuer.inner_text() == f"{ISSUER['display_name']} ({ISSUER['legal_name']})"
    assert await page.locator('a[href*="/c/"]').count() == 0  # private until published
    await assert_accessible(page)

    await page.get_by_role("button", name=words["consent.publish"]).click()
    await page.get_by_role("button", name=words["consent.unpublish"]).wait_for()
    public_url = await page.locator('.share a[href*="/c/"]').get_attribute("href")
    assert public_url is not None
    assert public_url.startswith(f"{served_client.base_url}/c/")
    assert await page.get_by_role("img", name=words["share.qr"]).is_visible()
    # The consent text points up to the address: the share section is above it.
    share, consent = (
        await page.locator(".share").bounding_box(),
        await page.locator(".consent").bounding_box(),
    )
    assert share is not None
    assert consent is not None
    assert share["y"] + share["height"] <= consent["y"]
    await assert_accessible(page)
    await page.locator(".share").scroll_into_view_if_needed()  # what only the learner sees
    await screenshot(page, f"claim-view-{language}")

    # Anyone with the address: another browser, with none of the learner's cookies.
    visitor = await (await new_context()).new_page()
    await open_page(visitor, public_url, language)
    await visitor.get_by_role("heading", level=1, name=TITLE).wait_for()
    await visitor.get_by_text(LEARNER, exact=True).wait_for()
    assert await visitor.get_by_role("button").count() == 0  # no consent controls there
    await assert_accessible(visitor)
    await screenshot(visitor, f"public-view-{language}")

    await page.get_by_role("button", name=words["consent.unpublish"]).click()
    await page.get_by_role("button", name=words["consent.publish"]).wait_for()
    assert await page.locator('a[href*="/c/"]').count() == 0

    await open_page(visitor, public_url, language, status=404)
    await visitor.get_by_role("heading", level=1, name=words["error.404.title"]).wait_for()
    await assert_accessible(visitor)


async def test_the_skip_link_and_the_language_switch_work_from_the_keyboard(
    served_client: httpx.AsyncClient, served_tenant: Tenant, page: Page
) -> None:
    credential = await issued_credential(served_client, served_tenant)
    await open_page(page, credential["claim_url"], "nl")

    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=MESSAGES["nl"]["skip"])
    assert await skip.evaluate("link => link === document.activeElement")
    shown = await skip.bounding_box()  # off-screen until focused, then on it
    assert shown is not None
    assert shown["x"] >= 0
    assert shown["y"] >= 0
    await page.keyboard.press("Tab")
    english = page.get_by_role("link", name=MESSAGES["nl"]["lang.en"])
    assert await english.evaluate("link => link === document.activeElement")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{credential['claim_url']}?lang=en")
    assert await page.locator("html").get_attribute("lang") == "en"
    await page.get_by_role("heading", level=1, name=TITLE).wait_for()


async def _revoke(client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]) -> None:
    revoked = await client.post(
        f"/v1/credentials/{credential['id']}/revoke",
        json={"reason_code": "fraud"},
        headers=tenant.headers,
    )
    assert revoked.status_code == 200, revoked.text


async def _shows_revoked(page: Page, language: Language) -> None:
    banner = page.get_by_role("status")
    await banner.get_by_role("heading", name=MESSAGES[language]["status.revoked"]).wait_for()
    assert "banner-revoked" in (await banner.get_attribute("class") or "")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_revoked_credential_says_so_to_its_learner_and_to_visitors(
    language: Language,
    served_client: httpx.AsyncClient,
    served_tenant: Tenant,
    page: Page,
    screenshot: Screenshot,
) -> None:
    private = await issued_credential(served_client, served_tenant)
    shared = await issued_credential(served_client, served_tenant)
    published = await served_client.post(f"{shared['claim_url']}/publish")
    assert published.status_code == 303, published.text
    public_url = (
        await served_client.get(f"/v1/credentials/{shared['id']}", headers=served_tenant.headers)
    ).json()["public_url"]
    for credential in (private, shared):
        await _revoke(served_client, served_tenant, credential)

    await open_page(page, private["claim_url"], language)
    await _shows_revoked(page, language)
    assert await page.get_by_role("button").count() == 0  # nothing left to publish
    await page.get_by_text(MESSAGES[language]["consent.revoked"]).wait_for()
    await assert_accessible(page)

    await open_page(page, public_url, language)
    await _shows_revoked(page, language)
    await page.get_by_text(MESSAGES[language]["status.checks"]).click()  # the reasons
    assert await page.locator(".checks .check-failed").first.is_visible()
    await assert_accessible(page)
    if language == "en":
        await screenshot(page, "revoked")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_replaced_or_expired_claim_link_shows_the_gone_page(
    language: Language,
    served_client: httpx.AsyncClient,
    served_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    page: Page,
    screenshot: Screenshot,
) -> None:
    words = MESSAGES[language]
    credential = await issued_credential(served_client, served_tenant)
    renewed = await served_client.post(
        f"/v1/credentials/{credential['id']}/claim-link", headers=served_tenant.headers
    )
    assert renewed.status_code == 201, renewed.text

    await open_page(page, credential["claim_url"], language, status=410)  # replaced
    await page.get_by_role("heading", level=1, name=words["error.410.title"]).wait_for()
    await assert_accessible(page)
    if language == "en":
        await screenshot(page, "error-page")

    new_claim_url = renewed.json()["claim_url"]
    await open_page(page, new_claim_url, language)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE claim_links SET expires_at = now() - interval '1 second'")
        )
    await open_page(page, new_claim_url, language, status=410)  # expired
    await page.get_by_role("heading", level=1, name=words["error.410.title"]).wait_for()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_unknown_public_address_shows_the_not_found_page(
    language: Language, served_base_url: str, page: Page
) -> None:
    await open_page(page, f"{served_base_url}/c/nothing-shared-here", language, status=404)
    await page.get_by_role(
        "heading", level=1, name=MESSAGES[language]["error.404.title"]
    ).wait_for()
    await page.get_by_text(MESSAGES[language]["error.404.detail"]).wait_for()
    await assert_accessible(page)


async def test_the_pages_policy_stops_any_script_in_the_browser(
    served_client: httpx.AsyncClient, served_tenant: Tenant, new_context: ContextFactory
) -> None:
    credential = await issued_credential(served_client, served_tenant)
    page = await (await new_context(checks_accessibility=False)).new_page()
    await open_page(page, credential["claim_url"], "en")
    with pytest.raises(PlaywrightError, match="Content Security Policy"):
        await page.add_script_tag(content="document.body.dataset.scripted = 'yes'")
    assert await page.evaluate("document.body.dataset.scripted") is None


async def test_the_accessibility_check_names_what_it_finds(page: Page) -> None:
    await page.set_content(
        '<html lang="en"><body><main><img src="data:,"><p style="color:#eee">faint</p>'
        "</main></body></html>"
    )
    with pytest.raises(AssertionError) as failure:
        await assert_accessible(page)
    assert "image-alt (critical)" in str(failure.value)
    assert "color-contrast (serious)" in str(failure.value)
