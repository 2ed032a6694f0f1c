"""``did:key`` identifiers of P-256 and Ed25519 keys: the public key is the identifier itself.

A wallet names its holder key this way (key proofs of OpenID4VCI, signed presentations);
nothing is fetched to resolve one.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric import ec

from app.verification.errors import KeyResolutionError
from app.verification.resolver import ResolvedKey

# Multicodec prefixes (unsigned varints) of the public keys a did:key names here.
_ED25519_PUB = b"\xed\x01"
_P256_PUB = b"\x80\x24"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def resolve_did_key(kid: str) -> ResolvedKey:
    """``did:key:z…[#z…]``: a multibase (base58btc) multicodec public key, P-256 or Ed25519."""
    did, _, fragment = kid.partition("#")
    value = did.removeprefix("did:key:")
    if fragment and fragment != value:
        raise KeyResolutionError(
            "verification_method_not_found", "a did:key's only method is #<its own key>"
        )
    raw = _base58btc(value)
    if raw is None:
        raise KeyResolutionError("invalid_jwk", "the did:key is not a base58btc multibase value")
    if raw.startswith(_ED25519_PUB) and len(raw) == 34:
        return ResolvedKey(
            kid, {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw[2:])}, did, "did:key"
        )
    if raw.startswith(_P256_PUB) and len(raw) == 35:
        try:
            point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
        except ValueError:
            raise KeyResolutionError(
                "invalid_jwk", "the did:key's P-256 point is not on the curve"
            ) from None
        numbers = point.public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }
        return ResolvedKey(kid, jwk, did, "did:key")
    raise KeyResolutionError("invalid_jwk", "only P-256 and Ed25519 did:key keys are accepted")


def _base58btc(value: str) -> bytes | None:
    if not value.startswith("z") or not 1 < len(value) <= 128:
        return None
    number = 0
    for char in value[1:]:
        digit = _BASE58.find(char)
        if digit < 0:
            return None
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    leading_zeros = len(value[1:]) - len(value[1:].lstrip("1"))
    return b"\x00" * leading_zeros + body


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
