"""One benchmark run, start to end: database, server, data set, floors, scenarios, report."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench import (
    batch,
    cpu,
    database,
    floors,
    pathway,
    pickup,
    profile,
    report,
    scenarios,
    sd_jwt_vc,
    sis,
)
from bench.config import DEFAULT_DATABASE_NAME, RunConfig
from bench.environment import (
    HarnessError,
    Pinning,
    app_env,
    choose_pinning,
    ensure_wrk,
    free_port,
    git_commit,
    machine_info,
    random_key,
    wrk_version,
)
from bench.processes import Launcher, ManagedProcess, ProcessMemory, memory_of, process_tree
from bench.results import ScenarioResult, failed
from bench.seed import SeedResult, seed
from bench.wrk import Wrk

REPO = Path(__file__).resolve().parent.parent


def load_average() -> str:
    """1-minute load average: other work on the machine shows here."""
    return f"{os.getloadavg()[0]:.2f}"


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Run:
    """What a run holds while it goes: processes to stop, results to report."""

    config: RunConfig
    pinning: Pinning
    stem: str
    run_tag: str
    work_dir: Path
    source_dir: Path = REPO
    commit: str = ""
    launcher: Launcher | None = None
    base_url: str = ""
    server: ManagedProcess | None = None
    workers: list[ManagedProcess] = field(default_factory=list)  # the SIS workers
    results: list[ScenarioResult] = field(default_factory=list)
    floors: floors.Floors | None = None
    profiles: dict[str, Any] = field(default_factory=dict)
    postgres_version: str = ""
    load_at_start: str = field(default_factory=load_average)

    @property
    def database_name(self) -> str:
        """This run's own database, so that two runs on one server cannot drop each other's."""
        return f"{DEFAULT_DATABASE_NAME}_{self.run_tag}_{os.getpid()}"

    @property
    def log_dir(self) -> Path:
        return self.config.output_dir / f"{self.stem}-logs"

    def launch(self) -> Launcher:
        if self.launcher is None:
            raise HarnessError("the run has no environment yet")
        return self.launcher

    def processes(self) -> list[ManagedProcess]:
        """The SIS workers, then the API server: the order they are stopped in."""
        return [*self.workers, *([self.server] if self.server is not None else [])]

    def stop_processes(self) -> None:
        for process in self.processes():
            process.stop()

    def server_pids(self) -> list[int]:
        """The API server's processes and the SIS workers', when they run."""
        return [
            pid
            for process in self.processes()
            if process.alive()
            for pid in process_tree(process.pid)
        ]

    def memory(self) -> list[ProcessMemory]:
        found: list[ProcessMemory] = []
        for process in self.processes():
            if process.alive():
                found.extend(memory_of(process))
        return found


# --- set-up -----------------------------------------------------------------------------------


def export_ref(ref: str, target: Path) -> str:
    """Write the tree of ``ref`` into ``target`` (git archive: index and history untouched)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref], capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise HarnessError(f"git archive {ref} failed: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", ref],
        capture_output=True,
        text=True,
        check=False,
    )
    return f"{commit.stdout.strip()} ({ref}, exported)"


SOURCE_PARTS = ("app", "alembic.ini")


def snapshot_work_tree(target: Path) -> None:
    """Copy what the server runs from, so that edits made during the run cannot reach it."""
    target.mkdir(parents=True)
    for part in SOURCE_PARTS:
        source = REPO / part
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(source, target / part, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, target / part)


def prepare_database(run: Run) -> str:
    config = run.config
    if config.database_url:
        say("using the given database (not recreated)")
        return config.database_url
    say(f"creating database {run.database_name}")
    return asyncio.run(database.recreate(config.admin_url, run.database_name))


def server_env(
    database_url: str, port: int, source_dir: Path, settings: tuple[str, ...] = ()
) -> dict[str, str]:
    return app_env(
        {
            "STAPEL_DATABASE_URL": database_url,
            "STAPEL_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "STAPEL_KEY_ENCRYPTION_KEY": random_key(),
            "STAPEL_LEARNER_LOOKUP_KEY": random_key(),
            # The load comes from one address with one key per scenario: the rate limits would
            # measure themselves. A --setting can turn them on again.
            "STAPEL_RATE_LIMITS_ENABLED": "false",
            # The pickup scenarios make their access tokens and nonces before wrk starts, which
            # on a fast machine took longer than their default five minutes: the first lines
            # sent were refused (401) as expired. Their lifetime costs a request nothing either
            # way.
            "STAPEL_WALLET_TOKEN_SECONDS": "3600",
            "STAPEL_WALLET_NONCE_SECONDS": "3600",
        },
        settings,
        source_dir if source_dir != REPO else None,
    )


