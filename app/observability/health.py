"""``/readyz`` (the database answers and has this version's schema) and ``/metrics``.

Readiness asks the database over a connection of its own (:func:`create_probe_engine`), never
one of the request pool's: under load every pooled connection may be busy, and a probe queued
behind them would report a healthy database as down, so that Kubernetes took a busy replica out
of service just when it is needed. A full pool is reported beside a ready answer
(``"pool": "saturated"``), for dashboards and for a human reading the probe, not as a failure.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Final, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from app.config import Settings
from app.db.schema_heads import SCHEMA_HEADS
from app.db.session import async_database_url
from app.observability.metrics import render_latest
from app.problems import PROBLEM_MEDIA_TYPE, Problem, ProblemFieldError, problem_response

logger = logging.getLogger(__name__)

READINESS_TIMEOUT_SECONDS: Final = 2.0
UNDEFINED_TABLE: Final = "42P01"  # Postgres SQLSTATE

router = APIRouter(tags=["operations"])
# Included only with STAPEL_METRICS_ON_API_PORT; `stapel serve --metrics-port` is the default way.
metrics_router = APIRouter(tags=["operations"])


def migration_heads() -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this version."""
    return SCHEMA_HEADS


def create_probe_engine(settings: Settings) -> AsyncEngine:
    """One connection, kept open, for the readiness probe alone.

    Pinged before each use, so a connection that died with a database restart is replaced
    instead of failing a probe; a second probe arriving meanwhile waits for the first.
    """
    return create_async_engine(
        async_database_url(settings.database_url),
        pool_size=1,
        max_overflow=0,
        pool_timeout=READINESS_TIMEOUT_SECONDS,
        pool_pre_ping=True,
    )


PoolState = Literal["ok", "saturated"]


def pool_state(engine: AsyncEngine, settings: Settings) -> PoolState:
    """``saturated`` while every connection the request pool may open is in use."""
    pool = engine.pool
    capacity = settings.db_pool_size + settings.db_max_overflow
    if isinstance(pool, QueuePool) and pool.checkedout() >= capacity:
        return "saturated"
    return "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    schema_revision: str
    pool: PoolState = "ok"


@dataclass(frozen=True, slots=True)
class NotReady:
    check: Literal["database", "schema"]
    detail: str


async def check_readiness(
    engine: AsyncEngine, heads: frozenset[str], seconds: float = READINESS_TIMEOUT_SECONDS
) -> Readiness | NotReady:
    """One query, bounded in time: the database answers, and at the revision this code needs."""
    try:
        async with asyncio.timeout(seconds), engine.connect() as connection:
            result = await connection.execute(text("SELECT version_num FROM alembic_version"))
            revisions = frozenset(result.scalars().all())
    except TimeoutError:
        logger.warning("readiness: the database did not answer within %s s", seconds)
        return NotReady("database", f"The database did not answer within {seconds:g} s.")
    except DBAPIError as exc:
        if getattr(exc.orig, "pgcode", None) == UNDEFINED_TABLE or (
            getattr(exc.orig, "sqlstate", None) == UNDEFINED_TABLE
        ):
            return NotReady("schema", "The database has no Stapel schema; run `stapel migrate`.")
        logger.warning("readiness: the database query failed", exc_info=exc)
        return NotReady("database", "The database cannot be reached or refused the query.")
    except Exception as exc:  # any failure to connect (refused, DNS, TLS) means not ready
        logger.warning("readiness: cannot connect to the database", exc_info=exc)
        return NotReady("database", "The database cannot be reached.")
    if revisions != heads:
        found = ", ".join(sorted(revisions)) or "none"
        wanted = ", ".join(sorted(heads))
        return NotReady(
            "schema",
            f"The database schema is at revision {found}; this version needs {wanted}. "
            "Run `stapel migrate`.",
        )
    return Readiness(schema_revision=", ".join(sorted(revisions)))


_NOT_READY: Final[dict[int | str, dict[str, Any]]] = {
    503: {
        "model": Problem,
        "description": "Not ready: the database does not answer, or its schema is not this "
        "version's (`code` is `not_ready`; `errors[0].code` names the check that failed: "
        "`database` or `schema`)",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}
_NO_STORE: Final = {"Cache-Control": "no-store"}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses=_NOT_READY,
    summary="Ready to serve: the database answers and its schema is at this version's revision",
    description="Asked over a connection of its own, so a busy request pool does not make a "
    "healthy database look down; `pool` is `saturated` while every pooled connection is in use "
    "(still ready: requests queue for a connection).",
)
async def readyz(request: Request, response: Response) -> Readiness | JSONResponse:
    state = request.app.state
    outcome = await check_readiness(state.probe_engine, state.schema_heads)
    if isinstance(outcome, NotReady):
        return problem_response(
            503,
            "not_ready",
            "Not ready",
            f"Readiness check '{outcome.check}' failed: {outcome.detail}",
            [ProblemFieldError(detail=outcome.detail, code=outcome.check)],
            headers=_NO_STORE,
        )
    response.headers.update(_NO_STORE)
    outcome.pool = pool_state(state.engine, state.settings)
    return outcome


@metrics_router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
    summary="Prometheus metrics (every worker's, with `stapel serve --workers N`)",
)
async def prometheus_metrics() -> Response:
    body, content_type = render_latest()
    return Response(body, media_type=content_type, headers=_NO_STORE)
