"""The verify page in headless Chromium: pasted, uploaded (baked PNG and SVG) and linked
credentials, a tampered token, each answer checked with axe-core in Dutch and in English."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from app.pages.i18n import LANGUAGES, MESSAGES, Language
from tests.browser.conftest import Screenshot, assert_accessible, issued_credential, open_page
from tests.factories import Tenant


async def _published(client: httpx.AsyncClient, tenant: Tenant) -> tuple[dict[str, Any], str]:
    """A credential its learner published, and its public address."""
    credential = await issued_credential(client, tenant)
    published = await client.post(f"{credential['claim_url']}/publish")
    assert published.status_code == 303, published.text
    shown = await client.get(f"/v1/credentials/{credential['id']}", headers=tenant.headers)
    return credential, str(shown.json()["public_url"])


def _form_of(page: Page, control: str) -> Any:
    return page.locator("form").filter(has=page.locator(control))


async def _verdict(page: Page, verdict: str) -> None:
    await page.locator(f"#verification-result.verdict-{verdict}").wait_for()


def _tampered(token: str) -> str:
    """The token with one word of its payload changed and the issuer's signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["name"] = claims["name"] + " (with honours)"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return ".".join((header, forged, signature))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_pasted_credential_verifies_and_a_tampered_one_does_not(
    language: Language,
    served_base_url: str,
    served_client: httpx.AsyncClient,
    served_tenant: Tenant,
    page: Page,
    screenshot: Screenshot,
) -> None:
    words = MESSAGES[language]
    credential = await issued_credential(served_client, served_tenant)

    await open_page(page, f"{served_base_url}/verify", language)
    await assert_accessible(page)
    paste = _form_of(page, "textarea[name=credential]")
    await paste.locator("textarea").fill(credential["jwt"])
    await paste.get_by_role("button", name=words["verify.submit"]).click()
    await _verdict(page, "verified")
    assert await page.locator("html").get_attribute("lang") == language
    await page.get_by_role("heading", name=words["verify.verdict.verified"]).wait_for()
    await assert_accessible(page)
    await screenshot(page, f"verify-verified-{language}")

    paste = _form_of(page, "textarea[name=credential]")
    await paste.locator("textarea").fill(_tampered(credential["jwt"]))
    await paste.get_by_role("button", name=words["verify.submit"]).click()
    await _verdict(page, "failed")
    failed = page.locator("#verification-result li.check-failed")
    assert await failed.first.get_attribute("data-check") == "signature"
    await assert_accessible(page)
    await screenshot(page, f"verify-tampered-{language}")


@pytest.mark.parametrize("badge", ["badge.png", "badge.svg"])
async def test_an_uploaded_baked_badge_verifies(
    badge: str,
    served_base_url: str,
    served_client: httpx.AsyncClient,
    served_tenant: Tenant,
    page: Page,
    tmp_path: Path,
) -> None:
    _, public_url = await _published(served_client, served_tenant)
    download = await served_client.get(f"{public_url}/{badge}")
    assert download.status_code == 200
    baked = tmp_path / badge
    baked.write_bytes(download.content)

    await open_page(page, f"{served_base_url}/verify", "en")
    upload = _form_of(page, "input[name=file]")
    await upload.locator("input[type=file]").set_input_files(str(baked))
    await upload.get_by_role("button", name=MESSAGES["en"]["verify.submit"]).click()
    await _verdict(page, "verified")
    await assert_accessible(page)


async def test_the_address_of_a_public_page_verifies_and_a_revoked_one_fails(
    served_base_url: str,
    served_client: httpx.AsyncClient,
    served_tenant: Tenant,
    page: Page,
) -> None:
    credential, public_url = await _published(served_client, served_tenant)
    await open_page(page, f"{served_base_url}/verify?url={public_url}", "nl")
    await _verdict(page, "verified")

    revoked = await served_client.post(
        f"/v1/credentials/{credential['id']}/revoke",
        json={"reason_code": "fraud"},
        headers=served_tenant.headers,
    )
    assert revoked.status_code == 200
    await open_page(page, f"{served_base_url}/verify?url={public_url}", "nl")
    await _verdict(page, "failed")
    status = page.locator('#verification-result li[data-check="status"]')
    assert await status.get_attribute("class") == "check-failed"
    await assert_accessible(page)
