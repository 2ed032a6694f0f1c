"""Staff's read-only view of the institution's issuer certificates (imported on the CLI)."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.dependencies import KeyManager
from app.certificates import service
from app.certificates.schemas import IssuerCertificateOut
from app.db.session import DbSession
from app.responses import AUTHENTICATED, problems

router = APIRouter(prefix="/v1/certificates", tags=["keys"])


@router.get(
    "",
    responses=problems(*AUTHENTICATED),
    summary="The X.509 certificate chains of the institution's signing keys, newest first",
)
async def list_certificates(
    session: DbSession, principal: KeyManager
) -> list[IssuerCertificateOut]:
    listed = await service.list_certificates(session, principal.tenant())
    return [IssuerCertificateOut.of(entry) for entry in listed]
