"""`stapel serve` as a real process: a graceful stop on SIGTERM, and metrics across workers."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from app.config import get_settings
from app.observability.metrics import MULTIPROCESS_DIR_ENV
from app.observability.serving import metrics_directory
from tests.credentials.helpers import issue_payload, published_achievement
from tests.factories import Tenant
from tests.serving import free_port, serve_command, served

BATCH = 200


@contextmanager
def _serve(
    output: Path, *options: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    logged = {"STAPEL_LOG_LEVEL": "INFO", **(env or {})}
    with served(serve_command(port, *options), port, output, env=logged) as running:
        yield running


def _json_lines(output: Path) -> list[dict[str, Any]]:
    lines = output.read_text().splitlines()
    parsed = [json.loads(line) for line in lines if line.strip()]
    assert len(parsed) == len([line for line in lines if line.strip()])
    return parsed


async def test_sigterm_lets_the_request_in_flight_finish_and_exits_0(
    client: httpx.AsyncClient, tenant: Tenant, tmp_path: Path
) -> None:
    achievement = (await published_achievement(client, tenant))["id"]
    body = json.dumps({"items": [issue_payload(achievement) for _ in range(BATCH)]}).encode()
    started, signalled = threading.Event(), threading.Event()

    def held_back_body() -> Iterator[bytes]:
        # The request is surely in flight at SIGTERM: half its body has arrived, and the rest
        # is sent only once the signal has been.
        yield body[: len(body) // 2]
        started.set()
        signalled.wait(timeout=30)
        yield body[len(body) // 2 :]

    output = tmp_path / "serve.log"
    with _serve(output, "--graceful-timeout", "60") as (process, base):

        def send_batch() -> httpx.Response:
            return httpx.post(
                f"{base}/v1/credentials/batch",
                content=held_back_body(),
                headers={**tenant.headers, "Content-Type": "application/json"},
                timeout=120,
            )

        sending = asyncio.create_task(asyncio.to_thread(send_batch))
        assert await asyncio.to_thread(started.wait, 30)
        await asyncio.sleep(0.1)  # the half sent has reached the server
        process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        async with httpx.AsyncClient() as fresh:
            with pytest.raises(httpx.ConnectError):  # no new connections once stopping
                await fresh.get(f"{base}/healthz", timeout=2)
        signalled.set()
        response = await sending
        exit_code = await asyncio.to_thread(process.wait, 60)

    assert response.status_code == 200, response.text
    assert response.json()["issued"] == BATCH
    assert exit_code == 0, output.read_text()

    lines = _json_lines(output)
    events = [line["event"] for line in lines]
    batch_line = next(
        i for i, line in enumerate(lines) if line.get("route") == "/v1/credentials/batch"
    )
    assert lines[batch_line]["status"] == 200
    assert lines[batch_line]["institution_id"] == tenant.id
    # The database pool is closed in the lifespan shutdown, after the request was answered.
    assert batch_line < events.index("Waiting for application shutdown.")
    assert "Application shutdown complete." in events
    assert all(line["logger"] != "uvicorn.access" for line in lines)


def _served_per_process(directory: Path) -> dict[str, float]:
    """Health checks answered, per worker process, read from each worker's own file."""
    served: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = path.stem.removeprefix("counter_")
        alone = directory.parent / f"alone-{pid}"
        alone.mkdir(exist_ok=True)
        shutil.copy(path, alone / path.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))  # type: ignore[no-untyped-call]
        served[pid] = sum(
            sample.value
            for family in registry.collect()
            for sample in family.samples
            if sample.name == "stapel_http_requests_total" and sample.labels["route"] == "/healthz"
        )
    return served


def _scraped(metrics_base: str) -> dict[str, float]:
    with httpx.Client() as fresh:
        text = fresh.get(f"{metrics_base}/metrics", timeout=5).text
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "stapel_http_requests_total":
                if sample.labels["route"] == "/healthz":
                    values["healthz"] = values.get("healthz", 0) + sample.value
            elif not sample.labels:
                values[sample.name] = sample.value
    return values


def _health_check(base: str) -> None:
    with httpx.Client() as fresh:
        assert fresh.get(f"{base}/healthz", timeout=5).status_code == 200


def test_workers_share_their_metrics_on_the_metrics_port_only(
    database_url: str, tmp_path: Path
) -> None:
    directory = tmp_path / "metrics"  # made by the server: it needs not exist
    output = tmp_path / "serve.log"
    env = {MULTIPROCESS_DIR_ENV: str(directory), "STAPEL_METRICS_ON_API_PORT": "false"}
    port = free_port()
    metrics_base = f"http://127.0.0.1:{port}"
    options = ("--workers", "2", "--metrics-port", str(port), "--metrics-host", "127.0.0.1")
    with _serve(output, *options, env=env) as (process, base):
        assert httpx.get(f"{base}/metrics", timeout=5).status_code == 404
        sent = 0
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(20):  # until both workers have answered some
                list(pool.map(lambda _: _health_check(base), range(16)))
                sent += 16
                if sum(1 for served in _served_per_process(directory).values() if served) >= 2:
                    break
        per_process = _served_per_process(directory)
        assert len([served for served in per_process.values() if served]) == 2, per_process
        assert sum(per_process.values()) == sent

        for _ in range(4):  # the metrics port reports both workers
            scraped = _scraped(metrics_base)
            assert scraped["healthz"] == sent
            assert scraped["stapel_db_pool_size"] == 2 * get_settings().db_pool_size

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, output.read_text()
    # The live pool gauges of stopped workers are gone; the counters stay.
    assert not list(directory.glob("gauge_live*"))
    assert list(directory.glob("counter_*.db"))


def test_one_worker_serves_its_own_metrics_on_the_metrics_port(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {"STAPEL_METRICS_ON_API_PORT": "false"}
    options = ("--metrics-port", str(port), "--metrics-host", "127.0.0.1")
    with _serve(tmp_path / "serve.log", *options, env=env) as (_, base):
        for _ in range(3):
            _health_check(base)
        assert httpx.get(f"{base}/metrics", timeout=5).status_code == 404
        scraped = _scraped(f"http://127.0.0.1:{port}")
    assert scraped["healthz"] == 3
    assert scraped["stapel_db_pool_size"] == get_settings().db_pool_size


def test_serve_makes_a_metrics_directory_for_several_workers_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(MULTIPROCESS_DIR_ENV, raising=False)
    with metrics_directory(1) as none:
        assert none is None
        assert MULTIPROCESS_DIR_ENV not in os.environ
    with metrics_directory(3) as made:
        assert made is not None
        assert made.is_dir()
        assert os.environ[MULTIPROCESS_DIR_ENV] == str(made)
    assert not made.exists()
    assert MULTIPROCESS_DIR_ENV not in os.environ

    chosen = tmp_path / "chosen"
    chosen.mkdir()
    (chosen / "counter_999999.db").write_bytes(b"stale")
    (chosen / f"counter_{os.getpid()}.db").write_bytes(b"ours")
    (chosen / "notes.txt").write_text("kept")
    monkeypatch.setenv(MULTIPROCESS_DIR_ENV, str(chosen))
    with metrics_directory(4) as given:
        assert given == chosen
    assert sorted(p.name for p in chosen.iterdir()) == [f"counter_{os.getpid()}.db", "notes.txt"]
