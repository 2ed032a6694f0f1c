"""The errors of the OpenID endpoints, by the names OAuth 2.0 and OpenID4VCI 1.0 give them.

These endpoints are read by wallets, not by our API clients: they answer with the
``{"error", "error_description"}`` bodies of RFC 6749 §5.2, RFC 6750 §3.1 and OpenID4VCI §8.3.1,
never with problem+json. ``app.oid4vci.routing`` turns each into its response in one place.
"""

from __future__ import annotations

from typing import ClassVar


class OAuthError(Exception):
    status_code: ClassVar[int] = 400
    error: ClassVar[str] = "invalid_request"

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class InvalidRequest(OAuthError):
    """A token request that lacks a parameter or repeats one (RFC 6749 §5.2)."""


class InvalidGrant(OAuthError):
    """A pre-authorised code that is unknown, used, expired or dead, or a wrong tx_code."""

    error = "invalid_grant"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class InvalidToken(OAuthError):
    """A missing, unknown or expired access token: 401 with ``WWW-Authenticate`` (RFC 6750)."""

    status_code = 401
    error = "invalid_token"


class InvalidCredentialRequest(OAuthError):
    error = "invalid_credential_request"


class UnknownCredentialConfiguration(OAuthError):
    error = "unknown_credential_configuration"


class InvalidProof(OAuthError):
    error = "invalid_proof"


class InvalidNonce(OAuthError):
    """The proof's ``nonce`` is no live c_nonce of ours: the wallet should fetch a fresh one."""

    error = "invalid_nonce"


class CredentialRequestDenied(OAuthError):
    """The credential cannot be handed out (revoked, suspended, expired, picked up already)."""

    error = "credential_request_denied"


class InvalidNotificationId(OAuthError):
    error = "invalid_notification_id"


class InvalidNotificationRequest(OAuthError):
    error = "invalid_notification_request"


class IssuerNotFound(OAuthError):
    """No institution answers to this credential issuer identifier."""

    status_code = 404
    error = "not_found"
