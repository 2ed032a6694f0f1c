"""Typed domain errors.

Services raise these; ``app.problems`` turns each into an RFC 9457 problem response. The ``code``
of each class is part of the public API: clients branch on it, so never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field, addressed by a JSON Pointer into the request body, or a parameter."""

    pointer: str
    detail: str
    code: str = "invalid"
    parameter: str | None = None  # a path or query parameter's name (then ``pointer`` is "")


@dataclass(frozen=True, slots=True)
class RowError:
    """One invalid field of a row of an uploaded file, addressed by line and column."""

    line: int
    column: str
    detail: str


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class Unauthenticated(DomainError):
    status_code = 401
    code = "unauthenticated"
    title = "Missing or invalid API key"


class InsufficientScope(DomainError):
    status_code = 403
    code = "insufficient_scope"
    title = "The API key lacks the scope for this operation"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    title = "Conflict with the current state"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "Idempotency key already used with another request"


class WebhookIdReused(Conflict):
    code = "webhook_id_reused"
    title = "This webhook-id was accepted before with another body"


class SlugTaken(Conflict):
    code = "slug_taken"
    title = "Slug already in use"


class CredentialIdTaken(Conflict):
    code = "credential_id_taken"
    title = "Another credential already has this id"


class InvalidState(Conflict):
    code = "invalid_state"
    title = "Not allowed in the current state"


class SuspensionNotOffered(InvalidState):
    code = "suspension_not_offered"
    title = "The credential has no suspension status entry"


class ValidationFailed(DomainError):
    status_code = 422
    code = "validation_failed"
    title = "The request is not valid"


class RowsNotValid(ValidationFailed):
    """Rows of a file that are not valid; nothing of the file was stored."""

    code = "rows_not_valid"
    title = "Rows of the file are not valid"

    def __init__(self, detail: str, *, rows: list[RowError]) -> None:
        super().__init__(detail)
        self.rows = rows


class MalformedRequest(DomainError):
    status_code = 400
    code = "malformed_request"
    title = "The request body could not be parsed"


class InvalidBody(MalformedRequest):
    code = "invalid_body"
    title = "The request body is not valid UTF-8"


class JsonTooDeep(MalformedRequest):
    code = "json_too_deep"
    title = "The JSON body nests too deep"


class InvalidCharacters(ValidationFailed):
    """A string holds a character that cannot be stored: NUL or a lone surrogate."""

    code = "invalid_characters"
    title = "The request holds characters that cannot be stored"


class PolicyViolation(DomainError):
    status_code = 422
    code = "policy_violation"
    title = "The request breaks an issuing policy"


class AchievementNotPublished(PolicyViolation):
    code = "achievement_not_published"
    title = "Only published achievements can be issued"


class UnsupportedProfile(PolicyViolation):
    code = "unsupported_profile"
    title = "The securing profile cannot be used with this key"


class BatchTooLarge(DomainError):
    status_code = 413
    code = "batch_too_large"
    title = "Too many items in one batch"


class NotAcceptable(DomainError):
    status_code = 406
    code = "not_acceptable"
    title = "No representation matches the Accept header"


class TokenTooLarge(DomainError):
    status_code = 413
    code = "credential_too_large"
    title = "The credential is larger than this verifier accepts"


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"
    title = "Send application/json or application/vc+jwt"


class VerificationFailed(ValidationFailed):
    code = "verification_failed"
    title = "The credential did not verify"


class InvalidSignature(DomainError):
    """A refused webhook signature; ``reason`` says why, finer than ``code``, for the log."""

    status_code = 401
    code = "invalid_signature"
    title = "The webhook signature does not verify"

    def __init__(self, detail: str, *, reason: str = "signature_mismatch") -> None:
        super().__init__(detail)
        self.reason = reason


class StaleTimestamp(InvalidSignature):
    code = "stale_timestamp"
    title = "The webhook timestamp is outside the accepted window"

    def __init__(self, detail: str, *, off_by_seconds: int) -> None:
        super().__init__(detail, reason="timestamp_outside_tolerance")
        self.off_by_seconds = off_by_seconds  # the timestamp minus this server's clock


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"
    title = "The request body is larger than accepted"


class RequestTimeout(DomainError):
    status_code = 408
    code = "request_timeout"
    title = "The request body did not arrive in time"


class RateLimited(DomainError):
    """Too many requests from one caller; ``retry_after`` is whole seconds until the next one."""

    status_code = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ImageTooLarge(PayloadTooLarge):
    code = "image_too_large"
    title = "The image is larger than accepted"


class UnsupportedImageType(UnsupportedMediaType):
    code = "unsupported_image_type"
    title = "Send the image as PNG or JPEG"


class InvalidImage(ValidationFailed):
    code = "invalid_image"
    title = "The image cannot be read"


class AddressRefused(ValidationFailed):
    code = "address_not_allowed"
    title = "The URL is not allowed as a webhook target"


class CredentialNotReadable(DomainError):
    """What the verify page was given (a file, or a URL's answer) holds no credential it can read.

    ``reason`` says what was wrong in a word the page translates (``png_malformed``,
    ``svg_forbidden``, ``not_utf8``, ...); ``detail`` says it in English for logs and tests.
    """

    status_code = 422
    code = "credential_not_readable"
    title = "No credential could be read from what was given"

    def __init__(self, detail: str, *, reason: str) -> None:
        super().__init__(detail)
        self.reason = reason


class Gone(DomainError):
    status_code = 410
    code = "gone"
    title = "No longer available"


class ClaimLinkExpired(Gone):
    code = "claim_link_expired"
    title = "The claim link has expired or was replaced by a newer one"


class CertificateChainError(ValidationFailed):
    """A certificate chain that cannot certify a signing key; ``detail`` says why in one line.

    ``reason`` names the failed check in a word (``malformed``, ``not_a_chain``, ``expired``,
    ``not_yet_valid``, ``untrusted``, ``key_mismatch``, ``not_for_signing``).
    """

    code = "certificate_chain_invalid"
    title = "The certificate chain is not valid"

    def __init__(self, detail: str, *, reason: str) -> None:
        super().__init__(detail)
        self.reason = reason


class RequestNotPending(InvalidState):
    code = "request_not_pending"
    title = "The credential request was decided already"


class ExternalCredentialUnverified(ValidationFailed):
    code = "external_credential_unverified"
    title = "The external credential does not verify"


class IssuerNotRecognised(ValidationFailed):
    code = "issuer_not_recognised"
    title = "The institution does not recognise the external credential's issuer"


class IdentityMismatch(ValidationFailed):
    code = "identity_mismatch"
    title = "The external credential names someone else"
