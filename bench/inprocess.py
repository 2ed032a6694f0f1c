"""The app driven in-process, as ASGI, with no socket and no HTTP client in between.

``python -m bench inprocess`` runs this module in a child process over a data set that a
benchmark run kept (``bench run --keep-database`` with the keys given as ``--setting``). It
builds the app as ``stapel serve`` does (its lifespan, its logging), sends ``/healthz``,
single issuances or verifications at a given concurrency and writes what it measured as one
JSON object: the rate, the process's CPU a request and the answers' statuses.

It measures the application alone: no event-loop time for sockets, no HTTP parsing, no load
generator on the same machine. Compared with a served run, the difference is what serving
adds. With ``--callgrind`` it brackets the measured requests with ``callgrind_control -i on``
and ``-i off``, for a process started under ``valgrind --tool=callgrind --instr-atstart=no``
(see :mod:`bench.instructions`): instructions executed are the same from one run to the next
whatever the machine's neighbours do, where its clock is not.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth import service as auth
from app.auth.scopes import INSTITUTION_SCOPES
from app.config import get_settings
from app.institutions.models import Institution
from app.main import create_app
from app.observability.logging import configure_logging_from

WHAT: Final = ("healthz", "issue", "verify")
# Credentials cycled through by verification: enough that their documents, keys and status
# lists are not all in the CPU's caches, as the benchmark's distinct credentials are not.
VERIFIED_CREDENTIALS: Final = 2000
ACHIEVEMENTS_PER_INSTITUTION: Final = 3


@dataclass(frozen=True, slots=True)
class Call:
    """One request, as the ASGI scope and body the app receives."""

    method: str
    path: str
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes = b""


Calls = Callable[[int], Call]  # the n-th request of a run


def healthz_calls(host: str) -> Calls:
    call = Call("GET", "/healthz", ((b"host", host.encode()),))
    return lambda _: call


def issue_calls(host: str, targets: Sequence[tuple[str, Sequence[str]]], prefix: str) -> Calls:
    """The benchmark's minimal single issuance: every institution's key in turn, each for its
    achievements in turn, each for a new learner. Made cheaply (a template filled in), since
    the driver's own work is counted with the app's."""
    if not targets or any(not achievements for _, achievements in targets):
        raise ValueError("issuance needs at least one institution with an achievement")
    template = json.dumps(
        {
            "achievement_id": "@achievement@",
            "learner": {"name": "Learner @learner@", "student_number": "@learner@"},
            "awarded_on": time.strftime("%Y-%m-%d", time.gmtime()),
        }
    )
    authorizations = [f"Bearer {key}".encode() for key, _ in targets]

    def nth(n: int) -> Call:
        which = n % len(targets)
        achievements = targets[which][1]
        achievement = achievements[(n // len(targets)) % len(achievements)]
        body = (
            template.replace("@achievement@", achievement)
            .replace("@learner@", f"{prefix}-{n}")
            .encode()
        )
        headers = (
            (b"host", host.encode()),
            (b"authorization", authorizations[which]),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        )
        return Call("POST", "/v1/credentials", headers, body)

    return nth


def verify_calls(host: str, tokens: Sequence[str]) -> Calls:
    """Compact JWTs through ``POST /v1/verify`` one after another, as the benchmark sends them."""
    if not tokens:
        raise ValueError("verification needs at least one credential")
    calls = [
        Call(
            "POST",
            "/v1/verify",
            (
                (b"host", host.encode()),
                (b"content-type", b"application/vc+jwt"),
                (b"content-length", str(len(token)).encode()),
            ),
            token.encode(),
        )
        for token in tokens
    ]
    return lambda n: calls[n % len(calls)]


ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def call(app: ASGIApp, request: Call) -> tuple[int, bytes]:
    """The answer's status and body."""
    host, _, port = dict(request.headers).get(b"host", b"127.0.0.1:80").decode().partition(":")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": request.path,
        "raw_path": request.path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": list(request.headers),
        "client": ("127.0.0.1", 50000),
        "server": (host, int(port or 80)),
        "state": {},
    }
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": request.body, "more_body": False}
        # The client stays connected; nothing is made for it unless the app asks again.
        await asyncio.get_running_loop().create_future()
        return {"type": "http.disconnect"}

    status = 0
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


# Whether an answer's body is what its request was due (a verification that verified).
Accept = Callable[[bytes], bool]
UNEXPECTED: Final = 0  # counted under this status: a 2xx whose body ``Accept`` refused


def verified(body: bytes) -> bool:
    return b'"verified":true' in body


async def drive(
    app: ASGIApp,
    calls: Calls,
    requests: int,
    concurrency: int,
    start: int = 0,
    accept: Accept | None = None,
) -> Counter[int]:
    """``requests`` calls, ``concurrency`` at a time (each client sends its next when answered);
    the count of each status, a 2xx that ``accept`` refuses counted as ``UNEXPECTED``."""
    if requests < 1 or concurrency < 1:
        raise ValueError("at least one request and one client")
    numbers = itertools.count(start)
    left = itertools.count()
    statuses: Counter[int] = Counter()

    async def client() -> None:
        while next(left) < requests:
            status, body = await call(app, calls(next(numbers)))
            if accept is not None and 200 <= status < 300 and not accept(body):
                status = UNEXPECTED
            statuses[status] += 1

    await asyncio.gather(*(client() for _ in range(min(concurrency, requests))))
    return statuses


