"""``python -m bench run [options]``: the one command of the benchmark harness."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.config import DEFAULT_ADMIN_URL, RESULTS_DIR, SCENARIO_GROUPS, RunConfig, smoke
from bench.environment import HarnessError
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


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run_benchmark(config_from(args))
    except HarnessError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
