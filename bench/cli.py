"""``python -m bench run [options]``: the benchmark harness; ``python -m bench inprocess``: the
app driven in-process over a kept data set, timed or with its instructions counted."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.config import DEFAULT_ADMIN_URL, RESULTS_DIR, SCENARIO_GROUPS, RunConfig, smoke
from bench.environment import HarnessError
from bench.inprocess_runs import InprocessRun
from bench.inprocess_runs import main as run_inprocess
from bench.runner import run_benchmark


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark Stapel: the real server on a real Postgres, driven by wrk.",
    )
    commands = main.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="seed a data set, run every scenario, write a report")
    run.add_argument("--workers", type=int, default=1, help="stapel serve --workers (default 1)")
    run.add_argument(
        "--sis-workers",
        type=int,
        default=1,
        help="stapel worker processes for the SIS scenario (default 1)",
    )
    run.add_argument(
        "--duration", type=float, default=15.0, help="seconds per scenario (default 15)"
    )
    run.add_argument(
        "--warmup", type=float, default=3.0, help="warm-up seconds before each (default 3)"
    )
    run.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="data-set size: 1.0 = 10,000 achievements, 100,000 credentials (default 1.0)",
    )
    run.add_argument(
        "--smoke",
        action="store_true",
        help="tiny and quick (scale 0.001, ~1 s per scenario) for CI; fails only on errors",
    )
    run.add_argument(
        "--database-url",
        help="use this existing database (migrated, not recreated); default: recreate "
        "stapel_bench_<time>_<pid> on the server of --admin-url",
    )
    run.add_argument(
        "--admin-url",
        default=DEFAULT_ADMIN_URL,
        help=f"Postgres to create the run's database on (default {DEFAULT_ADMIN_URL})",
    )
    run.add_argument(
        "--keep-database", action="store_true", help="do not drop the run's database at the end"
    )
    run.add_argument(
        "--output", type=Path, default=RESULTS_DIR, help="report directory (bench/results)"
    )
    run.add_argument(
        "--py-spy",
        metavar="PATH",
        help="profile the server with this py-spy after the measured scenarios",
    )
    run.add_argument(
        "--app-ref",
        metavar="REF",
        help="run the server from this git ref (e.g. HEAD), exported with git archive, "
        "instead of the work tree",
    )
    run.add_argument(
        "--only",
        metavar="GROUPS",
        help="run only these scenario groups, comma-separated, from "
        f"{','.join(SCENARIO_GROUPS)} (default all); floors always run",
    )
    run.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="STAPEL_NAME=VALUE",
        help="a setting for the server and the SIS worker (repeatable), e.g. "
        "STAPEL_CATALOGUE_CACHE_SECONDS=0 to measure without the catalogue cache",
    )
    inprocess = commands.add_parser(
        "inprocess",
        help="drive the app in-process (ASGI, no socket) over a data set a run kept",
        description="Drive the app in-process over a data set that `run --keep-database` kept, "
        "seeded with the keys given here as --setting; print the rate and the CPU a request, "
        "or with --count-instructions the instructions a request (callgrind).",
    )
    inprocess.add_argument("what", choices=("healthz", "issue", "verify"))
    inprocess.add_argument(
        "--database-url", required=True, help="the kept data set (postgresql://...)"
    )
    inprocess.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="STAPEL_NAME=VALUE",
        help="a setting for the app (repeatable); the data set's STAPEL_KEY_ENCRYPTION_KEY and "
        "STAPEL_LEARNER_LOOKUP_KEY at least",
    )
    inprocess.add_argument("--requests", type=int, default=3000, help="measured (default 3000)")
    inprocess.add_argument("--concurrency", type=int, default=64, help="clients (default 64)")
    inprocess.add_argument(
        "--warmup", type=int, default=256, help="requests before measuring (default 256)"
    )
    inprocess.add_argument(
        "--app-dir",
        type=Path,
        help="import the app from this tree instead of the work tree (e.g. a git worktree of "
        "the commit before a change)",
    )
    inprocess.add_argument(
        "--count-instructions",
        action="store_true",
        help="run twice under callgrind (--requests and 3x as many) and print the instructions "
        "one request adds",
    )
    return main


def server_settings(values: list[str]) -> tuple[str, ...]:
    for value in values:
        name, equals, _ = value.partition("=")
        if not name.startswith("STAPEL_") or not equals:
            raise HarnessError(f"--setting takes STAPEL_NAME=VALUE, not {value!r}")
    return tuple(values)


def scenario_groups(value: str | None) -> frozenset[str]:
    if value is None:
        return frozenset(SCENARIO_GROUPS)
    groups = frozenset(part.strip() for part in value.split(",") if part.strip())
    unknown = groups - set(SCENARIO_GROUPS)
    if unknown or not groups:
        raise HarnessError(f"--only takes groups from {', '.join(SCENARIO_GROUPS)}")
    return groups


def config_from(args: argparse.Namespace) -> RunConfig:
    if args.workers < 1:
        raise HarnessError("--workers must be at least 1")
    if args.sis_workers < 1:
        raise HarnessError("--sis-workers must be at least 1")
    config = RunConfig(
        workers=args.workers,
        duration=args.duration,
        warmup=args.warmup,
        scale=args.scale,
        smoke=False,
        database_url=args.database_url,
        admin_url=args.admin_url,
        output_dir=args.output,
        keep_database=args.keep_database,
        py_spy=args.py_spy,
        app_ref=args.app_ref,
        only=scenario_groups(args.only),
        settings=server_settings(args.setting),
        sis_workers=args.sis_workers,
    )
    return smoke(config) if args.smoke else config


def inprocess_from(args: argparse.Namespace) -> InprocessRun:
    if args.requests < 1 or args.concurrency < 1 or args.warmup < 0:
        raise HarnessError("--requests and --concurrency must be at least 1, --warmup at least 0")
    if args.app_dir is not None and not (args.app_dir / "app" / "main.py").is_file():
        raise HarnessError(f"--app-dir {args.app_dir} holds no app/")
    return InprocessRun(
        what=args.what,
        database_url=args.database_url,
        settings=server_settings(args.setting),
        requests=args.requests,
        concurrency=args.concurrency,
        warmup=args.warmup,
        count_instructions=args.count_instructions,
        app_dir=args.app_dir,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "inprocess":
            return run_inprocess(inprocess_from(args))
        return run_benchmark(config_from(args))
    except HarnessError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