def seed_data(run: Run, operator: str) -> SeedResult:
    config = run.config
    say(
        f"seeding {config.institutions} institutions, {config.achievements:,} achievements, "
        f"{config.credentials:,} credentials"
    )
    seeded = asyncio.run(
        seed(
            run.base_url,
            operator,
            run.run_tag,
            config.institutions,
            config.achievements,
            config.credentials,
            config.batch_size,
        )
    )
    say(f"seeded in {seeded.seconds['total']:.1f} s {seeded.seconds}")
    for retry in seeded.retries:
        say(f"  retried after a broken connection: {retry}")
    return seeded


# --- scenarios --------------------------------------------------------------------------------


def attempt(run: Run, key: str, title: str, measure: Callable[[], ScenarioResult]) -> None:
    """Run one scenario; an exception is recorded as a failed scenario, and the run goes on."""
    say(f"scenario {key}")
    try:
        result = measure()
    except (HarnessError, httpx.HTTPError, OSError, KeyError, ValueError) as exc:
        result = failed(key, title, f"{type(exc).__name__}: {exc}"[:800])
    run.results.append(result)
    rate = result.credentials_per_s if key.startswith("batch") else result.requests_per_s
    say(
        f"  {result.status}: {rate} /s, p50 {result.p50_ms} ms, p99 {result.p99_ms} ms, "
        f"p99.9 {result.p999_ms} ms, "
        f"errors {result.errors} {result.note if result.status == 'failed' else ''}"
    )


def wrk_scenarios(run: Run, context: scenarios.Context) -> None:
    config = run.config
    low, high = config.low, config.high
    for c in (low, high) if config.runs("healthz") else ():
        attempt(run, f"healthz_c{c}", "a. trivial endpoint", partial(scenarios.healthz, context, c))
    for shape in (scenarios.MINIMAL_ISSUE, scenarios.FULL_ISSUE) if config.runs("issue") else ():
        for c in (1, low, high):
            issue = partial(scenarios.single_issue, context, c, shape)
            attempt(run, f"{shape.key}_c{c}", shape.title, issue)
    for c in (low, high) if config.runs("verify") else ():
        attempt(run, f"verify_c{c}", "d. verification", partial(scenarios.verify, context, c))
    for conditional in (False, True) if config.runs("status") else ():
        for c in (low, high):
            fetch = partial(scenarios.status_list, context, c, conditional)
            key = f"status_list_{304 if conditional else 200}_c{c}"
            attempt(run, key, "e. status list fetch", fetch)
    if config.runs("catalogue"):
        page = partial(scenarios.catalogue, context, low)
        attempt(run, f"catalogue_c{low}", "f. GraphQL catalogue page", page)
    if config.runs("pages"):
        for key, (title, _) in scenarios.LEARNER_PAGES.items():
            visit = scenarios.public_page if key == "public_page" else scenarios.claim_page
            attempt(run, f"{key}_c{low}", title, partial(visit, context, low))
    # What a pickup costs is an issuance in a transaction of its own: single issuance at c1.
    issued_alone = next((r for r in run.results if r.key == "single_issue_c1"), None)
    issue_rate = issued_alone.requests_per_s if issued_alone else None
    if config.runs("pickup"):
        picked_up = partial(pickup.credential_endpoint, context, low, run.base_url, issue_rate)
        attempt(run, f"pickup_c{low}", "j. wallet pickup", picked_up)
    if config.runs("sdjwt"):
        sd_jwt_pickup = partial(
            pickup.credential_endpoint,
            context,
            low,
            run.base_url,
            issue_rate,
            sd_jwt_vc.SD_JWT_VC_PICKUP,
        )
        attempt(run, f"sd_jwt_vc_pickup_c{low}", "k. SD-JWT VC pickup", sd_jwt_pickup)
        verified = partial(sd_jwt_vc.verify, context, low)
        attempt(run, f"verify_sd_jwt_vc_c{low}", "l. SD-JWT VC verification", verified)


def with_cpu(
    pids: Callable[[], list[int]], measure: Callable[[], ScenarioResult]
) -> ScenarioResult:
    """Measure and note the CPU the given processes and the machine used meanwhile."""
    before = cpu.sample(pids)
    result = measure()
    used = cpu.usage(before, cpu.sample(pids))
    result.server_cores = used["server_cores"]
    result.machine_busy_cores = used["machine_busy_cores"]
    return result


