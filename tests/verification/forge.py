"""Helpers to forge compact JWS tokens for the hostile-token tests.

Segments are built by hand (base64url of JSON) so a test controls every byte the verifier reads;
signatures come either from an institution's real key (``Signer.sign``, read from the database)
or from keys made here with ``cryptography``, never from the verifier's own code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.institutions import repository as institutions
from app.keys import service as keys
from app.keys.signer import Signer

Json = dict[str, Any]
Mutation = Callable[[Json], None]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: object) -> str:
    return b64url(json_bytes(value))


def json_bytes(value: object) -> bytes:
    """Compact JSON with the stdlib (unlike orjson it writes integers of any size)."""
    return json.dumps(value, separators=(",", ":")).encode()


def decode_segment(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def split(token: str) -> tuple[Json, Json, str]:
    """(header, payload, signature segment) of a compact JWS, without verifying anything."""
    header, payload, signature = token.split(".")
    return decode_segment(header), decode_segment(payload), signature


def compact(header: object, payload: object, signature: bytes = b"") -> str:
    """An assembled token with whatever signature bytes it is given (empty: unsigned)."""
    return f"{b64url_json(header)}.{b64url_json(payload)}.{b64url(signature)}"


def with_payload(token: str, payload: object) -> str:
    """The same header and signature over a different payload: tampering."""
    header, _, signature = token.split(".")
    return f"{header}.{b64url_json(payload)}.{signature}"


async def signer_of(sessionmaker: async_sessionmaker[AsyncSession], slug: str) -> Signer:
    """The active signer of an institution: its real private key, for re-signing forgeries."""
    async with sessionmaker() as session:
        institution = await institutions.get_by_slug(session, slug)
        assert institution is not None, slug
        return await keys.signer_for(session, institution)


def resign(
    signer: Signer,
    token: str,
    mutate: Mutation | None = None,
    *,
    header: Json | None = None,
    kid: str | None = None,
) -> str:
    """``token``'s payload, changed by ``mutate``, signed again by ``signer``.

    The header is the original one updated with ``header`` (and ``kid``), so a test can sign
    with one institution's key while naming another's.
    """
    original_header, payload, _ = split(token)
    if mutate is not None:
        mutate(payload)
    new_header = {**original_header, **(header or {})}
    if kid is not None:
        new_header["kid"] = kid
    return signer.sign(new_header, json_bytes(payload))


def hs256(header: Json, payload: Json, secret: bytes) -> str:
    """An HMAC-SHA256 token: the classic key-confusion forgery when ``secret`` is a public key."""
    signing_input = f"{b64url_json(header)}.{b64url_json(payload)}"
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def sign_with_fresh_key(header: Json, payload: Json) -> str:
    """Signed with a key made on the spot, of the type ``header["alg"]`` needs."""
    signing_input = f"{b64url_json(header)}.{b64url_json(payload)}".encode("ascii")
    alg = header["alg"]
    if alg == "ES256":
        signature = es256_signature(ec.generate_private_key(ec.SECP256R1()), signing_input)
    elif alg == "EdDSA":
        signature = ed25519.Ed25519PrivateKey.generate().sign(signing_input)
    elif alg == "RS256":
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        signature = rsa_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise ValueError(f"no fresh key for {alg}")
    return f"{signing_input.decode('ascii')}.{b64url(signature)}"


def es256_signature(key: ec.EllipticCurvePrivateKey, signing_input: bytes) -> bytes:
    """The JWS form of an ES256 signature: r and s, 32 bytes each."""
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def replace_segment(token: str, index: int, segment: str) -> str:
    parts = token.split(".")
    parts[index] = segment
    return ".".join(parts)
