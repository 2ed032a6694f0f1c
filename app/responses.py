"""OpenAPI ``responses`` entries for the problem answers an endpoint can give."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import BaseModel

from app.problems import PROBLEM_MEDIA_TYPE, Problem

_DESCRIPTIONS = {
    400: "Malformed request (unparseable JSON, bad cursor)",
    401: "Missing, unknown or revoked API key",
    403: "The API key lacks the scope",
    404: "Not found (or belongs to another institution)",
    406: "No acceptable representation",
    408: "The request body did not arrive within the read deadline",
    409: "Conflict with the current state",
    413: "Too many items, or too large",
    415: "Unsupported media type",
    422: "Validation or policy failure",
    429: "Too many requests; Retry-After says when to try again",
    503: (
        "The database cannot take the request now (`code` `database_unavailable`: unreachable,"
        " restarting, out of connections, or read-only during a failover); nothing was stored:"
        " retry after `Retry-After` seconds"
    ),
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


AUTHENTICATED = (401, 403, 422)


def model_response(
    model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``model`` as JSON, serialised once.

    For the large answers of the hot paths (a credential, a batch of 1,000): FastAPI would
    validate a returned model all over again before serialising it. The route declares
    ``response_model`` so that the OpenAPI document is the same.
    """
    # Straight to bytes: ``model_dump_json`` decodes them to a str that Response encodes back,
    # two more copies of a body that is 7 MB for a batch of 1,000.
    return json_response(model.__pydantic_serializer__.to_json(model), status_code, headers)


def json_response(
    body: bytes, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """JSON already serialised: by a model (``model_response``), or by orjson from the fields
    of the model a route declares, where building the model would cost more than the rest."""
    return Response(body, status_code=status_code, headers=headers, media_type="application/json")
