"""``did:key`` identifiers of P-256 and Ed25519 keys: the public key is the identifier itself.

A wallet names its holder key this way (key proofs of OpenID4VCI, signed presentations);
nothing is fetched to resolve one.
"""

from __future__ import annotations

from app.keys.multikey import NotAMultikey, jwk_of
from app.verification.errors import KeyResolutionError
from app.verification.resolver import ResolvedKey


def resolve_did_key(kid: str) -> ResolvedKey:
    """``did:key:z…[#z…]``: a multibase (base58btc) multicodec public key, P-256 or Ed25519."""
    did, _, fragment = kid.partition("#")
    value = did.removeprefix("did:key:")
    if fragment and fragment != value:
        raise KeyResolutionError(
            "verification_method_not_found", "a did:key's only method is #<its own key>"
        )
    try:
        jwk = jwk_of(value)
    except NotAMultikey as exc:
        raise KeyResolutionError("invalid_jwk", f"the did:key: {exc}") from None
    return ResolvedKey(kid, jwk, did, "did:key")
