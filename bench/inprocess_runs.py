"""``python -m bench inprocess``: the in-process driver in a child process, timed or counted.

The child (:mod:`bench.inprocess`) gets the environment a server of the benchmark would
(``STAPEL_*`` of this process dropped, the data set's database, the public base URL its
credentials were issued under, and the given settings), and
its own standard output is discarded: the app's access lines go there, as a server's do. It is
run as a script (with ``-P``: its folder is not put on the path), not as a module, so that with
``app_dir`` (another tree's ``app/``, such as a ``git worktree`` of the commit before a change)
that tree's app is the one imported.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import asyncpg

from bench.database import asyncpg_url
from bench.environment import HarnessError, app_env
from bench.instructions import per_request, total_of_files


@dataclass(frozen=True)
class InprocessRun:
    what: str
    database_url: str
    settings: tuple[str, ...]
    requests: int
    concurrency: int
    warmup: int
    count_instructions: bool
    app_dir: Path | None = None
    valgrind: str = "valgrind"


DRIVER: Final = Path(__file__).with_name("inprocess.py")


BASE_URL_QUERY: Final = """
    SELECT split_part(
        jsonb_path_query_first(document, '$.credentialStatus.statusListCredential') #>> '{}',
        '/status-lists/', 1)
    FROM credentials WHERE profile = 'vc-jose' LIMIT 1
"""


async def base_url_of(database_url: str) -> str:
    """The public base URL the data set's credentials were issued under, which the app must
    serve for them to be its own (else their issuers look foreign, and verifying them fetches
    their documents)."""
    try:
        connection = await asyncpg.connect(asyncpg_url(database_url))
        try:
            base = await connection.fetchval(BASE_URL_QUERY)
        finally:
            await connection.close()
    except (OSError, asyncpg.PostgresError) as exc:
        raise HarnessError(f"cannot read the data set at --database-url: {exc}") from exc
    if not base:
        raise HarnessError("the database holds no credential of ours to read its base URL from")
    return str(base)


def child_env(run: InprocessRun, base_url: str) -> dict[str, str]:
    return app_env(
        {
            "STAPEL_DATABASE_URL": run.database_url,
            "STAPEL_PUBLIC_BASE_URL": base_url,
            # As the benchmark's server: the load comes from one client with one key per
            # institution.
            "STAPEL_RATE_LIMITS_ENABLED": "false",
        },
        run.settings,
        run.app_dir,
    )


def _env(run: InprocessRun) -> dict[str, str]:
    return child_env(run, asyncio.run(base_url_of(run.database_url)))


def _driver(run: InprocessRun, requests: int, result: Path, callgrind: bool) -> list[str]:
    return [
        sys.executable,
        "-P",  # the script's own folder (bench/, whose profile.py is a stdlib name) not on the path
        str(DRIVER),
        run.what,
        "--requests",
        str(requests),
        "--concurrency",
        str(run.concurrency),
        "--warmup",
        str(run.warmup),
        "--result",
        str(result),
        *(["--callgrind"] if callgrind else []),
    ]


def _run_child(command: list[str], env: dict[str, str], result: Path) -> dict[str, Any]:
    finished = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=False)
    if not result.exists():
        raise HarnessError(f"the in-process driver failed (exit {finished.returncode})")
    measured: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    if finished.returncode != 0:
        raise HarnessError(f"unexpected answers: {measured['statuses']}")
    return measured


def timed(run: InprocessRun) -> dict[str, Any]:
    """One run: its rate, CPU a request and statuses."""
    with tempfile.TemporaryDirectory(prefix="stapel-inprocess-") as folder:
        result = Path(folder) / "result.json"
        return _run_child(_driver(run, run.requests, result, False), _env(run), result)


def counted(run: InprocessRun) -> dict[str, Any]:
    """Instructions a request: two runs under callgrind, of ``n`` and ``3n`` requests."""
    if shutil.which(run.valgrind) is None or shutil.which("callgrind_control") is None:
        raise HarnessError("counting instructions needs valgrind and callgrind_control")
    env = _env(run)
    totals: list[int] = []
    sizes = (run.requests, 3 * run.requests)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="stapel-callgrind-") as folder:
        for index, requests in enumerate(sizes):
            result = Path(folder) / f"result-{index}.json"
            outputs = Path(folder) / f"run-{index}"
            outputs.mkdir()
            command = [
                run.valgrind,
                "--quiet",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={outputs}/callgrind.out.%p",
                *_driver(run, requests, result, True),
            ]
            runs.append(_run_child(command, env, result))
            totals.append(total_of_files(sorted(outputs.iterdir())))
    return {
        "what": run.what,
        "concurrency": run.concurrency,
        "runs": [
            {"requests": requests, "instructions": total}
            for requests, total in zip(sizes, totals, strict=True)
        ],
        "instructions_per_request": round(per_request(totals[0], totals[1], *sizes)),
        "statuses": [measured["statuses"] for measured in runs],
    }


def main(run: InprocessRun) -> int:
    measured = counted(run) if run.count_instructions else timed(run)
    print(json.dumps(measured, indent=2))
    return 0
