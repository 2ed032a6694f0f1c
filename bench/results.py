"""What a scenario measured, in one shape for the JSON report and the markdown table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bench.wrk import WrkResult

Status = Literal["ok", "errors", "failed", "not available"]


@dataclass
class ScenarioResult:
    key: str  # stable id, e.g. "single_issue_c64"
    title: str  # e.g. "b. single issuance"
    endpoint: str
    concurrency: int | None
    status: Status = "ok"
    seconds: float = 0.0
    requests: int = 0
    requests_per_s: float | None = None
    credentials_per_s: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    p999_ms: float | None = None  # p99.9
    errors: int = 0
    server_cores: float | None = None  # CPU the server processes used, in cores
    machine_busy_cores: float | None = None  # CPU everything on the machine used
    # GET /healthz at the same concurrency just before this scenario (before its warm-up), for
    # the scenarios given as a share of it.
    healthz_beside_per_s: float | None = None
    ratio: float | None = None
    ratio_basis: str = ""
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def record_latencies(self, seconds: list[float]) -> None:
        """p50, p99 and p99.9 of per-request latencies in seconds (the httpx-driven
        scenarios); with fewer than 1,000 requests p99.9 is the slowest."""
        ordered = sorted(seconds)
        self.p50_ms, self.p99_ms, self.p999_ms = (
            round(percentile(ordered, share) * 1000, 1) for share in (0.50, 0.99, 0.999)
        )

    @property
    def broken(self) -> bool:
        """The scenario errored (as opposed to being slow): this fails a --smoke run."""
        return self.status in ("errors", "failed")


def from_wrk(
    key: str,
    title: str,
    endpoint: str,
    concurrency: int,
    measured: WrkResult,
    noted: dict[str, float],
    credentials_per_request: int = 0,
) -> ScenarioResult:
    """The scenario's result from its wrk run and what was ``noted`` around it (the CPU used,
    ``/healthz`` beside it)."""
    rps = measured.requests_per_second
    result = ScenarioResult(
        key=key,
        title=title,
        endpoint=endpoint,
        concurrency=concurrency,
        status="errors" if measured.errors else "ok",
        seconds=round(measured.seconds, 2),
        requests=measured.requests,
        requests_per_s=round(rps, 1),
        credentials_per_s=round(rps * credentials_per_request, 1)
        if credentials_per_request
        else None,
        p50_ms=measured.latency_ms["p50"],
        p99_ms=measured.latency_ms["p99"],
        p999_ms=measured.latency_ms["p999"],
        errors=measured.errors,
        server_cores=noted.get("server_cores"),
        machine_busy_cores=noted.get("machine_busy_cores"),
        healthz_beside_per_s=noted.get("healthz_beside_per_s"),
        detail={
            "statuses": measured.statuses,
            "socket_errors": measured.socket_errors,
            "latency_ms": measured.latency_ms,
        },
    )
    if measured.distinct is not None:
        result.detail["distinct_sent"] = measured.distinct
    if measured.requests == 0:
        result.status = "errors"
        result.note = "no request completed within the run"
    return result


def failed(key: str, title: str, reason: str) -> ScenarioResult:
    concurrency = int(key.rsplit("_c", 1)[1]) if key.rsplit("_c", 1)[-1].isdigit() else None
    return ScenarioResult(
        key=key, title=title, endpoint="-", concurrency=concurrency, status="failed", note=reason
    )


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an already sorted list (share in 0..1)."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(share * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]
