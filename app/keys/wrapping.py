"""Key wrapping: private keys are stored only encrypted under a key-encryption key (KEK).

:class:`KeyWrapper` is the seam for a KMS or HSM; :class:`AesGcmKeyWrapper` uses a KEK from the
settings. The associated data binds each ciphertext to its key row, so ciphertexts cannot be
swapped between keys or institutions.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.config import get_settings


class KeyUnwrapError(Exception):
    """The wrapped key could not be decrypted with this KEK (wrong KEK or tampered data)."""


class KeyWrapper(Protocol):
    def wrap(self, plaintext: bytes, context: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes: ...


class AesGcmKeyWrapper:
    _FORMAT = b"\x01"  # AES-256-GCM, 96-bit random nonce

    def __init__(self, kek: bytes) -> None:
        self._aead = AESGCM(kek)

    def wrap(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = os.urandom(12)
        return self._FORMAT + nonce + self._aead.encrypt(nonce, plaintext, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        if wrapped[:1] != self._FORMAT:
            raise KeyUnwrapError("unknown wrapping format")
        try:
            return self._aead.decrypt(wrapped[1:13], wrapped[13:], context)
        except InvalidTag as exc:
            raise KeyUnwrapError("wrong key-encryption key or tampered ciphertext") from exc


@lru_cache(maxsize=1)
def default_key_wrapper() -> KeyWrapper:
    return AesGcmKeyWrapper(get_settings().kek_bytes)
