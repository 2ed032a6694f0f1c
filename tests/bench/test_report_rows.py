"""The benchmark report's scenario table."""

from __future__ import annotations

from bench import report
from bench.results import ScenarioResult


def _result(rate: float | None, server_cores: float | None) -> ScenarioResult:
    return ScenarioResult(
        "verify_c64",
        "d. verification",
        "POST /v1/verify",
        64,
        requests_per_s=rate,
        server_cores=server_cores,
    )


def test_a_row_gives_the_server_cpu_each_request_cost() -> None:
    (row,) = report.scenario_rows([_result(2_500.0, 0.95)])

    assert row[report.SCENARIO_HEADERS.index("server µs/req")] == "380"


def test_a_row_without_a_rate_or_the_server_cpu_gives_no_cost() -> None:
    rows = report.scenario_rows([_result(None, 0.95), _result(2_500.0, None)])

    assert [row[report.SCENARIO_HEADERS.index("server µs/req")] for row in rows] == ["-", "-"]
