"""did:web identifiers and documents for institutions."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from app.config import get_settings
from app.keys.models import SigningKey
from app.keys.multikey import multibase_of

DID_CONTEXT = [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/jwk/v1",
    "https://w3id.org/security/multikey/v1",
]
MULTIKEY_SUFFIX = "-multikey"


def institution_did(slug: str) -> str:
    """``did:web:<host>:issuers:<slug>``, resolving to ``/issuers/<slug>/did.json``."""
    return f"{_did_prefix(get_settings().public_host)}{slug}"


@functools.lru_cache(maxsize=8)
def _did_prefix(public_host: str) -> str:
    # Quoting the host was most of the cost, and every verification asks for the prefix.
    return f"did:web:{quote(public_host, safe='')}:issuers:"


def issuer_base_url(slug: str) -> str:
    return f"{get_settings().public_base_url}/issuers/{slug}"


def key_url(slug: str, kid: str) -> str:
    """A URL that dereferences to the bare public JWK (the ``kid`` of the ob3-jwt profile)."""
    return f"{issuer_base_url(slug)}/keys/{kid}"


def did_document(slug: str, keys: Iterable[SigningKey]) -> dict[str, Any]:
    """Each key as a ``JsonWebKey`` at ``#<kid>`` (what our ``kid``s name, as VC-JOSE-COSE
    verifiers expect), and each P-256 or Ed25519 key once more as a ``Multikey`` at
    ``#<kid>-multikey``: did-jwt(-vc) takes neither ``JsonWebKey`` nor the ``kid``, and tries
    every method of a type it knows. See docs/verification.md."""
    did = institution_did(slug)
    methods: list[dict[str, Any]] = []
    for key in keys:
        methods.append(
            {
                "id": f"{did}#{key.kid}",
                "type": "JsonWebKey",
                "controller": did,
                "publicKeyJwk": key.public_jwk,
            }
        )
        multibase = multibase_of(key.public_jwk)
        if multibase is not None:
            methods.append(
                {
                    "id": f"{did}#{key.kid}{MULTIKEY_SUFFIX}",
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": multibase,
                }
            )
    method_ids = [m["id"] for m in methods]
    return {
        "@context": DID_CONTEXT,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": method_ids,
    }
