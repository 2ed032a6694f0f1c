"""A credential from a second Stapel instance (another host, another database, another process)
verifies here over HTTP: cryptographically valid, issuer not trusted until it is put on the
trust list."""

from __future__ import annotations

import httpx
import pytest

from app.config import get_settings
from tests.verification.other_instance import OtherInstance, issue_at_other


async def test_foreign_stapel_credential_is_valid_but_not_trusted_until_listed(
    client: httpx.AsyncClient,
    other_instance: OtherInstance,
    reaches_other: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issued = await issue_at_other(other_instance)
    result = (await client.post("/v1/verify", json={"verifiableCredential": issued["jwt"]})).json()
    assert result["verified"], [c for c in result["checks"] if c["outcome"] != "passed"]
    assert result["issuer_trusted"] is False
    assert result["issuer"]["id"] == other_instance.did
    assert result["issuer"]["known_as"] is None
    outcomes = {c["check"]: c["outcome"] for c in result["checks"]}
    assert outcomes["status"] == "passed"
    assert outcomes["trust"] == "warning"

    monkeypatch.setattr(get_settings(), "trusted_issuers", [other_instance.did])
    trusted = (await client.post("/v1/verify", json={"verifiableCredential": issued["jwt"]})).json()
    assert trusted["verified"]
    assert trusted["issuer_trusted"] is True
    assert trusted["issuer"]["known_as"] == "trust_list"


async def test_revocation_at_the_foreign_instance_is_seen_here(
    client: httpx.AsyncClient, other_instance: OtherInstance, reaches_other: None
) -> None:
    issued = await issue_at_other(other_instance)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{other_instance.port}",
        headers={"Authorization": f"Bearer {other_instance.token}"},
    ) as r:
        revoked = await r.post(
            f"/v1/credentials/{issued['id']}/revoke", json={"reason_code": "issued_in_error"}
        )
        assert revoked.status_code == 200
    result = (await client.post("/v1/verify", json={"verifiableCredential": issued["jwt"]})).json()
    assert not result["verified"]
    status = next(c for c in result["checks"] if c["check"] == "status")
    assert status["outcome"] == "failed"
    assert "revoked" in status["detail"]
