"""Achievement images: uploaded as PNG or JPEG, stored as clean PNG, served by their digest."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant, achievement_payload, add_key
from tests.images import samples

PNG_HEADERS = {"Content-Type": "image/png"}


async def _draft(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    created = await client.post(
        "/v1/achievements", json=achievement_payload(), headers=tenant.headers
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def _upload(
    client: httpx.AsyncClient, tenant: Tenant, achievement_id: str, body: bytes
) -> httpx.Response:
    return await client.put(
        f"/v1/achievements/{achievement_id}/image",
        content=body,
        headers={**tenant.headers, **PNG_HEADERS},
    )


async def _rows(sessionmaker: async_sessionmaker[AsyncSession], sql: str) -> list[Any]:
    async with sessionmaker() as session:
        return list((await session.execute(text(sql))).all())


async def test_an_uploaded_png_is_served_by_its_digest_and_cached_for_good(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await _draft(client, tenant)
    uploaded = await _upload(client, tenant, achievement["id"], samples.png(64, 48))
    assert uploaded.status_code == 200, uploaded.text
    url = uploaded.json()["image_url"]
    assert url.startswith("https://stapel.test/images/")
    assert uploaded.json()["version"] == 1  # a draft never issued from is edited in place

    served = await client.get(url)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["x-content-type-options"] == "nosniff"
    digest = hashlib.sha256(served.content).hexdigest()
    assert url == f"https://stapel.test/images/{digest}.png"
    assert served.headers["etag"] == f'"{digest}"'
    assert Image.open(io.BytesIO(served.content)).size == (64, 48)
    again = await client.get(url, headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304
    assert again.content == b""

    audit = await _rows(
        sessionmaker, "SELECT action, data->>'sha256' FROM audit_events ORDER BY id DESC LIMIT 1"
    )
    assert audit == [("achievement.image_set", digest)]


async def test_the_achievement_document_points_at_the_image(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    url = (await _upload(client, tenant, achievement["id"], samples.png())).json()["image_url"]
    document = (await client.get(f"/achievements/{achievement['id']}")).json()
    assert document["image"] == {"id": url, "type": "Image"}
    catalogue = await client.post(
        "/graphql",
        json={"query": "{ achievements(first: 5) { edges { node { title imageUrl } } } }"},
    )
    assert catalogue.status_code == 200, catalogue.text
    nodes = [e["node"] for e in catalogue.json()["data"]["achievements"]["edges"]]
    assert nodes == [{"title": achievement["title"], "imageUrl": url}]


async def test_after_issuance_a_new_image_makes_a_new_version(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"])
    uploaded = (await _upload(client, tenant, achievement["id"], samples.png())).json()
    assert uploaded["version"] == 2
    first = (await client.get(f"/achievements/{achievement['id']}/versions/1")).json()
    assert "image" not in first  # what the issued credential names stays as it was
    assert "image" not in credential["credential"]["credentialSubject"]["achievement"]
    second = (await client.get(f"/achievements/{achievement['id']}")).json()
    assert second["image"]["id"] == uploaded["image_url"]


async def test_metadata_is_stripped_and_a_jpeg_becomes_a_png(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await _draft(client, tenant)
    for upload in (samples.jpeg_with_gps_exif(), samples.png_with_text()):
        response = await client.put(
            f"/v1/achievements/{achievement['id']}/image",
            content=upload,
            headers={**tenant.headers, "Content-Type": "image/jpeg"},
        )
        assert response.status_code == 200, response.text
        served = (await client.get(response.json()["image_url"])).content
        image = Image.open(io.BytesIO(served))
        assert image.format == "PNG"
        assert not image.getexif()
        assert not getattr(image, "text", {})
        assert b"Sanne" not in served
        assert b"private note" not in served
        assert b"openbadgecredential" not in served


async def test_a_large_image_is_scaled_down_to_badge_size(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await _draft(client, tenant)
    big = samples.encoded(Image.new("RGB", (3000, 1500), "navy"), "JPEG")
    response = await _upload(client, tenant, achievement["id"], big)
    served = (await client.get(response.json()["image_url"])).content
    assert Image.open(io.BytesIO(served)).size == (1024, 512)


async def test_removing_the_image(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await _draft(client, tenant)
    await _upload(client, tenant, achievement["id"], samples.png())
    removed = await client.delete(
        f"/v1/achievements/{achievement['id']}/image", headers=tenant.headers
    )
    assert removed.status_code == 200
    assert removed.json()["image_url"] is None
    audit = await _rows(sessionmaker, "SELECT action FROM audit_events ORDER BY id DESC LIMIT 1")
    assert audit == [("achievement.image_removed",)]


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 65536):
        yield body[start : start + 65536]


REFUSALS = [
    pytest.param(b"x" * (1_048_576 + 1), 413, "image_too_large", id="too-large"),
    pytest.param(b"just some text, not a picture", 415, "unsupported_image_type", id="text"),
    pytest.param(
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        415,
        "unsupported_image_type",
        id="svg",
    ),
    pytest.param(samples.decompression_bomb(), 422, "invalid_image", id="decompression-bomb"),
    pytest.param(samples.truncated_png(), 422, "invalid_image", id="truncated"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", 422, "invalid_image", id="png-signature-only"),
]


@pytest.mark.parametrize(("body", "status", "code"), REFUSALS)
async def test_refused_uploads_are_clear_problems_and_write_nothing(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    body: bytes,
    status: int,
    code: str,
) -> None:
    achievement = await _draft(client, tenant)
    before = await _rows(sessionmaker, "SELECT count(*) FROM audit_events")
    response = await _upload(client, tenant, achievement["id"], body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert await _rows(sessionmaker, "SELECT count(*) FROM images") == [(0,)]
    assert await _rows(sessionmaker, "SELECT count(*) FROM audit_events") == before
    current = await client.get(f"/v1/achievements/{achievement['id']}", headers=tenant.headers)
    assert current.json()["image_url"] is None


async def test_the_pixel_bound_and_damage_are_named(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await _draft(client, tenant)
    bomb = await _upload(client, tenant, achievement["id"], samples.decompression_bomb())
    assert bomb.json()["errors"][0]["code"] == "too_many_pixels"
    truncated = await _upload(client, tenant, achievement["id"], samples.truncated_png())
    assert truncated.json()["errors"][0]["code"] == "undecodable"
    svg = await _upload(client, tenant, achievement["id"], b"<?xml version='1.0'?><svg/>")
    assert "SVG" in svg.json()["detail"]


async def test_a_streamed_upload_is_cut_off_at_the_limit(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await _draft(client, tenant)
    # No Content-Length: the body arrives in chunks and is refused once past the limit.
    response = await client.put(
        f"/v1/achievements/{achievement['id']}/image",
        content=_chunks(b"\x89PNG" + b"\x00" * 2_000_000),
        headers={**tenant.headers, **PNG_HEADERS},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"


async def test_uploads_need_the_catalogue_scope_and_stay_within_the_tenant(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    achievement = await _draft(client, tenant)
    reader = await add_key(client, tenant, {"credentials:read"})
    refused = await client.put(
        f"/v1/achievements/{achievement['id']}/image",
        content=samples.png(),
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert refused.status_code == 403
    elsewhere = await _upload(client, other_tenant, achievement["id"], samples.png())
    assert elsewhere.status_code == 404
    removal = await client.delete(
        f"/v1/achievements/{achievement['id']}/image", headers=other_tenant.headers
    )
    assert removal.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/images/" + "0" * 64 + ".png",
        "/images/not-a-digest.png",
        "/images/" + "A" * 64 + ".png",
        "/images/%00" + "0" * 63 + ".png",
    ],
)
async def test_unknown_or_malformed_image_addresses_are_404(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
