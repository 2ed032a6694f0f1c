"""An institution's SMTP server through the API: set, read without password, remove; audited."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import Tenant, add_key
from tests.mail.support import configure_smtp, smtp_body

PASSWORD = "Kw7!correct-horse-battery"


def _url(tenant: Tenant) -> str:
    return f"/v1/institutions/{tenant.id}/smtp"


@pytest.mark.usefixtures("private_smtp_allowed")
async def test_the_password_is_stored_wrapped_and_never_answered(
    client: httpx.AsyncClient,
    tenant: Tenant,
    operator: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    put = await client.put(
        _url(tenant),
        json=smtp_body(2525, security="starttls", username="mailer", password=PASSWORD),
        headers=tenant.headers,
    )
    assert put.status_code == 200, put.text
    got = await client.get(_url(tenant), headers=tenant.headers)
    assert got.status_code == 200
    assert got.json()["password_set"] is True
    assert got.json()["username"] == "mailer"
    assert got.json()["security"] == "starttls"
    audit = await client.get("/v1/audit-events", headers=tenant.headers)
    institution = await client.get(f"/v1/institutions/{tenant.id}", headers=tenant.headers)
    for answer in (put, got, audit, institution):
        assert PASSWORD not in answer.text
        assert "password_wrapped" not in answer.text
    async with sessionmaker() as session:
        stored = (await session.execute(text("SELECT password_wrapped FROM smtp_settings"))).one()
    assert stored.password_wrapped
    assert PASSWORD.encode() not in stored.password_wrapped


@pytest.mark.usefixtures("private_smtp_allowed")
async def test_leaving_the_password_out_keeps_it_and_null_removes_it(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await configure_smtp(client, tenant, 2525, username="mailer", password=PASSWORD)
    kept = await configure_smtp(client, tenant, 2526, username="mailer")
    assert kept["password_set"] is True
    assert kept["port"] == 2526
    removed = await configure_smtp(client, tenant, 2526, password=None)
    assert removed["password_set"] is False


@pytest.mark.usefixtures("private_smtp_allowed")
async def test_setting_and_removing_the_server_is_audited(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await configure_smtp(client, tenant, 2525, password=PASSWORD)
    deleted = await client.delete(_url(tenant), headers=tenant.headers)
    assert deleted.status_code == 204
    assert (await client.get(_url(tenant), headers=tenant.headers)).status_code == 404
    assert (await client.delete(_url(tenant), headers=tenant.headers)).status_code == 404
    events = (await client.get("/v1/audit-events", headers=tenant.headers)).json()["items"]
    actions = [e["action"] for e in events]
    assert "institution.smtp_configured" in actions
    assert "institution.smtp_removed" in actions
    (configured,) = [e for e in events if e["action"] == "institution.smtp_configured"]
    assert configured["data"]["host"] == "127.0.0.1"
    assert configured["data"]["password_changed"] is True


async def test_a_server_on_a_private_address_is_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for host in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "localhost", "::1"):
        response = await client.put(
            _url(tenant), json=smtp_body(25, host=host), headers=tenant.headers
        )
        assert response.status_code == 422, host
        assert response.json()["code"] == "address_not_allowed", host
    assert (await client.get(_url(tenant), headers=tenant.headers)).status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"host": "smtp\x00.example.org"},
        {"host": "smtp example.org"},
        {"host": ""},
        {"port": 0},
        {"port": 70000},
        {"security": "ssl"},
        {"from_address": "not an address"},
        {"from_name": "Evil\r\nBcc: everyone@example.org"},
        {"username": "user\x00"},
        {"unexpected": True},
    ],
)
async def test_malformed_settings_are_refused_with_a_problem(
    client: httpx.AsyncClient, tenant: Tenant, change: dict[str, object]
) -> None:
    response = await client.put(
        _url(tenant), json={**smtp_body(25), **change}, headers=tenant.headers
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_only_the_institutions_administrator_or_an_operator_sees_it(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    elsewhere = await client.get(_url(tenant), headers=other_tenant.headers)
    assert elsewhere.status_code == 404
    issuer = await add_key(client, tenant, {"credentials:issue"})
    forbidden = await client.get(_url(tenant), headers={"Authorization": f"Bearer {issuer}"})
    assert forbidden.status_code == 403
    anonymous = await client.get(_url(tenant))
    assert anonymous.status_code == 401
