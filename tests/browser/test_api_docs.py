"""Swagger UI (/docs) and GraphiQL (/graphql) render with nothing but Stapel reachable.

The browser may reach the served app and nothing else: every other request is aborted and
recorded, so a page that still loads a script from a CDN fails here, as it would offline. The
pages' Content Security Policy is enforced (no ``bypass_csp``) and any violation fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, ConsoleMessage, Page, Route

from tests.browser.conftest import ContextFactory
from tests.serving import free_port, serve_command, served


@pytest.fixture(scope="module")
def docs_base_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`stapel serve` with GraphiQL on."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"STAPEL_DATABASE_URL": database_url, "STAPEL_PUBLIC_BASE_URL": base}
    env["STAPEL_GRAPHIQL"] = "true"
    output = tmp_path_factory.mktemp("docs") / "serve.log"
    with served(serve_command(port), port, output, env=env):
        yield base


class Offline:
    """A browser context that reaches ``base`` alone, noting what else was asked and refused."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.blocked: list[str] = []
        self.problems: list[str] = []

    async def attach(self, context: BrowserContext) -> Page:
        await context.route("**/*", self._only_the_app)
        page = await context.new_page()
        page.on("console", self._note_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        return page

    async def _only_the_app(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(self.base + "/") or url.startswith("data:"):
            await route.continue_()
        else:
            self.blocked.append(url)
            await route.abort("internetdisconnected")

    def _note_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(message.text)

    def assert_clean(self) -> None:
        assert not self.blocked, f"requests to other hosts: {self.blocked}"
        assert not self.problems, "console errors or CSP violations:\n" + "\n".join(self.problems)


async def _offline_page(new_context: ContextFactory, base: str) -> tuple[Page, Offline]:
    offline = Offline(base)
    page = await offline.attach(await new_context(checks_accessibility=False))
    return page, offline


async def test_swagger_ui_shows_the_operations_offline(
    new_context: ContextFactory, docs_base_url: str, tmp_path: Path
) -> None:
    page, offline = await _offline_page(new_context, docs_base_url)
    response = await page.goto(f"{docs_base_url}/docs")
    assert response is not None
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    operations = page.locator(".opblock")
    await operations.first.wait_for(timeout=30_000)
    assert await operations.count() > 20
    assert await page.locator(".opblock-summary-path", has_text="/v1/credentials").count() > 0
    offline.assert_clean()


async def test_graphiql_shows_its_editor_offline(
    new_context: ContextFactory, docs_base_url: str
) -> None:
    page, offline = await _offline_page(new_context, docs_base_url)
    # GraphiQL asks the endpoint for its schema (introspection) once it runs.
    async with page.expect_response(
        lambda answer: answer.request.method == "POST" and answer.url.endswith("/graphql"),
        timeout=30_000,
    ) as introspection:
        response = await page.goto(f"{docs_base_url}/graphql", wait_until="load")
    assert response is not None
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    schema = await (await introspection.value).json()
    assert schema["data"]["__schema"]["queryType"]["name"] == "Query"
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    await editor.first.wait_for(timeout=30_000)
    await editor.first.click()
    await page.keyboard.type("{ __typename }")
    assert "__typename" in await editor.first.inner_text()
    offline.assert_clean()
