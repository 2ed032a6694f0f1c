"""The learner's request form in headless Chromium: from the claim view, filled in and sent,
checked with axe-core in Dutch and in English."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page

from app.pages.i18n import LANGUAGES, MESSAGES, Language
from tests.browser.conftest import assert_accessible, issued_credential, open_page
from tests.credentials.helpers import issue_payload
from tests.factories import Tenant, achievement_payload

WANTED = "Data Visualisation for Policy Makers"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_learner_asks_for_a_micro_credential_from_the_claim_view(
    language: Language, served_client: httpx.AsyncClient, served_tenant: Tenant, page: Page
) -> None:
    words = MESSAGES[language]
    credential = await issued_credential(served_client, served_tenant)
    wanted = await served_client.post(
        "/v1/achievements", json=achievement_payload(title=WANTED), headers=served_tenant.headers
    )
    await served_client.post(
        f"/v1/achievements/{wanted.json()['id']}/publish", headers=served_tenant.headers
    )

    await open_page(page, credential["claim_url"], language)
    await page.get_by_role("link", name=words["request.link"]).click()
    await page.get_by_role("heading", level=1, name=words["request.title"]).wait_for()
    await assert_accessible(page)

    await page.get_by_label(words["request.achievement"]).select_option(label=WANTED)
    student_number = issue_payload("")["learner"]["student_number"]
    await page.get_by_label(words["request.identifier"]).fill(student_number)
    await page.get_by_label(words["request.evidence_text"]).fill("Made the dashboards.")
    await page.get_by_role("button", name=words["request.submit"]).click()
    await page.get_by_role("heading", level=1, name=words["request.sent.title"]).wait_for()
    assert WANTED in await page.locator(".request-sent").inner_text()
    await assert_accessible(page)

    listed = await served_client.get("/v1/credential-requests", headers=served_tenant.headers)
    (request,) = listed.json()["items"]
    assert request["source"] == "claim_page"
    assert request["achievement_id"] == wanted.json()["id"]
