"""The ASGI application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.achievements.public_router import router as public_achievements_router
from app.achievements.router import router as achievements_router
from app.apidocs import router as api_docs
from app.audit.router import router as audit_router
from app.auth.router import router as api_clients_router
from app.certificates.router import router as certificates_router
from app.certificates.service import warn_of_development_certificates
from app.config import Settings, get_settings
from app.context import RequestIdMiddleware
from app.contexts.router import router as contexts_router
from app.credentials.grouped import issue_group as single_issuance_group
from app.credentials.public_router import router as credential_schemas_router
from app.credentials.router import issuance_router
from app.credentials.router import router as credentials_router
from app.db.session import (
    create_engine,
    create_read_sessionmaker,
    create_sessionmaker,
    open_own_sessions,
)
from app.eudi.router import public_router as eudi_metadata_router
from app.eudi.router import staff_router as sd_jwt_vc_router
from app.graphql import ide as graphiql
from app.graphql.router import graphql_router
from app.group_commit.coalescing import GroupCommit
from app.http.assets import RevalidatedStaticFiles
from app.http.direct_routes import DirectRoute
from app.http.guard import InputGuardMiddleware
from app.http.headers import SecurityHeadersMiddleware
from app.http.limits import BodyLimits, RequestBodyLimits
from app.http.openapi import document_input_problems, document_limits
from app.http.rate_limits import PublicRateLimit, RateLimits
from app.http.shutdown import InFlightRequests, StoppedRequestMiddleware
from app.images.router import router as images_router
from app.institutions.router import router as institutions_router
from app.keys.router import public_router as issuer_identity_router
from app.keys.router import router as keys_router
from app.learner_requests.router import router as credential_requests_router
from app.mail.router import router as smtp_router
from app.observability.health import create_probe_engine, metrics_router, migration_heads
from app.observability.health import router as operations_router
from app.observability.metrics import observed_engine
from app.observability.middleware import ObservabilityMiddleware
from app.oid4vci.router import openid_router as wallet_pickup_router
from app.oid4vci.router import staff_router as wallet_offers_router
from app.oid4vci.routing import install_oauth_error_handler
from app.pages.downloads import router as downloads_router
from app.pages.requests import router as request_page_router
from app.pages.router import router as pages_router
from app.pages.routing import install_page_error_handlers
from app.pages.verify import router as verify_page_router
from app.pathways.router import router as pathway_approvals_router
from app.problems import Problem, install_problem_handlers
from app.process_cache import finish_all_renewals
from app.recognition.router import router as recognitions_router
from app.responses import problems
from app.runtime import settle_heap
from app.sis.router import intake_router, integrations_router
from app.status_lists.reserve import close_claiming_connections
from app.status_lists.router import router as status_lists_router
from app.token_status.router import router as token_status_router
from app.vcapi.grouped import issue_group as document_issuance_group
from app.vcapi.router import presentations_router
from app.vcapi.router import router as vcapi_router
from app.verification.fetching import SafeFetcher
from app.verification.router import router as verification_router
from app.webhooks.router import deliveries_router as webhook_deliveries_router
from app.webhooks.router import router as webhook_endpoints_router
from app.worker.runner import Worker


def _install_middleware(
    app: FastAPI, settings: Settings | None, in_flight: InFlightRequests
) -> None:
    """The middleware, innermost first (each one added is further out than the one before)."""
    # Innermost: its 400s and 422s carry the request id and are logged like any other answer; it
    # reads JSON bodies whole, so the body limits below (further out) bound it first. It also
    # refuses unstorable strings in every route's parameters (once a FastAPI dependency on
    # every route, which cost 20-40 µs a request).
    app.add_middleware(InputGuardMiddleware, settings=settings)
    # Bodies are bounded in front of everything that reads them; refusals are still counted,
    # logged and carry the request id (the middleware added later is further out).
    app.add_middleware(RequestBodyLimits)
    app.add_middleware(PublicRateLimit)
    # Inside RequestIdMiddleware (added later = further out), so log lines carry the request id.
    app.add_middleware(ObservabilityMiddleware)
    app.add_middleware(StoppedRequestMiddleware, requests=in_flight)  # 503 with the request id
    app.add_middleware(RequestIdMiddleware)
    # Outermost: the headers reach every answer, problems and unmatched paths included.
    app.add_middleware(SecurityHeadersMiddleware, https=_served_over_https(settings))


def _open_state(app: FastAPI, resolved: Settings, engine: AsyncEngine) -> None:
    """What the requests of a running app share: sessions, clients, limits, issuing lanes."""
    app.state.engine = engine
    app.state.settings = resolved
    app.state.probe_engine = create_probe_engine(resolved)
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.read_sessionmaker = create_read_sessionmaker(engine)
    app.state.fetcher = SafeFetcher.from_settings(resolved)
    app.state.body_limits = BodyLimits.from_settings(resolved)
    app.state.rate_limits = RateLimits.from_settings(resolved)
    # Concurrent issuances of one client share a transaction (app.group_commit).
    app.state.single_issuance = GroupCommit(
        app.state.sessionmaker, resolved.issue_group_max, single_issuance_group
    )
    app.state.document_issuance = GroupCommit(
        app.state.sessionmaker, resolved.issue_group_max, document_issuance_group
    )
    app.state.schema_heads = migration_heads()


def create_app(settings: Settings | None = None) -> FastAPI:
    in_flight = InFlightRequests()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Settings are read at start-up, not import, so the OpenAPI document needs none.
        resolved = settings or get_settings()
        engine = create_engine(resolved)
        _open_state(app, resolved, engine)
        # For the caches' background renewals.
        outer_sessions = open_own_sessions(app.state.read_sessionmaker)
        worker = Worker(resolved, app.state.sessionmaker) if resolved.embedded_worker else None
        running = asyncio.create_task(worker.run()) if worker else None
        settle_heap()
        await warn_of_development_certificates(app.state.sessionmaker)
        try:
            # Uvicorn runs this shutdown half only once in-flight requests have finished (or
            # `stapel serve --graceful-timeout` has run out): the engine is disposed last.
            with observed_engine(engine):
                yield
        finally:
            # Uvicorn has just cancelled the requests the graceful stop cut off: answer them.
            await in_flight.stop()
            if worker is not None and running is not None:
                worker.stop()
                await running
            await finish_all_renewals()  # a page's render may use the fetcher and the engine
            open_own_sessions(outer_sessions)
            await app.state.fetcher.aclose()
            await engine.dispose()
            await close_claiming_connections()
            await app.state.probe_engine.dispose()

    app = FastAPI(
        title="Stapel",
        version="0.1.0",
        summary="Issue, revoke and verify micro-credentials (Open Badges 3.0 on VC Data Model 2.0)",
        lifespan=lifespan,
        # Swagger UI is served by app.apidocs from files in a package, not from a CDN; ReDoc,
        # which would need one, is not offered.
        docs_url=None,
        redoc_url=None,
        # Any endpoint that reads or writes may meet a database restart or failover.
        responses=problems(503),
        # FastAPI's own OpenTelemetry bridge is not used (metrics are Prometheus, traces none);
        # switched off, it no longer asks for the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    _install_middleware(app, settings, in_flight)
    install_problem_handlers(app)
    install_page_error_handlers(app)
    install_oauth_error_handler(app)

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # Routes are matched in order, so the ones hit most come first: status lists and
    # verification (every verifier), single issuance, the learner's pages (everyone a learner
    # shares a credential with), then the rest of issuing and the public catalogue. The busiest
    # are put on the app itself, not matched through an included router (see
    # _add_routes_directly); single issuance before the pages, whose router it would otherwise
    # go through on every request (~15 µs of matching against ~1 µs its one route costs them).
    # The token lists first: their path would otherwise match /status-lists/{list_id}/{purpose}.
    for router in (token_status_router, status_lists_router, verification_router, issuance_router):
        _add_routes_directly(app, router)
    app.include_router(pages_router)
    app.include_router(credentials_router)
    # Documented by its own SDL (schema.graphql), not in the OpenAPI document.
    graphiql_enabled = _graphiql_enabled(settings)
    app.include_router(graphql_router(graphiql=graphiql_enabled), include_in_schema=False)
    if graphiql_enabled:
        app.mount(graphiql.ASSETS_PATH, graphiql.assets(), name="graphiql-assets")
    for router in (
        vcapi_router,
        presentations_router,
        issuer_identity_router,
        public_achievements_router,
        images_router,
        contexts_router,
        credential_schemas_router,
        intake_router,
        achievements_router,
        institutions_router,
        smtp_router,
        api_clients_router,
        keys_router,
        certificates_router,
        audit_router,
        integrations_router,
        webhook_endpoints_router,
        webhook_deliveries_router,
        # Before the downloads: /claim/{token}/{file} would take /claim/{token}/request.
        request_page_router,
        downloads_router,
        verify_page_router,
        wallet_offers_router,
        wallet_pickup_router,
        recognitions_router,
        pathway_approvals_router,
        credential_requests_router,
        sd_jwt_vc_router,
        eudi_metadata_router,
    ):
        app.include_router(router)
    # The pages' stylesheet, from the package itself (ETag and Last-Modified by StaticFiles).
    app.mount("/assets", RevalidatedStaticFiles(packages=[("app.pages", "static")]), name="assets")
    app.include_router(api_docs.router)
    app.mount(api_docs.ASSETS_PATH, api_docs.assets(), name="docs-assets")

    app.include_router(operations_router)  # /readyz
    if _metrics_on_api_port(settings):
        # An operator's choice, not part of the API: the document is the same either way.
        app.include_router(metrics_router, include_in_schema=False)

    _register_problem_schema(app)
    return app


def _add_routes_directly(app: FastAPI, router: APIRouter) -> None:
    """``router``'s routes on the app itself, as ``include_router`` would give them.

    FastAPI matches an included router's routes through a layer of its own: ~10 µs of serving a
    status list from memory (~60 µs in-process), spared to the busiest routes. Their routes
    already carry the router's prefix, tags and route class; what an inclusion would add from
    the app is checked instead: no dependencies of the app's own (an inclusion would run them
    on every route), the routes DirectRoutes (which take no dependency overrides), and the
    answers the app documents for every route (its ``responses``) declared by the router.
    """
    if app.router.dependencies:
        raise TypeError("the app has dependencies of its own: include routers instead")
    app_answers = set(app.router.responses)
    for route in router.routes:
        if not isinstance(route, DirectRoute) or not app_answers <= set(route.responses):
            raise TypeError(f"{route}: include its router instead")
    app.router.routes.extend(router.routes)


def _configured(settings: Settings | None) -> Settings | None:
    """Settings read at app creation, when routes are fixed; None without a configuration."""
    try:
        return settings or get_settings()
    except ValidationError:  # e.g. writing the OpenAPI document with no STAPEL_* set
        return None


def _graphiql_enabled(settings: Settings | None) -> bool:
    configured = _configured(settings)
    return configured is not None and configured.graphiql


def _metrics_on_api_port(settings: Settings | None) -> bool:
    configured = _configured(settings)
    return configured is not None and configured.metrics_on_api_port


def _served_over_https(settings: Settings | None) -> bool:
    """Whether browsers reach this instance over https (then HSTS is sent)."""
    configured = _configured(settings)
    return configured is not None and configured.public_base_url.startswith("https://")


def _register_problem_schema(app: FastAPI) -> None:
    """Make sure ``#/components/schemas/Problem`` exists even where no route names it as model,
    and that every operation documents the answers of the input checks."""
    original = app.openapi

    def openapi() -> dict[str, object]:
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault(
            "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        document_limits(schema)
        document_input_problems(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
