"""Compact JWS, read defensively: strict parsing, an algorithm allow-list, key-type checks.

Signatures are checked with jwcrypto; the claims are checked by the verifier itself, because
credentials in the wild carry non-standard claim values (ISO dates in ``iat``) that a strict
JWT library would reject before the signature is even looked at.
"""

from __future__ import annotations

import binascii
import functools
from dataclasses import dataclass
from typing import Any

import orjson
import pybase64
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

# Asymmetric algorithms only: never "none", never HMAC (whose "key" could be a public key).
ALLOWED_ALGORITHMS = frozenset(
    {
        "ES256",
        "ES384",
        "ES512",
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "EdDSA",
        "Ed25519",
    }
)
_KEY_TYPES = {
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", "Ed25519"),
    "Ed25519": ("OKP", "Ed25519"),
}
_RSA = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
MAX_JSON_DEPTH = 64


class MalformedToken(ValueError):
    """Not a compact JWS whose header and payload are JSON objects."""


@dataclass(frozen=True, slots=True)
class CompactJws:
    token: str
    header: dict[str, Any]
    payload: dict[str, Any]
    signature: bytes


def _b64decode(segment: str) -> bytes:
    """A base64url segment (unpadded, URL-safe alphabet), strictly.

    Python's own decoder silently skips characters outside the alphabet; a token with junk in it
    must not verify as if it were the clean one. pybase64 validates in C at about a tenth of the
    cost of a regular expression and the standard library's decoder, which was a tenth of
    verifying a credential. It would also take the standard alphabet's "+" and "/" beside the
    URL-safe one, and padding, so those are refused first.
    """
    if "+" in segment or "/" in segment or "=" in segment:
        raise MalformedToken("a segment is not base64url (unpadded, URL-safe alphabet)")
    try:
        return pybase64.b64decode(
            segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True
        )
    except (binascii.Error, ValueError) as exc:  # non-ASCII text is a ValueError
        raise MalformedToken("a segment is not base64url (unpadded, URL-safe alphabet)") from exc


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:  # also raised past orjson's own depth limit
        raise MalformedToken(f"the {what} is not JSON") from exc
    if not isinstance(value, dict):
        raise MalformedToken(f"the {what} is not a JSON object")
    # Nesting needs containers: with fewer opening brackets than the limit, even counting those
    # inside strings, it cannot be exceeded, and a credential has a few dozen.
    if raw.count(b"{") + raw.count(b"[") >= MAX_JSON_DEPTH and depth_exceeds(value, MAX_JSON_DEPTH):
        raise MalformedToken(f"the {what} nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def depth_exceeds(value: object, limit: int) -> bool:
    """True when JSON nests deeper than ``limit``; a scalar inside a container is one level more.

    Level by level and iteratively (no recursion to exhaust); only containers are carried to
    the next level, so the strings and numbers that make up most of a credential are looked at
    once, in C, instead of each taking a turn through the loop.
    """
    level: list[Any] = [value] if isinstance(value, _CONTAINERS) else []
    depth = 1
    while level:
        deeper = False
        containers: list[Any] = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item
            if children:
                deeper = True
                for child in children:
                    if isinstance(child, _CONTAINERS):
                        containers.append(child)
        if not deeper:
            break
        depth += 1
        level = containers
    return depth > limit


_CONTAINERS = (dict, list)  # a tuple: isinstance against a union type is several times slower


def parse_compact(token: str) -> CompactJws:
    if "~" in token:
        raise MalformedToken("SD-JWT (selective disclosure) credentials are not supported")
    # Partitioned rather than split: split looks at every character of a ~6 KB credential in
    # a loop, partition finds each dot with memchr.
    encoded_header, _, rest = token.partition(".")
    encoded_payload, dot, encoded_signature = rest.partition(".")
    if not (encoded_header and encoded_payload and dot) or "." in encoded_signature:
        raise MalformedToken("a compact JWS has three dot-separated segments")
    header = _json_object(_b64decode(encoded_header), "header")
    payload = _json_object(_b64decode(encoded_payload), "payload")
    return CompactJws(token, header, payload, _b64decode(encoded_signature))


def algorithm_problem(header: dict[str, Any]) -> str | None:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
        return f"algorithm {alg!r} is not accepted (only asymmetric signature algorithms are)"
    return None


def key_problem(alg: str, key: dict[str, Any]) -> str | None:
    """The key must be of the type the algorithm needs, and public."""
    kty, crv = key.get("kty"), key.get("crv")
    if alg in _RSA:
        return None if kty == "RSA" else f"{alg} needs an RSA key, not {kty}"
    wanted = _KEY_TYPES.get(alg)
    if wanted != (kty, crv):
        return f"{alg} needs a {wanted} key, not {(kty, crv)}"
    if key.get("alg") not in (None, alg) and not {alg, key.get("alg")} <= {"EdDSA", "Ed25519"}:
        return f"the key is for {key.get('alg')}, not {alg}"
    return None


def key_members(key: dict[str, Any]) -> frozenset[tuple[str, str]]:
    """A JWK's string members (all a public key needs), hashable: a cache key for the key."""
    return frozenset((k, v) for k, v in key.items() if isinstance(v, str))


@functools.lru_cache(maxsize=256)
def _public_key(members: frozenset[tuple[str, str]]) -> jwk.JWK:
    """Building a JWK (and its key object) costs more than the ECDSA check itself; the same
    few issuer keys sign almost everything a verifier sees."""
    return jwk.JWK(**dict(members))


@functools.lru_cache(maxsize=256)
def _verifying_key(members: frozenset[tuple[str, str]]) -> object:
    """The cryptography key object of a public JWK (jwcrypto looks it up anew on every call)."""
    return _public_key(members).get_op_key("verify")


# Checked with cryptography directly: jwcrypto's JWS object re-parses and copies the token,
# ~1 ms a credential, five times the signature check itself. Anything else (RSA, a "crit" or
# "b64" header) still goes through jwcrypto. The ECDSA parameters hold no state: made once.
_EC_ALGORITHMS: dict[str, tuple[ec.ECDSA, int]] = {
    "ES256": (ec.ECDSA(hashes.SHA256()), 32),
    "ES384": (ec.ECDSA(hashes.SHA384()), 48),
    "ES512": (ec.ECDSA(hashes.SHA512()), 66),
}
_EDDSA = ("EdDSA", "Ed25519")


def signature_valid(parsed: CompactJws, key: dict[str, Any]) -> bool:
    alg = parsed.header["alg"]
    try:
        members = key_members(key)
        if (alg in _EC_ALGORITHMS or alg in _EDDSA) and not {"crit", "b64"} & parsed.header.keys():
            return _directly_valid(_verifying_key(members), alg, parsed)
        public = _public_key(members)
        verifier = jws.JWS()
        verifier.deserialize(parsed.token)
        verifier.allowed_algs = [alg]
        verifier.verify(public, alg=alg)
    except (JWException, ValueError, TypeError, KeyError):
        return False
    return True


def _directly_valid(verifying_key: object, alg: str, parsed: CompactJws) -> bool:
    signing_input = parsed.token.rpartition(".")[0]
    signature = parsed.signature
    try:
        if alg in _EDDSA:
            if not isinstance(verifying_key, ed25519.Ed25519PublicKey):
                return False
            verifying_key.verify(signature, signing_input.encode("ascii"))
            return True
        ecdsa, size = _EC_ALGORITHMS[alg]
        if not isinstance(verifying_key, ec.EllipticCurvePublicKey) or len(signature) != 2 * size:
            return False
        r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        der = encode_dss_signature(r, s)
        verifying_key.verify(der, signing_input.encode("ascii"), ecdsa)
    except InvalidSignature:
        return False
    return True
