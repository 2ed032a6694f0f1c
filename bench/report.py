"""Ratios, targets, and the JSON and markdown reports of a run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.config import SIS_RESULTS
from bench.floors import ISSUANCE_LOOKUPS, SINGLE_CONNECTIONS, Floors
from bench.processes import ProcessMemory
from bench.results import ScenarioResult

# Scenarios compared with GET /healthz at the same concurrency.
AGAINST_TRIVIAL = (
    "single_issue",
    "verify",
    "verify_sd_jwt_vc",
    "status_list_200",
    "status_list_304",
    "public_page",
    "claim_page",
)
PEAK_RSS_LIMIT_MB = 250.0


@dataclass(frozen=True)
class Target:
    name: str
    goal: str
    measured: str
    holds: bool | None  # None: not measured


# --- ratios -----------------------------------------------------------------------------------


def by_key(results: list[ScenarioResult]) -> dict[str, ScenarioResult]:
    return {result.key: result for result in results}


def add_ratios(results: list[ScenarioResult], floors: Floors | None) -> None:
    found = by_key(results)
    for result in results:
        if result.status in ("failed", "not available"):
            continue
        prefix = result.key.rsplit("_c", 1)[0]
        trivial = found.get(f"healthz_c{result.concurrency}")
        if prefix in AGAINST_TRIVIAL and (beside := result.healthz_beside_per_s):
            result.ratio = round((result.requests_per_s or 0) / beside, 3)
            result.ratio_basis = (
                f"x GET /healthz at c{result.concurrency} beside it ({beside:,.0f}/s)"
            )
        elif prefix in AGAINST_TRIVIAL and trivial and trivial.requests_per_s:
            result.ratio = round((result.requests_per_s or 0) / trivial.requests_per_s, 3)
            result.ratio_basis = f"x GET /healthz at c{result.concurrency}"
        elif prefix == "single_issue_full" and (
            minimal := found.get(f"single_issue_c{result.concurrency}")
        ):
            if minimal.requests_per_s:
                result.ratio = round((result.requests_per_s or 0) / minimal.requests_per_s, 3)
                result.ratio_basis = f"x minimal request at c{result.concurrency}"
        elif prefix in ("pickup", "sd_jwt_vc_pickup") and (
            single := found.get(f"single_issue_c{result.concurrency}")
        ):
            if single.requests_per_s:
                result.ratio = round((result.requests_per_s or 0) / single.requests_per_s, 3)
                result.ratio_basis = f"x POST /v1/credentials at c{result.concurrency}"
        elif result.credentials_per_s and floors and result.key.startswith(("batch", "sis")):
            result.ratio = round(result.credentials_per_s / floors.batch_per_s, 3)
            result.ratio_basis = "x sign+insert floor"


# --- targets ----------------------------------------------------------------------------------


def _usable(result: ScenarioResult | None) -> ScenarioResult | None:
    return result if result and result.status in ("ok", "errors") else None


def _ratio_target(
    name: str,
    result: ScenarioResult | None,
    minimum: float,
    at: str,
    p99_below_ms: float | None = None,
    of: str = "GET /healthz",
) -> Target:
    """``result``'s ratio at least ``minimum`` (and its p99 under ``p99_below_ms``, if given)."""
    tail = f" and p99 < {p99_below_ms:g} ms" if p99_below_ms is not None else ""
    goal = f"≥ {minimum:.2f} of {of}{tail} at {at}"
    if not (result := _usable(result)) or result.ratio is None:
        return Target(name, goal, "not measured", None)
    if p99_below_ms is None:
        return Target(name, goal, f"{result.ratio:.2f}", result.ratio >= minimum)
    if result.p99_ms is None:
        return Target(name, goal, "not measured", None)
    holds = result.ratio >= minimum and result.p99_ms < p99_below_ms
    return Target(name, goal, f"{result.ratio:.2f}, p99 {result.p99_ms:.0f} ms", holds)


def _p50_target(name: str, result: ScenarioResult | None, limit_ms: float, at: str) -> Target:
    goal = f"p50 ≤ {limit_ms:g} ms at {at}"
    if not (result := _usable(result)) or result.p50_ms is None:
        return Target(name, goal, "not measured", None)
    return Target(name, goal, f"p50 {result.p50_ms:.1f} ms", result.p50_ms <= limit_ms)


def _batch_target(found: dict[str, ScenarioResult]) -> Target:
    ratios = [
        r.ratio
        for key in ("batch_1_clients", "batch_2_clients")
        if (r := _usable(found.get(key)))
        if r.ratio is not None
    ]
    goal = "≥ 0.50 of the sign+insert floor (best of 1 and 2 clients)"
    if not ratios:
        return Target("batch issuance", goal, "not measured", None)
    return Target("batch issuance", goal, f"{max(ratios):.2f}", max(ratios) >= 0.50)


