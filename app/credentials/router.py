from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request, Response, status

from app.auth.dependencies import CredentialIssuer, CredentialReader, CredentialRevoker
from app.credentials import lifecycle, service
from app.credentials.grouped import SingleIssuance
from app.credentials.issuance import Outcome
from app.credentials.learners import digest_for_query
from app.credentials.models import Credential
from app.credentials.repository import CredentialFilter
from app.credentials.schemas import (
    BatchOut,
    BatchResult,
    ClaimLinkOut,
    CredentialBatchIssue,
    CredentialIssue,
    CredentialOut,
    CredentialSummary,
    IdempotencyKey,
    ReinstateRequest,
    RevokeRequest,
    SuspendRequest,
)
from app.db.session import DbSession
from app.errors import NotAcceptable
from app.http.direct_routes import DirectRoute
from app.mail.schemas import ClaimLinkMail
from app.pagination import Cursor, Limit, Page, decode_keyset_cursor, next_keyset_cursor
from app.problems import domain_problem
from app.responses import AUTHENTICATED, json_response, problems, streamed_list_response
from app.sharing import service as sharing
from app.sharing.service import public_url
from app.status_lists.service import own_entries

router = APIRouter(prefix="/v1/credentials", tags=["credentials"])
# Single issuance, the busiest authenticated route: its arguments are resolved in one step
# (app.http.direct_routes), and it is matched on the app itself (app.main).
issuance_router = APIRouter(
    prefix="/v1/credentials", tags=["credentials"], route_class=DirectRoute, responses=problems(503)
)

VC_JWT = "application/vc+jwt"


def credential_summary(credential: Credential, claim_url: str | None = None) -> CredentialSummary:
    return CredentialSummary(**_summary_fields(credential, claim_url))


def _summary_fields(credential: Credential, claim_url: str | None) -> dict[str, Any]:
    document = credential.document
    return {
        "id": credential.id,
        "credential_id": document["id"],
        "achievement_id": credential.achievement_id,
        "achievement_version": _achievement_version(document),
        "profile": credential.profile,
        "state": credential.state,
        "issued_at": credential.issued_at,
        "valid_until": credential.valid_until,
        "awarded_on": credential.awarded_on,
        "status": [
            {
                "purpose": entry["statusPurpose"],
                "status_list_credential": entry["statusListCredential"],
                "index": int(entry["statusListIndex"]),
            }
            for entry in own_entries(document)
        ],
        "status_changed_at": credential.status_changed_at,
        "status_reason_code": credential.status_reason_code,
        "public_url": public_url(credential.public_id) if credential.public_id else None,
        "claim_url": claim_url,
        "jwt": credential.jwt,
    }


def _achievement_version(document: dict[str, Any]) -> int | None:
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    version = achievement.get("version") if isinstance(achievement, dict) else None
    return int(version) if isinstance(version, str) and version.isdigit() else None


def credential_out(credential: Credential, claim_url: str | None = None) -> CredentialOut:
    # Validated once, not as a summary first and then again as the answer.
    return CredentialOut(**_summary_fields(credential, claim_url), credential=credential.document)


def credential_json(credential: Credential, claim_url: str | None = None) -> bytes:
    """``credential_out`` as JSON, written by orjson without building the model.

    For the answer to a single issuance: validating the model and having pydantic serialise it
    (the credential, a ``dict[str, Any]``, value by value) was about a twentieth of the server's
    time per issuance. The fields are the same ones; ``OPT_UTC_Z`` writes times as pydantic
    does ("Z", not "+00:00"), and a test holds the two answers the same.
    """
    fields = _summary_fields(credential, claim_url)
    fields["credential"] = credential.document
    return orjson.dumps(fields, default=_uuid_text, option=orjson.OPT_UTC_Z)


def _uuid_text(value: object) -> str:
    # asyncpg's own UUID type, a subclass orjson does not take for uuid.UUID.
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


