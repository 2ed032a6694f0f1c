"""Stapel as a real process on a loopback port, for the tests that need a server of their own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from app.cli.running import KEEP_ALIVE_SECONDS

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
# For a client of a served process: pooled connections idle for at most half the server's
# keep-alive, not as long (httpx's default). A request sent on a connection that the server
# closes at that moment is lost with an httpx.ReadError; on a busy machine the two clocks'
# lag makes that moment a window.
CLIENT_LIMITS = httpx.Limits(keepalive_expiry=KEEP_ALIVE_SECONDS / 2)


def free_port() -> int:
    """A loopback port that nothing listens on once this returns."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def serve_command(port: int, *options: str) -> list[str]:
    """`stapel serve` on ``port``, as production starts it."""
    return [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *options]


@contextmanager
def served(
    command: Sequence[str],
    port: int,
    output: Path,
    *,
    env: Mapping[str, str] | None = None,
    ready_path: str = "/readyz",
    start_seconds: float = 60,
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Run ``command`` until it answers ``ready_path`` on ``port``; the process and its base URL.

    Its output goes to ``output``, which a failure to start quotes. A process still running at
    the end is stopped (SIGTERM, then SIGKILL), so none outlives its test.
    """
    with output.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own command line, fixed arguments
            list(command),
            env={**os.environ, **(env or {})},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited during start-up:\n{output.read_text()}")
            try:
                if httpx.get(f"{base}{ready_path}", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not become ready:\n{output.read_text()}")
            time.sleep(0.1)
        yield process, base
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextmanager
def serving_on(database_url: str, output: Path, public_base_url: str | None) -> Iterator[str]:
    """`stapel serve` as its own process on ``database_url``; its loopback base URL.

    Without ``public_base_url`` the process names itself by its loopback address. Its caches
    are off: the tests empty the tables between tests.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "STAPEL_DATABASE_URL": database_url,
        "STAPEL_PUBLIC_BASE_URL": public_base_url or base,
        "STAPEL_PROCESS_CACHE_SECONDS": "0",
        "STAPEL_STATUS_LIST_PROCESS_CACHE_SECONDS": "0",
        "STAPEL_FETCH_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    with served(serve_command(port), port, output, env=env):
        yield base


def serve_on_test_database(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, public_base_url: str | None
) -> Iterator[str]:
    """:func:`serving_on` the test database, as a generator for session fixtures."""
    output = tmp_path_factory.mktemp("served") / "serve.log"
    with serving_on(database_url, output, public_base_url) as base:
        yield base
