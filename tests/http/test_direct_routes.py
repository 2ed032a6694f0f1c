"""A DirectRoute answers every input as FastAPI's own resolution of the same signature does."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Cookie, Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AliasChoices, BaseModel, Field
from starlette.responses import Response

from app.errors import Unauthenticated
from app.http import direct_routes
from app.http.direct_routes import DirectRoute
from app.main import _add_routes_directly, create_app
from app.problems import install_problem_handlers
from app.responses import problems

_bearer = HTTPBearer(auto_error=False)


class Item(BaseModel):
    name: str = Field(min_length=1)
    count: int
    when: uuid.UUID | None = None


async def caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None:
        raise Unauthenticated("Send a key.")
    return credentials.credentials


async def _direct_caller(request: Request) -> str:
    return await caller(await _bearer(request))


direct_routes.register(caller, _direct_caller)

Caller = Annotated[str, Depends(caller)]


async def put_item(
    shelf: int,
    item: Item,
    request: Request,
    who: Caller,
    limit: int = 10,
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=8)] = None,
) -> Response:
    return JSONResponse(
        {
            "shelf": shelf,
            "item": item.model_dump(mode="json"),
            "who": who,
            "limit": limit,
            "key": key,
            "method": request.method,
        }
    )


async def get_tags(
    tags: Annotated[list[str] | None, Header(alias="X-Tag")] = None,
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=8)] = None,
    pages: Annotated[list[int] | None, Query(alias="page")] = None,
    size: Annotated[int | None, Query(validation_alias=AliasChoices("per_page", "perPage"))] = None,
) -> Response:
    return JSONResponse({"tags": tags, "key": key, "pages": pages, "size": size})


class Trace(BaseModel):
    trace_id: str = Field(max_length=8)
    sampled: bool = False


async def get_traced(trace: Annotated[Trace, Header()]) -> Response:
    return JSONResponse(trace.model_dump())


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    router = APIRouter(prefix="/shelves")
    router.add_api_route(
        "/{shelf}/direct", put_item, methods=["PUT"], route_class_override=DirectRoute
    )
    router.add_api_route("/{shelf}/declared", put_item, methods=["PUT"])
    # Parameters read as lists, and headers declared as a model (left to FastAPI's resolution).
    router.add_api_route(
        "/tags/direct", get_tags, methods=["GET"], route_class_override=DirectRoute
    )
    router.add_api_route("/tags/declared", get_tags, methods=["GET"])
    router.add_api_route(
        "/traced/direct", get_traced, methods=["GET"], route_class_override=DirectRoute
    )
    router.add_api_route("/traced/declared", get_traced, methods=["GET"])
    app.include_router(router)
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


AUTH = {"Authorization": "Bearer k1"}
JSON = {"Content-Type": "application/json"}
GOOD = b'{"name": "a", "count": 2}'

Headers = dict[str, str] | list[tuple[str, str]] | list[tuple[bytes, bytes]]

CASES: list[tuple[str, str, Headers, bytes]] = [
    ("a good request", "/1", {**AUTH, **JSON}, GOOD),
    ("a query parameter", "/1?limit=3", {**AUTH, **JSON}, GOOD),
    ("a header", "/1", {**AUTH, **JSON, "Idempotency-Key": "k"}, GOOD),
    ("a header named in lower case", "/1", {**AUTH, **JSON, "idempotency-key": "k"}, GOOD),
    ("an empty header", "/1", {**AUTH, **JSON, "Idempotency-Key": ""}, GOOD),
    (
        "a header given twice",
        "/1",
        [*AUTH.items(), *JSON.items(), ("Idempotency-Key", "first"), ("Idempotency-Key", "2nd")],
        GOOD,
    ),
    (
        "a header given twice, the first too long",
        "/1",
        [
            *AUTH.items(),
            *JSON.items(),
            ("Idempotency-Key", "far-too-long"),
            ("Idempotency-Key", "k"),
        ],
        GOOD,
    ),
    (
        "a header of latin-1 bytes",
        "/1",
        [
            (b"Authorization", b"Bearer k1"),
            (b"Content-Type", b"application/json"),
            (b"Idempotency-Key", b"\xe9t\xe9"),
        ],
        GOOD,
    ),
    (
        "a +json type with parameters",
        "/1",
        {**AUTH, "Content-Type": "Application/Merge-Patch+JSON; charset=utf-8"},
        GOOD,
    ),
    ("no key", "/1", JSON, GOOD),
    ("no key and a bad body", "/1", JSON, b'{"count": "x"}'),
    ("no key and a body that is not JSON", "/1", JSON, b'{"name": '),
    ("a body that is not JSON", "/1", {**AUTH, **JSON}, b"[1, 2"),
    ("a body that is not UTF-8", "/1", {**AUTH, **JSON}, b'{"name": "\xff", "count": 1}'),
    ("no body", "/1", {**AUTH, **JSON}, b""),
    ("a JSON body of the wrong type", "/1", {**AUTH, **JSON}, b"[1]"),
    ("no content type", "/1", AUTH, GOOD),
    ("a content type that is not JSON", "/1", {**AUTH, "Content-Type": "text/plain"}, GOOD),
    (
        "bad fields, a bad header, a bad query and a bad path at once",
        "/x?limit=many",
        {**AUTH, **JSON, "Idempotency-Key": "far-too-long"},
        b'{"name": "", "count": "two", "when": "no", "extra": 1}',
    ),
]


def _url(path: str, route: str) -> str:
    """A case's "/<shelf>[?query]" on the direct or the declared route."""
    shelf, _, query = path.partition("?")
    return f"/shelves{shelf}/{route}" + (f"?{query}" if query else "")


