"""A did:jwk issuer whose key a test holds, to sign documents this service would never issue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.verification.forge import b64url, b64url_json


@dataclass
class DidJwkIssuer:
    key: ed25519.Ed25519PrivateKey = field(default_factory=ed25519.Ed25519PrivateKey.generate)

    @property
    def did(self) -> str:
        public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return "did:jwk:" + b64url_json({"kty": "OKP", "crv": "Ed25519", "x": b64url(public)})

    def sign(self, credential: dict[str, Any]) -> str:
        """``credential`` as a VC-JOSE-COSE token (``vc+jwt``) signed with this issuer's key."""
        header = {"alg": "EdDSA", "typ": "vc+jwt", "kid": f"{self.did}#0"}
        signing_input = f"{b64url_json(header)}.{b64url_json(credential)}"
        signature = self.key.sign(signing_input.encode("ascii"))
        return f"{signing_input}.{b64url(signature)}"

    def envelope(self, credential: dict[str, Any]) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": "EnvelopedVerifiableCredential",
            "id": "data:application/vc+jwt," + self.sign(credential),
        }
