"""Claim-link tokens: ``<key id>-<secret>``, of which only SHA-256 of the secret is stored.

The same construction as API keys (``app.auth.tokens``): the key id finds the row, the secret is
256 random bits compared by hash in constant time, so a slow hash would buy nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from app.auth.tokens import hash_secret, secret_matches

KEY_ID_LENGTH = 16


@dataclass(frozen=True, slots=True)
class ClaimToken:
    key_id: str
    secret: str

    @property
    def token(self) -> str:
        return f"{self.key_id}-{self.secret}"

    @property
    def secret_hash(self) -> bytes:
        return hash_secret(self.secret)

    def matches(self, stored_hash: bytes) -> bool:
        return secret_matches(self.secret, stored_hash)


def new_claim_token() -> ClaimToken:
    return ClaimToken(
        key_id=secrets.token_hex(KEY_ID_LENGTH // 2), secret=secrets.token_urlsafe(32)
    )


def parse_claim_token(token: str) -> ClaimToken | None:
    key_id, _, secret = token.partition("-")
    if len(key_id) != KEY_ID_LENGTH or len(secret) < 32 or len(secret) > 64:
        return None
    if not all(c in "0123456789abcdef" for c in key_id):
        return None
    return ClaimToken(key_id=key_id, secret=secret)


def new_public_id() -> str:
    """The unguessable part of a public credential page's URL (128 random bits)."""
    return secrets.token_urlsafe(16)
