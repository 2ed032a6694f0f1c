"""W3C VC-API (VCALM) endpoints beside Stapel's own REST API."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.auth.dependencies import CredentialIssuer, CredentialRevoker
from app.config import get_settings
from app.credentials.router import credential_out
from app.credentials.schemas import CredentialOut
from app.db.session import DbSession
from app.errors import FieldError, TokenTooLarge, VerificationFailed
from app.responses import AUTHENTICATED, problems
from app.vcapi import service
from app.vcapi.schemas import (
    EnvelopedCredential,
    IssueCredentialRequest,
    IssueCredentialResponse,
    UpdateCredentialStatusRequest,
    VerifyCredentialRequest,
    VerifyCredentialResponse,
)
from app.vcapi.validation import raise_if_any, secured_credential_problems
from app.verification import service as verification
from app.verification.input import token_from_value
from app.verification.router import Fetcher

router = APIRouter(prefix="/credentials", tags=["VC-API"])


@router.post(
    "/issue",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTHENTICATED, 400),
    summary="Issue: sign a VC Data Model 2.0 credential as the institution (vc-jose)",
)
async def issue(
    body: IssueCredentialRequest, session: DbSession, principal: CredentialIssuer
) -> IssueCredentialResponse:
    credential, claim = await service.issue_document(session, principal, body.credential)
    return IssueCredentialResponse(
        verifiableCredential=EnvelopedCredential(id=f"data:application/vc+jwt,{credential.jwt}"),
        claimUrl=claim.url,
    )


@router.post(
    "/verify",
    responses=problems(400, 413, 422),
    summary="Verify; a credential that fails verification is a 422 problem naming the checks",
)
async def verify(
    body: VerifyCredentialRequest, session: DbSession, fetcher: Fetcher
) -> VerifyCredentialResponse:
    token = token_from_value(body.verifiableCredential, "#/verifiableCredential")
    limit = get_settings().verification_max_token_bytes
    if len(token) > limit:
        raise TokenTooLarge(f"The credential has {len(token)} bytes; at most {limit} are accepted.")
    result = await verification.verify(session, fetcher, token)
    failed = [c for c in result.checks if c.outcome == "failed"]
    failures = [FieldError("#/verifiableCredential", c.detail, c.check) for c in failed]
    if result.profile == "vc-jose" and result.credential is not None:
        # Pointers name members of the decoded credential, as /v1/verify returns it.
        broken = secured_credential_problems(result.credential, "#/credential")
        if broken:
            raise_if_any(broken + failures)
    if failed:
        raise VerificationFailed(
            f"{len(failed)} check(s) failed: " + ", ".join(c.check for c in failed),
            errors=failures,
        )
    return VerifyCredentialResponse(
        checks=[c.check for c in result.checks if c.outcome == "passed"],
        warnings=[c.detail for c in result.checks if c.outcome == "warning"],
        errors=[],
    )


@router.post(
    "/status",
    responses=problems(*AUTHENTICATED, 400, 404, 409),
    summary="Update status: revoked, suspended, or active again",
)
async def update_status(
    body: UpdateCredentialStatusRequest, session: DbSession, principal: CredentialRevoker
) -> CredentialOut:
    credential = await service.update_status(
        session, principal, body.credentialId, body.credentialStatus
    )
    return credential_out(credential)