def batch_run(
    run: Run, seeded: SeedResult, clients: int, seconds: float, tag: str
) -> ScenarioResult:
    config = run.config
    return with_cpu(
        run.server_pids,
        lambda: asyncio.run(
            batch.batch_issuance(
                run.base_url,
                seeded.tenants,
                clients,
                config.batch_size,
                seconds,
                config.batch_rounds(),
                tag,
            )
        ),
    )


def batch_scenarios(run: Run, seeded: SeedResult) -> None:
    for clients in (1, 2) if run.config.runs("batch") else ():
        attempt(
            run,
            f"batch_{clients}_clients",
            "c. batch issuance",
            partial(batch_run, run, seeded, clients, run.config.duration, run.run_tag),
        )


def sis_scenario(run: Run, seeded: SeedResult) -> None:
    results = run.config.sis_results
    if not run.config.runs("sis"):
        return

    def measure() -> ScenarioResult:
        if not asyncio.run(_sis_available(run.base_url)):
            return sis.not_available(results)
        count = run.config.sis_workers
        for n in range(1, count + 1):
            role = "worker" if count == 1 else f"worker-{n}"
            run.workers.append(run.launch().start_worker(free_port(), role))
        limit = max(60.0, 30.0 * results / 1000)
        intake = partial(sis.intake, run.base_url, seeded.tenants[0], results, run.run_tag, limit)
        return with_cpu(run.server_pids, lambda: asyncio.run(intake()))

    attempt(run, "sis_intake", sis.TITLE, measure)


def pathway_scenario(run: Run, seeded: SeedResult) -> None:
    learners = run.config.pathway_learners
    if not run.config.runs("pathway"):
        return

    def measure() -> ScenarioResult:
        if not asyncio.run(_sis_available(run.base_url)):
            return pathway.not_available(learners)
        if not run.workers:  # the SIS scenario did not run, so nothing started them
            run.workers.append(run.launch().start_worker(free_port()))
        metrics = [worker.metrics_url for worker in run.workers if worker.metrics_url]
        tenant = seeded.tenants[-1]  # not the SIS scenario's
        limit = max(120.0, 0.5 * learners)
        journey = partial(pathway.run, run.base_url, tenant, learners, run.run_tag, metrics, limit)
        return with_cpu(run.server_pids, lambda: asyncio.run(journey()))

    attempt(run, "pathway_intake", pathway.TITLE, measure)


async def _sis_available(base_url: str) -> bool:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return await sis.available(client)


# --- profile pass -----------------------------------------------------------------------------


def profile_pass(run: Run, context: scenarios.Context, seeded: SeedResult, py_spy: str) -> None:
    """Re-run the main paths under py-spy (results not reported) and summarise the samples."""
    if run.server is None:
        return
    high, low = run.config.high, run.config.low
    seconds = min(run.config.duration, 10.0)
    jobs: dict[str, tuple[str, Callable[[], object]]] = {
        f"single_issue_c{high}": ("issue", lambda: scenarios.single_issue(context, high)),
        f"single_issue_full_c{high}": (
            "issue",
            lambda: scenarios.single_issue(context, high, scenarios.FULL_ISSUE),
        ),
        "batch_1_clients": (
            "batch",
            lambda: batch_run(run, seeded, 1, seconds, run.run_tag + "p"),
        ),
        f"verify_c{high}": ("verify", lambda: scenarios.verify(context, high)),
        f"status_list_200_c{high}": (
            "status",
            lambda: scenarios.status_list(context, high, False),
        ),
        f"catalogue_c{low}": ("catalogue", lambda: scenarios.catalogue(context, low)),
        f"public_page_c{low}": ("pages", lambda: scenarios.public_page(context, low)),
    }
    for key, (group, job) in jobs.items():
        if not run.config.runs(group):
            continue
        say(f"profiling {key}")
        output = run.config.output_dir / f"{run.stem}-profile-{key}.txt"
        recording = profile.record(
            py_spy, run.server.pid, seconds, output, run.pinning, run.config.workers > 1
        )
        time.sleep(0.5)  # py-spy attaches
        job()
        recording.finish()
        scenarios.settle(context)
        run.profiles[key] = profile.summarise(output)


# --- the run ----------------------------------------------------------------------------------


def start_service(run: Run) -> str:
    """Database, migrations, operator key and the server; returns the operator key."""
    config = run.config
    database_url = prepare_database(run)
    run.postgres_version = asyncio.run(database.server_version(database_url))
    port = free_port()
    run.base_url = f"http://127.0.0.1:{port}"
    env = server_env(database_url, port, run.source_dir, config.settings)
    run.launcher = Launcher(env, run.source_dir, run.pinning, run.log_dir)
    say("migrating (stapel migrate)")
    database.migrate(env, run.source_dir)
    operator = database.create_operator_key(env, run.source_dir)
    say(f"starting stapel serve --workers {config.workers} on port {port} ({run.pinning.note})")
    run.server = run.launcher.start_server(port, config.workers)
    return operator


