"""Wallet pickup that works: metadata, offer, token, nonce, credential, notification."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Tenant
from tests.oid4vci.holder import (
    JWT_VC_JSON,
    SD_JWT_VC,
    VC_JWT,
    HolderKey,
    access_token,
    issuer_url,
    make_offer,
    nonce,
    payload_of,
    pick_up,
    request_credential,
)


async def test_issuer_metadata_is_at_the_path_inserted_well_known_address(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.get(f"/.well-known/openid-credential-issuer/issuers/{tenant.slug}")
    assert response.status_code == 200
    metadata = response.json()
    issuer = issuer_url(tenant)
    assert metadata["credential_issuer"] == issuer
    assert metadata["credential_endpoint"] == f"{issuer}/credential"
    assert metadata["nonce_endpoint"] == f"{issuer}/nonce"
    assert metadata["notification_endpoint"] == f"{issuer}/notification"
    assert "authorization_servers" not in metadata  # the issuer is its own
    assert {d["locale"] for d in metadata["display"]} == {"nl", "en"}
    configurations = dict(metadata["credential_configurations_supported"])
    learning = configurations.pop(SD_JWT_VC)
    assert learning["format"] == "dc+sd-jwt"
    assert learning["vct"] == "urn:eu.europa.ec.eudi:learning:credential:1"
    assert learning["cryptographic_binding_methods_supported"] == ["jwk"]
    assert ["achievement_title"] in [c["path"] for c in learning["credential_metadata"]["claims"]]
    assert configurations[JWT_VC_JSON]["format"] == "jwt_vc_json"
    assert configurations[VC_JWT]["format"] == "vc+jwt"
    for configuration in configurations.values():
        assert configuration["credential_definition"]["type"] == [
            "VerifiableCredential",
            "OpenBadgeCredential",
        ]
        assert configuration["cryptographic_binding_methods_supported"] == [
            "jwk",
            "did:jwk",
            "did:key",
        ]
        assert configuration["proof_types_supported"]["jwt"][
            "proof_signing_alg_values_supported"
        ] == ["ES256", "EdDSA"]
        assert configuration["credential_signing_alg_values_supported"] == ["ES256"]
        assert configuration["credential_metadata"]["display"][0]["background_color"]


async def test_token_server_metadata_follows_rfc_8414(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.get(f"/.well-known/oauth-authorization-server/issuers/{tenant.slug}")
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["issuer"] == issuer_url(tenant)
    assert metadata["token_endpoint"] == f"{issuer_url(tenant)}/token"
    assert metadata["grant_types_supported"] == [
        "urn:ietf:params:oauth:grant-type:pre-authorized_code"
    ]
    assert metadata["pre-authorized_grant_anonymous_access_supported"] is True


async def test_an_unknown_issuer_has_no_metadata(client: httpx.AsyncClient) -> None:
    for path in (
        "/.well-known/openid-credential-issuer/issuers/nobody",
        "/.well-known/oauth-authorization-server/issuers/nobody",
        "/.well-known/openid-credential-issuer/issuers/Not%00Valid",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"


async def test_the_offer_holds_a_pre_authorised_code_and_asks_for_a_numeric_tx_code(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]
) -> None:
    offer = await make_offer(client, tenant, credential["id"])
    assert offer.body["offer_uri"].startswith("openid-credential-offer://?credential_offer_uri=")
    assert offer.tx_code.isdigit()
    assert len(offer.tx_code) == 6
    response = await client.get(offer.path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["credential_issuer"] == issuer_url(tenant)
    assert body["credential_configuration_ids"] == [JWT_VC_JSON, VC_JWT, SD_JWT_VC]
    grant = body["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    assert grant["tx_code"]["input_mode"] == "numeric"
    assert grant["tx_code"]["length"] == 6
    assert offer.tx_code not in response.text


async def test_each_configuration_is_the_same_record_signed_afresh_for_the_holder(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]
) -> None:
    token = await access_token(client, tenant, await make_offer(client, tenant, credential["id"]))
    holder = HolderKey()

    as_vc_jose = await pick_up(client, tenant, token, VC_JWT, holder)
    assert as_vc_jose.status_code == 200, as_vc_jose.text
    assert as_vc_jose.headers["cache-control"] == "no-store"
    jwt = as_vc_jose.json()["credentials"][0]["credential"]
    payload = payload_of(jwt)
    assert payload["id"] == credential["credential"]["id"]
    assert payload["credentialSubject"]["id"] == holder.did_jwk
    assert payload["credentialStatus"] == credential["credential"]["credentialStatus"]

    as_jwt_vc_json = await pick_up(client, tenant, token, JWT_VC_JSON, holder)
    assert as_jwt_vc_json.status_code == 200, as_jwt_vc_json.text
    v11 = payload_of(as_jwt_vc_json.json()["credentials"][0]["credential"])
    assert v11["sub"] == holder.did_jwk
    assert v11["vc"]["credentialSubject"]["id"] == holder.did_jwk
    assert v11["jti"] == credential["credential"]["id"]

    for picked in (jwt, as_jwt_vc_json.json()["credentials"][0]["credential"]):
        report = (await client.post("/v1/verify", json={"verifiableCredential": picked})).json()
        assert report["verified"], [c for c in report["checks"] if c["outcome"] != "passed"]


async def test_the_learning_credential_is_bound_to_the_proven_key_in_cnf(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]
) -> None:
    token = await access_token(client, tenant, await make_offer(client, tenant, credential["id"]))
    holder = HolderKey()
    response = await pick_up(client, tenant, token, SD_JWT_VC, holder)
    assert response.status_code == 200, response.text
    sd_jwt = response.json()["credentials"][0]["credential"]
    payload = payload_of(sd_jwt.split("~")[0])
    assert payload["cnf"] == {"jwk": holder.jwk}
    assert payload["iss"] == issuer_url(tenant)
    report = (await client.post("/v1/verify", json={"verifiableCredential": sd_jwt})).json()
    assert report["verified"], [c for c in report["checks"] if c["outcome"] != "passed"]
    assert report["profile"] == "dc+sd-jwt"


async def test_a_batch_of_proofs_gets_one_copy_per_key_of_every_binding_kind(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]
) -> None:
    token = await access_token(client, tenant, await make_offer(client, tenant, credential["id"]))
    by_jwk, by_did_jwk, by_did_key_p256, by_did_key_ed25519 = (
        HolderKey(),
        HolderKey(),
        HolderKey(),
        HolderKey("EdDSA"),
    )
    fresh = await nonce(client, tenant)
    audience = issuer_url(tenant)
    proofs = [
        by_jwk.proof(audience, fresh),
        by_did_jwk.proof(audience, fresh, header={"jwk": None, "kid": f"{by_did_jwk.did_jwk}#0"}),
        by_did_key_p256.proof(
            audience,
            fresh,
            header={"jwk": None, "kid": f"{by_did_key_p256.did_key}#{by_did_key_p256.did_key[8:]}"},
        ),
        by_did_key_ed25519.proof(
            audience, fresh, header={"jwk": None, "kid": by_did_key_ed25519.did_key}
        ),
    ]
    body = {"credential_configuration_id": VC_JWT, "proofs": {"jwt": proofs}}
    response = await request_credential(client, tenant, token, body)
    assert response.status_code == 200, response.text
    subjects = [
        payload_of(c["credential"])["credentialSubject"]["id"]
        for c in response.json()["credentials"]
    ]
    assert subjects == [
        by_jwk.did_jwk,
        by_did_jwk.did_jwk,
        by_did_key_p256.did_key,
        by_did_key_ed25519.did_key,
    ]


async def test_notifications_are_recorded_and_audited(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]
) -> None:
    token = await access_token(client, tenant, await make_offer(client, tenant, credential["id"]))
    picked = await pick_up(client, tenant, token, VC_JWT, HolderKey())
    notification_id = picked.json()["notification_id"]
    response = await client.post(
        f"/issuers/{tenant.slug}/notification",
        json={"notification_id": notification_id, "event": "credential_accepted"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 204, response.text
    audit = await client.get("/v1/audit-events", headers=tenant.headers)
    actions = [e["action"] for e in audit.json()["items"]]
    for action in (
        "credential.wallet_offer_created",
        "credential.wallet_offer_redeemed",
        "credential.picked_up",
        "credential.wallet_credential_accepted",
    ):
        assert action in actions
