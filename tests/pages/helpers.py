from __future__ import annotations

import httpx

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant


def claim_path(claim_url: str) -> str:
    return claim_url.removeprefix("https://stapel.test")


async def issued_claim(
    client: httpx.AsyncClient, tenant: Tenant, **overrides: object
) -> tuple[str, str]:
    """A fresh credential: its row id and the path of its claim page."""
    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"], **overrides)
    return str(credential["id"]), claim_path(credential["claim_url"])


async def publish(client: httpx.AsyncClient, claim: str) -> str:
    """Publish through the claim page's form; the public page's path."""
    response = await client.post(f"{claim}/publish")
    assert response.status_code == 303, response.text
    page = await client.get(claim)
    marker = "https://stapel.test/c/"
    start = page.text.index(marker) + len("https://stapel.test")
    return page.text[start : page.text.index('"', start)]
