from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from app.keys.algorithms import Algorithm, PrivateKey, sign_compact


@dataclass(frozen=True, slots=True)
class Signer:
    """Signs with one institution key. The private key never leaves this object."""

    key_id: uuid.UUID
    kid: str
    algorithm: Algorithm
    issuer_did: str
    key_url: str
    _private_key: PrivateKey = field(repr=False)

    @property
    def did_url(self) -> str:
        return f"{self.issuer_did}#{self.kid}"

    def sign(self, header: dict[str, Any], payload: bytes) -> str:
        return sign_compact(self._private_key, self.algorithm, header, payload)
