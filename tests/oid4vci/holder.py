"""A holder's side of the pickup in a few lines of Python: keys, key proofs and the HTTP steps.

The error paths need requests no wallet would send; the wallet library from npm
(``tests/wallet``) shows the well-formed flow end to end.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import orjson

from app.base64url import b64url
from app.keys.algorithms import (
    Algorithm,
    PrivateKey,
    generate_private_key,
    public_jwk,
    sign_compact,
)
from tests.factories import Tenant

PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
JWT_VC_JSON = "OpenBadgeCredential_jwt_vc_json"
VC_JWT = "OpenBadgeCredential_vc+jwt"
SD_JWT_VC = "LearningCredential_dc+sd-jwt"


@dataclass
class HolderKey:
    algorithm: Algorithm = "ES256"
    private: PrivateKey = field(init=False)
    jwk: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.private = generate_private_key(self.algorithm)
        _, jwk = public_jwk(self.private, self.algorithm)
        self.jwk = {k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y")}

    @property
    def did_jwk(self) -> str:
        encoded = orjson.dumps(self.jwk, option=orjson.OPT_SORT_KEYS)
        return "did:jwk:" + b64url(encoded)

    @property
    def did_key(self) -> str:
        raw = base64.urlsafe_b64decode(self.jwk["x"] + "==")
        if self.algorithm == "EdDSA":
            prefixed = b"\xed\x01" + raw
        else:
            y = base64.urlsafe_b64decode(self.jwk["y"] + "==")
            prefixed = b"\x80\x24" + bytes([2 + (y[-1] & 1)]) + raw
        return "did:key:z" + _base58(prefixed)

    def proof(
        self,
        audience: str,
        nonce: str | None,
        *,
        header: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
    ) -> str:
        chosen = {"typ": "openid4vci-proof+jwt", "alg": self.algorithm, "jwk": self.jwk}
        chosen.update(header or {})
        payload: dict[str, Any] = {"aud": audience, "iat": int(time.time())}
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(claims or {})
        payload = {k: v for k, v in payload.items() if v is not None}
        chosen = {k: v for k, v in chosen.items() if v is not None}
        return sign_compact(self.private, self.algorithm, chosen, orjson.dumps(payload))


def _base58(raw: bytes) -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number, out = int.from_bytes(raw, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        out = alphabet[digit] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def issuer_url(tenant: Tenant, base: str = "https://stapel.test") -> str:
    return f"{base}/issuers/{tenant.slug}"


@dataclass(frozen=True)
class Offer:
    body: dict[str, Any]
    path: str

    @property
    def tx_code(self) -> str:
        return str(self.body["tx_code"])

    @property
    def offer_url(self) -> str:
        return str(self.body["credential_offer_uri"])


async def make_offer(client: httpx.AsyncClient, tenant: Tenant, credential_id: str) -> Offer:
    response = await client.post(f"/v1/credentials/{credential_id}/offers", headers=tenant.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    uri = urlsplit(body["offer_uri"])
    offer_url = unquote(parse_qs(uri.query)["credential_offer_uri"][0])
    assert offer_url == body["credential_offer_uri"]
    return Offer(body, urlsplit(offer_url).path)


async def fetch_offer(client: httpx.AsyncClient, offer: Offer) -> dict[str, Any]:
    response = await client.get(offer.path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def pre_authorized_code(offer_object: dict[str, Any]) -> str:
    return str(offer_object["grants"][PRE_AUTHORIZED]["pre-authorized_code"])


async def token_response(
    client: httpx.AsyncClient, tenant: Tenant, code: str, tx_code: str | None
) -> httpx.Response:
    form = {"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code}
    if tx_code is not None:
        form["tx_code"] = tx_code
    return await client.post(f"/issuers/{tenant.slug}/token", data=form)


async def access_token(client: httpx.AsyncClient, tenant: Tenant, offer: Offer) -> str:
    code = pre_authorized_code(await fetch_offer(client, offer))
    response = await token_response(client, tenant, code, offer.tx_code)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def nonce(client: httpx.AsyncClient, tenant: Tenant) -> str:
    response = await client.post(f"/issuers/{tenant.slug}/nonce")
    assert response.status_code == 200, response.text
    return str(response.json()["c_nonce"])


async def request_credential(
    client: httpx.AsyncClient,
    tenant: Tenant,
    token: str,
    body: dict[str, Any],
) -> httpx.Response:
    return await client.post(
        f"/issuers/{tenant.slug}/credential",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


async def pick_up(
    client: httpx.AsyncClient,
    tenant: Tenant,
    token: str,
    configuration_id: str,
    *keys: HolderKey,
) -> httpx.Response:
    fresh = await nonce(client, tenant)
    proofs = [key.proof(issuer_url(tenant), fresh) for key in keys]
    body = {"credential_configuration_id": configuration_id, "proofs": {"jwt": proofs}}
    return await request_credential(client, tenant, token, body)


def payload_of(jwt: str) -> dict[str, Any]:
    segment = jwt.split(".")[1]
    decoded: dict[str, Any] = orjson.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded
