"""A page that fails shows an error page and writes nothing, like an API request that fails."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.service import AuditEntry, record
from app.db.session import DbSession
from app.errors import InvalidState
from app.pages.routing import PageRoute, install_page_error_handlers
from app.problems import install_problem_handlers


def _app_that_fails_after_writing(sessionmaker: async_sessionmaker[AsyncSession]) -> FastAPI:
    app = FastAPI()
    app.state.sessionmaker = sessionmaker
    install_problem_handlers(app)
    install_page_error_handlers(app)
    pages = APIRouter(route_class=PageRoute)
    api = APIRouter()

    async def write_then_refuse(session: DbSession) -> None:
        await record(session, "test", AuditEntry("test.half_written", "test", "1", None))
        raise InvalidState("Refused after a write.")

    pages.add_api_route("/page", write_then_refuse, methods=["POST"])
    api.add_api_route("/api", write_then_refuse, methods=["POST"])
    app.include_router(pages)
    app.include_router(api)
    return app


async def test_a_failing_page_rolls_back_and_an_api_route_keeps_its_problem(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    app = _app_that_fails_after_writing(sessionmaker)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://stapel.test"
    ) as client:
        page = await client.post("/page")
        problem = await client.post("/api")
    assert page.status_code == 409
    assert page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text
    assert problem.status_code == 409
    assert problem.headers["content-type"] == "application/problem+json"
    async with sessionmaker() as session:
        written = await session.execute(
            text("SELECT count(*) FROM audit_events WHERE action = 'test.half_written'")
        )
    assert written.scalar_one() == 0
