"""Seeding the data set through the HTTP API: institutions, a catalogue, credentials.

Institutions and their keys are made with an operator key that the command line created;
achievements are created and published concurrently; credentials go in batches through
``POST /v1/credentials/batch``, as a student information system would send them. Seeding
batches carry idempotency keys, so that a request retried after a dropped connection cannot
issue twice.
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import httpx
import orjson

from bench import dataset
from bench.environment import HarnessError

T = TypeVar("T")

# Below the server's pool size (10): beyond it every request opens a new database connection.
CATALOGUE_CONCURRENCY = 8
BATCH_CONCURRENCY = 2
ATTEMPTS = 3
# Distinct credentials the learner's-page scenarios visit, as many visitors would.
CLAIM_LINKS_KEPT = 300
# Distinct credentials the verification scenario sends, as many verifiers would.
JWTS_KEPT = 10_000
FALLBACK_SCOPES = (
    "catalogue:write",
    "credentials:issue",
    "credentials:revoke",
    "credentials:read",
    "keys:manage",
    "institution:admin",
)


@dataclass
class Tenant:
    slug: str
    institution_id: str
    token: str
    achievement_ids: list[str] = field(default_factory=list)
    # The formal micro-credentials among them: every EU element (dataset.is_formal).
    formal_achievement_ids: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


@dataclass(frozen=True)
class SampleCredential:
    """A credential issued during seeding: verified and status-checked by the scenarios."""

    jwt: str
    status_list_url: str
    header: dict[str, Any]
    payload: bytes


@dataclass(frozen=True)
class SeedResult:
    tenants: list[Tenant]
    sample: SampleCredential
    scopes: list[str]
    seconds: dict[str, float]
    counts: dict[str, int]
    retries: list[str]
    # Claim links of credentials spread over every institution, for the learner's pages.
    claim_urls: list[str] = field(default_factory=list)
    # Signed credentials (compact JWTs) spread over every institution, for verification.
    jwts: list[str] = field(default_factory=list)

    @property
    def credentials_per_second(self) -> float:
        return self.counts["credentials"] / max(self.seconds["credentials"], 1e-9)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def today() -> date:
    return datetime.now(UTC).date()


async def expect_json(response: httpx.Response, *statuses: int) -> Any:
    if response.status_code not in statuses:
        raise HarnessError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:600]}"
        )
    return response.json()


@dataclass
class Api:
    """The HTTP client of the seeding, retrying requests whose connection broke."""

    client: httpx.AsyncClient
    retries: list[str] = field(default_factory=list)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await self.client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if attempt == ATTEMPTS:
                    raise HarnessError(f"{method} {path}: {type(exc).__name__} {exc}") from exc
                self.retries.append(f"{time.strftime('%H:%M:%S')} {method} {path}: {exc!r}")
                await asyncio.sleep(0.5 * attempt)
        raise AssertionError("unreachable")

    async def json(self, method: str, path: str, statuses: tuple[int, ...], **kwargs: Any) -> Any:
        return await expect_json(await self.request(method, path, **kwargs), *statuses)


async def institution_scopes(api: Api) -> list[str]:
    """Every institution scope the server knows (read from its OpenAPI document)."""
    document = await api.json("GET", "/openapi.json", (200,))
    scope = document.get("components", {}).get("schemas", {}).get("Scope", {})
    values = [value for value in scope.get("enum", []) if value != "operator"]
    return sorted(values or FALLBACK_SCOPES)


async def create_tenant(
    api: Api, operator: str, index: int, run_tag: str, scopes: Sequence[str]
) -> Tenant:
    body = dataset.institution_payload(index, run_tag)
    created = await api.json(
        "POST", "/v1/institutions", (201,), json=body, headers=bearer(operator)
    )
    key = await api.json(
        "POST",
        "/v1/api-clients",
        (201,),
        json={"name": "bench key", "scopes": list(scopes), "institution_id": created["id"]},
        headers=bearer(operator),
    )
    return Tenant(slug=body["slug"], institution_id=str(created["id"]), token=key["api_key"])


async def published_achievement(api: Api, tenant: Tenant, index: int) -> str:
    body = dataset.achievement_payload(index)
    created = await api.json("POST", "/v1/achievements", (201,), json=body, headers=tenant.headers)
    achievement_id = str(created["id"])
    # 409: published already, by a first attempt whose answer was lost.
    path = f"/v1/achievements/{achievement_id}/publish"
    await api.json("POST", path, (200, 409), headers=tenant.headers)
    return achievement_id


async def bounded(jobs: Sequence[Callable[[], Awaitable[T]]], concurrency: int) -> list[T]:
    """Run the jobs with at most ``concurrency`` in flight; results in job order."""
    results: dict[int, T] = {}
    cursor = iter(range(len(jobs)))

    async def lane() -> None:
        for position in cursor:
            results[position] = await jobs[position]()

    await asyncio.gather(*(lane() for _ in range(min(concurrency, len(jobs)) or 1)))
    return [results[position] for position in range(len(jobs))]


async def seed_catalogue(api: Api, tenants: list[Tenant], total: int) -> None:
    def job(index: int) -> Callable[[], Awaitable[tuple[int, str]]]:
        async def run() -> tuple[int, str]:
            tenant_index = index % len(tenants)
            return tenant_index, await published_achievement(api, tenants[tenant_index], index)

        return run

    jobs = [job(i) for i in range(total)]
    published = await bounded(jobs, CATALOGUE_CONCURRENCY)
    for index, (tenant_index, achievement_id) in enumerate(published):
        tenants[tenant_index].achievement_ids.append(achievement_id)
        if dataset.is_formal(index):
            tenants[tenant_index].formal_achievement_ids.append(achievement_id)


def batch_body(
    tenant: Tenant, learner_prefix: str, start: int, size: int, day: date, keyed: bool = False
) -> bytes:
    """Items for unique learners ``<prefix>-<n>``; with ``keyed`` the learner is the key."""
    ids = tenant.achievement_ids
    items = []
    for n in range(start, start + size):
        learner = f"{learner_prefix}-{n}"
        item = dataset.credential_item(ids[n % len(ids)], learner, n, day)
        if keyed:
            item["idempotency_key"] = learner
        items.append(item)
    return orjson.dumps({"items": items})


async def post_batch(api: Api, tenant: Tenant, body: bytes) -> dict[str, Any]:
    headers = {**tenant.headers, "Content-Type": "application/json"}
    result: dict[str, Any] = await api.json(
        "POST", "/v1/credentials/batch", (200,), content=body, headers=headers
    )
    if result["failed"]:
        failure = next(r for r in result["results"] if r["status"] == "failed")
        raise HarnessError(f"a batch item failed: {failure['error']}")
    return result


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


@dataclass(frozen=True)
class Kept:
    """What the scenarios need of the seeded credentials; the rest of each answer is dropped
    as it arrives (a full data set's answers are ~800 MB)."""

    sample: SampleCredential
    claim_urls: list[str]
    jwts: list[str]


def every(step: int, batch_result: dict[str, Any], field_name: str) -> list[str]:
    """``field_name`` of every ``step``-th credential of a batch's answer."""
    credentials = [item.get("credential") or {} for item in batch_result["results"]]
    return [str(c[field_name]) for c in credentials[::step] if c.get(field_name)]


async def seed_credentials(api: Api, tenants: list[Tenant], total: int, batch_size: int) -> Kept:
    day = today()
    # Taken evenly from every batch, so from every institution and every achievement.
    claim_step, jwt_step = max(1, total // CLAIM_LINKS_KEPT), max(1, total // JWTS_KEPT)

    def job(
        tenant_index: int, start: int, size: int
    ) -> Callable[[], Awaitable[tuple[SampleCredential, list[str], list[str]]]]:
        tenant = tenants[tenant_index]

        async def run() -> tuple[SampleCredential, list[str], list[str]]:
            body = batch_body(tenant, f"seed{tenant_index}", start, size, day, keyed=True)
            result = await post_batch(api, tenant, body)
            jwts = every(jwt_step, result, "jwt")
            return sample_from(result), every(claim_step, result, "claim_url"), jwts

        return run

    jobs = [
        job(tenant_index, start, min(batch_size, count - start))
        for tenant_index, count in enumerate(split(total, len(tenants)))
        for start in range(0, count, batch_size)
    ]
    results = await bounded(jobs, BATCH_CONCURRENCY)
    claim_urls = [url for _, urls, _ in results for url in urls][:CLAIM_LINKS_KEPT]
    jwts = [jwt for _, _, kept in results for jwt in kept][:JWTS_KEPT]
    # Mixed, so that consecutive requests verify credentials of different institutions.
    random.Random(0).shuffle(jwts)  # noqa: S311 - an order, not a secret
    return Kept(results[0][0], claim_urls, jwts)


def sample_from(batch_result: dict[str, Any]) -> SampleCredential:
    summary = batch_result["results"][0]["credential"]
    revocation = next(s for s in summary["status"] if s["purpose"] == "revocation")
    header_b64, payload_b64, _ = summary["jwt"].split(".")
    return SampleCredential(
        jwt=summary["jwt"],
        status_list_url=revocation["status_list_credential"],
        header=orjson.loads(b64url_decode(header_b64)),
        payload=b64url_decode(payload_b64),
    )


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


async def seed(
    base_url: str,
    operator: str,
    run_tag: str,
    institutions: int,
    achievements: int,
    credentials: int,
    batch_size: int,
) -> SeedResult:
    seconds: dict[str, float] = {}
    limits = httpx.Limits(max_connections=CATALOGUE_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, timeout=600, limits=limits) as client:
        api = Api(client)
        began = time.perf_counter()
        scopes = await institution_scopes(api)
        tenants = [
            await create_tenant(api, operator, i, run_tag, scopes) for i in range(institutions)
        ]
        seconds["institutions"] = time.perf_counter() - began
        mark = time.perf_counter()
        await seed_catalogue(api, tenants, achievements)
        seconds["achievements"] = time.perf_counter() - mark
        mark = time.perf_counter()
        kept = await seed_credentials(api, tenants, credentials, batch_size)
        seconds["credentials"] = time.perf_counter() - mark
        seconds["total"] = time.perf_counter() - began
    counts = {
        "institutions": institutions,
        "achievements": achievements,
        "credentials": credentials,
    }
    rounded = {k: round(v, 2) for k, v in seconds.items()}
    return SeedResult(
        tenants, kept.sample, scopes, rounded, counts, api.retries, kept.claim_urls, kept.jwts
    )
