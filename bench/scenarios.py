"""The wrk-driven scenarios: trivial endpoint, single issuance, verification, status list,
GraphQL catalogue page, the learner's pages."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from bench import cpu, dataset
from bench.config import RunConfig
from bench.environment import HarnessError
from bench.results import ScenarioResult, from_wrk
from bench.seed import CATALOGUE_CONCURRENCY, SeedResult, bounded, today
from bench.wrk import Wrk, WrkRequest, WrkResult

ISSUE_ACHIEVEMENTS_PER_INSTITUTION = 20


@dataclass
class Context:
    config: RunConfig
    wrk: Wrk
    base_url: str
    seeded: SeedResult
    work_dir: Path
    run_tag: str
    server_pids: Callable[[], list[int]]
    shared_pages: SharedPages | None = field(default=None)

    def url(self, path: str) -> str:
        return self.base_url + path

    def write(self, name: str, content: bytes) -> str:
        path = self.work_dir / name
        path.write_bytes(content)
        return str(path)


def settle(context: Context) -> None:
    """Let the server finish what an earlier run left queued before the next one starts."""
    time.sleep(context.config.settle_seconds)
    httpx.get(context.url("/healthz"), timeout=60)


def measure(
    context: Context, build: Callable[[str, float], WrkRequest], beside: int | None = None
) -> tuple[WrkResult, dict[str, float]]:
    """A warm-up run (results dropped) and the measured run with the CPU it took;
    ``build(phase, seconds)`` makes the wrk request of each.

    With ``beside`` (a concurrency), ``/healthz`` is first measured at it, and its rate goes
    with the CPU figures as ``healthz_beside_per_s``. On a shared VM the rate of ``/healthz``
    alone moved by half between runs minutes apart (4,371 to 7,087 a second in one hour), and a
    ratio to the run at the start of the benchmark moved with it; measured beside, both rates
    are of the same minute. It comes before the warm-up, not between the warm-up and the
    measured run (the public page's p99 doubled there) nor after it (Postgres still writing
    after an issuance run slowed it).
    """
    used: dict[str, float] = {}
    if beside and (trivial := _healthz_rate(context, beside)):
        used["healthz_beside_per_s"] = round(trivial, 1)
    if context.config.warmup > 0:
        context.wrk.run(build("warmup", context.config.warmup))
        settle(context)
    before = cpu.sample(context.server_pids)
    measured = context.wrk.run(build("run", context.config.duration))
    used |= cpu.usage(before, cpu.sample(context.server_pids))
    settle(context)
    return measured, used


def _healthz_rate(context: Context, connections: int) -> float:
    """Requests a second of ``GET /healthz`` for ``beside_seconds``; 0 when any failed."""
    result = context.wrk.run(_healthz_request(context, connections, context.config.beside_seconds))
    return 0.0 if result.errors or not result.requests else result.requests_per_second


# --- a. the trivial endpoint ------------------------------------------------------------------


def _healthz_request(context: Context, connections: int, seconds: float) -> WrkRequest:
    return WrkRequest(context.url("/healthz"), "static.lua", connections, seconds)


def healthz(context: Context, connections: int) -> ScenarioResult:
    measured, used = measure(
        context, lambda _, seconds: _healthz_request(context, connections, seconds)
    )
    return from_wrk(
        f"healthz_c{connections}",
        "a. trivial endpoint",
        "GET /healthz",
        connections,
        measured,
        used,
    )


# --- b. single issuance -----------------------------------------------------------------------


@dataclass(frozen=True)
class IssueRequest:
    """A shape of single-issuance request, and the achievements it is sent for."""

    key: str
    title: str
    body: Callable[[str, str, date], dict[str, Any]]  # (achievement, learner, today) → body
    formal_only: bool  # only formal micro-credentials (every EU element), not open badges
    note: str


MINIMAL_ISSUE = IssueRequest(
    "single_issue",
    "b. single issuance (minimal request)",
    dataset.minimal_credential_request,
    False,
    "achievement, learner name and student number, award day; over formal and informal "
    "achievements",
)
FULL_ISSUE = IssueRequest(
    "single_issue_full",
    "b2. single issuance, full EU elements",
    dataset.full_credential_request,
    True,
    "every element a request takes (learner by number, e-mail and DID, name in parts, "
    "assessment date, grade, identity verified, evidence, SIS reference, expiry), for formal "
    "micro-credentials with every EU element",
)


def issue_targets(context: Context, formal_only: bool) -> str:
    """Lines "<key> <achievement>..." for issue.lua: every institution, some achievements each."""
    lines = []
    for tenant in context.seeded.tenants:
        ids = tenant.formal_achievement_ids if formal_only else tenant.achievement_ids
        if ids:  # with ten institutions, two hold only open badges
            lines.append(" ".join([tenant.token, *ids[:ISSUE_ACHIEVEMENTS_PER_INSTITUTION]]))
    name = f"issue-targets-{'formal' if formal_only else 'all'}.txt"
    return context.write(name, ("\n".join(lines) + "\n").encode())


def issue_template(context: Context, shape: IssueRequest) -> str:
    """The request body with {{achievement}} and {{learner}} for issue.lua to fill in."""
    body = shape.body("{{achievement}}", "{{learner}}", today())
    return context.write(f"{shape.key}-template.json", orjson.dumps(body))


def single_issue(
    context: Context, connections: int, shape: IssueRequest = MINIMAL_ISSUE
) -> ScenarioResult:
    targets = issue_targets(context, shape.formal_only)
    template = issue_template(context, shape)

    def build(phase: str, seconds: float) -> WrkRequest:
        options = {
            "targets_file": targets,
            "template_file": template,
            "prefix": f"{context.run_tag}-{shape.key}-c{connections}-{phase}",
            "expect": "201",
        }
        return WrkRequest(
            context.url("/v1/credentials"), "issue.lua", connections, seconds, options
        )

    # The full request is given as a share of the minimal one, and one client has no ratio.
    compared = shape is MINIMAL_ISSUE and connections > 1
    measured, used = measure(context, build, beside=connections if compared else None)
    result = from_wrk(
        f"{shape.key}_c{connections}",
        shape.title,
        "POST /v1/credentials",
        connections,
        measured,
        used,
        credentials_per_request=1,
    )
    result.note = shape.note
    return result


# --- d. verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """Credentials sent through POST /v1/verify in turn, and how the result is named."""

    key: str
    title: str
    request: str
    media_type: str
    note: str


JWT_VERIFICATION = Verification(
    "verify",
    "d. verification (with status check)",
    "POST /v1/verify",
    "application/vc+jwt",
    "our own vc-jose credentials issued during seeding, every institution; every check incl. "
    "status list must pass",
)


def verify(
    context: Context,
    connections: int,
    credentials: list[str] | None = None,
    scenario: Verification = JWT_VERIFICATION,
) -> ScenarioResult:
    """``credentials`` (those kept from seeding by default), one after another, through
    POST /v1/verify; each wrk thread starts at its own place in the list."""
    tokens = credentials or context.seeded.jwts or [context.seeded.sample.jwt]
    bodies = context.write(f"{scenario.key}-bodies.txt", ("\n".join(tokens) + "\n").encode())

    def build(phase: str, seconds: float) -> WrkRequest:
        options = {
            "bodies_file": bodies,
            "threads": str(context.wrk.threads_for(connections)),
            "contains": '"verified":true',
        }
        return WrkRequest(
            context.url("/v1/verify"),
            "bodies.lua",
            connections,
            seconds,
            options=options,
            headers={"Content-Type": scenario.media_type},
        )

    measured, used = measure(context, build, beside=connections)
    result = from_wrk(
        f"{scenario.key}_c{connections}",
        scenario.title,
        scenario.request,
        connections,
        measured,
        used,
    )
    result.detail["credentials_in_rotation"] = len(tokens)
    if len(tokens) == 1:
        cycled = "one credential over and over"
    else:
        sent = f"{measured.distinct:,}" if measured.distinct is not None else "?"
        cycled = f"{len(tokens):,} distinct credentials in turn, {sent} of them sent"
    result.note = f"{cycled}; {scenario.note}"
    return result


# --- e. status list ---------------------------------------------------------------------------


def status_list_path(context: Context) -> str:
    return urlsplit(context.seeded.sample.status_list_url).path


def status_list_etag(context: Context) -> str:
    response = httpx.get(context.url(status_list_path(context)), timeout=30)
    response.raise_for_status()
    return response.headers["ETag"]


def status_list(context: Context, connections: int, conditional: bool) -> ScenarioResult:
    path = status_list_path(context)
    headers = {"If-None-Match": status_list_etag(context)} if conditional else {}
    expect = "304" if conditional else "200"

    def build(phase: str, seconds: float) -> WrkRequest:
        return WrkRequest(
            context.url(path), "static.lua", connections, seconds, {"expect": expect}, headers
        )

    measured, used = measure(context, build, beside=connections)
    variant = "304" if conditional else "200"
    return from_wrk(
        f"status_list_{variant}_c{connections}",
        f"e. status list fetch ({'If-None-Match → 304' if conditional else 'full, 200'})",
        "GET /status-lists/{id}/revocation",
        connections,
        measured,
        used,
    )


# --- f. GraphQL catalogue page ----------------------------------------------------------------

ACHIEVEMENT_FIELDS = """
  id version kind title description criteria
  learningOutcomes { text escoSkill }
  ects workloadHours eqfLevel qfEheaCycle
  assessment { type description }
  participationForm
  qualityAssurance { type name description referenceUrl }
  prerequisites supervision integrationOptions languages fieldOfStudy
  grading { scheme description minValue maxValue passValue }
  validityMonths imageUrl furtherInformationUrl sisCourseCodes publishedAt
  achievementUrl latestUrl
  institution {
    id slug did displayName legalName countryCode region url recognised
    qualityAssuranceStatement qualityAssuranceFramework
  }
  orgUnit { id name code url }
  stacksInto { id title achievementUrl }
  builtFrom { id title achievementUrl }