@dataclass(frozen=True, slots=True)
class Measured:
    what: str
    requests: int
    concurrency: int
    seconds: float
    cpu_seconds: float
    statuses: dict[int, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "requests": self.requests,
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 4),
            "cpu_seconds": round(self.cpu_seconds, 4),
            "per_second": round(self.requests / self.seconds, 1),
            "cpu_us_per_request": round(self.cpu_seconds / self.requests * 1e6, 1),
            "statuses": {
                str(code) if code != UNEXPECTED else "2xx, unexpected body": count
                for code, count in sorted(self.statuses.items())
            },
        }


async def measure(
    app: ASGIApp,
    what: str,
    calls: Calls,
    requests: int,
    concurrency: int,
    warmup: int,
    bracket: Callable[[bool], None] | None = None,
    accept: Accept | None = None,
) -> Measured:
    """A warm-up, then the measured requests; ``bracket(True)`` and ``bracket(False)`` just
    around them (callgrind's instrumentation on and off)."""
    if warmup:
        await drive(app, calls, warmup, concurrency, accept=accept)
    if bracket is not None:
        bracket(True)
    began, cpu = time.perf_counter(), time.process_time()
    statuses = await drive(app, calls, requests, concurrency, start=warmup, accept=accept)
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    if bracket is not None:
        bracket(False)
    return Measured(what, requests, concurrency, seconds, cpu_seconds, dict(statuses))


def callgrind_bracket(on: bool) -> None:
    """Counting on or off in this process, which valgrind runs (``--instr-atstart=no``)."""
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
        check=True,
        capture_output=True,  # its "sending command ..." lines; a failure still raises
    )


# --- the data set -------------------------------------------------------------------------------

ACHIEVEMENTS_QUERY: Final = """
    SELECT DISTINCT achievement_id::text FROM credentials
    WHERE institution_id = :institution AND achievement_id IS NOT NULL LIMIT :most
"""
TOKENS_QUERY: Final = """
    SELECT jwt FROM credentials
    WHERE profile = 'vc-jose' AND state = 'active' AND jsonb_path_exists(
        document,
        '$.credentialStatus.statusListCredential ? (@ starts with $lists)',
        jsonb_build_object('lists', CAST(:base AS text) || '/status-lists/'))
    ORDER BY id LIMIT :most
"""


async def issue_targets(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> list[tuple[str, list[str]]]:
    """A new API key (every institution scope) for each institution, and achievements it has
    issued before."""
    targets: list[tuple[str, list[str]]] = []
    async with sessionmaker() as session, session.begin():
        institutions = (await session.execute(select(Institution.id))).scalars().all()
        for institution_id in institutions:
            rows = await session.execute(
                text(ACHIEVEMENTS_QUERY),
                {"institution": institution_id, "most": ACHIEVEMENTS_PER_INSTITUTION},
            )
            achievements = [row[0] for row in rows]
            if achievements:
                _, key = await auth.create_institution_client(
                    session,
                    institution_id,
                    "bench inprocess",
                    sorted(INSTITUTION_SCOPES),
                    "bench",
                )
                targets.append((key, achievements))
    return targets


async def verified_tokens(
    sessionmaker: async_sessionmaker[AsyncSession], base_url: str
) -> list[str]:
    async with sessionmaker() as session:
        rows = await session.execute(
            text(TOKENS_QUERY), {"base": base_url, "most": VERIFIED_CREDENTIALS}
        )
        return [row[0] for row in rows]


async def run(args: argparse.Namespace) -> Measured:
    """Build the app as ``stapel serve`` does and measure it."""
    settings = get_settings()
    # As the server does: without it every access line goes through structlog's
    # unconfigured pipeline, ~18 µs a request that serving does not pay.
    configure_logging_from(settings)
    host = urlsplit(settings.public_base_url).netloc
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        calls: Calls
        if args.what == "issue":
            targets = await issue_targets(app.state.sessionmaker)
            calls = issue_calls(host, targets, f"inprocess-{os.getpid()}-{int(time.time())}")
        elif args.what == "verify":
            tokens = await verified_tokens(app.state.sessionmaker, settings.public_base_url)
            calls = verify_calls(host, tokens)
        else:
            calls = healthz_calls(host)
        return await measure(
            app,
            args.what,
            calls,
            args.requests,
            args.concurrency,
            args.warmup,
            callgrind_bracket if args.callgrind else None,
            verified if args.what == "verify" else None,
        )


def parser() -> argparse.ArgumentParser:
    parsed = argparse.ArgumentParser(prog="python -m bench.inprocess")
    parsed.add_argument("what", choices=WHAT)
    parsed.add_argument("--requests", type=int, default=3000)
    parsed.add_argument("--concurrency", type=int, default=64)
    parsed.add_argument("--warmup", type=int, default=256, help="requests before measuring")
    parsed.add_argument("--callgrind", action="store_true", help="bracket with callgrind_control")
    parsed.add_argument("--result", required=True, help="file for the JSON result")
    return parsed


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    measured = asyncio.run(run(args))
    with open(args.result, "w", encoding="utf-8") as result:
        json.dump(measured.as_json(), result)
    return 0 if set(measured.statuses) <= {200, 201} else 1


if __name__ == "__main__":
    sys.exit(main())