def execute(run: Run, wrk_path: str, py_spy: str | None) -> SeedResult:
    config = run.config
    operator = start_service(run)
    seeded = seed_data(run, operator)
    database_url = run.launch().env["STAPEL_DATABASE_URL"]
    seeded.seconds["vacuum_analyze"] = round(asyncio.run(database.analyze(database_url)), 2)
    say(f"VACUUM ANALYZE took {seeded.seconds['vacuum_analyze']:.1f} s")
    say("measuring floors (sign, insert)")
    run.floors = asyncio.run(floors.measure(database_url, seeded.sample, config.floor_seconds))
    say(f"  floors: {run.floors.as_dict()}")
    context = scenarios.Context(
        config,
        Wrk(wrk_path, run.pinning, run.work_dir),
        run.base_url,
        seeded,
        run.work_dir,
        run.run_tag,
        run.server_pids,
    )
    wrk_scenarios(run, context)
    batch_scenarios(run, seeded)
    sis_scenario(run, seeded)
    if py_spy:
        profile_pass(run, context, seeded, py_spy)
    # Last: once a pathway is published, every issuance also writes a pathway event.
    pathway_scenario(run, seeded)
    return seeded


def run_benchmark(config: RunConfig) -> int:
    began = time.monotonic()
    started = datetime.now(UTC)
    pinning = choose_pinning()
    pinning.pin_this_process()
    wrk_path = ensure_wrk()
    py_spy = profile.find(config.py_spy)
    stem = started.strftime("%Y%m%dT%H%M%SZ") + ("-smoke" if config.smoke else "")
    with ExitStack() as stack:
        work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stapel-bench-")))
        run = Run(config, pinning, stem, started.strftime("%H%M%S"), work_dir)
        run.source_dir = work_dir / "app-source"
        if config.app_ref:
            run.commit = export_ref(config.app_ref, run.source_dir)
        else:
            snapshot_work_tree(run.source_dir)
            run.commit = git_commit(REPO) + " (work tree, copied at start)"
        stack.callback(_cleanup, run)
        seeded = execute(run, wrk_path, py_spy)
        memory = run.memory()
        run.stop_processes()
    report.add_ratios(run.results, run.floors)
    goals = report.targets(run.results, memory, config.high, config.low)
    wall = time.monotonic() - began
    document = _document(run, seeded, memory, started, wrk_version(wrk_path), wall)
    json_path, md_path = report.write(config.output_dir, stem, document, run.results, goals)
    print(md_path.read_text())
    say(f"wrote {json_path} and {md_path} (wall time {wall:.0f} s)")
    broken = [r.key for r in run.results if r.broken]
    if broken:
        say(f"scenarios with errors: {', '.join(broken)}")
        return 1
    return 0


def _cleanup(run: Run) -> None:
    run.stop_processes()
    if not run.config.database_url and not run.config.keep_database:
        try:
            asyncio.run(database.drop(run.config.admin_url, run.database_name))
        except HarnessError as exc:
            say(f"could not drop the benchmark database: {exc}")


def _plain(value: object) -> object:
    """A configuration value as JSON can hold it."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, frozenset):
        return sorted(value)
    return value


def _document(
    run: Run,
    seeded: SeedResult,
    memory: list[ProcessMemory],
    started: datetime,
    wrk: str,
    wall: float,
) -> dict[str, Any]:
    config = {k: _plain(v) for k, v in asdict(run.config).items()}
    config.pop("database_url", None)  # may carry a password
    config.pop("admin_url", None)
    return {
        "meta": {
            "started": started.isoformat(timespec="seconds"),
            "commit": run.commit,
            "machine": asdict(machine_info()),
            "postgres": run.postgres_version,
            "wrk": wrk,
            "pinning": run.pinning.note,
            "config": config,
            "wall_seconds": round(wall, 1),
            "load_average": f"{run.load_at_start} at start, {load_average()} at end",
        },
        "seeding": {
            "counts": seeded.counts,
            "seconds": seeded.seconds,
            "credentials_per_s": round(seeded.credentials_per_second, 1),
            "scopes": seeded.scopes,
            "retried_requests": seeded.retries,
        },
        "floors": run.floors.as_dict() if run.floors else None,
        "memory": [asdict(m) for m in memory],
        "profiles": run.profiles,
    }