"""

CATALOGUE_QUERY = (
    "query CataloguePage($first: Int!) {\n"
    "  achievements(first: $first) {\n"
    "    totalCount\n"
    "    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n"
    "    facets {\n"
    "      eqfLevel { value count } kind { value count } language { value count }\n"
    "      participation { value count } institution { value count }\n"
    "    }\n"
    f"    edges {{ cursor node {{ {ACHIEVEMENT_FIELDS} }} }}\n"
    "  }\n"
    "}\n"
)

PAGE_SIZE = 50


def catalogue_body() -> bytes:
    return orjson.dumps({"query": CATALOGUE_QUERY, "variables": {"first": PAGE_SIZE}})


def catalogue(context: Context, connections: int) -> ScenarioResult:
    body_file = context.write("catalogue-query.json", catalogue_body())

    def build(phase: str, seconds: float) -> WrkRequest:
        return WrkRequest(
            context.url("/graphql"),
            "static.lua",
            connections,
            seconds,
            options={
                "method": "POST",
                "body_file": body_file,
                "contains": '"edges"',
                "absent": '"errors"',
            },
            headers={"Content-Type": "application/json"},
        )

    measured, used = measure(context, build)
    result = from_wrk(
        f"catalogue_c{connections}",
        "f. GraphQL catalogue page",
        "POST /graphql (50 achievements, all fields, facets)",
        connections,
        measured,
        used,
    )
    result.note = (
        "first page, no filter, every Achievement field with nested types, totalCount, facets"
    )
    return result


# --- i. the learner's pages -------------------------------------------------------------------

PUBLIC_ADDRESS = re.compile(r'href="[^"]*(/c/[A-Za-z0-9_-]+)"')


@dataclass(frozen=True)
class SharedPages:
    """Credentials their learners published: the claim page and the public page of each."""

    claim_paths: list[str]
    public_paths: list[str]


async def _share(client: httpx.AsyncClient, claim_path: str) -> str:
    """Publish as the learner does (the claim page's form) and read the public address."""
    published = await client.post(claim_path + "/publish")
    if published.status_code != 303:
        raise HarnessError(f"publishing answered {published.status_code}: {published.text[:300]}")
    page = await client.get(claim_path)
    found = PUBLIC_ADDRESS.search(page.text) if page.status_code == 200 else None
    if found is None:
        raise HarnessError(f"the claim page after publishing shows no public address ({page})")
    return found[1]


async def _share_all(base_url: str, claim_paths: list[str]) -> list[str]:
    limits = httpx.Limits(max_connections=CATALOGUE_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        jobs = [partial(_share, client, path) for path in claim_paths]
        return await bounded(jobs, CATALOGUE_CONCURRENCY)


def shared_pages(context: Context) -> SharedPages:
    """Publish the seeded claim links once per run (not measured)."""
    if context.shared_pages is None:
        claim_paths = [urlsplit(url).path for url in context.seeded.claim_urls]
        if not claim_paths:
            raise HarnessError("the seeding returned no claim links")
        public_paths = asyncio.run(_share_all(context.base_url, claim_paths))
        context.shared_pages = SharedPages(claim_paths, public_paths)
    return context.shared_pages


# key → (title, endpoint) of the learner's-page scenarios.
LEARNER_PAGES = {
    "public_page": ("i. public credential page", "GET /c/{public_id}"),
    "claim_page": ("i. claim view (learner)", "GET /claim/{token}"),
}


def _page_visits(context: Context, key: str, paths: list[str], connections: int) -> ScenarioResult:
    paths_file = context.write(f"{key}-paths.txt", ("\n".join(paths) + "\n").encode())

    def build(phase: str, seconds: float) -> WrkRequest:
        # Every page must show the verifier's verdict: these credentials are all valid.
        options = {
            "paths_file": paths_file,
            "threads": str(context.wrk.threads_for(connections)),
            "contains": "banner-valid",
        }
        return WrkRequest(context.url("/"), "paths.lua", connections, seconds, options)

    measured, used = measure(context, build, beside=connections)
    title, endpoint = LEARNER_PAGES[key]
    result = from_wrk(f"{key}_c{connections}", title, endpoint, connections, measured, used)
    result.note = f"{len(paths)} different published credentials, status verified on each view"
    return result


def public_page(context: Context, connections: int) -> ScenarioResult:
    return _page_visits(context, "public_page", shared_pages(context).public_paths, connections)


def claim_page(context: Context, connections: int) -> ScenarioResult:
    return _page_visits(context, "claim_page", shared_pages(context).claim_paths, connections)