@issuance_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CredentialOut,
    responses={
        200: {
            "model": CredentialOut,
            "description": "Replay of an earlier request with the "
            "same Idempotency-Key and body: the credential issued then",
        },
        **problems(*AUTHENTICATED, 400, 409),
    },
    summary="Issue one credential",
)
async def issue_credential(
    body: CredentialIssue,
    request: Request,
    principal: CredentialIssuer,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    # Not the request's own transaction: concurrent issuances share one (group commit).
    single_issuance: SingleIssuance = request.app.state.single_issuance
    issued = await single_issuance.submit(principal, body, idempotency_key)
    headers = {"Location": f"/v1/credentials/{issued.credential.id}"}
    if issued.replayed:
        headers["Idempotent-Replayed"] = "true"
    code = status.HTTP_200_OK if issued.replayed else status.HTTP_201_CREATED
    return json_response(credential_json(issued.credential, issued.claim_url), code, headers)


@router.post(
    "/batch",
    response_model=BatchOut,
    responses=problems(*AUTHENTICATED, 400, 413),
    summary="Issue up to 1,000 credentials; a result per item, one bad item spoils no other",
)
async def issue_batch(
    body: CredentialBatchIssue, session: DbSession, principal: CredentialIssuer
) -> Response:
    # Each result is kept as the JSON of the answer's item, not as the credential with its
    # document: a batch's documents are several megabytes, let go a chunk at a time.
    results = await service.issue_summarised(
        session, principal, [(item, item.idempotency_key) for item in body.items], _batch_result
    )
    counts = Counter(status for status, _ in results)
    batch = BatchOut(
        issued=counts["issued"], replayed=counts["replayed"], failed=counts["failed"], results=[]
    )
    return streamed_list_response(batch, "results", [written for _, written in results])


def _batch_result(outcome: Outcome) -> tuple[str, bytes]:
    """The outcome's status, and its ``BatchResult`` as JSON."""
    credential, error = outcome.credential, outcome.error
    result = BatchResult(
        index=outcome.position,
        status=outcome.status,
        credential=credential_summary(credential, outcome.claim_url) if credential else None,
        error=domain_problem(error).model_dump(exclude_none=True) if error else None,
    )
    return outcome.status, result.__pydantic_serializer__.to_json(result)


_STATUS_RESPONSES = problems(*AUTHENTICATED, 400, 404, 409)


@router.post(
    "/{credential_id}/revoke",
    responses=_STATUS_RESPONSES,
    summary="Revoke for good: sets the credential's bit in its revocation list",
)
async def revoke_credential(
    credential_id: uuid.UUID, body: RevokeRequest, session: DbSession, principal: CredentialRevoker
) -> CredentialOut:
    credential = await lifecycle.change_status(
        session, principal, credential_id, "revoke", body.reason_code, body.reason
    )
    return credential_out(credential)


@router.post(
    "/{credential_id}/suspend",
    responses=_STATUS_RESPONSES,
    summary="Suspend until reinstated: sets the bit in the suspension list",
)
async def suspend_credential(
    credential_id: uuid.UUID, body: SuspendRequest, session: DbSession, principal: CredentialRevoker
) -> CredentialOut:
    credential = await lifecycle.change_status(
        session, principal, credential_id, "suspend", body.reason_code, body.reason
    )
    return credential_out(credential)


@router.post(
    "/{credential_id}/reinstate",
    responses=_STATUS_RESPONSES,
    summary="Lift a suspension: clears the bit in the suspension list",
)
async def reinstate_credential(
    credential_id: uuid.UUID,
    session: DbSession,
    principal: CredentialRevoker,
    body: ReinstateRequest | None = None,
) -> CredentialOut:
    body = body or ReinstateRequest()
    credential = await lifecycle.change_status(
        session, principal, credential_id, "reinstate", body.reason_code, body.reason
    )
    return credential_out(credential)


@router.post(
    "/{credential_id}/claim-link",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTHENTICATED, 404, 409),
    summary="A new claim link for the learner; the previous one stops working",
)
async def renew_claim_link(
    credential_id: uuid.UUID,
    session: DbSession,
    principal: CredentialIssuer,
    body: ClaimLinkMail | None = None,
) -> ClaimLinkOut:
    issued = await sharing.renew(session, principal, credential_id, body)
    return ClaimLinkOut(
        claim_url=issued.url, expires_at=issued.expires_at, mail_queued=body is not None
    )


def _wants_jwt(request: Request) -> bool:
    accept = request.headers.get("accept", "*/*").lower()
    if VC_JWT in accept:
        return True
    if any(t in accept for t in ("application/json", "*/*", "application/*")):
        return False
    raise NotAcceptable(f"Ask for application/json or {VC_JWT}.")


@router.get(
    "/{credential_id}",
    response_model=CredentialOut,
    responses={
        200: {
            "content": {VC_JWT: {"schema": {"type": "string"}}},
            "description": "The credential; the compact JWT alone with Accept: " + VC_JWT,
        },
        **problems(401, 403, 404, 406, 422),
    },
)
async def get_credential(
    credential_id: uuid.UUID, request: Request, session: DbSession, principal: CredentialReader
) -> CredentialOut | Response:
    credential = await service.get_credential(session, principal, credential_id)
    if _wants_jwt(request):
        return Response(credential.jwt, media_type=VC_JWT)
    return credential_out(credential)


@router.get("", responses=problems(*AUTHENTICATED, 400), summary="Newest first")
async def list_credentials(
    session: DbSession,
    principal: CredentialReader,
    achievement_id: uuid.UUID | None = None,
    state: Annotated[str | None, Query(pattern="^(active|suspended|revoked)$")] = None,
    student_number: Annotated[str | None, Query(max_length=64)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    did: Annotated[str | None, Query(max_length=2048)] = None,
    issued_after: datetime | None = None,
    issued_before: datetime | None = None,
    awarded_on: date | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CredentialOut]:
    where = CredentialFilter(
        achievement_id=achievement_id,
        state=state,
        learner_digest=digest_for_query(student_number=student_number, email=email, did=did),
        issued_after=issued_after,
        issued_before=issued_before,
        awarded_on=awarded_on,
    )
    found = await service.list_credentials(
        session, principal, where, before=decode_keyset_cursor(cursor), limit=limit + 1
    )
    items = [credential_out(c) for c in found[:limit]]
    next_cursor = next_keyset_cursor(found, limit, lambda c: (c.issued_at, c.id))
    return Page[CredentialOut](items=items, next_cursor=next_cursor)
