"""Fixtures of the browser tests: Stapel served as a real process, driven by headless Chromium.

The browser is Debian's ``chromium`` (``/usr/bin/chromium``) under Playwright; axe-core comes
from ``node_modules`` here (``npm ci`` in this folder). ``tests/browser/prepare`` installs both;
a missing one fails the tests with what to install, so they never pass by not running.

The fixtures and functions here serve any page's tests: ``served_base_url``, ``served_client``
and ``served_tenant`` to set up through the API, ``page`` or ``new_context`` for a browser,
``issued_credential``, ``open_page``, ``assert_accessible`` and ``screenshot``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from PIL import Image
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Response,
    ViewportSize,
    async_playwright,
)

from app.pages.i18n import Language
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant, create_tenant
from tests.serving import ROOT, free_port, serve_command, served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORT: ViewportSize = {"width": 1200, "height": 900}
SCREENSHOTS = ROOT / "docs" / "images"
# Violations of these impacts fail a test; axe's "minor" and "moderate" ones are reported only.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})

_INSTALL = "run tests/browser/prepare (or see the README's section on the browser tests)"


@pytest.fixture(scope="session")
def served_base_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`stapel serve` on a free loopback port, on the test database; links point at it.

    The tests empty the tables between tests, so the process keeps nothing cached.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "STAPEL_DATABASE_URL": database_url,
        "STAPEL_PUBLIC_BASE_URL": base,
        "STAPEL_PROCESS_CACHE_SECONDS": "0",
        "STAPEL_STATUS_LIST_PROCESS_CACHE_SECONDS": "0",
    }
    output = tmp_path_factory.mktemp("served") / "serve.log"
    with served(serve_command(port), port, output, env=env):
        yield base


@pytest.fixture
async def served_client(served_base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Real HTTP to the served process, for what the tests set up through the API."""
    async with httpx.AsyncClient(base_url=served_base_url, timeout=30) as http:
        yield http


@pytest.fixture
async def served_tenant(served_client: httpx.AsyncClient, operator: str) -> Tenant:
    """An institution with an API key, made through the served process's own API."""
    return await create_tenant(served_client, operator)


def _require_browser_tools() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: {_INSTALL}")
    if not AXE.exists():
        pytest.fail(f"the browser tests need axe-core at {AXE}: {_INSTALL}")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    _require_browser_tools()
    async with async_playwright() as playwright:
        # Playwright's own browser download is never used: Debian's Chromium is the browser.
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


class ContextFactory(Protocol):
    def __call__(self, *, checks_accessibility: bool = True) -> Awaitable[BrowserContext]: ...


@pytest.fixture
async def new_context(browser: Browser) -> AsyncIterator[ContextFactory]:
    """Fresh browser contexts (no cookies, no cache), closed after the test.

    The pages' Content-Security-Policy forbids every script, axe-core's too; a context in which
    axe must run is opened with ``bypass_csp``. Pass ``checks_accessibility=False`` for one
    that enforces the policy as any visitor's browser does.
    """
    opened: list[BrowserContext] = []

    async def open_context(*, checks_accessibility: bool = True) -> BrowserContext:
        context = await browser.new_context(viewport=VIEWPORT, bypass_csp=checks_accessibility)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        await context.close()


@pytest.fixture
async def page(new_context: ContextFactory) -> Page:
    """A page in a fresh context in which axe-core can run."""
    return await (await new_context()).new_page()


async def issued_credential(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    """A credential issued through the served API, as the API answers (``claim_url``, ``jwt``)."""
    achievement = await published_achievement(client, tenant)
    return await issue(client, tenant, achievement["id"])


async def open_page(page: Page, url: str, language: Language, status: int = 200) -> Response:
    """Open ``url`` in ``language`` (``?lang=``); it must answer ``status`` in that language."""
    response = await page.goto(str(httpx.URL(url).copy_merge_params({"lang": language})))
    assert response is not None
    assert response.status == status, await response.text()
    assert await page.locator("html").get_attribute("lang") == language
    return response


def _described(violation: dict[str, Any]) -> str:
    targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"])
    return f"- {violation['id']} ({violation['impact']}): {violation['help']} at {targets}"


async def assert_accessible(page: Page) -> None:
    """axe-core on the page as shown; fails listing every serious or critical violation."""
    await page.add_script_tag(path=str(AXE))
    results: dict[str, Any] = await page.evaluate("axe.run()")
    assert results["passes"], "axe-core checked nothing on the page"
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"accessibility violations on {page.url}:\n" + "\n".join(
        _described(v) for v in blocking
    )


Screenshot = Callable[[Page, str], Awaitable[Path]]


def _compact(path: Path) -> None:
    """256 colours, undithered: a page's flat colours and text survive, the file shrinks."""
    with Image.open(path) as shot:
        reduced = shot.convert("RGB").quantize(256, dither=Image.Dither.NONE)
    reduced.save(path, optimize=True)


@pytest.fixture
def screenshot(tmp_path: Path) -> Screenshot:
    """Save what the page shows as ``<name>.png``.

    Into docs/images with ``STAPEL_SCREENSHOTS=1`` (how the docs' pictures are refreshed),
    otherwise into the test's temporary directory, so a test run leaves the tree as it was.
    """
    for_docs = os.environ.get("STAPEL_SCREENSHOTS") == "1"
    directory = SCREENSHOTS if for_docs else tmp_path

    async def take(page: Page, name: str) -> Path:
        path = directory / f"{name}.png"
        await page.screenshot(path=str(path))
        if for_docs:
            await asyncio.to_thread(_compact, path)
        return path

    return take
