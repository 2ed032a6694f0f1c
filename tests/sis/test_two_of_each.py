"""Two API processes and two workers on one database end where one of each ends.

Real processes throughout: ``stapel serve`` twice and ``stapel worker`` twice on the test
database, an SIS sending each batch to both API processes at once under one message id (a
replay racing its original) and re-sending results in events of their own, and a webhook
receiver on a loopback port. The same events go first to one API process and one worker, then,
for another institution, to two of each; both runs must give every result one credential, every
credential one audit entry and one delivery, and the same outcome for every result.

It depends on the Postgres underneath (row locks, ``SKIP LOCKED``, unique indexes), so it runs
on every database the suite runs on, not once.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Awaitable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import Tenant, create_tenant, operator_token
from tests.serving import CLIENT_LIMITS, free_port, served, serving_on
from tests.sis.simulator import (
    Sis,
    connect_sis,
    course_result,
    scalar,
    wait_for,
    worker_command,
    worker_settings,
)
from tests.webhooks.receiver import Receiver, running

PUBLIC_BASE_URL = "https://stapel.test"  # one name for the instance, whichever process serves
RESULTS = 240  # distinct course results, every tenth a fail
BATCH = 40  # results per batch event; each batch is sent twice, once to each API process
RESENT = 60  # the first results sent again, one event each: the SIS retrying with new ids
PASSING = RESULTS - RESULTS // 10
IN_FLIGHT = 8  # requests the SIS has in flight at once
WITHIN = 90.0  # how long the workers may take to settle everything (a liveness bound only)


def _results() -> list[dict[str, Any]]:
    return [course_result(n, grade="4.0" if n % 10 == 0 else "7.5") for n in range(1, RESULTS + 1)]


@dataclasses.dataclass(frozen=True)
class FinalState:
    """What a run leaves behind, in terms that do not depend on timing or on ids."""

    outcomes: dict[str, list[tuple[str, str | None]]]  # result id -> each copy's outcome
    credentials: int
    audited: int
    delivered: int


@contextmanager
def _worker(database_url: str, output: Path) -> Iterator[None]:
    """`stapel worker`, ready (its own port answers /readyz) before any result is sent."""
    port = free_port()
    command = worker_command("--metrics-port", str(port), "--metrics-host", "127.0.0.1")
    # The receiver listens on 127.0.0.1, which production never posts to.
    env = {**worker_settings(database_url), "STAPEL_FETCH_ALLOW_PRIVATE_ADDRESSES": "true"}
    with served(command, port, output, env=env):
        yield


async def _connect(apis: list[httpx.AsyncClient], operator: str) -> tuple[Tenant, list[Sis]]:
    """An institution with a mapped course, through the first process; an SIS for each."""
    tenant = await create_tenant(apis[0], operator)
    sis = await connect_sis(apis[0], tenant)
    return tenant, [dataclasses.replace(sis, client=api) for api in apis]


async def _send(sis_per_api: list[Sis]) -> None:
    """Each batch twice under one message id, both copies at once, to the processes in turn;
    then the first RESENT results again, one event each, spread over the processes."""
    results = _results()
    batches = [results[start : start + BATCH] for start in range(0, RESULTS, BATCH)]
    copies = [
        sis_per_api[copy % len(sis_per_api)].batch(batch, message_id=f"msg_batch_{number}")
        for number, batch in enumerate(batches)
        for copy in range(2)
    ]
    resent = [
        sis_per_api[n % len(sis_per_api)].record(result, message_id=f"msg_again_{n}")
        for n, result in enumerate(results[:RESENT])
    ]
    # A few requests in flight at a time, each copy of a batch beside its twin: the processes'
    # pools stay small on a Postgres that other test runs share (max_connections).
    in_flight = asyncio.Semaphore(IN_FLIGHT)

    async def limited(send: Awaitable[httpx.Response]) -> httpx.Response:
        async with in_flight:
            return await send

    responses = await asyncio.gather(*(limited(send) for send in [*copies, *resent]))
    batch_answers, resent_answers = responses[: len(copies)], responses[len(copies) :]
    for original, replay in zip(batch_answers[::2], batch_answers[1::2], strict=True):
        answers = sorted((original, replay), key=lambda r: r.status_code)
        assert [r.status_code for r in answers] == [200, 202], [r.text for r in answers]
        assert answers[0].json()["duplicate"] is True
        assert answers[0].json()["event_id"] == answers[1].json()["event_id"]
    assert all(r.status_code == 202 for r in resent_answers), [r.text for r in resent_answers]


async def _settled(
    sessionmaker: async_sessionmaker[AsyncSession], sis: Sis, receiver: Receiver
) -> FinalState:
    """Wait for every result to have an outcome and every delivery to be made; then read."""
    institution = sis.tenant.id
    await wait_for(
        sessionmaker,
        "SELECT count(*) FROM sis_results WHERE institution_id = :i AND status <> 'pending'",
        RESULTS + RESENT,
        WITHIN,
        i=institution,
    )
    await wait_for(
        sessionmaker,
        "SELECT count(*) FROM webhook_deliveries WHERE institution_id = :i "
        "AND status = 'delivered'",
        PASSING,
        WITHIN,
        i=institution,
    )
    undelivered = await scalar(
        sessionmaker,
        "SELECT count(*) FROM webhook_deliveries WHERE institution_id = :i "
        "AND status <> 'delivered'",
        i=institution,
    )
    assert undelivered == 0
    stored = await _stored(sessionmaker, sis.tenant)

    copies = await sis.results()
    credential_of: dict[str, set[str | None]] = {}
    outcomes: dict[str, list[tuple[str, str | None]]] = {}
    for copy in copies:
        credential_of.setdefault(copy["result_id"], set()).add(copy["credential_id"])
        outcomes.setdefault(copy["result_id"], []).append((copy["status"], copy["reason_code"]))
    # Every copy of a passing result names the one credential; a fail names none.
    assert all(len(ids) == 1 for ids in credential_of.values()), credential_of
    issued = {next(iter(ids)) for ids in credential_of.values()} - {None}
    assert len(issued) == PASSING

    delivered = [orjson.loads(r.body) for r in receiver.received]
    message_ids = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert max(message_ids.values()) == 1, "a message delivered twice"
    assert Counter(d["data"]["id"] for d in delivered) == Counter(issued), "one event each"
    assert {d["type"] for d in delivered} == {"credential.issued"}
    return FinalState(
        {result: sorted(found, key=str) for result, found in outcomes.items()},
        credentials=stored["credentials"],
        audited=stored["audited"],
        delivered=len(delivered),
    )


async def _stored(sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant) -> dict[str, int]:
    institution = tenant.id
    return {
        "credentials": await scalar(
            sessionmaker,
            "SELECT count(*) FROM credentials WHERE institution_id = :i",
            i=institution,
        ),
        "audited": await scalar(
            sessionmaker,
            "SELECT count(*) FROM audit_events WHERE institution_id = :i "
            "AND action = 'credential.issued'",
            i=institution,
        ),
    }


async def _run(
    sessionmaker: async_sessionmaker[AsyncSession],
    apis: list[httpx.AsyncClient],
    operator: str,
) -> FinalState:
    tenant, sis_per_api = await _connect(apis, operator)
    async with running(Receiver()) as receiver:
        hook = await apis[0].post(
            "/v1/webhook-endpoints",
            json={"url": receiver.url, "event_types": ["credential.issued"]},
            headers=tenant.headers,
        )
        assert hook.status_code == 201, hook.text
        await _send(sis_per_api)
        return await _settled(sessionmaker, sis_per_api[0], receiver)


async def test_two_api_processes_and_two_workers_issue_each_result_once_as_one_of_each_does(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    operator = await operator_token(sessionmaker)
    with ExitStack() as processes:
        first = processes.enter_context(
            serving_on(database_url, tmp_path / "serve-1.log", PUBLIC_BASE_URL)
        )
        processes.enter_context(_worker(database_url, tmp_path / "worker-1.log"))
        async with httpx.AsyncClient(base_url=first, timeout=60, limits=CLIENT_LIMITS) as one:
            alone = await _run(sessionmaker, [one], operator)

            second = processes.enter_context(
                serving_on(database_url, tmp_path / "serve-2.log", PUBLIC_BASE_URL)
            )
            processes.enter_context(_worker(database_url, tmp_path / "worker-2.log"))
            async with httpx.AsyncClient(
                base_url=second, timeout=60, limits=CLIENT_LIMITS
            ) as other:
                together = await _run(sessionmaker, [one, other], operator)

    assert alone.credentials == alone.audited == alone.delivered == PASSING
    assert together == alone
