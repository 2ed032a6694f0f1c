"""`stapel import` end to end: the real command and a real `stapel worker`, each a process of its
own, on the test database; the CSV file is a file on disk."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import Tenant
from tests.sis.simulator import COURSE, ROOT, TERM, Sis, connect_sis, scalar, start_worker

HEADER = "student_id;student_name;course_code;term;grade;assessment_date;identity_verified"


def _row(number: int, grade: str = "7,5", course: str = COURSE, date: str = "2026-06-24") -> str:
    return f"s{number:07d};Student {number};{course};{TERM};{grade};{date};ja"


@dataclass
class Importer:
    """An institution with a connected SIS, a directory for CSV files, and the command."""

    sis: Sis
    tenant: Tenant
    database_url: str
    directory: Path

    def file(self, name: str, *rows: str) -> Path:
        path = self.directory / name
        path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
        return path

    async def run(
        self, path: Path, *options: str, tenant: Tenant | None = None
    ) -> subprocess.CompletedProcess[str]:
        slug = str((tenant or self.tenant).institution["slug"])
        command = [
            sys.executable, "-m", "app.cli", "import", str(path),
            "--institution", slug, "--integration", self.sis.integration_id, *options,
        ]  # fmt: skip
        return await asyncio.to_thread(
            subprocess.run,
            command,
            env={**os.environ, "STAPEL_DATABASE_URL": self.database_url},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )


@pytest.fixture
async def importer(
    client: httpx.AsyncClient, tenant: Tenant, database_url: str, tmp_path: Path
) -> Importer:
    return Importer(await connect_sis(client, tenant), tenant, database_url, tmp_path)


@pytest.fixture
def worker(database_url: str) -> Iterator[subprocess.Popen[bytes]]:
    process = start_worker(database_url)
    yield process
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


async def test_an_import_is_followed_to_every_outcome_and_importing_again_changes_nothing(
    importer: Importer,
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: subprocess.Popen[bytes],
) -> None:
    results = importer.file(
        "results.csv",
        _row(1),
        _row(2, grade="4,0"),
        _row(3, course="UNMAPPED-01"),
        _row(4, grade="8"),
    )
    done = await importer.run(results)
    assert done.returncode == 3, done.stderr  # one result failed
    assert "Queued 4 results" in done.stderr
    assert "4/4" in done.stderr, "the progress bar reached every result"
    assert done.stdout.splitlines() == [
        "issued 2, revoked 0, skipped 1, failed 1, pending 0",
        "  failed unknown_course_code: 1",
        "  skipped not_passed: 1",
        "line 4: failed unknown_course_code "
        f"(No course mapping for 'UNMAPPED-01' in term '{TERM}'.)",
    ]
    assert await scalar(sessionmaker, "SELECT count(*) FROM credentials") == 2
    audited = "SELECT count(*) FROM audit_events WHERE action = 'sis.csv_imported'"
    assert await scalar(sessionmaker, audited) == 1

    again = await importer.run(results)
    assert again.returncode == 3
    assert "imported before" in again.stderr
    assert again.stdout == done.stdout
    assert await scalar(sessionmaker, "SELECT count(*) FROM sis_events") == 1
    assert await scalar(sessionmaker, "SELECT count(*) FROM credentials") == 2
    assert await scalar(sessionmaker, audited) == 1

    # Another file with a result issued before: skipped, not issued twice.
    later = await importer.run(importer.file("more.csv", _row(1), _row(5)))
    assert later.returncode == 0, later.stderr
    assert later.stdout.splitlines() == [
        "issued 1, revoked 0, skipped 1, failed 0, pending 0",
        "  skipped already_issued: 1",
    ]
    assert await scalar(sessionmaker, "SELECT count(*) FROM credentials") == 3


async def test_a_file_with_bad_rows_names_their_lines_and_queues_nothing(
    importer: Importer, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    path = importer.file(
        "bad.csv",
        _row(1),
        _row(2, date="24-06-2026"),
        "",
        f"s0000003;Student 3;{COURSE};{TERM};;2026-06-24;misschien",
        _row(4),
    )
    refused = await importer.run(path)
    assert refused.returncode == 1
    lines = [line for line in refused.stderr.splitlines() if line.startswith("line ")]
    assert [line.split(":")[:2] for line in lines] == [
        ["line 3", " assessment_date"],
        ["line 5", " grade"],
        ["line 5", " identity_verified"],
    ]
    assert "error: 2 row(s) of the file are not valid; nothing was queued." in refused.stderr
    assert refused.stdout == ""
    assert await scalar(sessionmaker, "SELECT count(*) FROM sis_events") == 0
    assert await scalar(sessionmaker, "SELECT count(*) FROM sis_results") == 0


async def test_a_bad_header_or_an_unknown_integration_is_refused(
    importer: Importer, other_tenant: Tenant
) -> None:
    headless = importer.directory / "headless.csv"
    headless.write_text("student_id;course_code\ns1;X\n", encoding="utf-8")
    refused = await importer.run(headless)
    assert refused.returncode == 1
    assert "#/header/grade: required column missing" in refused.stderr
    foreign = await importer.run(importer.file("good.csv", _row(1)), tenant=other_tenant)
    assert foreign.returncode == 1
    assert "no such integration" in foreign.stderr


async def test_without_a_worker_the_wait_ends_at_the_timeout_and_the_results_stay_queued(
    importer: Importer, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    path = importer.file("results.csv", _row(1), _row(2))
    waited = await importer.run(path, "--timeout", "1")
    assert waited.returncode == 4
    assert waited.stdout.splitlines()[0] == "issued 0, revoked 0, skipped 0, failed 0, pending 2"
    assert "stapel worker" in waited.stderr
    pending = "SELECT count(*) FROM sis_results WHERE status = 'pending'"
    assert await scalar(sessionmaker, pending) == 2
