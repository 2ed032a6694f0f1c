"""Why an SD-JWT was refused: one class per reason, each with a stable ``code``.

The codes are part of the API (the verifier reports them, clients branch on them): never rename
one.
"""

from __future__ import annotations

from typing import ClassVar


class SdJwtError(Exception):
    code: ClassVar[str] = "sd_jwt_invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class MalformedSdJwt(SdJwtError):
    """Not ``<JWT>~<disclosure>~…~[<KB-JWT>]``."""

    code = "sd_jwt_malformed"


class UnsupportedHashAlgorithm(SdJwtError):
    code = "sd_alg_unsupported"


class MalformedDisclosure(SdJwtError):
    """Not base64url of a JSON array of two or three elements with a string salt and name."""

    code = "disclosure_malformed"


class ReservedClaimName(SdJwtError):
    """A disclosure names ``_sd`` or ``...``, which would rewrite the structure itself."""

    code = "disclosure_reserved_name"


class UnreferencedDisclosure(SdJwtError):
    """A disclosure whose digest no ``_sd`` or ``...`` of the payload holds."""

    code = "disclosure_unreferenced"


class DuplicateDigest(SdJwtError):
    """A digest that appears more than once in the payload and its disclosures."""

    code = "digest_duplicate"


class DisclosureMisplaced(SdJwtError):
    """An object disclosure referenced from an array, or the reverse."""

    code = "disclosure_misplaced"


class ClaimOverwritten(SdJwtError):
    """A disclosed claim name that the object holds in clear already."""

    code = "claim_overwritten"


class KeyBindingMissing(SdJwtError):
    code = "key_binding_missing"


class KeyBindingInvalid(SdJwtError):
    """The KB-JWT is malformed, wrongly typed, or not signed by the ``cnf`` key."""

    code = "key_binding_invalid"


class KeyBindingHashMismatch(SdJwtError):
    """The KB-JWT's ``sd_hash`` is over another SD-JWT (other disclosures, another order)."""

    code = "key_binding_sd_hash_mismatch"


class KeyBindingNonceMismatch(SdJwtError):
    code = "key_binding_nonce_mismatch"


class KeyBindingAudienceMismatch(SdJwtError):
    code = "key_binding_audience_mismatch"


class KeyBindingStale(SdJwtError):
    """The KB-JWT's ``iat`` is outside the accepted window."""

    code = "key_binding_stale"
