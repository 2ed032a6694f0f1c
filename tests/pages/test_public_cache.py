"""Public pages served again from memory: never longer than their banner stays true."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import process_cache
from app.config import get_settings
from app.credentials.models import Credential
from app.errors import NotFound
from app.pages import downloads, public_cache, router
from app.pages.downloads import PageImages
from app.pages.public_cache import _seconds_left
from app.sharing import service as sharing
from app.status_lists import recent
from app.status_lists.service import Publication
from tests.factories import Tenant
from tests.pages.helpers import issued_claim, publish


@pytest.fixture
def tenant(suspending_tenant: Tenant) -> Tenant:
    """Suspension is offered: these tests suspend and watch both lists."""
    return suspending_tenant


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(process_cache, "_clock", lambda: now[0])
    return now


def _page_seconds() -> float:
    settings = get_settings()
    return min(settings.process_cache_seconds, settings.status_list_process_cache_seconds)


def into_last_quarter(clock: list[float]) -> None:
    """Move the caches' clock into the last quarter of a page kept its full time."""
    clock[0] += _page_seconds() * (1 - process_cache.RENEW_AHEAD / 2)


@pytest.fixture
def no_spread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages kept their full time, not a share of it at random."""
    monkeypatch.setattr(random, "uniform", lambda low, high: high)


async def kept_page(client: httpx.AsyncClient, tenant: Tenant) -> tuple[str, str, str]:
    """A published credential whose public page this process keeps: id, claim and public path."""
    credential_id, claim = await issued_claim(client, tenant)
    public = await publish(client, claim)
    for _ in range(2):  # the first view loads the status lists, the second keeps the page
        assert "banner-valid" in (await client.get(public)).text
    return credential_id, claim, public


async def test_a_kept_page_is_served_without_the_database_and_with_the_same_headers(
    client: httpx.AsyncClient, tenant: Tenant, pool_checkouts: list[float]
) -> None:
    _, _, public = await kept_page(client, tenant)
    fresh = await client.get(public, params={"lang": "en"})
    checkouts = len(pool_checkouts)
    kept = await client.get(public, params={"lang": "en"})
    assert len(pool_checkouts) == checkouts
    assert kept.status_code == 200
    assert kept.text == fresh.text
    assert {k: v for k, v in kept.headers.items() if k != "x-request-id"} == {
        k: v for k, v in fresh.headers.items() if k != "x-request-id"
    }


async def test_each_language_is_kept_apart(client: httpx.AsyncClient, tenant: Tenant) -> None:
    _, _, public = await kept_page(client, tenant)
    for _ in range(2):
        dutch = await client.get(public, headers={"Accept-Language": "nl"})
        english = await client.get(public, headers={"Accept-Language": "en"})
        assert dutch.headers["content-language"] == "nl"
        assert '<html lang="nl">' in dutch.text
        assert english.headers["content-language"] == "en"
        assert '<html lang="en">' in english.text


_BANNER_AFTER = {
    "suspend": "banner-suspended",
    "reinstate": "banner-valid",
    "revoke": "banner-revoked",
}


async def test_a_status_change_through_this_process_shows_at_once(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential_id, _, public = await kept_page(client, tenant)
    for action, banner in _BANNER_AFTER.items():
        changed = await client.post(
            f"/v1/credentials/{credential_id}/{action}",
            json=None if action == "reinstate" else {"reason_code": "other"},
            headers=tenant.headers,
        )
        assert changed.status_code == 200, changed.text
        for _ in range(2):  # the page right after the change, then the one kept from it
            assert banner in (await client.get(public)).text


async def test_unpublishing_through_this_process_ends_the_page_at_once(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, claim, public = await kept_page(client, tenant)
    assert (await client.post(f"{claim}/unpublish")).status_code == 303
    assert (await client.get(public)).status_code == 404


async def _status_lists(
    client: httpx.AsyncClient, tenant: Tenant, credential_id: str
) -> dict[str, tuple[uuid.UUID, Publication]]:
    summary = (await client.get(f"/v1/credentials/{credential_id}", headers=tenant.headers)).json()
    held = {}
    for entry in summary["status"]:
        list_id = uuid.UUID(entry["status_list_credential"].split("/")[-2])
        publication = recent.lookup(list_id, entry["purpose"])
        assert publication is not None
        held[entry["purpose"]] = (list_id, publication)
    return held


async def test_a_change_made_elsewhere_shows_when_this_process_reads_the_lists_again(
    client: httpx.AsyncClient, tenant: Tenant, clock: list[float]
) -> None:
    """As fresh as the status lists this process serves, and no fresher."""
    credential_id, _, public = await kept_page(client, tenant)
    held = await _status_lists(client, tenant, credential_id)
    revoked = await client.post(
        f"/v1/credentials/{credential_id}/revoke",
        json={"reason_code": "fraud"},
        headers=tenant.headers,
    )
    assert revoked.status_code == 200
    # Another process made the change: this one still holds the lists it read before.
    for purpose, (list_id, publication) in held.items():
        recent.remember(list_id, purpose, publication)
    assert "banner-valid" in (await client.get(public)).text
    assert (await client.get(f"/status-lists/{held['revocation'][0]}/revocation")).headers[
        "etag"
    ] == held["revocation"][1].etag
    clock[0] += get_settings().status_list_process_cache_seconds
    assert "banner-revoked" in (await client.get(public)).text


async def test_a_kept_page_whose_lists_ran_out_is_checked_against_the_lists_read_again(
    client: httpx.AsyncClient, tenant: Tenant, pool_checkouts: list[float]
) -> None:
    credential_id, _, public = await kept_page(client, tenant)
    held = await _status_lists(client, tenant, credential_id)
    for list_id, _ in held.values():
        recent.forget(list_id)
    checkouts = len(pool_checkouts)
    assert "banner-valid" in (await client.get(public)).text
    assert len(pool_checkouts) > checkouts  # the lists were read again
    revoked = await client.post(
        f"/v1/credentials/{credential_id}/revoke",
        json={"reason_code": "fraud"},
        headers=tenant.headers,
    )
    assert revoked.status_code == 200
    for purpose, (list_id, publication) in held.items():  # as if the change were made elsewhere
        recent.remember(list_id, purpose, publication)
    assert "banner-valid" in (await client.get(public)).text
    for list_id, _ in held.values():  # and then this process's lists ran out
        recent.forget(list_id)
    assert "banner-revoked" in (await client.get(public)).text


def _credential(**document: Any) -> Credential:
    return Credential(document=document)


def test_a_page_is_kept_no_longer_than_the_caches_the_verifier_reads() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    settings = get_settings()
    bound = min(settings.process_cache_seconds, settings.status_list_process_cache_seconds)
    assert _seconds_left(_credential(validFrom="2026-01-01T00:00:00Z"), now) == bound


@pytest.mark.parametrize("field", ["validUntil", "validFrom", "expirationDate", "issuanceDate"])
def test_a_page_is_never_kept_across_a_moment_its_validity_turns(
    field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "verification_clock_skew_seconds", 60)
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    # The verifier allows 60 s of skew: the answer turns 60 s after (or before) the moment.
    after = (now - timedelta(seconds=58)).isoformat()
    assert _seconds_left(_credential(**{field: after}), now) == pytest.approx(2)
    before = (now + timedelta(seconds=61)).isoformat()
    assert _seconds_left(_credential(**{field: before}), now) == pytest.approx(1)


@pytest.mark.usefixtures("no_spread")
async def test_a_page_renewed_ahead_of_its_end_is_exactly_as_fresh_as_the_lists_it_shows(
    client: httpx.AsyncClient,
    tenant: Tenant,
    clock: list[float],
    pool_checkouts: list[float],
) -> None:
    credential_id, _, public = await kept_page(client, tenant)
    kept = await client.get(public)
    into_last_quarter(clock)
    checkouts = len(pool_checkouts)
    renewed = await client.get(public)
    assert renewed.text == kept.text  # at once, while it is rendered again behind
    await public_cache._pages.renewals_ended()
    assert len(pool_checkouts) > checkouts  # rendered again, before the page ran out
    checkouts = len(pool_checkouts)
    assert (await client.get(public)).text == kept.text
    assert len(pool_checkouts) == checkouts  # the renewed page is kept
    revoked = await client.post(
        f"/v1/credentials/{credential_id}/revoke",
        json={"reason_code": "fraud"},
        headers=tenant.headers,
    )
    assert revoked.status_code == 200
    # Tied to the lists' versions like any kept page: the change shows at once.
    assert "banner-revoked" in (await client.get(public)).text


async def renewed_page(
    client: httpx.AsyncClient, public: str, clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> tuple[str, int]:
    """The page after a renewal in its last quarter, and how often the template ran for it."""
    rendered: list[str] = []
    html = router._credential_html

    def counted(*args: Any, **kwargs: Any) -> HTMLResponse:
        rendered.append(public)
        return html(*args, **kwargs)

    monkeypatch.setattr(router, "_credential_html", counted)
    into_last_quarter(clock)
    await client.get(public)
    await public_cache._pages.renewals_ended()
    return (await client.get(public)).text, len(rendered)


@pytest.mark.usefixtures("no_spread")
async def test_a_renewal_that_finds_the_page_as_it_was_keeps_its_html_without_the_template(
    client: httpx.AsyncClient,
    tenant: Tenant,
    clock: list[float],
    pool_checkouts: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, _, public = await kept_page(client, tenant)
    kept = await client.get(public)
    checkouts = len(pool_checkouts)
    text, renders = await renewed_page(client, public, clock, monkeypatch)
    assert len(pool_checkouts) > checkouts  # read and verified again
    assert (text, renders) == (kept.text, 0)  # with the same facts: the HTML is kept
    checkouts = len(pool_checkouts)
    assert (await client.get(public)).text == kept.text
    assert len(pool_checkouts) == checkouts  # and the page with it


@pytest.mark.usefixtures("no_spread")
async def test_a_renewal_that_finds_a_fact_changed_renders_the_page_again(
    client: httpx.AsyncClient,
    tenant: Tenant,
    clock: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, _, public = await kept_page(client, tenant)
    images = downloads.page_images

    async def new_logo(session: AsyncSession, credential: Credential) -> PageImages:
        return {**await images(session, credential), "logo_url": "/images/new-logo.png"}

    monkeypatch.setattr(router, "page_images", new_logo)  # the institution's logo, changed
    text, renders = await renewed_page(client, public, clock, monkeypatch)
    assert renders == 1
    assert '<img class="logo" src="/images/new-logo.png"' in text


@pytest.fixture
def credential_reads(app: FastAPI) -> Iterator[list[str]]:
    """The statements that read credentials while the test ran."""
    reads: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM credentials" in statement:
            reads.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", note)
    yield reads
    event.remove(app.state.engine.sync_engine, "before_cursor_execute", note)


@pytest.mark.usefixtures("no_spread")
async def test_renewals_due_together_read_their_credentials_in_one_statement(
    client: httpx.AsyncClient,
    tenant: Tenant,
    clock: list[float],
    credential_reads: list[str],
) -> None:
    pages = [(await kept_page(client, tenant))[2] for _ in range(3)]
    kept = [(await client.get(page)).text for page in pages]
    reads = len(credential_reads)
    into_last_quarter(clock)
    assert [(await client.get(page)).text for page in pages] == kept
    await public_cache._pages.renewals_ended()
    assert len(credential_reads) == reads + 1
    clock[0] += _page_seconds() * 0.8  # past the old pages' end: the renewed ones are served
    assert [(await client.get(page)).text for page in pages] == kept
    assert len(credential_reads) == reads + 1


@pytest.mark.usefixtures("no_spread")
async def test_a_page_unpublished_elsewhere_is_dropped_by_its_renewal_and_not_the_others(
    client: httpx.AsyncClient,
    tenant: Tenant,
    app: FastAPI,
    clock: list[float],
    credential_reads: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    gone_id, _, gone = await kept_page(client, tenant)
    _, _, shared = await kept_page(client, tenant)
    async with app.state.sessionmaker() as session, session.begin():  # another process
        await session.execute(
            text("UPDATE credentials SET public_id = NULL WHERE id = :id"), {"id": gone_id}
        )
    into_last_quarter(clock)
    assert (await client.get(gone)).status_code == 200  # kept, while its renewal reads
    assert (await client.get(shared)).status_code == 200
    await public_cache._pages.renewals_ended()
    assert (await client.get(gone)).status_code == 404  # dropped by its renewal: read, gone
    assert "could not be renewed" not in caplog.text  # an unpublished page is no failure
    clock[0] += _page_seconds() * 0.8  # past the old pages' end
    reads = len(credential_reads)
    assert (await client.get(shared)).status_code == 200  # renewed: served from memory
    assert len(credential_reads) == reads


class _HeldRead:
    """Stands in for the batch's read: waits until released, then fails or finds nothing."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()

    async def __call__(self, _session: object, public_ids: list[str]) -> dict[str, Credential]:
        self.batches.append(public_ids)
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return {}


