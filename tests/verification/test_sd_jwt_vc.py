"""Our Learning Credentials through POST /v1/verify: as issued, presented, bent and revoked."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.certificates.development import CertificateAuthority
from app.sdjwt.key_binding import make_key_binding
from app.sdjwt.presentation import split
from tests.eudi.certified import certify
from tests.eudi.support import Holder, learning_credential
from tests.factories import Tenant

AUDIENCE = "https://verifier.example"


async def _verify(client: httpx.AsyncClient, sd_jwt: str, **options: Any) -> dict[str, Any]:
    response = await client.post("/v1/verify", json={"verifiableCredential": sd_jwt, **options})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _checks(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["check"]: (c["outcome"], c["detail"]) for c in report["checks"]}


def _present(sd_jwt: str, holder: Holder, names: set[str], nonce: str) -> str:
    """What a wallet sends: the chosen disclosures and a Key Binding JWT over them."""
    parts = split(sd_jwt)
    kept = [d for d in parts.disclosures if _name(d) in names]
    presented = "~".join([parts.jwt, *kept]) + "~"
    kb = make_key_binding(presented, holder.key, "ES256", nonce, AUDIENCE, int(time.time()))
    return presented + kb


def _name(disclosure: str) -> str:
    return str(orjson.loads(base64.urlsafe_b64decode(disclosure + "=" * (-len(disclosure) % 4)))[1])


async def test_an_issued_learning_credential_verifies_with_every_claim(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, sd_jwt = await learning_credential(client, tenant, Holder())
    report = await _verify(client, sd_jwt)
    checks = _checks(report)
    assert report["verified"] is True, checks
    assert report["profile"] == "dc+sd-jwt"
    assert checks["status"] == ("passed", "the status list says valid")
    assert checks["key_binding"][0] == "skipped"
    assert report["issuer_trusted"] is True
    assert report["issuer"]["known_as"] == "this_instance"
    assert "achievement_title" in report["disclosed"]
    assert report["credential"]["achievement_title"] == "Data Literacy for Policy Makers"


async def test_a_presentation_with_key_binding_reveals_only_what_the_holder_chose(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    holder = Holder()
    _, sd_jwt = await learning_credential(client, tenant, holder)
    presented = _present(sd_jwt, holder, {"achievement_title", "issuing_authority"}, "n-42")
    report = await _verify(
        client, presented, nonce="n-42", audience=AUDIENCE, requireKeyBinding=True
    )
    assert report["verified"] is True, _checks(report)
    assert _checks(report)["key_binding"][0] == "passed"
    assert sorted(report["disclosed"]) == ["achievement_title", "issuing_authority"]
    assert "learner_identification" not in report["credential"]


async def test_a_required_key_binding_that_is_missing_fails(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, sd_jwt = await learning_credential(client, tenant, Holder())
    report = await _verify(client, sd_jwt, requireKeyBinding=True)
    assert report["verified"] is False
    assert _checks(report)["key_binding"][1].startswith("key_binding_missing:")


async def test_a_key_binding_for_another_nonce_fails(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    holder = Holder()
    _, sd_jwt = await learning_credential(client, tenant, holder)
    presented = _present(sd_jwt, holder, {"achievement_title"}, "old-nonce")
    report = await _verify(client, presented, nonce="fresh-nonce", audience=AUDIENCE)
    assert _checks(report)["key_binding"][1].startswith("key_binding_nonce_mismatch:")


async def test_a_key_binding_over_other_disclosures_fails(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    holder = Holder()
    _, sd_jwt = await learning_credential(client, tenant, holder)
    presented = _present(sd_jwt, holder, {"achievement_title", "issuing_authority"}, "n")
    parts = split(presented)
    fewer = "~".join([parts.jwt, parts.disclosures[0], parts.key_binding or ""])
    report = await _verify(client, fewer, nonce="n", audience=AUDIENCE)
    assert _checks(report)["key_binding"][1].startswith("key_binding_sd_hash_mismatch:")


async def test_a_key_binding_by_someone_else_fails(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, sd_jwt = await learning_credential(client, tenant, Holder())
    thief = Holder()
    presented = _present(sd_jwt, thief, {"achievement_title"}, "n")
    report = await _verify(client, presented, nonce="n", audience=AUDIENCE)
    assert _checks(report)["key_binding"][1].startswith("key_binding_invalid:")


def _forged(disclosure: str, value: object) -> str:
    members = orjson.loads(base64.urlsafe_b64decode(disclosure + "=" * (-len(disclosure) % 4)))
    members[-1] = value
    return base64.urlsafe_b64encode(orjson.dumps(members)).rstrip(b"=").decode()


async def test_hostile_disclosures_each_fail_for_their_own_reason(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, sd_jwt = await learning_credential(client, tenant, Holder())
    parts = split(sd_jwt)
    first = parts.disclosures[0]
    reserved = base64.urlsafe_b64encode(orjson.dumps(["c2FsdA", "_sd", ["x"]])).decode().rstrip("=")
    cases = {
        "disclosure_unreferenced": [_forged(first, "Mallory")],
        "digest_duplicate": [first, first],
        "disclosure_reserved_name": [reserved],
        "disclosure_malformed": ["bm90IGpzb24"],
    }
    for code, disclosures in cases.items():
        report = await _verify(client, "~".join([parts.jwt, *disclosures]) + "~")
        outcome, detail = _checks(report)["disclosures"]
        assert (outcome, detail.split(":")[0]) == ("failed", code), detail
        assert report["verified"] is False


async def test_a_tampered_signature_fails_and_nothing_is_disclosed(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, sd_jwt = await learning_credential(client, tenant, Holder())
    _header, _payload, signature = split(sd_jwt).jwt.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    report = await _verify(client, sd_jwt.replace(signature, flipped, 1))
    assert _checks(report)["signature"][0] == "failed"
    assert report["credential"] is None


async def test_after_revocation_through_the_api_the_learning_credential_reads_revoked(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential, sd_jwt = await learning_credential(client, tenant, Holder())
    revoked = await client.post(
        f"/v1/credentials/{credential['id']}/revoke",
        json={"reason_code": "issued_in_error"},
        headers=tenant.headers,
    )
    assert revoked.status_code == 200, revoked.text
    report = await _verify(client, sd_jwt)
    assert report["verified"] is False
    assert _checks(report)["status"] == ("failed", "the status list says revoked")


async def test_malformed_key_binding_options_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/verify", json={"verifiableCredential": "a.b.c~", "requireKeyBinding": "yes"}
    )
    assert response.status_code == 422


async def test_a_certified_credential_still_reads_its_status_after_a_key_rotation(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    trusted_ca: CertificateAuthority,
) -> None:
    await certify(sessionmaker, tenant, trusted_ca)
    _, sd_jwt = await learning_credential(client, tenant, Holder())
    rotated = await client.post(
        "/v1/keys/rotate", json={"algorithm": "ES256"}, headers=tenant.headers
    )
    assert rotated.status_code == 201, rotated.text
    report = (await client.post("/v1/verify", json={"verifiableCredential": sd_jwt})).json()
    checks = {c["check"]: (c["outcome"], c["detail"]) for c in report["checks"]}
    assert checks["key"][0] == "passed"
    assert checks["status"] == ("passed", "the status list says valid")
