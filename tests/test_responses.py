"""A large list answer leaves a few items at a time, as the same bytes its model serialises to,
from items serialised before."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from app.responses import streamed_list_response

Message = MutableMapping[str, Any]


class Entry(BaseModel):
    index: int
    note: str | None = None


class Listing(BaseModel):
    total: int
    entries: list[Entry]


class ListFirst(BaseModel):
    entries: list[Entry]
    total: int


def listing(count: int) -> Listing:
    return Listing(
        total=count,
        entries=[Entry(index=i, note=None if i % 3 else f"note \u00e9 {i}") for i in range(count)],
    )


async def answer(model: Listing) -> tuple[httpx.Response, list[bytes]]:
    """The answer through the app, and the body messages it was sent in."""
    app = FastAPI()

    @app.get("/listing")
    async def get_listing() -> Any:
        entries = [entry.__pydantic_serializer__.to_json(entry) for entry in model.entries]
        return streamed_list_response(model.model_copy(update={"entries": []}), "entries", entries)

    bodies: list[bytes] = []

    async def recording(
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        async def send_recorded(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                bodies.append(message["body"])
            await send(message)

        await app(scope, receive, send_recorded)

    transport = httpx.ASGITransport(app=recording)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/listing"), bodies


@pytest.mark.parametrize("count", [0, 1, 32, 33, 100])
async def test_the_streamed_answer_is_what_the_model_serialises_to(count: int) -> None:
    model = listing(count)

    response, _ = await answer(model)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == model.__pydantic_serializer__.to_json(model)
    assert Listing.model_validate_json(response.content) == model


async def test_a_long_list_leaves_in_chunks_of_a_few_items() -> None:
    response, bodies = await answer(listing(100))

    # The head, four chunks of at most 32 entries, the closing brackets.
    assert len(bodies) == 6
    assert b"".join(bodies) == response.content
    assert max(body.count(b'"index"') for body in bodies) == 32


def test_only_an_empty_list_as_the_last_field_is_streamed() -> None:
    with pytest.raises(ValueError, match="not the last field"):
        streamed_list_response(ListFirst(entries=[], total=0), "entries", [])
    with pytest.raises(ValueError, match="not the last field"):
        streamed_list_response(Listing(total=0, entries=[]), "total", [])
    with pytest.raises(ValueError, match="not empty"):
        streamed_list_response(listing(1), "entries", [])
