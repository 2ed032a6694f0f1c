from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class OfferOut(BaseModel):
    """A wallet credential offer. The addresses and the tx_code are shown here once only."""

    offer_uri: str = Field(
        description="openid-credential-offer:// URI for a QR code or a link a wallet opens; "
        "holds the offer by reference"
    )
    credential_offer_uri: str = Field(
        description="The https address of the offer object itself (served once, until expiry)"
    )
    tx_code: str = Field(
        description="Numeric transaction code the learner types into the wallet; give it on "
        "another channel than the offer"
    )
    expires_at: datetime
    credential_configuration_ids: list[str]


class OAuthErrorOut(BaseModel):
    """An error of the OpenID endpoints, as RFC 6749 §5.2 and OpenID4VCI 1.0 name them."""

    error: str
    error_description: str | None = None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - RFC 6750 token type
    expires_in: int


class NonceOut(BaseModel):
    c_nonce: str


class IssuedCredentialOut(BaseModel):
    credential: str


class CredentialResponseOut(BaseModel):
    credentials: list[IssuedCredentialOut]
    notification_id: str
