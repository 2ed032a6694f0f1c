"""API key format and hashing.

A key reads ``stapel_<key id>_<secret>``. The key id finds the row; only SHA-256 of the secret is
stored. A salted slow hash buys nothing here: the secret is 256 random bits, not a password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX = "stapel"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    key_id: str
    secret: str

    @property
    def token(self) -> str:
        return f"{PREFIX}_{self.key_id}_{self.secret}"

    @property
    def secret_hash(self) -> bytes:
        return hash_secret(self.secret)


def new_token() -> IssuedToken:
    return IssuedToken(key_id=secrets.token_hex(8), secret=secrets.token_urlsafe(32))


def parse_token(token: str) -> IssuedToken | None:
    prefix, _, rest = token.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or len(key_id) != 16 or len(secret) < 32:
        return None
    return IssuedToken(key_id=key_id, secret=secret)


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def secret_matches(secret: str, stored_hash: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
