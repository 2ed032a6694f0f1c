"""A request still running when the graceful stop runs out is answered 503, as a problem;
so is one arriving after the stop, and the stop waits for those in flight to unwind."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from app.http.shutdown import InFlightRequests, StoppedRequestMiddleware
from tests.databases import locked_table
from tests.serving import free_port, serve_command, served

UNCACHED = {"STAPEL_PROCESS_CACHE_SECONDS": "0"}


async def test_requests_cut_off_by_the_graceful_timeout_get_503_with_retry_after(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    command = serve_command(port, "--graceful-timeout", "1")
    env = {"STAPEL_DATABASE_URL": database_url, **UNCACHED}
    with served(command, port, tmp_path / "serve.log", env=env) as (process, base):
        async with (
            httpx.AsyncClient(base_url=base, timeout=30) as http,
            locked_table(database_url, "institutions"),
        ):
            # Waits for the lock: in flight until the graceful stop gives up on it.
            in_flight = asyncio.create_task(http.get("/issuers/nobody/did.json"))
            await asyncio.sleep(1)
            assert not in_flight.done()
            process.send_signal(signal.SIGTERM)
            response = await in_flight
        assert await asyncio.to_thread(process.wait, 30) == 0
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["code"] == "shutting_down"


class _HeldRoute:
    """An ASGI app whose request waits until released, then answers 200 (or tries to)."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.entered.set()
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})


def _scope() -> Scope:
    return {"type": "http", "method": "GET", "path": "/held", "headers": [], "query_string": b""}


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _recorder() -> tuple[list[Message], Send]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    return sent, send


def _status(sent: list[Message]) -> int | None:
    return next((m["status"] for m in sent if m["type"] == "http.response.start"), None)


async def test_a_stop_answers_503_at_once_to_a_request_in_flight_and_drops_its_own_answer() -> None:
    route = _HeldRoute()
    in_flight = InFlightRequests()
    app = StoppedRequestMiddleware(route, in_flight)
    sent, send = _recorder()
    request = asyncio.create_task(app(_scope(), _no_body, send))
    await route.entered.wait()
    stopping = asyncio.create_task(in_flight.stop(drain_seconds=30))
    await asyncio.sleep(0)
    # Answered before the request itself has finished, and the stop waits for it to finish.
    assert _status(sent) == 503
    assert json.loads(sent[-1]["body"])["code"] == "shutting_down"
    assert not stopping.done()
    route.release.set()
    await request
    await stopping
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert len(in_flight) == 0


async def test_after_a_stop_a_new_request_is_answered_503_without_reaching_the_route() -> None:
    route = _HeldRoute()
    in_flight = InFlightRequests()
    await in_flight.stop()
    sent, send = _recorder()
    await StoppedRequestMiddleware(route, in_flight)(_scope(), _no_body, send)
    assert _status(sent) == 503
    assert not route.entered.is_set()


async def test_a_request_cancelled_before_its_answer_started_is_answered_503() -> None:
    route = _HeldRoute()
    in_flight = InFlightRequests()
    sent, send = _recorder()
    request = asyncio.create_task(
        StoppedRequestMiddleware(route, in_flight)(_scope(), _no_body, send)
    )
    await route.entered.wait()
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    assert _status(sent) == 503
    assert len(in_flight) == 0


async def test_requests_that_finish_are_answered_as_usual_and_leave_nothing_behind() -> None:
    route = _HeldRoute()
    route.release.set()
    in_flight = InFlightRequests()
    sent, send = _recorder()
    await StoppedRequestMiddleware(route, in_flight)(_scope(), _no_body, send)
    assert _status(sent) == 200
    assert len(in_flight) == 0
    await in_flight.stop()  # nothing in flight: returns at once
