"""Multikey public keys (W3C Controlled Identifiers 1.0): P-256 and Ed25519 as multibase text.

``publicKeyMultibase`` is ``z`` + base58btc of a multicodec prefix (an unsigned varint) and the
key bytes: ``0xed 0x01`` and the 32 bytes of an Ed25519 key, ``0x80 0x24`` and the 33-byte
compressed P-256 point. RSA has no Multikey encoding there. A ``did:key`` is the same text.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from app.base64url import b64url

_ED25519_PUB = b"\xed\x01"
_P256_PUB = b"\x80\x24"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_MAX_LENGTH = 128


class NotAMultikey(ValueError):
    """The text is not a P-256 or Ed25519 Multikey; the message says why."""


def multibase_of(jwk: dict[str, Any]) -> str | None:
    """The ``publicKeyMultibase`` of a public P-256 or Ed25519 JWK; None for other keys."""
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        return _base58btc(_ED25519_PUB + _b64url_decode(jwk["x"]))
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
        x, y = _b64url_decode(jwk["x"]), _b64url_decode(jwk["y"])
        compressed = bytes([2 + (y[-1] & 1)]) + x
        return _base58btc(_P256_PUB + compressed)
    return None


def jwk_of(multibase: str) -> dict[str, str]:
    """The public JWK a Multikey names; ``NotAMultikey`` for anything else."""
    raw = _base58btc_decode(multibase)
    if raw is None:
        raise NotAMultikey("not a base58btc multibase value")
    if raw.startswith(_ED25519_PUB) and len(raw) == 34:
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw[2:])}
    if raw.startswith(_P256_PUB) and len(raw) == 35:
        try:
            point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
        except ValueError:
            raise NotAMultikey("the P-256 point is not on the curve") from None
        numbers = point.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }
    raise NotAMultikey("only P-256 and Ed25519 keys are accepted")


def _base58btc(raw: bytes) -> str:
    number = int.from_bytes(raw, "big")
    digits = ""
    while number:
        number, digit = divmod(number, 58)
        digits = _BASE58[digit] + digits
    leading_zeros = len(raw) - len(raw.lstrip(b"\x00"))
    return "z" + "1" * leading_zeros + digits


def _base58btc_decode(value: str) -> bytes | None:
    if not value.startswith("z") or not 1 < len(value) <= _MAX_LENGTH:
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


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
