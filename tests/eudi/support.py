"""Getting a Learning Credential from Stapel and reading it as a verifier would."""

from __future__ import annotations

from typing import Any

import httpx

from app.keys.algorithms import PrivateKey, generate_private_key, public_jwk
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant


class Holder:
    def __init__(self) -> None:
        self.key: PrivateKey = generate_private_key("ES256")
        _, jwk = public_jwk(self.key, "ES256")
        self.jwk = {k: jwk[k] for k in ("kty", "crv", "x", "y")}


async def issued_credential(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    achievement = await published_achievement(client, tenant)
    return await issue(
        client,
        tenant,
        achievement["id"],
        learner={
            "name": "Sanne de Vries",
            "family_name": "de Vries",
            "given_name": "Sanne",
            "student_number": "s1234567",
            "did": "did:example:sanne",
        },
    )


async def download(
    client: httpx.AsyncClient, tenant: Tenant, credential_id: str, holder_jwk: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"/v1/credentials/{credential_id}/sd-jwt-vc",
        json={"holder_jwk": holder_jwk},
        headers=tenant.headers,
    )


async def learning_credential(
    client: httpx.AsyncClient, tenant: Tenant, holder: Holder
) -> tuple[dict[str, Any], str]:
    credential = await issued_credential(client, tenant)
    response = await download(client, tenant, credential["id"], holder.jwk)
    assert response.status_code == 200, response.text
    return credential, str(response.json()["credential"])
