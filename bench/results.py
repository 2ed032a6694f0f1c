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
    p999_ms: float | None = None  # p99.9: wrk's scenarios only
    errors: int = 0
    server_cores: float | None = None  # CPU the server processes used, in cores
    machine_busy_cores: float | None = None  # CPU everything on the machine used
    ratio: float | None = None
    ratio_basis: str = ""
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

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
    cpu: dict[str, float],
    credentials_per_request: int = 0,
) -> ScenarioResult:
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
        server_cores=cpu.get("server_cores"),
        machine_busy_cores=cpu.get("machine_busy_cores"),
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
