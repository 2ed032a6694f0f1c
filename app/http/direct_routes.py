"""Routes whose declared parameters are resolved in one step, for the busiest endpoints.

FastAPI resolves a route's parameters and dependencies generically, one level of dependencies
at a time, each level looking for path, query, header and cookie parameters and for a cached
result. ``POST /v1/credentials`` (a JSON body, a header, and an API key behind two levels of
dependencies) spent ~55 µs of a request there in-process, about a tenth of issuing one
credential; resolved here it costs ~6 µs.

A route of :class:`DirectRoute` keeps everything else: its signature is declared as for any
route, so FastAPI writes its OpenAPI document as before, and its endpoint is the function that
holds its logic. Only the resolution of the arguments differs, and it gives the answers
FastAPI's would, in the same order:

1. the body is read as FastAPI reads it: parsed when its type is JSON, refused with a 400 when
   that does not parse, before anything else;
2. dependencies, each of which must have a direct form (:func:`register`): an API key's
   principal and its scope, which answer 401, 403 or 429 as the dependencies do;
3. path, query, header and body parameters, validated by FastAPI's own functions, all their
   errors in one 422. What FastAPI works out for a parameter on every request (the names it
   may come under, whether it is read as a list: ~25 µs for one absent header, a tenth of
   what a single issuance's request costs beside its credential) is worked out once, when the
   route is built (:class:`_Param`).

A route with anything else (cookies, other dependencies, form bodies, background tasks) is
refused when the app is built, rather than served differently.

The public routes that verifiers and wallets call most (the status lists, ``/v1/verify``) take
only the request and read their parameters themselves, documented with ``openapi_extra``: for
them the handler is the endpoint and nothing between.
"""

from __future__ import annotations

import email.message
import functools
import inspect
import json
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from fastapi import params
from fastapi._compat import ModelField, field_annotation_is_sequence
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import (
    _get_param_aliases,
    _get_param_model,
    _is_json_field,
    _validate_value_with_model_field,
    request_body_to_args,
    request_params_to_args,
)
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.routing import APIRoute, _effective_route_context_var
from pydantic_core import PydanticUndefined
from starlette.datastructures import Headers, ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import Response

DirectDependency = Callable[[Request], Awaitable[Any]]

# A dependency's function -> the same resolution in one call on the request.
_DIRECT: Final[dict[Callable[..., Any], DirectDependency]] = {}


def register(dependency: Callable[..., Any], direct: DirectDependency) -> None:
    """Declare that ``direct(request)`` gives what FastAPI resolving ``dependency`` would."""
    _DIRECT[dependency] = direct


