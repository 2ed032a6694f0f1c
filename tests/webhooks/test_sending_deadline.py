"""A delivery attempt ends within its deadline however slowly the receiver answers."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from app.config import get_settings
from app.webhooks import signing
from app.webhooks.delivery import Sender
from app.webhooks.repository import Leased

DEADLINE = 1.0


@pytest.fixture
async def dripping_receiver() -> AsyncIterator[str]:
    """Reads the request, then drips its status line a byte every 0.2 s: no read times out."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            for byte in b"HTTP/1.1 204 No Content\r\n\r\n":
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.2)
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
        server.close()


async def test_a_receiver_dripping_its_answer_is_cut_off_at_the_deadline(
    dripping_receiver: str,
) -> None:
    settings = get_settings().model_copy(
        update={"fetch_allow_private_addresses": True, "webhook_timeout_seconds": DEADLINE}
    )
    endpoint = uuid.uuid4()
    delivery = Leased(
        id=uuid.uuid4(),
        endpoint_id=endpoint,
        payload={"type": "credential.issued", "data": {}},
        attempts=0,
        url=dripping_receiver,
        secret_wrapped=signing.wrap_secret(signing.new_secret(), endpoint),
    )
    sender = Sender(settings)
    started = time.monotonic()
    try:
        result = await sender.send(delivery)
    finally:
        await sender.aclose()
    assert time.monotonic() - started < DEADLINE + 0.5
    assert not result.ok
    assert result.status_code is None
    assert result.error == f"no answer within {DEADLINE:g} s"
