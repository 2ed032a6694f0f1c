from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.certificates.chain import load_pem_bundle, x5c
from app.certificates.service import ListedCertificate


class IssuerCertificateOut(BaseModel):
    """A certificate chain of one of the institution's signing keys. Public material only."""

    id: uuid.UUID
    kid: str = Field(description="The signing key the chain certifies")
    subject: str = Field(description="The leaf certificate's subject (RFC 4514)")
    issuer: str = Field(description="The leaf certificate's issuer (RFC 4514)")
    serial_number: str = Field(description="The leaf's serial number, hexadecimal")
    fingerprint: str = Field(description="SHA-256 of the leaf's DER encoding, hexadecimal")
    not_before: datetime
    not_after: datetime
    development: bool = Field(
        description="Issued by the local development CA of `stapel dev`: not for production"
    )
    current: bool = Field(
        description="The key's newest certificate valid now, which new signatures carry"
    )
    created_at: datetime
    retired_at: datetime | None = Field(description="When the certified key was rotated out")
    x5c: list[str] = Field(
        description="The chain as a JOSE x5c value: base64 DER, leaf first, no self-signed root"
    )

    @classmethod
    def of(cls, listed: ListedCertificate) -> IssuerCertificateOut:
        row = listed.certificate
        return cls(
            id=row.id,
            kid=listed.kid,
            subject=row.subject,
            issuer=row.issuer,
            serial_number=row.serial_number,
            fingerprint=row.fingerprint,
            not_before=row.not_before,
            not_after=row.not_after,
            development=row.development,
            current=listed.current,
            created_at=row.created_at,
            retired_at=row.retired_at,
            x5c=x5c(load_pem_bundle(row.chain_pem)),
        )
