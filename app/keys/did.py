"""did:web identifiers and documents for institutions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from app.config import get_settings
from app.keys.models import SigningKey

DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"]


def institution_did(slug: str) -> str:
    """``did:web:<host>:issuers:<slug>``, resolving to ``/issuers/<slug>/did.json``."""
    host = quote(get_settings().public_host, safe="")
    return f"did:web:{host}:issuers:{slug}"


def issuer_base_url(slug: str) -> str:
    return f"{get_settings().public_base_url}/issuers/{slug}"


def key_url(slug: str, kid: str) -> str:
    """A URL that dereferences to the bare public JWK (the ``kid`` of the ob3-jwt profile)."""
    return f"{issuer_base_url(slug)}/keys/{kid}"


def did_document(slug: str, keys: Iterable[SigningKey]) -> dict[str, Any]:
    did = institution_did(slug)
    methods = [
        {
            "id": f"{did}#{key.kid}",
            "type": "JsonWebKey",
            "controller": did,
            "publicKeyJwk": key.public_jwk,
        }
        for key in keys
    ]
    method_ids = [m["id"] for m in methods]
    return {
        "@context": DID_CONTEXT,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": method_ids,
    }