async def test_a_failed_batch_read_fails_every_renewal_of_the_batch_with_its_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = _HeldRead(ConnectionError("database gone"))
    monkeypatch.setattr(sharing, "public_credentials", read)
    reads = public_cache._RenewalReads()
    sessionmaker = cast(async_sessionmaker[AsyncSession], None)  # never asked for a session
    renewals = [asyncio.create_task(reads.credential(sessionmaker, p)) for p in ("a", "b")]
    await asyncio.sleep(public_cache._GATHER_SECONDS * 2)
    read.release.set()
    outcomes = await asyncio.wait_for(asyncio.gather(*renewals, return_exceptions=True), 1)
    assert read.batches == [["a", "b"]]
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)


async def test_a_batch_whose_first_renewal_is_cancelled_leaves_no_renewal_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = _HeldRead()
    monkeypatch.setattr(sharing, "public_credentials", read)
    reads = public_cache._RenewalReads()
    sessionmaker = cast(async_sessionmaker[AsyncSession], None)
    first = asyncio.create_task(reads.credential(sessionmaker, "a"))
    await asyncio.sleep(0)
    second = asyncio.create_task(reads.credential(sessionmaker, "b"))
    await asyncio.sleep(0)
    first.cancel()  # its page forgotten: a change through this process
    outcomes = await asyncio.wait_for(asyncio.gather(first, second, return_exceptions=True), 1)
    assert all(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)
    assert read.batches == []
    third = asyncio.create_task(reads.credential(sessionmaker, "c"))  # a new batch starts
    await asyncio.sleep(public_cache._GATHER_SECONDS * 2)
    read.release.set()
    with pytest.raises(NotFound):  # read, and no longer shared
        await third
    assert read.batches == [["c"]]
