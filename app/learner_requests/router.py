"""``/v1/credential-requests``: learners asking for micro-credentials, and staff deciding."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from app.auth.dependencies import CredentialIssuer, RequestReader, RequestWriter
from app.db.session import DbSession
from app.learner_requests import decisions, repository, service
from app.learner_requests.evidence import external_token
from app.learner_requests.models import CredentialRequest, ExternalCredential
from app.learner_requests.schemas import (
    ApproveIn,
    BulkApproveIn,
    BulkError,
    BulkOut,
    BulkResult,
    DenyIn,
    ExternalCredentialOut,
    RequestCreate,
    RequestOut,
    RequestStatus,
)
from app.learner_requests.service import Evidence, Requester
from app.pagination import Cursor, Limit, Page, decode_keyset_cursor, next_keyset_cursor
from app.responses import AUTHENTICATED, problems

router = APIRouter(prefix="/v1/credential-requests", tags=["credential requests"])


def request_out(request: CredentialRequest, external: ExternalCredential | None) -> RequestOut:
    return RequestOut(
        id=request.id,
        achievement_id=request.achievement_id,
        status=request.status,
        source=request.source,
        evidence_text=request.evidence_text,
        evidence_url=request.evidence_url,
        external_credential=ExternalCredentialOut.model_validate(external) if external else None,
        credential_id=request.credential_id,
        reason=request.reason,
        created_at=request.created_at,
        decided_at=request.decided_at,
    )


async def _outs(session: DbSession, requests: Sequence[CredentialRequest]) -> list[RequestOut]:
    ids = [r.external_credential_id for r in requests if r.external_credential_id]
    externals = await repository.externals(session, ids)
    return [
        request_out(
            r, externals.get(r.external_credential_id) if r.external_credential_id else None
        )
        for r in requests
    ]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTHENTICATED, 400, 404, 413),
    summary="Ask for a micro-credential on a learner's behalf",
)
async def create_request(
    body: RequestCreate, request: Request, session: DbSession, principal: RequestWriter
) -> RequestOut:
    """Evidence is a text, a link, and/or an external credential: refused (422
    `external_credential_unverified`, `issuer_not_recognised`, `identity_mismatch`) unless it
    verifies, comes from an issuer the institution recognises and names this learner."""
    evidence = Evidence(body.evidence.text, body.evidence.url, await external_token(body.evidence))
    requester = Requester(principal.tenant(), principal.actor, "api")
    created = await service.create_request(
        session, request.app.state.fetcher, requester, body.achievement_id, body.learner, evidence
    )
    return (await _outs(session, [created]))[0]


@router.get("", responses=problems(*AUTHENTICATED, 400))
async def list_requests(
    session: DbSession,
    principal: RequestReader,
    status: Annotated[RequestStatus | None, Query()] = "pending",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[RequestOut]:
    """The institution's requests, oldest first (`pending` unless another status is asked)."""
    found = await service.list_requests(
        session, principal, status=status, after=decode_keyset_cursor(cursor), limit=limit + 1
    )
    return Page[RequestOut](
        items=await _outs(session, found[:limit]),
        next_cursor=next_keyset_cursor(found, limit, lambda r: (r.created_at, r.id)),
    )


@router.get("/{request_id}", responses=problems(*AUTHENTICATED, 400, 404))
async def get_request(
    request_id: uuid.UUID, session: DbSession, principal: RequestReader
) -> RequestOut:
    return (await _outs(session, [await service.get_request(session, principal, request_id)]))[0]


@router.post("/bulk-approve", responses=problems(*AUTHENTICATED, 400))
async def bulk_approve(
    body: BulkApproveIn, session: DbSession, principal: CredentialIssuer
) -> BulkOut:
    """Approve each request; each one's outcome is reported, and one that fails (not found,
    decided already, refused by the issuing policy) leaves nothing behind and undoes none of
    the others."""
    outcomes = await decisions.approve_many(session, principal, body.ids, body.reason)
    return BulkOut(
        results=[
            BulkResult(id=o.request_id, status="approved", credential_id=o.request.credential_id)
            if o.request is not None
            else BulkResult(
                id=o.request_id,
                status="failed",
                error=BulkError(code=o.error_code or "", detail=o.error_detail or ""),
            )
            for o in outcomes
        ]
    )


@router.post("/{request_id}/approve", responses=problems(*AUTHENTICATED, 400, 404, 409))
async def approve(
    request_id: uuid.UUID,
    session: DbSession,
    principal: CredentialIssuer,
    body: ApproveIn | None = None,
) -> RequestOut:
    """Issue the credential asked for, as `POST /v1/credentials` does, in this key's name;
    `409 request_not_pending` when the request was decided already."""
    reason = body.reason if body else None
    approved = await decisions.approve(session, principal, request_id, reason)
    return (await _outs(session, [approved]))[0]


@router.post("/{request_id}/deny", responses=problems(*AUTHENTICATED, 400, 404, 409))
async def deny(
    request_id: uuid.UUID, body: DenyIn, session: DbSession, principal: CredentialIssuer
) -> RequestOut:
    """Close the request with a reason; `409 request_not_pending` when decided already."""
    denied = await decisions.deny(session, principal, request_id, body.reason)
    return (await _outs(session, [denied]))[0]
