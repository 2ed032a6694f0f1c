"""Downloads under the credential pages: the JWT, its JSON, and the baked badge images."""

from __future__ import annotations

import html
import io
import re
import struct
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import defusedxml.ElementTree as SafeElementTree
import httpx
import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.pages.security import CONTENT_SECURITY_POLICY
from app.sharing.models import ClaimLink
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.images import samples
from tests.pages.helpers import claim_path, issued_claim, publish

OB_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
FILES = {
    "credential.jwt": ("application/vc+jwt", "data-literacy-for-policy-makers.jwt"),
    "credential.json": ("application/ld+json", "data-literacy-for-policy-makers.json"),
    "badge.png": ("image/png", "data-literacy-for-policy-makers.png"),
    "badge.svg": ("image/svg+xml", "data-literacy-for-policy-makers.svg"),
}


async def _issued(client: httpx.AsyncClient, tenant: Tenant) -> tuple[dict[str, Any], str]:
    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"])
    return credential, claim_path(credential["claim_url"])


def _itxt_chunks(png: bytes) -> list[bytes]:
    """The data of every iTXt chunk, read from the bytes by hand (not through Pillow)."""
    found, position = [], 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        if png[position + 4 : position + 8] == b"iTXt":
            found.append(png[position + 8 : position + 8 + length])
        position += 12 + length
    return found


def _png(content: bytes) -> PngImagePlugin.PngImageFile:
    image = Image.open(io.BytesIO(content))
    assert isinstance(image, PngImagePlugin.PngImageFile)
    image.load()  # text chunks after the image data are read with it
    return image


async def _verified(client: httpx.AsyncClient, token: str) -> bool:
    response = await client.post("/v1/verify", json={"verifiableCredential": token})
    assert response.status_code == 200, response.text
    return bool(response.json()["verified"])


