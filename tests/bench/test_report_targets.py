"""The benchmark report's ratios and targets: each says met or not met by its own figures."""

from __future__ import annotations

from bench import report
from bench.results import ScenarioResult


def _row(key: str, rate: float, p50: float = 1.0, p99: float = 50.0) -> ScenarioResult:
    concurrency = int(key.rsplit("_c", 1)[1])
    return ScenarioResult(
        key, key, "-", concurrency, requests_per_s=rate, p50_ms=p50, p99_ms=p99, p999_ms=p99
    )


def _targets(rows: list[ScenarioResult]) -> dict[str, report.Target]:
    report.add_ratios(rows, None)
    return {t.name: t for t in report.targets(rows, [], high=64, low=16)}


def test_full_request_is_held_against_the_minimal_one_at_the_same_concurrency() -> None:
    rows = [
        _row("healthz_c64", 1000),
        _row("single_issue_c64", 300),
        _row("single_issue_full_c64", 230),
    ]

    found = _targets(rows)

    assert rows[2].ratio == round(230 / 300, 3)
    assert rows[2].ratio_basis == "x minimal request at c64"
    assert found["single issuance, full EU elements"].holds is False
    rows[2].requests_per_s = 240
    assert _targets(rows)["single issuance, full EU elements"].holds is True


def test_single_issuance_at_one_client_is_held_to_its_median() -> None:
    met = _targets([_row("single_issue_c1", 200, p50=4.7)])
    missed = _targets([_row("single_issue_c1", 200, p50=4.8)])

    assert met["single issuance, 1 client"].holds is True
    assert missed["single issuance, 1 client"].holds is False


def test_verification_needs_its_ratio_and_its_tail() -> None:
    fast = [_row("healthz_c64", 1000), _row("verify_c64", 300, p99=99)]
    slow_tail = [_row("healthz_c64", 1000), _row("verify_c64", 300, p99=100)]
    slow_rate = [_row("healthz_c64", 1000), _row("verify_c64", 299, p99=50)]

    assert _targets(fast)["verification, distinct credentials"].holds is True
    assert _targets(slow_tail)["verification, distinct credentials"].holds is False
    assert _targets(slow_rate)["verification, distinct credentials"].holds is False


def test_a_target_without_its_scenario_is_not_measured() -> None:
    found = _targets([_row("healthz_c64", 1000)])

    assert found["single issuance, 1 client"].holds is None
    assert found["verification, distinct credentials"].measured == "not measured"


def test_a_ratio_is_taken_to_healthz_measured_beside_the_scenario() -> None:
    # The machine slowed after the run's own /healthz: the rate measured beside counts.
    verification = _row("verify_c64", 300, p99=50)
    verification.healthz_beside_per_s = 900.0
    rows = [_row("healthz_c64", 1500), verification]

    found = _targets(rows)

    assert verification.ratio == round(300 / 900, 3)
    assert verification.ratio_basis == "x GET /healthz at c64 beside it (900/s)"
    assert found["verification, distinct credentials"].holds is True


def test_without_healthz_beside_it_a_ratio_falls_back_to_the_runs_own() -> None:
    status = _row("status_list_200_c64", 1200)
    rows = [_row("healthz_c64", 1500), status]

    report.add_ratios(rows, None)

    assert status.ratio == round(1200 / 1500, 3)
    assert status.ratio_basis == "x GET /healthz at c64"


def test_a_full_request_is_not_held_against_healthz_beside_it() -> None:
    full = _row("single_issue_full_c64", 230)
    full.healthz_beside_per_s = 900.0  # not measured for it; ignored if it were
    rows = [_row("single_issue_c64", 300), full]

    report.add_ratios(rows, None)

    assert full.ratio_basis == "x minimal request at c64"