def _catalogue_target(found: dict[str, ScenarioResult], low: int) -> Target:
    result = _usable(found.get(f"catalogue_c{low}"))
    goal = f"p99 < 50 ms at c{low}"
    if not result or result.p99_ms is None:
        return Target("catalogue page", goal, "not measured", None)
    return Target("catalogue page", goal, f"p99 {result.p99_ms:.0f} ms", result.p99_ms < 50)


def _public_page_target(found: dict[str, ScenarioResult], low: int) -> Target:
    result = _usable(found.get(f"public_page_c{low}"))
    goal = f"p99 < 20 ms at c{low}"
    if not result or result.p99_ms is None:
        return Target("public credential page", goal, "not measured", None)
    ratio = f", {result.ratio:.2f} of GET /healthz" if result.ratio is not None else ""
    measured = f"p99 {result.p99_ms:.1f} ms{ratio}"
    return Target("public credential page", goal, measured, result.p99_ms < 20)


def _sis_target(found: dict[str, ScenarioResult]) -> Target:
    result = _usable(found.get("sis_intake"))
    if not result:
        return Target("SIS intake", "10,000 results < 10 s", "not available", None)
    results = int(result.detail.get("results", SIS_RESULTS))
    limit = 10.0 * results / SIS_RESULTS
    goal = f"{results:,} results < {limit:g} s"
    return Target("SIS intake", goal, f"{result.seconds:.1f} s", result.seconds < limit)


def _memory_target(memory: list[ProcessMemory]) -> Target:
    goal = f"peak RSS < {PEAK_RSS_LIMIT_MB:.0f} MB per process"
    if not memory:
        return Target("memory", goal, "not measured", None)
    worst = max(memory, key=lambda m: m.peak_rss_mb)
    return Target(
        "memory",
        goal,
        f"{worst.peak_rss_mb:.0f} MB ({worst.role})",
        worst.peak_rss_mb < PEAK_RSS_LIMIT_MB,
    )


def targets(
    results: list[ScenarioResult], memory: list[ProcessMemory], high: int, low: int
) -> list[Target]:
    found = by_key(results)
    return [
        _ratio_target("single issuance", found.get(f"single_issue_c{high}"), 0.20, f"c{high}", 100),
        _p50_target("single issuance, 1 client", found.get("single_issue_c1"), 4.7, "c1"),
        _ratio_target(
            "single issuance, full EU elements",
            found.get(f"single_issue_full_c{high}"),
            0.80,
            f"c{high}",
            of="the minimal request's rate",
        ),
        _batch_target(found),
        _ratio_target(
            "verification, distinct credentials",
            found.get(f"verify_c{high}"),
            0.30,
            f"c{high}",
            100,
        ),
        _ratio_target("status list fetch", found.get(f"status_list_200_c{high}"), 0.80, f"c{high}"),
        _catalogue_target(found, low),
        _public_page_target(found, low),
        _sis_target(found),
        _memory_target(memory),
    ]


# --- writing ----------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _holds(value: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "-"}[value]


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def server_microseconds(result: ScenarioResult) -> float | None:
    """The server's CPU time per request. The ratios compare rates, which move with the load of
    the machine's neighbours; what a request costs the server moves far less, and a target
    ratio to ``/healthz`` is a ratio of these costs wherever the server's core is the limit."""
    if not result.server_cores or not result.requests_per_s:
        return None
    return result.server_cores / result.requests_per_s * 1_000_000


def scenario_rows(results: list[ScenarioResult]) -> list[list[str]]:
    def ratio(r: ScenarioResult) -> str:
        return f"{r.ratio:.2f} {r.ratio_basis}" if r.ratio is not None else "-"

    return [
        [
            r.title,
            r.endpoint,
            str(r.concurrency) if r.concurrency is not None else "-",
            _num(r.requests_per_s, 1 if (r.requests_per_s or 0) < 100 else 0),
            _num(r.credentials_per_s),
            _num(r.p50_ms, 1),
            _num(r.p99_ms, 1),
            _num(r.p999_ms, 1),
            _num(r.server_cores, 2),
            _num(server_microseconds(r)),
            _num(r.machine_busy_cores, 2),
            str(r.errors) if r.status != "failed" else "failed",
            ratio(r) if r.status != "not available" else "not available",
        ]
        for r in results
    ]