async def test_every_download_of_the_claim_view_is_a_private_attachment(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential, claim = await _issued(client, tenant)
    for name, (media_type, filename) in FILES.items():
        response = await client.get(f"{claim}/{name}")
        assert response.status_code == 200, (name, response.text)
        assert response.headers["content-type"].split(";")[0] == media_type
        assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-robots-tag"] == "noindex, nofollow"
    jwt = await client.get(f"{claim}/credential.jwt")
    assert jwt.text == credential["jwt"]
    document = await client.get(f"{claim}/credential.json")
    assert document.json() == credential["credential"]


async def test_the_baked_png_carries_the_jwt_once_uncompressed_and_it_verifies(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential, claim = await _issued(client, tenant)
    png = (await client.get(f"{claim}/badge.png")).content
    image = _png(png)
    assert image.size == (512, 512)  # the default artwork: the achievement has no image
    assert image.text["openbadgecredential"] == credential["jwt"]
    chunks = [c for c in _itxt_chunks(png) if c.startswith(b"openbadgecredential\x00")]
    assert len(chunks) == 1
    keyword, rest = chunks[0].split(b"\x00", 1)
    assert keyword == b"openbadgecredential"
    assert rest[:2] == b"\x00\x00"  # compression flag and method: none
    assert rest[2:4] == b"\x00\x00"  # empty language tag and translated keyword
    assert rest[4:].decode() == credential["jwt"]
    assert png.endswith(b"IEND\xaeB`\x82")
    assert await _verified(client, image.text["openbadgecredential"])
    # The same credential gives the same bytes: the file can be cached and compared.
    assert (await client.get(f"{claim}/badge.png")).content == png


async def test_the_baked_svg_carries_the_jwt_right_after_the_root_and_it_verifies(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential, claim = await _issued(client, tenant)
    svg = (await client.get(f"{claim}/badge.svg")).content
    root = SafeElementTree.fromstring(svg)
    assert root.tag == f"{{{SVG_NAMESPACE}}}svg"
    first = root[0]
    assert first.tag == f"{{{OB_NAMESPACE}}}credential"
    assert len(root.findall(f".//{{{OB_NAMESPACE}}}credential")) == 1
    assert first.attrib["verify"] == credential["jwt"]
    assert await _verified(client, first.attrib["verify"])
    assert b'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in svg.split(b">", 1)[0]
    # Self-contained: no reference to anything outside the file.
    assert not re.search(rb'(href|src)="(?!data:)', svg)
    texts = " ".join(t.text or "" for t in root.iter(f"{{{SVG_NAMESPACE}}}text"))
    assert "Data literacy for" in texts or "Data Literacy for" in texts
    assert "Hogeschool Voorbeeld" in texts


async def test_an_achievement_image_of_ours_is_the_badge(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    uploaded = await client.put(
        f"/v1/achievements/{achievement['id']}/image",
        content=samples.png(300, 200, "gold"),
        headers=tenant.headers,
    )
    assert uploaded.status_code == 200
    credential = await issue(client, tenant, achievement["id"])
    claim = claim_path(credential["claim_url"])
    image = _png((await client.get(f"{claim}/badge.png")).content)
    assert image.size == (300, 200)
    assert image.convert("RGB").getpixel((10, 10)) == (255, 215, 0)
    assert image.text["openbadgecredential"] == credential["jwt"]
    root = SafeElementTree.fromstring((await client.get(f"{claim}/badge.svg")).content)
    assert root[0].attrib["verify"] == credential["jwt"]
    embedded = root.find(f"{{{SVG_NAMESPACE}}}image")
    assert embedded is not None
    assert embedded.attrib["href"].startswith("data:image/png;base64,")
    page = (await client.get(claim)).text
    assert f'src="{urlsplit(uploaded.json()["image_url"]).path}"' in page  # same origin


async def test_public_downloads_follow_publication(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, claim = await issued_claim(client, tenant)
    public = await publish(client, claim)
    for name, (media_type, _) in FILES.items():
        response = await client.get(f"{public}/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].split(";")[0] == media_type
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["content-disposition"].startswith("attachment;")
    page = (await client.get(public)).text
    assert f'<meta property="og:image" content="https://stapel.test{public}/badge.png">' in page
    assert f'href="{public}/badge.png"' in page
    await client.post(f"{claim}/unpublish")
    for name in FILES:
        gone = await client.get(f"{public}/{name}")
        assert gone.status_code == 404
        assert gone.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "path",
    [
        "/claim/0123456789abcdef-" + "x" * 43 + "/badge.png",
        "/claim/not-a-token/credential.jwt",
        "/c/unknownpublicid/credential.json",
        "/c/%00/badge.svg",
    ],
)
async def test_unknown_addresses_are_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["cache-control"] == "no-store"


async def test_an_unknown_file_name_is_404(client: httpx.AsyncClient, tenant: Tenant) -> None:
    _, claim = await issued_claim(client, tenant)
    assert (await client.get(f"{claim}/badge.gif")).status_code == 404


async def test_another_tenants_key_gets_nothing_and_ended_links_are_gone(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    credential, claim = await _issued(client, tenant)
    # A staff key is no way in: downloads answer to the claim link alone.
    with_key = await client.get(
        f"/claim/0123456789abcdef-{'y' * 43}/credential.jwt", headers=other_tenant.headers
    )
    assert with_key.status_code == 404
    renewed = await client.post(
        f"/v1/credentials/{credential['id']}/claim-link", headers=tenant.headers
    )
    assert renewed.status_code in (200, 201), renewed.text
    replaced = await client.get(f"{claim}/badge.png")
    assert replaced.status_code == 410
    fresh = claim_path(renewed.json()["claim_url"])
    assert (await client.get(f"{fresh}/badge.png")).status_code == 200
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(ClaimLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    expired = await client.get(f"{fresh}/credential.jwt")
    assert expired.status_code == 410
    assert expired.headers["content-type"].startswith("text/html")


def _linkedin_href(page: str) -> str | None:
    found = re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


async def test_the_linkedin_link_is_offered_to_the_learner_only_while_published(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential, claim = await _issued(client, tenant)
    assert _linkedin_href((await client.get(claim)).text) is None
    public = await publish(client, claim)
    href = _linkedin_href((await client.get(claim)).text)
    assert href is not None
    parts = urlsplit(href)
    params = {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}
    document = credential["credential"]
    issued = datetime.fromisoformat(document["validFrom"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(document["validUntil"].replace("Z", "+00:00"))
    assert params == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Data Literacy for Policy Makers",
        "organizationName": "Hogeschool Voorbeeld",
        "issueYear": str(issued.year),
        "issueMonth": str(issued.month),
        "expirationYear": str(expires.year),
        "expirationMonth": str(expires.month),
        "certUrl": f"https://stapel.test{public}",
        "certId": document["id"],
    }
    assert "claim" not in href
    assert _linkedin_href((await client.get(public)).text) is None  # not for visitors
    await client.post(f"{claim}/unpublish")
    assert _linkedin_href((await client.get(claim)).text) is None


async def test_the_page_shows_the_default_artwork_and_our_logo_only(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, claim = await issued_claim(client, tenant)
    page = (await client.get(claim)).text
    assert 'class="achievement-image" src="data:image/svg+xml;base64,' in page
    assert 'class="logo"' not in page
    logo = await client.put(
        f"/v1/institutions/{tenant.id}/logo", content=samples.png(90, 30), headers=tenant.headers
    )
    logo_path = urlsplit(logo.json()["logo_url"]).path
    assert f'class="logo" src="{logo_path}"' in (await client.get(claim)).text
    for lang, words in (("en", "Add to LinkedIn profile"), ("nl", "Badge-afbeelding (PNG)")):
        await publish(client, claim)
        assert words in (await client.get(claim, params={"lang": lang})).text
