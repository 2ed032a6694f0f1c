"""Key generation, JWK export and compact JWS signing with ``cryptography``.

Signing is done directly (not through a JOSE library) because it is the hot path of issuance;
the output is plain RFC 7515 compact serialisation and is checked against an independent JOSE
library in the tests.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwcrypto import jwk

from app.base64url import b64url

Algorithm = Literal["ES256", "RS256", "EdDSA"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

ALGORITHMS: tuple[Algorithm, ...] = ("ES256", "RS256", "EdDSA")


def generate_private_key(algorithm: Algorithm) -> PrivateKey:
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return ed25519.Ed25519PrivateKey.generate()


def serialise_private_key(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key(der: bytes) -> PrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(
        key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise TypeError(f"unsupported key type {type(key).__name__}")
    return key


def public_jwk(key: PrivateKey, algorithm: Algorithm) -> tuple[str, dict[str, Any]]:
    """The public JWK and its RFC 7638 thumbprint, which serves as ``kid``."""
    public = jwk.JWK.from_pyca(key.public_key())
    kid = public.thumbprint()
    exported: dict[str, Any] = public.export_public(as_dict=True)
    exported.update({"kid": kid, "alg": algorithm, "use": "sig"})
    return kid, exported


def sign_compact(
    key: PrivateKey, algorithm: Algorithm, header: dict[str, Any], payload: bytes
) -> str:
    signing_input = f"{b64url(orjson.dumps(header))}.{b64url(payload)}"
    return f"{signing_input}.{b64url(_sign(key, algorithm, signing_input.encode('ascii')))}"


def _sign(key: PrivateKey, algorithm: Algorithm, data: bytes) -> bytes:
    if algorithm == "ES256" and isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if algorithm == "RS256" and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if algorithm == "EdDSA" and isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    raise TypeError(f"key {type(key).__name__} cannot sign {algorithm}")
