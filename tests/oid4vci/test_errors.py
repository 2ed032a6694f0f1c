"""Every refusal of wallet pickup, by the error the specifications name, and never a 500."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.oid4vci.models import WalletAccessToken, WalletOffer
from tests.factories import Tenant, add_key
from tests.oid4vci.holder import (
    PRE_AUTHORIZED,
    VC_JWT,
    HolderKey,
    Offer,
    access_token,
    fetch_offer,
    issuer_url,
    make_offer,
    nonce,
    pick_up,
    pre_authorized_code,
    request_credential,
    token_response,
)


@pytest.fixture
def tenant(suspending_tenant: Tenant) -> Tenant:
    """Suspension is offered: a suspended credential is refused like a revoked one."""
    return suspending_tenant


def assert_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == error, response.text
    assert response.json()["error_description"]


async def _expire(
    sessionmaker: async_sessionmaker[AsyncSession], model: type[WalletOffer | WalletAccessToken]
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(update(model).values(expires_at=datetime.now(UTC) - timedelta(1)))


# --- offers (staff REST API: problems) ---


async def test_offers_need_the_issue_scope_and_a_credential_of_the_institution(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    credential: dict[str, Any],
) -> None:
    reader = await add_key(client, tenant, {"credentials:read"})
    path = f"/v1/credentials/{credential['id']}/offers"
    refused = await client.post(path, headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"
    assert (await client.post(path)).status_code == 401
    elsewhere = await client.post(path, headers=other_tenant.headers)
    assert elsewhere.status_code == 404
    assert elsewhere.headers["content-type"] == "application/problem+json"
    malformed = await client.post("/v1/credentials/not-a-uuid/offers", headers=tenant.headers)
    assert malformed.status_code == 422


@pytest.mark.parametrize("action", ["revoke", "suspend"])
async def test_a_revoked_or_suspended_credential_is_not_offered(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any], action: str
) -> None:
    changed = await client.post(
        f"/v1/credentials/{credential['id']}/{action}",
        json={"reason_code": "other", "reason": "Checked by the exam board."},
        headers=tenant.headers,
    )
    assert changed.status_code == 200, changed.text
    refused = await client.post(
        f"/v1/credentials/{credential['id']}/offers", headers=tenant.headers
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "invalid_state"


async def test_an_offer_is_served_once_and_only_at_its_exact_address(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, credential: dict[str, Any]
) -> None:
    offer = await make_offer(client, tenant, credential["id"])
    reference = offer.path.rsplit("/", 1)[1]
    tampered = reference[:-1] + ("A" if reference[-1] != "A" else "B")
    for path in (
        f"/issuers/{tenant.slug}/offers/{tampered}",
        f"/issuers/{other_tenant.slug}/offers/{reference}",
        f"/issuers/{tenant.slug}/offers/nothing",
        f"/issuers/{tenant.slug}/offers/{reference[:16]}%00{reference[17:]}",
    ):
        assert_error(await client.get(path), 400, "invalid_request")
    await fetch_offer(client, offer)
    assert_error(await client.get(offer.path), 400, "invalid_request")


async def test_an_expired_offer_is_not_served_and_its_code_is_invalid_grant(
    client: httpx.AsyncClient,
    tenant: Tenant,
    credential: dict[str, Any],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    offer = await make_offer(client, tenant, credential["id"])
    code = pre_authorized_code(await fetch_offer(client, offer))
    second = await make_offer(client, tenant, credential["id"])
    await _expire(sessionmaker, WalletOffer)
    assert_error(await client.get(second.path), 400, "invalid_request")
    assert_error(await token_response(client, tenant, code, offer.tx_code), 400, "invalid_grant")


# --- token endpoint ---


async def _code(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]
) -> tuple[Offer, str]:
    offer = await make_offer(client, tenant, credential["id"])
    return offer, pre_authorized_code(await fetch_offer(client, offer))


async def test_malformed_token_requests_are_invalid_request(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]
) -> None:
    offer, code = await _code(client, tenant, credential)
    path = f"/issuers/{tenant.slug}/token"
    as_json = await client.post(path, json={"grant_type": PRE_AUTHORIZED})
    assert_error(as_json, 400, "invalid_request")
    no_grant = await client.post(path, data={"pre-authorized_code": code, "tx_code": offer.tx_code})
    assert_error(no_grant, 400, "invalid_request")
    other_grant = await client.post(path, data={"grant_type": "authorization_code", "code": "x"})
    assert_error(other_grant, 400, "unsupported_grant_type")
    no_code = await client.post(path, data={"grant_type": PRE_AUTHORIZED, "tx_code": "1"})
    assert_error(no_code, 400, "invalid_request")
    assert_error(await token_response(client, tenant, code, None), 400, "invalid_request")
    repeated = await client.post(
        path,
        content=f"grant_type={PRE_AUTHORIZED}&pre-authorized_code={code}&tx_code=1&tx_code=2",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_error(repeated, 400, "invalid_request")
    # None of these used the code up.
    assert (await token_response(client, tenant, code, offer.tx_code)).status_code == 200


async def test_unknown_codes_are_invalid_grant_whatever_they_hold(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, credential: dict[str, Any]
) -> None:
    offer, code = await _code(client, tenant, credential)
    for wrong in ("", "x", code[:-2], "0123456789abcdef-" + "\x00" * 40, code.replace("-", "\x00")):
        assert_error(
            await token_response(client, tenant, wrong, offer.tx_code), 400, "invalid_grant"
        )
    assert_error(
        await token_response(client, other_tenant, code, offer.tx_code), 400, "invalid_grant"
    )


async def test_a_pre_authorised_code_is_redeemed_once(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]
) -> None:
    offer, code = await _code(client, tenant, credential)
    first = await token_response(client, tenant, code, offer.tx_code)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    assert first.json()["token_type"] == "Bearer"
    assert_error(await token_response(client, tenant, code, offer.tx_code), 400, "invalid_grant")


async def test_wrong_tx_codes_are_counted_and_the_offer_dies(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]
) -> None:
    offer, code = await _code(client, tenant, credential)
    wrong = f"{(int(offer.tx_code) + 1) % 1_000_000:06d}"
    for left in (2, 1):
        refused = await token_response(client, tenant, code, wrong)
        assert_error(refused, 400, "invalid_grant")
        assert f"{left} attempt(s) left" in refused.json()["error_description"]
    last = await token_response(client, tenant, code, wrong)
    assert "dead" in last.json()["error_description"]
    # The right code comes too late: three wrong ones were committed, whatever the answers were.
    assert_error(await token_response(client, tenant, code, offer.tx_code), 400, "invalid_grant")


async def test_a_credential_revoked_after_the_offer_buys_no_token(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]
) -> None:
    offer, code = await _code(client, tenant, credential)
    await client.post(
        f"/v1/credentials/{credential['id']}/revoke",
        json={"reason_code": "other", "reason": "Withdrawn."},
        headers=tenant.headers,
    )
    assert_error(await token_response(client, tenant, code, offer.tx_code), 400, "invalid_grant")


# --- credential endpoint ---


@pytest.fixture
async def token(client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]) -> str:
    return await access_token(client, tenant, await make_offer(client, tenant, credential["id"]))


async def test_access_tokens_are_checked_with_www_authenticate(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    token: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    body = {"credential_configuration_id": VC_JWT, "proofs": {"jwt": ["x"]}}
    path = f"/issuers/{tenant.slug}/credential"
    for headers in (
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": f"Bearer {token[:-1]}"},
    ):
        refused = await client.post(path, json=body, headers=headers)
        assert_error(refused, 401, "invalid_token")
        assert refused.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    elsewhere = await request_credential(client, other_tenant, token, body)
    assert_error(elsewhere, 401, "invalid_token")
    await _expire(sessionmaker, WalletAccessToken)
    assert_error(await pick_up(client, tenant, token, VC_JWT, HolderKey()), 401, "invalid_token")


async def test_malformed_credential_requests(
    client: httpx.AsyncClient, tenant: Tenant, token: str
) -> None:
    fresh = await nonce(client, tenant)
    proof = HolderKey().proof(issuer_url(tenant), fresh)
    cases: list[tuple[Any, str]] = [
        ([1, 2], "invalid_credential_request"),
        ({"proofs": {"jwt": [proof]}}, "invalid_credential_request"),
        (
            {"credential_configuration_id": 7, "proofs": {"jwt": [proof]}},
            "invalid_credential_request",
        ),
        (
            {"credential_configuration_id": "Diploma", "proofs": {"jwt": [proof]}},
            "unknown_credential_configuration",
        ),
        (
            {"credential_configuration_id": VC_JWT, "credential_identifier": "x"},
            "invalid_credential_request",
        ),
        (
            {"credential_configuration_id": VC_JWT, "proof": {"proof_type": "jwt", "jwt": proof}},
            "invalid_credential_request",
        ),
        (
            {
                "credential_configuration_id": VC_JWT,
                "proofs": {"jwt": [proof]},
                "credential_response_encryption": {},
            },
            "invalid_credential_request",
        ),
        ({"credential_configuration_id": VC_JWT}, "invalid_proof"),
        ({"credential_configuration_id": VC_JWT, "proofs": {"ldp_vp": [{}]}}, "invalid_proof"),
        ({"credential_configuration_id": VC_JWT, "proofs": {"jwt": []}}, "invalid_proof"),
        ({"credential_configuration_id": VC_JWT, "proofs": {"jwt": [proof] * 5}}, "invalid_proof"),
        ({"credential_configuration_id": VC_JWT, "proofs": {"jwt": [42]}}, "invalid_proof"),
    ]
    for body, error in cases:
        assert_error(await request_credential(client, tenant, token, body), 400, error)
    not_json = await client.post(
        f"/issuers/{tenant.slug}/credential",
        content=b"{nope",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert_error(not_json, 400, "invalid_credential_request")
    # The nonce was never used up by a refused request: it still buys the credential.
    accepted = await request_credential(
        client, tenant, token, {"credential_configuration_id": VC_JWT, "proofs": {"jwt": [proof]}}
    )
    assert accepted.status_code == 200, accepted.text


def _proof_cases(key: HolderKey, audience: str, fresh: str) -> dict[str, str]:
    other = HolderKey()
    signed_by_other = other.proof(audience, fresh, header={"jwk": key.jwk})
    ed_jwk_on_es256 = key.proof(audience, fresh, header={"jwk": HolderKey("EdDSA").jwk})
    private_jwk = key.proof(audience, fresh, header={"jwk": {**key.jwk, "d": "AAAA"}})
    return {
        "wrong typ": key.proof(audience, fresh, header={"typ": "JWT"}),
        "no typ": key.proof(audience, fresh, header={"typ": None}),
        "x5c": key.proof(audience, fresh, header={"x5c": ["MIIB"]}),
        "jwk and kid": key.proof(audience, fresh, header={"kid": key.did_jwk + "#0"}),
        "neither jwk nor kid": key.proof(audience, fresh, header={"jwk": None}),
        "did:web kid": key.proof(
            audience, fresh, header={"jwk": None, "kid": "did:web:evil.example#k"}
        ),
        "https kid": key.proof(
            audience, fresh, header={"jwk": None, "kid": "https://evil.example/k"}
        ),
        "did:jwk of junk": key.proof(audience, fresh, header={"jwk": None, "kid": "did:jwk:e30#0"}),
        "did:key not base58": key.proof(
            audience, fresh, header={"jwk": None, "kid": "did:key:z0OIl"}
        ),
        "did:key of secp256k1": key.proof(
            audience,
            fresh,
            header={
                "jwk": None,
                "kid": "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
            },
        ),
        "did:key other fragment": key.proof(
            audience, fresh, header={"jwk": None, "kid": key.did_key + "#other"}
        ),
        "signed by another key": signed_by_other,
        "key of another type": ed_jwk_on_es256,
        "private key": private_jwk,
        "wrong audience": key.proof("https://evil.example", fresh),
        "no audience": key.proof(audience, fresh, claims={"aud": None}),
        "list audience": key.proof(audience, fresh, claims={"aud": [audience]}),
        "old iat": key.proof(audience, fresh, claims={"iat": 1_000_000_000}),
        "future iat": key.proof(audience, fresh, claims={"iat": 4_000_000_000}),
        "string iat": key.proof(audience, fresh, claims={"iat": "now"}),
        "no nonce": key.proof(audience, None),
        "not a jwt": "a.b",
        "garbage": "\x00\x00\x00",
        "header not json": base64.urlsafe_b64encode(b"nope").decode().rstrip("=") + ".e30.sig",
    }


async def test_every_kind_of_bad_proof_is_invalid_proof(
    client: httpx.AsyncClient, tenant: Tenant, token: str
) -> None:
    key = HolderKey()
    fresh = await nonce(client, tenant)
    for name, proof in _proof_cases(key, issuer_url(tenant), fresh).items():
        body = {"credential_configuration_id": VC_JWT, "proofs": {"jwt": [proof]}}
        response = await request_credential(client, tenant, token, body)
        assert response.status_code == 400, (name, response.text)
        assert response.json()["error"] == "invalid_proof", (name, response.text)
    hs256 = HolderKey().proof(issuer_url(tenant), fresh, header={"alg": "HS256"})
    body = {"credential_configuration_id": VC_JWT, "proofs": {"jwt": [hs256]}}
    assert_error(await request_credential(client, tenant, token, body), 400, "invalid_proof")


async def test_a_nonce_is_used_once_and_must_be_ours(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, credential: dict[str, Any]
) -> None:
    offer = await make_offer(client, tenant, credential["id"])
    token = await access_token(client, tenant, offer)
    key, audience = HolderKey(), issuer_url(tenant)
    for unknown in ("made-up", "0123456789abcdef-" + "A" * 43, await nonce(client, other_tenant)):
        body = {
            "credential_configuration_id": VC_JWT,
            "proofs": {"jwt": [key.proof(audience, unknown)]},
        }
        assert_error(await request_credential(client, tenant, token, body), 400, "invalid_nonce")
    fresh = await nonce(client, tenant)
    body = {"credential_configuration_id": VC_JWT, "proofs": {"jwt": [key.proof(audience, fresh)]}}
    assert (await request_credential(client, tenant, token, body)).status_code == 200
    replayed = {
        "credential_configuration_id": "OpenBadgeCredential_jwt_vc_json",
        **{"proofs": body["proofs"]},
    }
    assert_error(await request_credential(client, tenant, token, replayed), 400, "invalid_nonce")


async def test_an_expired_nonce_is_invalid_nonce(
    client: httpx.AsyncClient,
    tenant: Tenant,
    token: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    from app.oid4vci.models import WalletNonce

    fresh = await nonce(client, tenant)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(WalletNonce).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    body = {
        "credential_configuration_id": VC_JWT,
        "proofs": {"jwt": [HolderKey().proof(issuer_url(tenant), fresh)]},
    }
    assert_error(await request_credential(client, tenant, token, body), 400, "invalid_nonce")


async def test_an_access_token_gives_each_configuration_once(
    client: httpx.AsyncClient, tenant: Tenant, token: str
) -> None:
    assert (await pick_up(client, tenant, token, VC_JWT, HolderKey())).status_code == 200
    again = await pick_up(client, tenant, token, VC_JWT, HolderKey())
    assert_error(again, 400, "credential_request_denied")


@pytest.mark.parametrize("action", ["revoke", "suspend"])
async def test_no_pickup_after_revocation_or_suspension(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any], token: str, action: str
) -> None:
    changed = await client.post(
        f"/v1/credentials/{credential['id']}/{action}",
        json={"reason_code": "other", "reason": "Checked by the exam board."},
        headers=tenant.headers,
    )
    assert changed.status_code == 200
    refused = await pick_up(client, tenant, token, VC_JWT, HolderKey())
    assert_error(refused, 400, "credential_request_denied")


async def test_a_copy_picked_up_before_revocation_is_revoked_with_the_record(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any], token: str
) -> None:
    picked = await pick_up(client, tenant, token, VC_JWT, HolderKey())
    copy = picked.json()["credentials"][0]["credential"]
    await client.post(
        f"/v1/credentials/{credential['id']}/revoke",
        json={"reason_code": "other", "reason": "Withdrawn."},
        headers=tenant.headers,
    )
    report = (await client.post("/v1/verify", json={"verifiableCredential": copy})).json()
    assert not report["verified"]
    status = next(c for c in report["checks"] if c["check"] == "status")
    assert "revoked" in status["detail"]


# --- notification endpoint ---


async def test_notification_errors(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any], token: str
) -> None:
    notification_id = (await pick_up(client, tenant, token, VC_JWT, HolderKey())).json()[
        "notification_id"
    ]
    other = await access_token(client, tenant, await make_offer(client, tenant, credential["id"]))
    path = f"/issuers/{tenant.slug}/notification"

    async def notify(body: Any, bearer: str | None = token) -> httpx.Response:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return await client.post(path, json=body, headers=headers)

    accepted = {"notification_id": notification_id, "event": "credential_accepted"}
    assert_error(await notify(accepted, None), 401, "invalid_token")
    assert_error(await notify(accepted, other), 400, "invalid_notification_id")
    for wrong_id in ("nope", None, "00000000-0000-0000-0000-000000000000"):
        wrong = {"notification_id": wrong_id, "event": "credential_accepted"}
        assert_error(await notify(wrong), 400, "invalid_notification_id")
    malformed: list[Any] = [
        [],
        {"notification_id": notification_id},
        {"notification_id": notification_id, "event": "credential_lost"},
        {
            "notification_id": notification_id,
            "event": "credential_failure",
            "event_description": "é",
        },
        {"notification_id": notification_id, "event": "credential_failure", "event_description": 3},
    ]
    for body in malformed:
        assert_error(await notify(body), 400, "invalid_notification_request")
    assert (await notify({**accepted, "event": "credential_deleted"})).status_code == 204
