"""The benchmark database: created fresh on the admin server, migrated with `stapel migrate`."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench.environment import HarnessError, venv_bin


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead (query string kept)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def asyncpg_url(url: str) -> str:
    """asyncpg takes postgresql:// only; the app also accepts postgresql+asyncpg://."""
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme.startswith("postgres") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


async def _admin(admin_url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(asyncpg_url(admin_url))
    except (OSError, asyncpg.PostgresError) as exc:
        raise HarnessError(f"cannot reach Postgres at the admin URL: {exc}") from exc


async def recreate(admin_url: str, name: str) -> str:
    """Drop and create database ``name``; returns its URL."""
    connection = await _admin(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(admin_url, name)


async def drop(admin_url: str, name: str) -> None:
    connection = await _admin(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def analyze(url: str) -> float:
    """VACUUM ANALYZE after the bulk load, as autovacuum would in time; returns the seconds.

    Without it the planner still believes the freshly seeded tables hold a few rows and picks
    nested loops over 10,000 achievements (the catalogue page ran twice as slow).
    """
    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        began = time.perf_counter()
        await connection.execute("VACUUM ANALYZE")
        return time.perf_counter() - began
    finally:
        await connection.close()


async def server_version(url: str) -> str:
    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        version: str = await connection.fetchval("SHOW server_version")
        return version
    finally:
        await connection.close()


def _stapel(env: dict[str, str], cwd: Path, *args: str) -> str:
    """Run ``stapel ARGS`` as the server will run; its standard output, or HarnessError."""
    result = subprocess.run(
        [venv_bin("stapel"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        command = " ".join(args[:3])
        raise HarnessError(f"`stapel {command}` failed: {result.stderr.strip()[-2000:]}")
    return result.stdout.strip()


def migrate(env: dict[str, str], cwd: Path) -> None:
    _stapel(env, cwd, "migrate")


def create_operator_key(env: dict[str, str], cwd: Path) -> str:
    """An operator API key, made with the command line as an operator would."""
    return _stapel(env, cwd, "api-key", "create", "--operator", "--name", "bench operator")