@pytest.mark.parametrize(("case", "path", "headers", "body"), CASES, ids=[c[0] for c in CASES])
async def test_a_direct_route_answers_as_the_declared_one(
    client: httpx.AsyncClient, case: str, path: str, headers: Headers, body: bytes
) -> None:
    declared = await client.put(_url(path, "declared"), headers=headers, content=body)
    direct = await client.put(_url(path, "direct"), headers=headers, content=body)

    assert direct.status_code == declared.status_code, case
    assert direct.headers.get("content-type") == declared.headers.get("content-type")
    assert direct.headers.get("www-authenticate") == declared.headers.get("www-authenticate")
    assert direct.json() == declared.json(), case


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("", []),
        ("", [("X-Tag", "a")]),
        ("", [("X-Tag", "")]),
        ("", [("X-Tag", "a"), ("x-tag", "b"), ("Idempotency-Key", "far-too-long")]),
        ("?page=1&page=2", []),
        ("?page=1&page=two&page=", [("X-Tag", "a")]),
        ("?page=", []),
        ("?perPage=3", []),
        ("?perPage=x&per_page=2", []),
        ("?per_page=x&perPage=2", []),
    ],
    ids=[
        "none",
        "one",
        "an empty one",
        "two and a bad key",
        "a list in the query",
        "a bad item in the query's list",
        "an empty item",
        "a parameter under its second name",
        "under both names, the first good",
        "under both names, the first bad",
    ],
)
async def test_a_route_with_list_and_aliased_parameters_answers_as_the_declared_one(
    client: httpx.AsyncClient, query: str, headers: list[tuple[str, str]]
) -> None:
    declared = await client.get(f"/shelves/tags/declared{query}", headers=headers)
    direct = await client.get(f"/shelves/tags/direct{query}", headers=headers)

    assert direct.status_code == declared.status_code
    assert direct.json() == declared.json()


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [("Trace-Id", "t1")],
        [("trace-id", "t1"), ("Sampled", "yes")],
        [("Trace-Id", "far-too-long"), ("Sampled", "maybe")],
    ],
    ids=["none", "one", "both", "both wrong"],
)
async def test_a_route_with_headers_declared_as_a_model_answers_as_the_declared_one(
    client: httpx.AsyncClient, headers: list[tuple[str, str]]
) -> None:
    declared = await client.get("/shelves/traced/declared", headers=headers)
    direct = await client.get("/shelves/traced/direct", headers=headers)

    assert direct.status_code == declared.status_code
    assert direct.json() == declared.json()


