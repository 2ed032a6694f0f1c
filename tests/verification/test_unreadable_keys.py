"""Keys a foreign server publishes are read by POST /v1/verify; one whose members are not
base64url (non-ASCII text in ``x``, say) fails a check or is passed over, never a 500.

The foreign servers are a MockTransport behind the app's own safe fetcher.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import FastAPI

from app.keys.algorithms import sign_compact
from app.sdjwt.issuance import serialise
from tests.vcapi.test_vcapi import vc
from tests.verification.forge import b64url, b64url_json
from tests.verification.support import Server, make_fetcher

Json = dict[str, Any]

# Members of a P-256 / Ed25519 key that no base64url decoder reads.
UNREADABLE = [
    pytest.param("é" * 43, id="non-ascii"),
    pytest.param("\u00ff" * 43, id="latin-1"),
    pytest.param("!" * 43, id="outside-the-alphabet"),
]


@pytest.fixture
async def server(app: FastAPI) -> AsyncIterator[Server]:
    """The servers the verifier reaches, for this test only."""
    served = Server()
    original = app.state.fetcher
    app.state.fetcher = make_fetcher(served)
    try:
        yield served
    finally:
        await app.state.fetcher.aclose()
        app.state.fetcher = original


async def _verify(client: httpx.AsyncClient, token: str) -> Json:
    response = await client.post("/v1/verify", json={"verifiableCredential": token})
    assert response.status_code == 200, response.text
    report: Json = response.json()
    return report


def _checks(report: Json) -> dict[str, tuple[str, str]]:
    return {c["check"]: (c["outcome"], c["detail"]) for c in report["checks"]}


@pytest.mark.parametrize("x", UNREADABLE)
async def test_a_key_url_serving_an_unreadable_key_fails_the_key_check(
    client: httpx.AsyncClient, server: Server, x: str
) -> None:
    key_url = "https://keys.example/key.json"
    server.json(key_url, {"kty": "EC", "crv": "P-256", "x": x, "y": x})
    # Signed by nobody: the key is refused before a signature is looked at.
    header = {"alg": "ES256", "typ": "vc+jwt", "kid": key_url}
    payload = vc(issuer="did:web:hogeschool.example")
    token = f"{b64url_json(header)}.{b64url_json(payload)}.{b64url(bytes(64))}"

    report = await _verify(client, token)

    assert report["verified"] is False
    outcome, detail = _checks(report)["key"]
    assert outcome == "failed"
    assert "not to the issuer" in detail
    assert _checks(report)["signature"][0] == "skipped"


class _Issuer:
    """A foreign SD-JWT VC issuer: its metadata, a Status List Token, and its key."""

    def __init__(self, server: Server, name: str = "https://issuer.example") -> None:
        self.key = ed25519.Ed25519PrivateKey.generate()
        self.name = name
        self.list_uri = f"{name}/status-lists/1"
        self.server = server
        public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(public)}

    def publish(self, *keys: Json) -> None:
        metadata = {"issuer": self.name, "jwks": {"keys": list(keys)}}
        self.server.json("https://issuer.example/.well-known/jwt-vc-issuer", metadata)
        did = "did:jwk:" + b64url_json(self.jwk)
        token = self.sign(
            {"typ": "statuslist+jwt", "kid": f"{did}#0"},
            # One byte of zeros, zlib: every entry valid.
            {"sub": self.list_uri, "status_list": {"bits": 1, "lst": "eJxjAAAAAQAB"}},
        )
        headers = {"content-type": "application/statuslist+jwt"}
        self.server.raw(self.list_uri, token.encode(), headers)

    def sign(self, header: Json, payload: Json) -> str:
        return sign_compact(self.key, "EdDSA", {"alg": "EdDSA", **header}, orjson.dumps(payload))

    def credential(self) -> str:
        payload = {
            "iss": self.name,
            "vct": "https://issuer.example/credentials/diploma",
            "status": {"status_list": {"uri": self.list_uri, "idx": 0}},
        }
        return serialise(self.sign({"typ": "dc+sd-jwt", "kid": "signing"}, payload), [])


@pytest.mark.parametrize("x", UNREADABLE)
async def test_an_unreadable_key_beside_the_issuers_in_its_metadata_is_passed_over(
    client: httpx.AsyncClient, server: Server, x: str
) -> None:
    issuer = _Issuer(server)
    issuer.publish({**issuer.jwk, "kid": "signing"}, {**issuer.jwk, "kid": "broken", "x": x})

    report = await _verify(client, issuer.credential())

    checks = _checks(report)
    assert checks["signature"][0] == "passed", checks
    assert checks["status"] == ("passed", "the status list says valid")
    assert issuer.list_uri in server.urls
