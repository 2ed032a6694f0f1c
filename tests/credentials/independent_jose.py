"""Checks a Stapel JWT the way an outside verifier would: joserfc, not the service's own code.

The key is fetched over HTTP from what the ``kid`` points at — the did:web document for a DID
URL, or the bare JWK URL of the ob3-jwt profile.
"""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from joserfc import jws
from joserfc.jwk import JWKRegistry


def unverified_header(token: str) -> dict[str, Any]:
    segment = token.split(".", maxsplit=1)[0]
    header: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return header


def did_web_document_path(did: str) -> str:
    """did:web:host:issuers:slug -> /issuers/slug/did.json (the host is the test server)."""
    _, _, host, *path = did.split(":")
    assert unquote(host) == "stapel.test"
    return "/" + "/".join(path) + "/did.json"


async def resolve_key(client: httpx.AsyncClient, kid: str) -> dict[str, Any]:
    if kid.startswith("did:web:"):
        did = kid.partition("#")[0]
        document = (await client.get(did_web_document_path(did))).json()
        assert document["id"] == did
        method = next(m for m in document["verificationMethod"] if m["id"] == kid)
        assert method["type"] == "JsonWebKey"
        assert kid in document["assertionMethod"]
        key: dict[str, Any] = method["publicKeyJwk"]
        return key
    response = await client.get(urlsplit(kid).path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jwk+json")
    jwk: dict[str, Any] = response.json()
    return jwk


async def verify(client: httpx.AsyncClient, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify the signature; return (header, payload)."""
    header = unverified_header(token)
    public = JWKRegistry.import_key(await resolve_key(client, header["kid"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc flags "EdDSA" as superseded by RFC 9864
        result = jws.deserialize_compact(token, public, algorithms=[header["alg"]])
    payload: dict[str, Any] = json.loads(result.payload)
    return dict(result.headers()), payload
