"""The in-process driver sends what the benchmark sends, to the app itself, and counts answers;
the instruction count is read from callgrind's output and taken per request."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from bench import inprocess
from bench.inprocess import (
    UNEXPECTED,
    call,
    drive,
    healthz_calls,
    issue_calls,
    issue_targets,
    measure,
    verified,
    verified_tokens,
    verify_calls,
)
from bench.inprocess_runs import InprocessRun, base_url_of, child_env
from bench.instructions import callgrind_total, per_request, total_of_files
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant


def _host() -> str:
    return urlsplit(get_settings().public_base_url).netloc


async def test_single_issuances_are_issued_each_for_a_new_learner(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    calls = issue_calls(_host(), [(tenant.token, [achievement["id"]])], "drive")

    statuses = await drive(app, calls, requests=6, concurrency=3)

    assert statuses == {201: 6}
    listed = await client.get("/v1/credentials?limit=10", headers=tenant.headers)
    assert len(listed.json()["items"]) == 6
    # Each for a new learner: a second run of the same numbers would issue to the same six.
    assert len({calls(n).body for n in range(6)}) == 6


async def test_verifications_verify_our_own_credentials(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    tokens = [(await issue(client, tenant, achievement["id"]))["jwt"] for _ in range(2)]
    calls = verify_calls(_host(), tokens)

    status, body = await call(app, calls(1))
    statuses = await drive(app, calls, requests=4, concurrency=2, accept=verified)
    tampered = verify_calls(_host(), [tokens[0][:-4] + "AAAA"])
    refused = await drive(app, tampered, requests=2, concurrency=1, accept=verified)

    assert status == 200
    assert json.loads(body)["verified"] is True
    assert statuses == {200: 4}
    assert refused == {UNEXPECTED: 2}  # answered 200, but not verified


async def test_the_data_set_gives_keys_achievements_credentials_and_its_base_url(
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    achievement = await published_achievement(client, tenant)
    issued = await issue(client, tenant, achievement["id"])
    await published_achievement(client, other_tenant)  # nothing issued: not a target

    targets = await issue_targets(sessionmaker)
    tokens = await verified_tokens(sessionmaker, get_settings().public_base_url)

    assert [achievements for _, achievements in targets] == [[achievement["id"]]]
    [(key, _)] = targets
    answer = await client.get("/v1/credentials?limit=1", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200  # a working key of the institution
    assert tokens == [issued["jwt"]]
    assert await verified_tokens(sessionmaker, "https://elsewhere.example") == []
    assert await base_url_of(database_url) == get_settings().public_base_url


async def test_the_measured_requests_alone_are_bracketed(app: FastAPI) -> None:
    seen: list[object] = []
    calls = healthz_calls(_host())

    def counted(n: int) -> inprocess.Call:
        seen.append(n)
        return calls(n)

    measured = await measure(app, "healthz", counted, 5, 2, 3, bracket=seen.append)

    assert seen == [0, 1, 2, True, 3, 4, 5, 6, 7, False]
    assert measured.statuses == {200: 5}
    assert measured.as_json()["requests"] == 5


def test_callgrinds_totals_line_is_read_and_its_summary_only_without_one(tmp_path: Path) -> None:
    counted = "events: Ir\nsummary: 0\nfn=x\n1 2\ntotals: 4805287934\n"
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_text(counted)
    second.write_text("events: Ir\nsummary: 1000\n")

    assert callgrind_total(counted) == 4_805_287_934
    assert total_of_files([first, second]) == 4_805_288_934
    with pytest.raises(ValueError, match="no totals"):
        callgrind_total("events: Ir\n")


def test_a_request_costs_the_difference_of_two_runs_over_their_requests() -> None:
    assert per_request(1_000_000, 5_000_000, 640, 1920) == 3125.0
    with pytest.raises(ValueError, match="more requests"):
        per_request(1, 2, 640, 640)
    with pytest.raises(ValueError, match="fewer instructions"):
        per_request(2, 1, 640, 1920)


def test_the_child_gets_the_data_set_and_the_settings_given_and_no_other_stapel_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STAPEL_CATALOGUE_CACHE_SECONDS", "0")
    run = InprocessRun(
        "issue", "postgresql://db/kept", ("STAPEL_KEY_ENCRYPTION_KEY=k",), 10, 2, 0, False
    )

    env = child_env(run, "http://127.0.0.1:54627")

    assert env["STAPEL_DATABASE_URL"] == "postgresql://db/kept"
    assert env["STAPEL_KEY_ENCRYPTION_KEY"] == "k"
    assert env["STAPEL_RATE_LIMITS_ENABLED"] == "false"
    assert env["STAPEL_PUBLIC_BASE_URL"] == "http://127.0.0.1:54627"
    assert "STAPEL_CATALOGUE_CACHE_SECONDS" not in env
    assert "PYTHONPATH" not in env or env["PYTHONPATH"] == os.environ["PYTHONPATH"]


def test_another_trees_app_is_imported_ahead_of_the_work_tree(tmp_path: Path) -> None:
    run = InprocessRun("healthz", "postgresql://db/kept", (), 10, 2, 0, False, app_dir=tmp_path)

    assert child_env(run, "http://127.0.0.1:8000")["PYTHONPATH"] == str(tmp_path)
