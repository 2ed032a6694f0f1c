"""POST /presentations/verify: the holder's signature, challenge and domain, and each credential."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.keys.algorithms import sign_compact
from app.vcapi.presentations import Expectations, verify_presentation
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.oid4vci.holder import HolderKey

VC_V2 = "https://www.w3.org/ns/credentials/v2"
CHALLENGE = "c-8f1e2d"
DOMAIN = "https://admissions.example.nl"
VECTORS = Path(__file__).parent.parent / "verification" / "vectors"


def enveloped(jwt: str) -> dict[str, Any]:
    return {
        "@context": [VC_V2],  # an ordered set, first the v2 context
        "type": "EnvelopedVerifiableCredential",
        "id": f"data:application/vc+jwt,{jwt}",
    }


def presentation(holder: str, credentials: list[str], **claims: Any) -> dict[str, Any]:
    now = int(time.time())
    payload: dict[str, Any] = {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [enveloped(c) for c in credentials],
        "nonce": CHALLENGE,
        "aud": DOMAIN,
        "iat": now,
        "exp": now + 300,
    }
    payload.update(claims)
    return payload


def sign(key: HolderKey, payload: dict[str, Any], kid: str | None = None) -> str:
    header = {"alg": key.algorithm, "typ": "vp+jwt", "kid": kid or f"{key.did_jwk}#0"}
    return sign_compact(key.private, key.algorithm, header, orjson.dumps(payload))


async def credential_jwt(client: httpx.AsyncClient, tenant: Tenant) -> str:
    achievement = await published_achievement(client, tenant)
    jwt: str = (await issue(client, tenant, achievement["id"]))["jwt"]
    return jwt


async def post(client: httpx.AsyncClient, value: object, **options: str) -> httpx.Response:
    body = {
        "verifiablePresentation": value,
        "options": options or {"challenge": CHALLENGE, "domain": DOMAIN},
    }
    return await client.post("/presentations/verify", json=body)


def failed(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "verification_failed"
    return [(e["pointer"], e["code"]) for e in response.json()["errors"]]


async def test_a_holder_signed_presentation_verifies_with_each_credential(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    jwt = await credential_jwt(client, tenant)
    key = HolderKey()
    token = sign(key, presentation(key.did_jwk, [jwt, jwt]))
    for value in (token, f"data:application/vp+jwt,{token}"):
        response = await post(client, value)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["verified"] is True
        assert body["holder"] == key.did_jwk
        checks = {c["check"]: c["outcome"] for c in body["presentationResult"]["checks"]}
        assert checks["signature"] == checks["challenge"] == checks["domain"] == "passed"
        assert [r["verified"] for r in body["credentialResults"]] == [True, True]
        assert body["credentialResults"][0]["issuer"]["recognised"] is True


async def test_an_enveloped_presentation_signed_with_a_did_key_verifies(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    jwt = await credential_jwt(client, tenant)
    key = HolderKey("EdDSA")
    token = sign(key, presentation(key.did_key, [jwt]), kid=f"{key.did_key}#{key.did_key[8:]}")
    envelope = {
        "@context": [VC_V2],
        "type": "EnvelopedVerifiablePresentation",
        "id": f"data:application/vp+jwt,{token}",
    }
    response = await post(client, envelope)
    assert response.status_code == 200, response.text
    assert response.json()["holder"] == key.did_key


async def test_a_wrong_challenge_fails(client: httpx.AsyncClient, tenant: Tenant) -> None:
    key = HolderKey()
    token = sign(key, presentation(key.did_jwk, [await credential_jwt(client, tenant)]))
    response = await post(client, token, challenge="another-challenge", domain=DOMAIN)
    assert failed(response) == [("#/verifiablePresentation", "challenge")]


async def test_a_wrong_domain_fails(client: httpx.AsyncClient, tenant: Tenant) -> None:
    key = HolderKey()
    token = sign(key, presentation(key.did_jwk, [await credential_jwt(client, tenant)]))
    response = await post(client, token, challenge=CHALLENGE, domain="https://evil.example")
    assert failed(response) == [("#/verifiablePresentation", "domain")]


async def test_a_tampered_inner_credential_fails_on_its_signature(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    jwt = await credential_jwt(client, tenant)
    header, payload, signature = jwt.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["achievement"]["creditsAvailable"] = 500
    forged = base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=").decode()
    key = HolderKey()
    token = sign(key, presentation(key.did_jwk, [jwt, f"{header}.{forged}.{signature}"]))
    response = await post(client, token)
    assert failed(response) == [("#/verifiablePresentation/verifiableCredential/1", "signature")]


async def test_a_holder_key_that_did_not_sign_fails(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    signer, named = HolderKey(), HolderKey()
    payload = presentation(named.did_jwk, [await credential_jwt(client, tenant)])
    token = sign(signer, payload, kid=f"{named.did_jwk}#0")
    assert failed(await post(client, token)) == [("#/verifiablePresentation", "signature")]


async def test_a_key_of_someone_other_than_the_holder_fails(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    key = HolderKey()
    token = sign(
        key, presentation("did:example:someone-else", [await credential_jwt(client, tenant)])
    )
    assert failed(await post(client, token)) == [("#/verifiablePresentation", "key")]


async def test_an_unsecured_presentation_cannot_answer_a_challenge(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    jwt = await credential_jwt(client, tenant)
    unsecured = {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [enveloped(jwt)],
    }
    assert failed(await post(client, unsecured)) == [
        ("#/verifiablePresentation", "challenge"),
        ("#/verifiablePresentation", "domain"),
    ]
    response = await client.post(
        "/presentations/verify", json={"verifiablePresentation": unsecured}
    )
    assert response.status_code == 200, response.text
    checks = {c["check"]: c["outcome"] for c in response.json()["presentationResult"]["checks"]}
    assert checks["signature"] == "skipped"


async def test_string_dates_and_an_expired_presentation_fail(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    key = HolderKey()
    jwt = await credential_jwt(client, tenant)
    for claims in ({"iat": "2026-01-01T00:00:00Z"}, {"exp": int(time.time()) - 3600}):
        token = sign(key, presentation(key.did_jwk, [jwt], **claims))
        assert failed(await post(client, token)) == [("#/verifiablePresentation", "validity")]


async def test_input_that_is_no_presentation_is_a_422(client: httpx.AsyncClient) -> None:
    for value in (
        {"type": "VerifiableCredential"},
        {"type": "EnvelopedVerifiablePresentation", "@context": [VC_V2], "id": "eyJ.a.b"},
        {
            "type": "EnvelopedVerifiablePresentation",
            "@context": [],
            "id": "data:application/vp+jwt,a.b.c",
        },
        42,
    ):
        response = await post(client, value)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "validation_failed"
    assert failed(await post(client, "not-a-jwt")) == [("#/verifiablePresentation", "parsing")]


async def test_the_shared_vectors_replayed_in_their_time(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The VC-JOSE-COSE suite's presentations, at a moment before their exp (December 2024).

    Their holder keys are bare JWK thumbprints, not did:jwk or did:key, so the key check is
    where a well-formed one stops; the one with typ bad+typ stops at its header.
    """
    moment = datetime(2024, 12, 15, 12, tzinfo=UTC)
    outcomes = {}
    async with sessionmaker() as session:
        for name in ("presentation-jose-multiple", "presentation-jose-bad-media-type"):
            token = (VECTORS / f"{name}.txt").read_text().strip()
            result = await verify_presentation(
                session, app.state.fetcher, token, Expectations(), moment
            )
            outcomes[name] = [(c.name, c.outcome) for c in result.checks.checks]
    assert outcomes["presentation-jose-multiple"] == [
        ("parsing", "passed"),
        ("algorithm", "passed"),
        ("header", "passed"),
        ("key", "failed"),
    ]
    assert outcomes["presentation-jose-bad-media-type"][-1] == ("header", "failed")


async def test_a_presentation_beyond_the_size_limit_is_a_413(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "verification_max_token_bytes", 1024)
    oversized = f"eyJhbGciOiJFUzI1NiJ9.{'A' * 1024 * 17}.c2ln"
    response = await post(client, f"data:application/vp+jwt,{oversized}")
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "credential_too_large"
