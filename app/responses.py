"""OpenAPI ``responses`` entries for the problem answers an endpoint can give."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import Response
from fastapi.responses import StreamingResponse
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


# Items of a streamed list per chunk: ~200 KB of batch results, what the transport holds at once.
_ITEMS_PER_CHUNK = 32


def streamed_list_response(model: BaseModel, field: str, items: Sequence[bytes]) -> Response:
    """``model`` as JSON with ``items`` as its list ``field``: the bytes its serializer would
    write had the list held the models each item is the JSON of, sent 32 items at a time.

    ``field`` must be the model's last field, and empty: its items come already serialised.

    For the answer to a batch of 1,000, 7 MB of JSON. Serialised whole, the body was held
    twice while it left: once as bytes, and again by the event loop's transport, which copies
    whatever the socket does not take at once into its own buffer (the client reads a 7 MB
    answer far slower than the process writes it). Streamed, the transport holds one chunk:
    the server's peak over the benchmark's full-scale seeding, two batches at a time, fell
    from 254 to 235.5 MB. Items serialised as they are made keep 7.2 MB of bytes rather than
    9.3 MB of models. The route declares ``response_model`` so that the OpenAPI document is
    the same.
    """
    if tuple(type(model).model_fields)[-1] != field or getattr(model, field) != []:
        raise ValueError(f"{field} is not the last field of {type(model).__name__}, or not empty")
    head = model.__pydantic_serializer__.to_json(model)
    if not head.endswith(b"[]}"):  # pragma: no cover - JSON of an object ending in a list
        raise ValueError("the serialised model does not end in its empty list")

    async def chunks() -> AsyncIterator[bytes]:
        yield head[:-2]
        for start in range(0, len(items), _ITEMS_PER_CHUNK):
            written = b",".join(items[start : start + _ITEMS_PER_CHUNK])
            yield b"," + written if start else written
        yield b"]}"

    return StreamingResponse(chunks(), media_type="application/json")


def json_response(
    body: bytes, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """JSON already serialised: by orjson from the fields of the model a route declares, where
    building the model would cost more than the rest."""
    return Response(body, status_code=status_code, headers=headers, media_type="application/json")
