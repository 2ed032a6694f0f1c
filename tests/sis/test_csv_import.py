"""CSV imports take exactly the webhook path: one event, one outcome per row."""

from __future__ import annotations

import uuid
from collections import Counter

import httpx
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import DomainError
from app.sis import csv_import, intake
from tests.factories import Tenant
from tests.sis.properties import PROPERTIES, TEXT, assert_storable_rows
from tests.sis.simulator import COURSE, TERM, connect_sis, drain, scalar

HEADER = (
    "student_id;student_name;student_email;course_code;term;grade;assessment_date;identity_verified"
)


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode()


def _row(number: int, grade: str = "7,5", date: str = "2026-06-24", verified: str = "ja") -> str:
    student = f"s{number:07d};Student {number};s{number}@student.nl"
    return f"{student};{COURSE};{TERM};{grade};{date};{verified}"


async def _upload(
    client: httpx.AsyncClient, tenant: Tenant, integration_id: str, body: bytes, **headers: str
) -> httpx.Response:
    return await client.post(
        f"/v1/integrations/{integration_id}/imports",
        content=body,
        headers={**tenant.headers, "content-type": "text/csv; charset=utf-8", **headers},
    )


async def test_a_csv_import_gives_every_row_its_outcome(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    body = _csv(
        _row(1), _row(2, grade="4,0"), _row(3, date="yesterday"), _row(4, verified="nee"), ""
    )
    response = await _upload(client, tenant, sis.integration_id, body)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["results"] == 4
    assert [i["position"] for i in accepted["invalid"]] == [2]
    assert accepted["invalid"][0]["errors"][0]["pointer"] == "#/rows/2/assessment_date"
    await drain(sessionmaker)
    event = await sis.event(accepted["event_id"])
    assert event["source"] == "csv"
    outcomes = {r["position"]: (r["status"], r["reason_code"]) for r in await sis.results()}
    assert outcomes == {
        0: ("issued", None),
        1: ("skipped", "not_passed"),
        2: ("failed", "invalid_data"),
        3: ("issued", None),
    }


async def test_the_same_file_uploaded_twice_is_one_import(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    body = _csv(_row(1), _row(2))
    first = await _upload(client, tenant, sis.integration_id, body)
    again = await _upload(client, tenant, sis.integration_id, body)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["duplicate"] is True
    assert await scalar(sessionmaker, "SELECT count(*) FROM sis_results") == 2
    keyed = await _upload(client, tenant, sis.integration_id, body, **{"idempotency-key": "k1"})
    assert keyed.status_code == 202


async def test_an_idempotency_key_used_for_another_file_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    key = {"idempotency-key": "export-2026-06"}
    first = await _upload(client, tenant, sis.integration_id, _csv(_row(1)), **key)
    other = await _upload(client, tenant, sis.integration_id, _csv(_row(2)), **key)
    again = await _upload(client, tenant, sis.integration_id, _csv(_row(1)), **key)
    assert (first.status_code, other.status_code, again.status_code) == (202, 409, 200)
    assert other.json()["code"] == "idempotency_key_reused"
    assert await scalar(sessionmaker, "SELECT count(*) FROM sis_results") == 1


async def test_comma_separated_files_without_bom_are_read_too(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    header = "course_code,term,student_id,student_name,grade,assessment_date,identity_verified"
    body = f'{header}\n{COURSE},{TERM},s1,"Jong, Anna de",8,2026-06-24,true\n'.encode()
    response = await _upload(client, tenant, sis.integration_id, body)
    assert response.status_code == 202, response.text
    await drain(sessionmaker)
    assert Counter(r["status"] for r in await sis.results()) == {"issued": 1}


async def test_a_bad_file_is_refused_whole_and_nothing_is_stored(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    cases = [
        (_csv(_row(1), header="student_id;course_code;grade"), 422, "missing_column"),
        (_csv(_row(1), header=HEADER + ";shoe_size"), 422, "unknown_column"),
        (_csv(header=HEADER), 422, "empty_file"),
        (b"", 422, "empty_file"),
        ("student_id\n".encode("utf-16"), 422, "invalid_encoding"),
    ]
    for body, status, code in cases:
        response = await _upload(client, tenant, sis.integration_id, body)
        assert response.status_code == status, response.text
        assert code in {e["code"] for e in response.json()["errors"]}, response.text
    wrong_type = await client.post(
        f"/v1/integrations/{sis.integration_id}/imports",
        content=_csv(_row(1)),
        headers={**tenant.headers, "content-type": "application/json"},
    )
    assert wrong_type.status_code == 415
    assert await scalar(sessionmaker, "SELECT count(*) FROM sis_events") == 0


async def test_imports_need_the_integrations_scope(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    from tests.factories import add_key, bearer

    sis = await connect_sis(client, tenant)
    issuer_only = await add_key(client, tenant, {"credentials:issue"})
    response = await client.post(
        f"/v1/integrations/{sis.integration_id}/imports",
        content=_csv(_row(1)),
        headers={**bearer(issuer_only), "content-type": "text/csv"},
    )
    assert response.status_code == 403


async def test_a_nul_in_one_row_fails_that_row_only(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    bad = _row(2).replace("Student 2", "Student\u00002")
    response = await _upload(client, tenant, sis.integration_id, _csv(_row(1), bad, _row(3)))
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert [i["position"] for i in accepted["invalid"]] == [1]
    assert accepted["invalid"][0]["errors"][0]["pointer"] == "#/rows/1/student/name"


async def test_an_import_key_longer_than_the_message_id_allows_is_a_422(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    body = _csv(_row(1))
    response = await _upload(
        client, tenant, sis.integration_id, body, **{"idempotency-key": "k" * 248}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["header"] == "idempotency-key"
    response = await _upload(
        client, tenant, sis.integration_id, body, **{"idempotency-key": "k" * 247}
    )
    assert response.status_code == 202, response.text


_INTEGRATION = uuid.UUID("00000000-0000-4000-8000-000000000001")


def _rows_as_csv(rows: list[list[str]]) -> bytes:
    """A file with the real header and these cells, encoded as an SIS would (surrogates kept)."""
    lines = [HEADER, *(";".join(cells) for cells in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogatepass")


_CELLS = st.lists(TEXT.map(lambda t: t.replace(";", "").replace("\n", "")), min_size=8, max_size=9)


@PROPERTIES
@given(body=st.binary(max_size=300) | st.lists(_CELLS, max_size=4).map(_rows_as_csv))
def test_any_file_is_rows_with_storable_outcomes_or_a_domain_error(body: bytes) -> None:
    try:
        parsed = csv_import.parse_csv(body)
    except DomainError:
        return
    rows = intake.result_rows(_INTEGRATION, parsed, "#/rows/{position}")
    assert len(rows.rows) == len(parsed.payloads)
    assert_storable_rows(rows.rows)


async def test_a_file_the_csv_reader_cannot_read_is_a_422_not_a_500(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    body = _csv(_row(1), _row(2).replace("Student 2", 'Student "2\r"x'))
    response = await _upload(client, tenant, sis.integration_id, body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == "unreadable_file"
    assert await scalar(sessionmaker, "SELECT count(*) FROM sis_events") == 0
