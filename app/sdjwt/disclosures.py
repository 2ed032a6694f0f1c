"""Disclosures and their digests (RFC 9901 §4.2).

A disclosure is the base64url encoding of a JSON array: ``[salt, name, value]`` for an object
property, ``[salt, value]`` for an array element. Its digest is the base64url SHA-256 of the
disclosure *as encoded*: the verifier never re-encodes, so the issuer's exact bytes count.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

import orjson

from app.base64url import b64url
from app.sdjwt.errors import MalformedDisclosure, ReservedClaimName

SD_ALG = "sha-256"
SALT_BYTES = 16  # 128 bits, the RFC's recommended minimum
RESERVED_NAMES = frozenset({"_sd", "..."})
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def digest(encoded: str) -> str:
    """The SHA-256 digest of an encoded disclosure (or of any ASCII string), base64url."""
    return b64url(hashlib.sha256(encoded.encode("ascii")).digest())


@dataclass(frozen=True, slots=True)
class Disclosure:
    encoded: str
    salt: str
    name: str | None  # None for an array element
    value: Any

    @property
    def digest(self) -> str:
        return digest(self.encoded)


def disclose(name: str | None, value: Any) -> Disclosure:
    """A new disclosure with a fresh random salt."""
    if name in RESERVED_NAMES:
        raise ReservedClaimName(f"{name!r} cannot be made selectively disclosable.")
    salt = b64url(secrets.token_bytes(SALT_BYTES))
    members: list[Any] = [salt, value] if name is None else [salt, name, value]
    return Disclosure(b64url(orjson.dumps(members)), salt, name, value)


def decoy_digest() -> str:
    """A digest of nothing: hides how many claims the credential really has (RFC 9901 §4.2.5)."""
    return digest(b64url(secrets.token_bytes(SALT_BYTES)))


def parse_disclosure(encoded: str) -> Disclosure:
    if not _BASE64URL.fullmatch(encoded):  # match() with $ lets a final newline through
        raise MalformedDisclosure("A disclosure is not unpadded base64url.")
    try:
        members = orjson.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise MalformedDisclosure("A disclosure is not base64url-encoded JSON.") from None
    if not isinstance(members, list) or len(members) not in (2, 3):
        raise MalformedDisclosure("A disclosure must be a JSON array of two or three elements.")
    salt = members[0]
    if not isinstance(salt, str):
        raise MalformedDisclosure("A disclosure's salt must be a string.")
    if len(members) == 2:
        return Disclosure(encoded, salt, None, members[1])
    name = members[1]
    if not isinstance(name, str):
        raise MalformedDisclosure("A disclosure's claim name must be a string.")
    if name in RESERVED_NAMES:
        raise ReservedClaimName(f"A disclosure names the reserved claim {name!r}.")
    return Disclosure(encoded, salt, name, members[2])
