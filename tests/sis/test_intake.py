"""Receiving signed SIS events: verified, deduplicated, stored before the answer, never half."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.errors import DomainError
from app.observability import metrics
from app.sis import intake
from app.sis.schemas import Parsed
from tests.factories import Tenant
from tests.sis.properties import JSON, PROPERTIES, TEXT, assert_storable_rows
from tests.sis.simulator import Sis, connect_sis, course_result, scalar


async def _stored(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    events = await scalar(sessionmaker, "SELECT count(*) FROM sis_events")
    results = await scalar(sessionmaker, "SELECT count(*) FROM sis_results")
    return events, results


async def test_a_signed_result_is_accepted_and_stored_pending(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    response = await sis.record(course_result())
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["duplicate"] is False
    assert body["results"] == 1
    assert body["invalid"] == []
    event = await sis.event(body["event_id"])
    assert event["counts"]["pending"] == 1
    assert event["source"] == "webhook"
    assert event["event_type"] == "course_result.recorded"


async def test_the_same_webhook_id_is_stored_once(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    result = course_result()
    first = await sis.record(result, message_id="msg_once")
    again = await sis.record(result, message_id="msg_once")
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["event_id"] == first.json()["event_id"]
    assert await _stored(sessionmaker) == (1, 1)


async def test_a_different_body_under_a_used_webhook_id_is_refused_counted_and_logged(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sis = await connect_sis(client, tenant)
    first = await sis.record(course_result(student=1), message_id="msg_reused")
    before = metrics.SIS_MESSAGE_IDS_REUSED.labels("webhook")._value.get()
    with caplog.at_level(logging.WARNING, logger="app.sis.intake"):
        other = await sis.record(course_result(student=2), message_id="msg_reused")
    assert first.status_code == 202
    assert other.status_code == 409, other.text
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["code"] == "webhook_id_reused"
    assert metrics.SIS_MESSAGE_IDS_REUSED.labels("webhook")._value.get() == before + 1
    logged = [
        r.getMessage()
        for r in caplog.records
        if r.name == "app.sis.intake" and "msg_reused" in r.getMessage()
    ]
    assert len(logged) == 1
    assert "s0000002" not in logged[0]
    assert "Student 2" not in logged[0]
    assert await _stored(sessionmaker) == (1, 1)
    # The retry of the first body is still a duplicate, not a conflict.
    retry = await sis.record(course_result(student=1), message_id="msg_reused")
    assert retry.status_code == 200
    assert retry.json() == {**first.json(), "duplicate": True}


async def test_events_stored_before_bodies_were_digested_answer_a_repeated_id_as_before(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    first = await sis.record(course_result(student=1), message_id="msg_old")
    async with sessionmaker() as session, session.begin():
        await session.execute(text("UPDATE sis_events SET body_sha256 = NULL"))
    other = await sis.record(course_result(student=2), message_id="msg_old")
    assert other.status_code == 200, other.text
    assert other.json()["event_id"] == first.json()["event_id"]
    assert await _stored(sessionmaker) == (1, 1)


async def test_events_must_be_sent_as_json(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    body = orjson.dumps({"type": "course_result.recorded", "data": course_result()})
    for media_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = sis.signed(body)
        if media_type is None:
            del headers["content-type"]
        else:
            headers["content-type"] = media_type
        response = await client.post(sis.url, content=body, headers=headers)
        assert response.status_code == 415, (media_type, response.text)
        assert response.json()["code"] == "unsupported_media_type"
    with_charset = sis.signed(body) | {"content-type": "application/json; charset=utf-8"}
    accepted = await client.post(sis.url, content=body, headers=with_charset)
    assert accepted.status_code == 202, accepted.text
    assert await _stored(sessionmaker) == (1, 1)


async def test_unknown_members_of_the_envelope_are_refused_with_their_pointer(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"padding": "x" * 1000}, "#/padding"),
        ({"a/b": 1}, "#/a~1b"),
    ]
    for extra, pointer in cases:
        envelope = {"type": "course_result.recorded", "data": course_result(), **extra}
        body = orjson.dumps(envelope)
        response = await client.post(sis.url, content=body, headers=sis.signed(body))
        assert response.status_code == 422, response.text
        errors = response.json()["errors"]
        assert [(e["pointer"], e["code"]) for e in errors] == [(pointer, "unknown_member")]
    batch = orjson.dumps(
        {"type": "course_results.batch", "data": {"results": [course_result()], "more": []}}
    )
    response = await client.post(sis.url, content=batch, headers=sis.signed(batch))
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/data/more"]
    assert await _stored(sessionmaker) == (0, 0)


async def test_a_body_over_the_intake_limit_is_refused_before_it_is_read_whole(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sis = await connect_sis(client, tenant)
    monkeypatch.setattr(get_settings(), "sis_max_event_bytes", 2048)
    body = orjson.dumps(
        {"type": "course_results.batch", "data": {"results": [course_result()] * 20}}
    )
    assert len(body) > 2048
    response = await client.post(sis.url, content=body, headers=sis.signed(body))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no content-length: counted while streaming
        for start in range(0, len(body), 512):
            yield body[start : start + 512]

    streamed = await client.post(sis.url, content=chunks(), headers=sis.signed(body))
    assert streamed.status_code == 413
    assert await _stored(sessionmaker) == (0, 0)


async def test_a_wrong_signature_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
    response = await sis.record(course_result(), secret=other)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_signature"
    assert await _stored(sessionmaker) == (0, 0)


async def test_a_tampered_body_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    body = orjson.dumps({"type": "course_result.recorded", "data": course_result()})
    headers = sis.signed(body)
    tampered = body.replace(b'"7.5"', b'"9.5"')
    response = await client.post(sis.url, content=tampered, headers=headers)
    assert response.status_code == 401
    assert await _stored(sessionmaker) == (0, 0)


async def test_stale_and_future_timestamps_are_refused(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    for offset in (timedelta(minutes=-6), timedelta(minutes=6)):
        response = await sis.record(course_result(), at=datetime.now(UTC) + offset)
        assert response.status_code == 401
        assert response.json()["code"] == "stale_timestamp"
    assert await _stored(sessionmaker) == (0, 0)


async def test_missing_signature_headers_are_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    sis = await connect_sis(client, tenant)
    response = await client.post(sis.url, json={"type": "course_result.recorded", "data": {}})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"


OTHER_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="


def _refusals() -> list[Any]:
    """(how the delivery is spoilt, the reason logged): each way a signature is refused."""

    def headers(**changed: str) -> Any:
        def spoil(sis: Sis, body: bytes) -> dict[str, str]:
            return {**sis.signed(body), **changed}

        return spoil

    def other_secret(sis: Sis, body: bytes) -> dict[str, str]:
        return sis.signed(body, secret=OTHER_SECRET)

    def ten_minutes_ago(sis: Sis, body: bytes) -> dict[str, str]:
        return sis.signed(body, at=datetime.now(UTC) - timedelta(minutes=10))

    cases = {
        "signature_mismatch": other_secret,
        "timestamp_outside_tolerance": ten_minutes_ago,
        "timestamp_invalid": headers(**{"webhook-timestamp": "soon"}),
        "headers_missing": headers(**{"webhook-signature": ""}),
        "message_id_too_long": headers(**{"webhook-id": "m" * 256}),
        "no_v1_signature": headers(**{"webhook-signature": "v2,c2lnbmF0dXJl"}),
    }
    return [pytest.param(spoil, reason, id=reason) for reason, spoil in cases.items()]


@pytest.mark.parametrize(("spoil", "reason"), _refusals())
async def test_a_refused_signature_is_logged_with_its_reason_and_nothing_secret(
    client: httpx.AsyncClient,
    tenant: Tenant,
    caplog: pytest.LogCaptureFixture,
    spoil: Any,
    reason: str,
) -> None:
    sis = await connect_sis(client, tenant)
    body = orjson.dumps({"type": "course_result.recorded", "data": course_result(student=7)})
    headers = spoil(sis, body)
    with caplog.at_level(logging.INFO):
        response = await client.post(sis.url, content=body, headers=headers)
    assert response.status_code == 401, response.text
    logged = [r for r in caplog.records if r.name == "app.sis.intake"]
    assert [r.levelno for r in logged] == [logging.WARNING]
    message = logged[0].getMessage()
    assert reason in message
    assert sis.integration_id in message
    if reason == "timestamp_outside_tolerance":  # how far off, to tell a clock from a replay
        assert re.search(r"\(-60[01] s from this server's clock\)", message), message
    if reason == "signature_mismatch":
        assert "(1 current secret tried)" in message
    signature = headers["webhook-signature"].removeprefix("v1,")
    for secret in filter(None, (sis.secret, OTHER_SECRET, signature)):
        assert secret.removeprefix("whsec_") not in caplog.text
    assert "s0000007" not in caplog.text
    assert "Student 7" not in caplog.text


async def test_an_integration_without_a_current_secret_logs_so(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sis = await connect_sis(client, tenant)
    async with sessionmaker() as session, session.begin():
        await session.execute(text("UPDATE integration_secrets SET expires_at = now()"))
    with caplog.at_level(logging.WARNING, logger="app.sis.intake"):
        response = await sis.record(course_result())
    assert response.status_code == 401
    assert "no_current_secret" in caplog.text


async def test_an_unknown_integration_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"/v1/sis/{uuid.uuid4()}/events",
        content=b"{}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 404


async def test_malformed_events_get_a_clear_4xx_and_are_not_stored(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    cases: list[tuple[bytes, int, str]] = [
        (b"{not json", 400, "malformed_request"),
        (b"[1, 2]", 422, "validation_failed"),
        (orjson.dumps({"type": "course_result.deleted", "data": {}}), 422, "validation_failed"),
        (orjson.dumps({"type": "course_results.batch", "data": {"results": []}}), 422, ""),
        (orjson.dumps({"type": "course_results.batch", "data": {"results": "x"}}), 422, ""),
        (orjson.dumps({"type": "course_result.recorded", "data": "x"}), 422, ""),
        # A single result that is not valid is the whole event.
        (
            orjson.dumps({"type": "course_result.recorded", "data": course_result(grade="")}),
            422,
            "validation_failed",
        ),
    ]
    for body, status, code in cases:
        response = await client.post(sis.url, content=body, headers=sis.signed(body))
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        if code:
            assert response.json()["code"] == code
    assert await _stored(sessionmaker) == (0, 0)


async def test_an_invalid_single_result_names_the_field(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    sis = await connect_sis(client, tenant)
    result = course_result()
    del result["student"]["name"]
    response = await sis.record(result)
    assert response.status_code == 422
    assert {e["pointer"] for e in response.json()["errors"]} == {"#/data/student/name"}


async def test_invalid_results_in_a_batch_fail_alone_with_their_reason(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    sis = await connect_sis(client, tenant)
    results = [course_result(), course_result(assessment_date="30-06-2026"), course_result()]
    response = await sis.batch(results)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["results"] == 3
    assert [i["position"] for i in body["invalid"]] == [1]
    assert body["invalid"][0]["errors"][0]["pointer"] == "#/data/results/1/assessment_date"
    failed = await sis.results(status="failed")
    assert [(r["position"], r["reason_code"]) for r in failed] == [(1, "invalid_data")]
    assert "assessment_date" in failed[0]["reason"]
    assert len(await sis.results(status="pending")) == 2


async def test_a_batch_larger_than_allowed_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    from app.config import get_settings

    sis = await connect_sis(client, tenant)
    limit = get_settings().sis_max_results_per_event
    response = await sis.batch([course_result(student=1)] * (limit + 1))
    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"
    assert await _stored(sessionmaker) == (0, 0)


async def test_another_institutions_integration_id_cannot_be_read(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    sis = await connect_sis(client, tenant)
    accepted = (await sis.record(course_result())).json()
    for path in (
        f"/v1/integrations/{sis.integration_id}",
        f"/v1/integrations/{sis.integration_id}/course-mappings",
        f"/v1/sis/events/{accepted['event_id']}",
    ):
        response = await client.get(path, headers=other_tenant.headers)
        assert response.status_code == 404, path
    listed = await client.get(
        "/v1/sis/results", params={"event_id": accepted["event_id"]}, headers=other_tenant.headers
    )
    assert listed.json()["items"] == []


async def test_a_nul_in_one_student_name_fails_that_result_not_the_batch(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    bad = course_result()
    bad["student"]["name"] = "Jan\u0000Jansen"
    response = await sis.batch([course_result(), bad, course_result()])
    assert response.status_code == 202, response.text
    body = response.json()
    assert [i["position"] for i in body["invalid"]] == [1]
    assert body["invalid"][0]["errors"][0]["pointer"] == "#/data/results/1/student/name"
    failed = await sis.results(status="failed")
    assert [(r["position"], r["reason_code"]) for r in failed] == [(1, "invalid_data")]
    assert len(await sis.results(status="pending")) == 2
    stored = await scalar(
        sessionmaker, "SELECT payload->'student'->>'name' FROM sis_results WHERE position = 1"
    )
    assert stored == "Jan\ufffdJansen"


async def test_a_nul_in_a_single_result_refuses_it_naming_the_field(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    response = await sis.record(course_result(course_code="INF\u0000"))
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/data/course_code"]
    assert await _stored(sessionmaker) == (0, 0)


async def test_an_integration_name_longer_than_its_column_is_a_422(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for name in ("x" * 201, "x" * 300):
        response = await client.post(
            "/v1/integrations", json={"name": name}, headers=tenant.headers
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["pointer"] == "#/name"
    fits = await client.post("/v1/integrations", json={"name": "x" * 200}, headers=tenant.headers)
    assert fits.status_code == 201, fits.text


_INTEGRATION = uuid.UUID("00000000-0000-4000-8000-000000000001")
_STUDENT = {"id": TEXT, "name": TEXT, "email": TEXT}
_FIELDS = ["result_id", "course_code", "term", "grade", "assessment_date", "identity_verified"]
# A valid result with a field or two replaced by anything, the student's included.
_RESULTS = st.builds(
    lambda overrides, student: {**course_result(1, **overrides), **student},
    st.dictionaries(st.sampled_from(_FIELDS), JSON, max_size=2),
    st.just({})
    | st.builds(
        lambda *v: {"student": dict(zip(("id", "name", "email"), v, strict=True))}, TEXT, TEXT, TEXT
    ),
)


@PROPERTIES
@given(body=st.binary(max_size=300) | JSON.map(lambda v: json.dumps(v).encode()))
def test_any_body_is_an_event_or_a_domain_error(body: bytes) -> None:
    with contextlib.suppress(DomainError):
        assert intake.parse_envelope(body).payloads


@PROPERTIES
@given(
    payloads=st.lists(
        _RESULTS | JSON,
        min_size=1,
        max_size=5,
    )
)
def test_every_result_of_a_batch_gets_a_storable_row(payloads: list[Any]) -> None:
    parsed = Parsed("course_results.batch", "recorded", payloads, single=False)
    rows = intake.result_rows(_INTEGRATION, parsed, "#/data/results/{position}")
    assert [row["position"] for row in rows.rows] == list(range(len(payloads)))
    assert_storable_rows(rows.rows)
