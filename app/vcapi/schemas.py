"""Request and response shapes of the W3C VC-API (VCALM) endpoints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.verification.schemas import CheckOut, VerificationOut


class IssueOptions(BaseModel):
    model_config = ConfigDict(extra="allow")


class IssueCredentialRequest(BaseModel):
    credential: dict[str, Any] = Field(description="A VC Data Model 2.0 credential without proof.")
    options: IssueOptions | None = None


class EnvelopedCredential(BaseModel):
    context: list[str] = Field(alias="@context", default=["https://www.w3.org/ns/credentials/v2"])
    id: str = Field(description="data:application/vc+jwt,<compact JWT>")
    type: Literal["EnvelopedVerifiableCredential"] = "EnvelopedVerifiableCredential"

    model_config = ConfigDict(populate_by_name=True)


class IssueCredentialResponse(BaseModel):
    verifiableCredential: EnvelopedCredential  # noqa: N815 - the VC-API's name
    claimUrl: str = Field(  # noqa: N815 - named in the VC-API's style
        description="Stapel's addition: the learner's claim link, shown only in this answer."
    )


class VerifyCredentialRequest(BaseModel):
    verifiableCredential: Any = Field(  # noqa: N815 - the VC-API's name
        description="A compact JWT, a data: URL or an EnvelopedVerifiableCredential."
    )
    options: dict[str, Any] | None = None


class VerifyCredentialResponse(BaseModel):
    verified: Literal[True] = True
    checks: list[str]
    warnings: list[str]
    errors: list[str]


class StatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["BitstringStatusListEntry", "BitstringStatusListCredential"] = (
        "BitstringStatusListEntry"
    )
    status: Literal["revoked", "suspended", "active"] = Field(
        description="revoked (final), suspended, or active (lifts a suspension)."
    )


class UpdateCredentialStatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # No NUL: Postgres cannot compare with it, so it never reaches a query.
    credentialId: str = Field(  # noqa: N815 - the VC-API's name
        min_length=1, max_length=2048, pattern=r"^[^\x00]+$"
    )
    credentialStatus: list[StatusUpdate] = Field(min_length=1, max_length=2)  # noqa: N815


class VerifyPresentationOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    challenge: str | None = Field(
        default=None, max_length=1024, description="Must equal the holder-signed nonce."
    )
    domain: str | None = Field(
        default=None, max_length=1024, description="Must be (one of) the holder-signed aud."
    )


class VerifyPresentationRequest(BaseModel):
    verifiablePresentation: Any = Field(  # noqa: N815 - the VC-API's name
        description="A vp+jwt (compact, or its data:application/vp+jwt, URL, or an "
        "EnvelopedVerifiablePresentation), or an unsecured VerifiablePresentation holding "
        "enveloped credentials."
    )
    options: VerifyPresentationOptions | None = None


class PresentationChecks(BaseModel):
    checks: list[CheckOut] = Field(
        description="parsing, algorithm, header, key, signature, claims, validity, challenge, "
        "domain and credentials"
    )


class VerifyPresentationResponse(BaseModel):
    verified: Literal[True] = True
    holder: str | None = Field(description="The DID whose key signed the presentation.")
    presentationResult: PresentationChecks  # noqa: N815 - the VC-API's name
    credentialResults: list[VerificationOut]  # noqa: N815 - the VC-API's name
    errors: list[str]
