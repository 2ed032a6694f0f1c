"""/docs: Swagger UI from Stapel's own files, with a policy that allows nothing else."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx

from app.apidocs.router import ASSETS_PATH


async def test_swagger_ui_loads_only_our_assets_which_match_their_digests(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "unsafe" not in page.headers["content-security-policy"]
    assert "<script>" not in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"(?: integrity="([^"]+)")?', page.text)
    assert len(assets) == 4  # icon, stylesheet, Swagger UI, our start-up script
    for url, digest in assets:
        assert url.startswith(ASSETS_PATH + "/"), url
        served = await client.get(url)
        assert served.status_code == 200, url
        assert served.headers["cache-control"] == "no-cache"
        if digest:
            assert (
                digest
                == "sha384-" + base64.b64encode(hashlib.sha384(served.content).digest()).decode()
            )


async def test_no_page_loads_from_a_cdn(client: httpx.AsyncClient) -> None:
    assert (await client.get("/redoc")).status_code == 404
    assert "cdn" not in (await client.get("/docs")).text
