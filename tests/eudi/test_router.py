"""The staff download and the public metadata, through the app over HTTP."""

from __future__ import annotations

import base64
import json

import httpx

from app.eudi.learning import VCT
from app.sdjwt.presentation import reveal, split
from app.verification.jws import parse_compact, signature_valid
from tests.eudi.support import Holder, download, issued_credential, learning_credential
from tests.factories import Tenant


async def test_the_download_is_a_dc_sd_jwt_signed_by_a_key_of_the_issuer_metadata(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    holder = Holder()
    _credential, sd_jwt = await learning_credential(client, tenant, holder)
    parts = split(sd_jwt)
    parsed = parse_compact(parts.jwt)
    assert parsed.header["typ"] == "dc+sd-jwt"
    issuer = f"https://stapel.test/issuers/{tenant.slug}"
    metadata = await client.get(f"/.well-known/jwt-vc-issuer/issuers/{tenant.slug}")
    assert metadata.status_code == 200
    assert metadata.json()["issuer"] == issuer
    keys = {k["kid"]: k for k in metadata.json()["jwks"]["keys"]}
    assert signature_valid(parsed, keys[parsed.header["kid"]])
    payload = parsed.payload
    assert payload["iss"] == issuer
    assert payload["vct"] == VCT
    assert payload["cnf"] == {"jwk": holder.jwk}
    assert set(payload["status"]["status_list"]) == {"idx", "uri"}
    assert parts.key_binding is None
    claims = reveal(payload, parts.disclosures).claims
    assert claims["achievement_title"] == "Data Literacy for Policy Makers"
    assert claims["learner_identification"] == "did:example:sanne"
    assert claims["level_of_learning_experience"] == 6
    assert claims["assessment_grade"] == "8.5"
    assert "achievement_title" not in payload  # disclosable, not in clear


async def test_every_claim_but_the_technical_ones_is_selectively_disclosable(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, sd_jwt = await learning_credential(client, tenant, Holder())
    payload = parse_compact(split(sd_jwt).jwt).payload
    assert set(payload) <= {"iss", "vct", "iat", "nbf", "exp", "cnf", "status", "_sd", "_sd_alg"}
    assert len(payload["_sd"]) > len(split(sd_jwt).disclosures)  # decoys among the digests
    disclosed = {
        name: value
        for _, name, value in (
            json.loads(base64.urlsafe_b64decode(d + "=" * (-len(d) % 4)))
            for d in split(sd_jwt).disclosures
        )
    }
    # The name given in parts: the claims the EU reference issuer asks for, each withholdable.
    assert (disclosed["family_name"], disclosed["given_name"]) == ("de Vries", "Sanne")


async def test_the_download_is_audited(client: httpx.AsyncClient, tenant: Tenant) -> None:
    credential, _ = await learning_credential(client, tenant, Holder())
    events = await client.get("/v1/audit-events", headers=tenant.headers)
    actions = [e["action"] for e in events.json()["items"] if e["target_id"] == credential["id"]]
    assert "credential.sd_jwt_vc_issued" in actions


async def test_a_private_holder_key_is_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    credential = await issued_credential(client, tenant)
    leaked = {**Holder().jwk, "d": "c2VjcmV0"}
    response = await download(client, tenant, credential["id"], leaked)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_revoked_credential_is_not_issued_again(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential = await issued_credential(client, tenant)
    revoked = await client.post(
        f"/v1/credentials/{credential['id']}/revoke",
        json={"reason_code": "issued_in_error"},
        headers=tenant.headers,
    )
    assert revoked.status_code == 200, revoked.text
    response = await download(client, tenant, credential["id"], Holder().jwk)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"


async def test_another_institutions_credential_is_not_found(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    credential = await issued_credential(client, tenant)
    response = await download(client, other_tenant, credential["id"], Holder().jwk)
    assert response.status_code == 404


async def test_the_type_metadata_describes_every_claim(client: httpx.AsyncClient) -> None:
    response = await client.get("/eudi/types/learning-credential")
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["vct"] == VCT
    paths = [claim["path"] for claim in metadata["claims"]]
    assert ["achievement_title"] in paths
    assert all(claim["sd"] == "always" for claim in metadata["claims"])


async def test_issuer_metadata_of_an_unknown_issuer_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/jwt-vc-issuer/issuers/nobody-here")
    assert response.status_code == 404