async def test_the_cases_reach_every_kind_of_answer(client: httpx.AsyncClient) -> None:
    # The table above is worth something only if it meets success and every refusal.
    seen = set()
    for _, path, headers, body in CASES:
        answer = await client.put(_url(path, "direct"), headers=headers, content=body)
        seen.add(answer.status_code)
    assert seen == {200, 400, 401, 422}


# At module level: this module's annotations are strings, resolved in its namespace.
async def no_direct_form() -> str:
    return "x"


async def needs_no_direct_form(value: Annotated[str, Depends(no_direct_form)]) -> Response:
    return Response(value)


def test_a_dependency_without_a_direct_form_is_refused_when_the_route_is_built() -> None:
    router = APIRouter()
    with pytest.raises(TypeError, match="no direct form"):
        router.add_api_route(
            "/x", needs_no_direct_form, methods=["GET"], route_class_override=DirectRoute
        )


async def takes_a_cookie(session: Annotated[str | None, Cookie()] = None) -> Response:
    return Response(session)


def test_a_cookie_parameter_is_refused_when_the_route_is_built() -> None:
    router = APIRouter()
    with pytest.raises(TypeError, match="not a route a DirectRoute can resolve"):
        router.add_api_route(
            "/x", takes_a_cookie, methods=["GET"], route_class_override=DirectRoute
        )


def _build_included_routes(app: FastAPI) -> None:
    """Routes of an included router are built when first matched; build them now."""
    for route in app.router.routes:
        candidates: Any = getattr(route, "effective_candidates", None)
        if candidates is not None:
            candidates()


def test_a_dependency_added_where_the_router_is_included_is_refused_unless_direct() -> None:
    router = APIRouter()
    router.add_api_route("/x", put_item, methods=["PUT"], route_class_override=DirectRoute)
    app = FastAPI()
    app.include_router(router, dependencies=[Depends(no_direct_form)])
    with pytest.raises(TypeError, match="no direct form"):
        _build_included_routes(app)


def test_every_route_of_the_service_can_be_built() -> None:
    # Included routers build their routes when first matched: a route class that refuses its
    # route would otherwise show only then, as a 500.
    app = create_app()
    _build_included_routes(app)
    assert len(_routers(app)) > 20


def _routers(app: FastAPI) -> list[APIRouter]:
    found = (getattr(route, "original_router", None) for route in app.router.routes)
    return [router for router in found if isinstance(router, APIRouter)]


async def bare(request: Request) -> Response:
    return Response(request.method)


def test_only_direct_routes_that_document_the_apps_answers_go_on_the_app_directly() -> None:
    app = FastAPI(responses=problems(503))
    plain = APIRouter()
    plain.add_api_route("/plain", bare, methods=["GET"])
    undocumented = APIRouter(route_class=DirectRoute)
    undocumented.add_api_route("/undocumented", bare, methods=["GET"])
    documented = APIRouter(route_class=DirectRoute, responses=problems(503))
    documented.add_api_route("/documented", bare, methods=["GET"])

    for router in (plain, undocumented):
        with pytest.raises(TypeError, match="include its router instead"):
            _add_routes_directly(app, router)
    _add_routes_directly(app, documented)

    assert [getattr(route, "path", None) for route in app.router.routes][-1] == "/documented"


async def _app_wide() -> None:
    return None


def test_an_app_with_dependencies_of_its_own_takes_no_routes_directly() -> None:
    app = FastAPI(responses=problems(503), dependencies=[Depends(_app_wide)])
    documented = APIRouter(route_class=DirectRoute, responses=problems(503))
    documented.add_api_route("/documented", bare, methods=["GET"])

    with pytest.raises(TypeError, match="dependencies of its own"):
        _add_routes_directly(app, documented)


def test_the_busiest_routes_are_matched_on_the_app_itself() -> None:
    on_the_app = {
        route.path for route in create_app().router.routes if isinstance(route, DirectRoute)
    }
    assert {"/v1/verify", "/status-lists/{list_id}/{purpose}", "/v1/credentials"} <= on_the_app
