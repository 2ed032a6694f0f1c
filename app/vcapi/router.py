"""W3C VC-API (VCALM) endpoints beside Stapel's own REST API."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, status

from app.auth.dependencies import CredentialIssuer, CredentialRevoker
from app.config import get_settings
from app.credentials.router import credential_out
from app.credentials.schemas import CredentialOut
from app.db.session import DbSession
from app.errors import FieldError, TokenTooLarge, VerificationFailed
from app.responses import AUTHENTICATED, problems
from app.vcapi import presentations, service
from app.vcapi.grouped import DocumentIssuance
from app.vcapi.schemas import (
    EnvelopedCredential,
    IssueCredentialRequest,
    IssueCredentialResponse,
    PresentationChecks,
    UpdateCredentialStatusRequest,
    VerifyCredentialRequest,
    VerifyCredentialResponse,
    VerifyPresentationOptions,
    VerifyPresentationRequest,
    VerifyPresentationResponse,
)
from app.vcapi.validation import raise_if_any, secured_credential_problems
from app.verification import service as verification
from app.verification.input import token_from_value
from app.verification.router import Fetcher
from app.verification.schemas import CheckOut

router = APIRouter(prefix="/credentials", tags=["VC-API"])


@router.post(
    "/issue",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTHENTICATED, 400, 409),
    summary="Issue: sign a VC Data Model 2.0 credential as the institution (vc-jose)",
    description="The credential claims nothing only the issuing policy grants (no credits, no "
    "formal achievement type, no catalogue achievement: a 422 policy_violation); its id, if "
    "given, is used by no other credential (a 409 credential_id_taken).",
)
async def issue(
    body: IssueCredentialRequest, request: Request, principal: CredentialIssuer
) -> IssueCredentialResponse:
    # Not the request's own transaction: concurrent issuances share one (group commit).
    document_issuance: DocumentIssuance = request.app.state.document_issuance
    credential, claim = await document_issuance.submit(principal, body.credential, None)
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


presentations_router = APIRouter(prefix="/presentations", tags=["VC-API"])


@presentations_router.post(
    "/verify",
    responses=problems(400, 413, 422),
    summary="Verify a presentation and each credential in it; a failure is a 422 problem",
)
async def verify_presentation(
    body: VerifyPresentationRequest, session: DbSession, fetcher: Fetcher
) -> VerifyPresentationResponse:
    options = body.options or VerifyPresentationOptions()
    result = await presentations.verify_presentation(
        session,
        fetcher,
        body.verifiablePresentation,
        presentations.Expectations(options.challenge, options.domain),
        datetime.now(UTC),
    )
    checks = [
        CheckOut(check=c.name, outcome=c.outcome, detail=c.detail) for c in result.checks.checks
    ]
    if not result.verified:
        raise VerificationFailed(
            "The presentation did not verify.", errors=_presentation_errors(result)
        )
    return VerifyPresentationResponse(
        holder=result.holder,
        presentationResult=PresentationChecks(checks=checks),
        credentialResults=result.credentials,
        errors=[],
    )


def _presentation_errors(result: presentations.PresentationResult) -> list[FieldError]:
    pointer = "#/verifiablePresentation"
    found = [FieldError(pointer, c.detail, c.name) for c in result.checks.failures()]
    for index, credential in enumerate(result.credentials):
        found.extend(
            FieldError(f"{pointer}/verifiableCredential/{index}", c.detail, c.check)
            for c in credential.checks
            if c.outcome == "failed"
        )
    return found
