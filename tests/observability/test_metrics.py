"""/metrics: requests by route template, credentials issued and changed, verifications, the pool."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.config import get_settings
from app.main import create_app
from app.observability import metrics
from tests.credentials.helpers import issue, issue_payload, published_achievement
from tests.factories import Tenant


@pytest.fixture
def tenant(suspending_tenant: Tenant) -> Tenant:
    """Suspension is offered: every kind of status change is counted."""
    return suspending_tenant


async def _scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(
    scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


async def test_requests_are_counted_by_route_template_never_by_path(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential = await issue(client, tenant, (await published_achievement(client, tenant))["id"])
    before = await _scrape(client)
    for _ in range(3):
        fetched = await client.get(f"/v1/credentials/{credential['id']}", headers=tenant.headers)
        assert fetched.status_code == 200
    missing = await client.get(
        "/v1/credentials/00000000-0000-0000-0000-000000000000", headers=tenant.headers
    )
    assert missing.status_code == 404
    assert (await client.get("/no/such/path/s1234567")).status_code == 404
    after = await _scrape(client)

    template = "/v1/credentials/{credential_id}"
    series = "stapel_http_requests_total"
    found = {"method": "GET", "route": template, "status": "200"}
    assert _value(after, series, **found) - _value(before, series, **found) == 3
    not_found = {"method": "GET", "route": template, "status": "404"}
    assert _value(after, series, **not_found) - _value(before, series, **not_found) == 1
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert _value(after, series, **unmatched) - _value(before, series, **unmatched) == 1
    count = "stapel_http_request_duration_seconds_count"
    timed = {"method": "GET", "route": template}
    assert _value(after, count, **timed) - _value(before, count, **timed) == 4

    routes = {dict(labels).get("route") for _, labels in after}
    assert not any(route and credential["id"] in route for route in routes)
    assert not any(route and "s1234567" in route for route in routes)


async def test_graphql_requests_are_counted_under_their_route(
    client: httpx.AsyncClient,
) -> None:
    before = await _scrape(client)
    answered = await client.post("/graphql", json={"query": "{ achievements { totalCount } }"})
    assert answered.status_code == 200
    after = await _scrape(client)
    graphql = {"method": "POST", "route": "/graphql", "status": "200"}
    series = "stapel_http_requests_total"
    assert _value(after, series, **graphql) - _value(before, series, **graphql) == 1


async def test_issuance_status_changes_and_verifications_are_counted(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = (await published_achievement(client, tenant))["id"]
    before = await _scrape(client)

    credential = await issue(client, tenant, achievement)
    batch = await client.post(
        "/v1/credentials/batch",
        json={"items": [issue_payload(achievement) for _ in range(3)]},
        headers=tenant.headers,
    )
    assert batch.json()["issued"] == 3, batch.text
    # A replay issues nothing new.
    keyed = {**tenant.headers, "Idempotency-Key": "observability-replay"}
    for _ in range(2):
        replay = await client.post(
            "/v1/credentials", json=issue_payload(achievement), headers=keyed
        )
        assert replay.status_code in (200, 201)

    for action, body in (
        ("suspend", {"reason_code": "under_investigation"}),
        ("reinstate", None),
        ("revoke", {"reason_code": "fraud"}),
    ):
        changed = await client.post(
            f"/v1/credentials/{credential['id']}/{action}", json=body, headers=tenant.headers
        )
        assert changed.status_code == 200, changed.text

    other = await issue(client, tenant, achievement)
    good = await client.post("/v1/verify", json={"verifiableCredential": other["jwt"]})
    assert good.json()["verified"] is True
    head, payload, signature = str(other["jwt"]).split(".")
    forged = f"{head}.{payload}.{signature[:-4]}AAAA"
    bad = await client.post("/v1/verify", json={"verifiableCredential": forged})
    assert bad.json()["verified"] is False
    vcapi = await client.post("/credentials/verify", json={"verifiableCredential": other["jwt"]})
    assert vcapi.status_code == 200, vcapi.text

    after = await _scrape(client)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("stapel_credentials_issued_total") == 1 + 3 + 1 + 1
    for action in ("suspend", "reinstate", "revoke"):
        assert delta("stapel_credentials_status_changes_total", action=action) == 1
    assert delta("stapel_verifications_total", result="verified") == 2
    assert delta("stapel_verifications_total", result="failed") == 1
    assert delta("stapel_verification_failures_total", check="signature") == 1
    verify = {"method": "POST", "route": "/v1/verify", "status": "200"}
    assert delta("stapel_http_requests_total", **verify) == 2


async def test_pool_gauges_and_worker_metrics_are_exposed(client: httpx.AsyncClient) -> None:
    scraped = await _scrape(client)
    assert _value(scraped, "stapel_db_pool_size") >= 1
    assert ("stapel_db_pool_checked_out", frozenset()) in scraped
    assert ("stapel_db_pool_overflow", frozenset()) in scraped
    # Defined here for the worker; present from the start.
    names = {name for name, _ in scraped}
    assert {"stapel_sis_queue_depth", "stapel_webhook_deliveries_failed_total"} <= names


def test_render_latest_serves_a_separate_process() -> None:
    metrics.count_sis_result("issued")
    metrics.set_sis_queue(7, 12.5)
    metrics.count_webhook_attempt("delivered")
    metrics.count_webhook_failed()
    body, content_type = metrics.render_latest()
    assert content_type.startswith("text/plain")
    every = [
        sample
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    ]
    samples: dict[str, Any] = {sample.name: sample for sample in every}
    assert samples["stapel_sis_queue_depth"].value == 7
    assert samples["stapel_sis_queue_oldest_age_seconds"].value == 12.5
    # Other tests of the session may have counted other outcomes before this one.
    assert any(
        s.name == "stapel_sis_results_total" and s.labels == {"outcome": "issued"} and s.value >= 1
        for s in every
    )
    assert samples["stapel_webhook_delivery_attempts_total"].value >= 1
    assert samples["stapel_webhook_deliveries_failed_total"].value >= 1


async def test_metrics_are_off_the_api_port_unless_configured() -> None:
    for on_api_port, status in ((False, 404), (True, 200)):
        configured = get_settings().model_copy(update={"metrics_on_api_port": on_api_port})
        transport = httpx.ASGITransport(app=create_app(configured))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            assert (await http.get("/metrics")).status_code == status
