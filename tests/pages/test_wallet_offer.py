"""The claim view's wallet button: an offer made by the learner, its QR code and tx_code."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from app.pages.security import CONTENT_SECURITY_POLICY
from tests.factories import Tenant
from tests.oid4vci.holder import VC_JWT, HolderKey, pick_up, pre_authorized_code, token_response
from tests.pages.helpers import issued_claim

_OFFER_LINK = re.compile(r'href="(openid-credential-offer://[^"]+)"')
_TX_CODE = re.compile(r'<strong class="tx-code">(\d{6})</strong>')


async def test_the_claim_view_offers_a_button_and_no_offer_until_asked(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, claim = await issued_claim(client, tenant)
    page = await client.get(f"{claim}?lang=en")
    assert f'action="{claim}/wallet?lang=en"' in page.text
    assert "Show a QR code for my wallet" in page.text
    assert "openid-credential-offer://" not in page.text
    dutch = await client.get(f"{claim}?lang=nl")
    assert "Toon een QR-code voor mijn wallet" in dutch.text


async def test_the_button_shows_a_qr_code_and_the_tx_code_a_wallet_redeems(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential_id, claim = await issued_claim(client, tenant)
    page = await client.post(f"{claim}/wallet?lang=nl")
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "Code om in de wallet te typen" in page.text
    assert 'class="qr" src="data:image/svg+xml' in page.text
    offer_uri = html.unescape(_OFFER_LINK.search(page.text).group(1))  # type: ignore[union-attr]
    tx_code = _TX_CODE.search(page.text).group(1)  # type: ignore[union-attr]

    offer_url = unquote(parse_qs(urlsplit(offer_uri).query)["credential_offer_uri"][0])
    offer = (await client.get(urlsplit(offer_url).path)).json()
    granted = await token_response(client, tenant, pre_authorized_code(offer), tx_code)
    assert granted.status_code == 200, granted.text
    picked = await pick_up(client, tenant, granted.json()["access_token"], VC_JWT, HolderKey())
    assert picked.status_code == 200, picked.text

    audit = (await client.get("/v1/audit-events", headers=tenant.headers)).json()["items"]
    made = next(e for e in audit if e["action"] == "credential.wallet_offer_created")
    assert made["target_id"] == credential_id
    assert made["actor"].startswith("learner:claim_link:")


async def test_a_revoked_credential_has_no_wallet_button_and_no_offer(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential_id, claim = await issued_claim(client, tenant)
    await client.post(
        f"/v1/credentials/{credential_id}/revoke",
        json={"reason_code": "other", "reason": "Withdrawn."},
        headers=tenant.headers,
    )
    page = await client.get(f"{claim}?lang=en")
    assert "cannot be taken into a wallet" in page.text
    assert f"{claim}/wallet" not in page.text
    refused = await client.post(f"{claim}/wallet?lang=en")
    assert refused.status_code == 409
    assert "text/html" in refused.headers["content-type"]
    assert "openid-credential-offer://" not in refused.text


async def test_a_wrong_claim_link_makes_no_offer(client: httpx.AsyncClient) -> None:
    refused = await client.post("/claim/0123456789abcdef-" + "x" * 43 + "/wallet")
    assert refused.status_code == 404
    assert "text/html" in refused.headers["content-type"]