def _header(meta: dict[str, Any], seed: dict[str, Any]) -> list[str]:
    machine, config, seconds = meta["machine"], meta["config"], seed["seconds"]
    smoke = " (smoke run)" if config["smoke"] else ""
    counts = ", ".join(f"{v:,} {k}" for k, v in seed["counts"].items())
    return [
        f"# Stapel benchmark {meta['started']}",
        "",
        f"App {meta['commit']}; {machine['cores']} cores ({machine['cpu_model']}), "
        f"{machine['memory_gib']} GiB; Python {machine['python']}; Postgres {meta['postgres']}; "
        f"{meta['wrk']}.",
        f"Server: `stapel serve --workers {config['workers']}`; SIS workers "
        f"{config['sis_workers']} (`stapel worker`); pinning: {meta['pinning']}.",
        f"Each scenario {config['duration']} s after {config['warmup']} s warm-up{smoke}; "
        f"load average {meta['load_average']}; wall time {meta['wall_seconds']:.0f} s.",
        "",
        f"Data set: {counts}; seeded in {seconds['total']:.1f} s (institutions "
        f"{seconds['institutions']:.1f} s, achievements {seconds['achievements']:.1f} s, "
        f"credentials {seconds['credentials']:.1f} s = {seed['credentials_per_s']:,.0f} "
        f"credentials/s in batches of {config['batch_size']:,}), then VACUUM ANALYZE "
        f"{seconds.get('vacuum_analyze', 0):.1f} s.",
        "",
    ]


SCENARIO_HEADERS = [
    "scenario",
    "endpoint",
    "conc.",
    "req/s",
    "cred/s",
    "p50 ms",
    "p99 ms",
    "p99.9 ms",
    "server CPU",
    "server µs/req",
    "machine CPU",
]


def _floor_rows(floors: dict[str, Any]) -> list[list[str]]:
    per_transaction = "1,000 rows per transaction"
    return [
        [
            "ES256 sign",
            f"{floors['sign_per_s']:,.0f}/s",
            f"compact JWS of a real {floors['payload_bytes']:,}-byte credential "
            f"({floors['jws_bytes']:,}-byte JWS), cryptography",
        ],
        [
            "insert (COPY)",
            f"{floors['copy_rows_per_s']:,.0f} rows/s",
            f"asyncpg copy_records_to_table, {per_transaction}, "
            f"~{floors['row_bytes']:,} bytes per row",
        ],
        [
            "insert (executemany)",
            f"{floors['executemany_rows_per_s']:,.0f} rows/s",
            f"asyncpg executemany, {per_transaction}",
        ],
        [
            "batch floor",
            f"{floors['batch_floor_per_s']:,.0f}/s",
            "1 / (1/sign + 1/best insert)",
        ],
        [
            "one row per transaction",
            f"{floors.get('single_transactions_per_s', 0):,.0f}/s",
            f"asyncpg, BEGIN + one INSERT + COMMIT, {SINGLE_CONNECTIONS} connections",
        ],
        [
            "issuance-shaped transaction",
            f"{floors.get('issuance_shaped_transactions_per_s', 0):,.0f}/s",
            f"the same, with {ISSUANCE_LOOKUPS} indexed look-ups before the INSERT "
            "(an issuance's round trips)",
        ],
        [
            "single-credential floor",
            f"{floors.get('single_floor_per_s', 0):,.0f}/s",
            "1 / (1/sign + 1/one row per transaction)",
        ],
    ]


def _memory_rows(memory: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [m["role"], str(m["pid"]), _num(m["peak_rss_mb"], 1), _num(m["rss_mb"], 1)] for m in memory
    ]


def markdown(report: dict[str, Any], results: list[ScenarioResult], goals: list[Target]) -> str:
    lines = _header(report["meta"], report["seeding"])
    lines += ["## Scenarios", ""]
    lines += _table([*SCENARIO_HEADERS, "errors", "ratio"], scenario_rows(results))
    if report.get("floors"):
        lines += ["", "## Floors (same run, one core)", ""]
        lines += _table(["floor", "rate", "what"], _floor_rows(report["floors"]))
    lines += ["", "## Targets", ""]
    lines += _table(
        ["target", "goal", "measured", "met"],
        [[t.name, t.goal, t.measured, _holds(t.holds)] for t in goals],
    )
    lines += ["", "## Peak memory (VmHWM)", ""]
    lines += _table(
        ["process", "pid", "peak RSS MB", "RSS at end MB"], _memory_rows(report["memory"])
    )
    return "\n".join(lines)


def write(
    directory: Path,
    stem: str,
    report: dict[str, Any],
    results: list[ScenarioResult],
    goals: list[Target],
) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    report = {
        **report,
        "scenarios": [asdict(r) for r in results],
        "targets": [asdict(t) for t in goals],
    }
    json_path, md_path = directory / f"{stem}.json", directory / f"{stem}.md"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    md_path.write_text(markdown(report, results, goals) + "\n")
    return json_path, md_path