class DirectRoute(APIRoute):
    """An APIRoute whose arguments are resolved in one step (see the module)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # Included in a router, a route is served as its inclusion sees it (its path with the
        # prefix, the dependencies the inclusion adds), as FastAPI's own handler is.
        included = _effective_route_context_var.get()
        seen = cast(APIRoute, included) if included is not None else self
        return _handler(seen)


def _handler(route: APIRoute) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    dependant = route.dependant
    endpoint = dependant.call
    strict = route.strict_content_type
    unsupported = (
        dependant.cookie_params
        or dependant.background_tasks_param_name
        or dependant.response_param_name
        or dependant.security_scopes_param_name
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or len(dependant.body_params) > 1
        or not (strict.value if isinstance(strict, DefaultPlaceholder) else strict)
    )
    if endpoint is None or not inspect.iscoroutinefunction(endpoint) or unsupported:
        raise TypeError(f"{route.path}: not a route a DirectRoute can resolve")
    dependencies: list[tuple[str, DirectDependency]] = []
    for sub in dependant.dependencies:
        direct = _DIRECT.get(sub.call) if sub.call is not None else None
        if direct is None or sub.name is None:
            raise TypeError(f"{route.path}: dependency {sub.call!r} has no direct form")
        dependencies.append((sub.name, direct))
    embed_body = route._embed_body_fields  # as FastAPI's own handler reads it
    path_params = _plan(dependant.path_params)
    query_params = _plan(dependant.query_params)
    header_params = _plan(dependant.header_params)

    async def handler(request: Request) -> Response:
        body = await _json_body(request) if dependant.body_params else PydanticUndefined
        values: dict[str, Any] = {}
        for name, direct in dependencies:
            values[name] = await direct(request)
        errors: list[Any] = []
        # Read only for a route with such parameters: parsing even an empty query string costs.
        for planned, received in (
            (path_params, lambda: request.path_params),
            (query_params, lambda: request.query_params),
            (header_params, lambda: request.headers),
        ):
            if planned:
                found, wrong = planned(received())
                values.update(found)
                errors += wrong
        if dependant.body_params:
            found, wrong = await request_body_to_args(
                body_fields=dependant.body_params,
                received_body=body,
                embed_body_fields=embed_body,
            )
            values.update(found)
            errors += wrong
        if errors:
            raise RequestValidationError(errors, body=None if body is PydanticUndefined else body)
        if dependant.request_param_name:
            values[dependant.request_param_name] = request
        response = await endpoint(**values)
        if not isinstance(response, Response):
            raise TypeError(f"{route.path}: a direct route's endpoint returns a Response")
        return response

    return handler


Resolve = Callable[[Mapping[str, Any]], tuple[dict[str, Any], list[Any]]]


@dataclass(frozen=True, slots=True)
class _Param:
    """What FastAPI's ``request_params_to_args`` works out about a parameter on each request."""

    field: ModelField
    keys: tuple[str, ...]  # the names it may be sent under, in FastAPI's order of preference
    listed: bool  # read as a list of every value sent (a header or query parameter)
    sequence: bool  # an empty list counts as absent
    where: str  # "path", "query" or "header", for the errors' location

    def value(self, received: Mapping[str, Any]) -> tuple[Any, tuple[str, str]]:
        """As FastAPI's ``_get_multidict_value``: the value sent, or ``Undefined``."""
        key = next((key for key in self.keys if key in received), self.keys[0])
        value: Any
        if self.listed and isinstance(received, (ImmutableMultiDict, Headers)):
            value = received.getlist(key)
        else:
            value = received.get(key, None)
        if value is None or (self.sequence and len(value) == 0):
            value = PydanticUndefined  # the default is applied in validation, as FastAPI does
        return value, (self.where, key)


def _plan(fields: Sequence[ModelField]) -> Resolve | None:
    """The parameters' resolution with everything about them worked out now; FastAPI's own
    for a parameter declared as a model. ``None`` for no parameters."""
    if not fields:
        return None
    if any(_get_param_model(field) is not None for field in fields):
        return functools.partial(request_params_to_args, fields)
    planned = []
    for field in fields:
        info = field.field_info
        if not isinstance(info, params.Param):
            raise TypeError(f"{field.name}: not a path, query or header parameter")
        sequence = field_annotation_is_sequence(info.annotation)
        planned.append(
            _Param(
                field=field,
                keys=tuple(key for _, key in _get_param_aliases(field)),
                listed=sequence and not _is_json_field(field),
                sequence=sequence,
                where=info.in_.value,
            )
        )

    def resolve(received: Mapping[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        values: dict[str, Any] = {}
        errors: list[Any] = []
        for param in planned:
            value, loc = param.value(received)
            found, wrong = _validate_value_with_model_field(
                field=param.field, value=value, values=values, loc=loc
            )
            if wrong:
                errors.extend(wrong)
            else:
                values[param.field.name] = found
        return values, errors

    return resolve


async def _json_body(request: Request) -> Any:
    """The body as FastAPI hands it on: parsed when its type is JSON, the bytes when of another
    type or of none (then the model refuses it), nothing when empty."""
    raw = await request.body()
    if not raw:
        return PydanticUndefined
    content_type = request.headers.get("content-type")
    if not content_type or not _is_json(content_type):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", error.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": error.msg},
                }
            ],
            body=error.doc,
        ) from error
    except (ValueError, RecursionError) as error:  # not UTF-8 (the guard refuses most), too deep
        raise HTTPException(
            status_code=400, detail="There was an error parsing the body"
        ) from error


@functools.lru_cache(maxsize=64)
def _is_json(content_type: str) -> bool:
    # Parsed as FastAPI parses it (parameters, case), not by hand; the parser costs ~2 µs, and
    # a service sees few distinct content types.
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")
