"""GraphiQL's page loads only what Stapel serves, as tools/vendor-graphiql recorded it."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from importlib.resources import files

import httpx
import pytest
from fastapi import FastAPI

from app.config import get_settings
from app.graphql.ide import ASSETS_PATH, graphiql_page, manifest
from app.main import create_app
from tests.conftest import BASE_URL

VENDORED = files("app.graphql").joinpath("static/graphiql")


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def test_every_vendored_file_matches_its_manifest_digest() -> None:
    recorded = manifest()["files"]
    assert set(recorded) == {
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    }
    for name, entry in recorded.items():
        assert _sri(VENDORED.joinpath(name).read_bytes()) == entry["integrity"], name


def test_the_vendored_versions_are_the_ones_strawberry_pins_with_the_same_digests() -> None:
    # Strawberry's own page names the CDN copies with their SRI digests: a second, independent
    # record that our files are those releases, unchanged.
    strawberry_page = files("strawberry").joinpath("static/graphiql.html").read_text()
    for entry in manifest()["files"].values():
        url = f"{entry['package']}@{entry['version']}/{entry['source']}"
        pinned = re.search(re.escape(url) + r'"\s+integrity="([^"]+)"', strawberry_page)
        assert pinned is not None, f"{url} is not what Strawberry's page loads"
        assert pinned.group(1) == entry["integrity"]


def test_the_page_names_only_our_own_assets_with_their_digests() -> None:
    page = graphiql_page()
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls
    assert all(url.startswith(ASSETS_PATH + "/") for url in urls), urls
    assert page.count('integrity="sha384-') == 5  # three scripts, our script, the stylesheet
    assert "<script>" not in page  # no inline script


@pytest.fixture
async def graphiql_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(get_settings().model_copy(update={"graphiql": True}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            yield http


async def test_the_page_and_its_assets_are_served_with_a_strict_policy(
    graphiql_client: httpx.AsyncClient,
) -> None:
    http = graphiql_client
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe" not in policy
    script = await http.get(f"{ASSETS_PATH}/graphiql/graphiql.min.js")
    assert script.status_code == 200
    assert _sri(script.content) == manifest()["files"]["graphiql.min.js"]["integrity"]
    assert script.headers["cache-control"] == "no-cache"
