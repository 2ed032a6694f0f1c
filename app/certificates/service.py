"""Issuer certificates: CSRs for the active key, importing what a CA returns, current chains.

A key may have several certificates over time (a CA renews them); the one whose validity began
last, among those valid at a moment, is the key's current one at that moment. Certificates are
never deleted, so a credential signed under an older one still finds its chain.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID
from jwcrypto import jwk
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.service import AuditEntry, record
from app.certificates import repository
from app.certificates.chain import (
    fingerprint,
    load_pem_bundle,
    pem_bundle,
    trust_anchors,
    validate_chain,
)
from app.certificates.models import IssuerCertificate
from app.config import get_settings
from app.errors import CertificateChainError, Conflict, NotFound
from app.institutions import repository as institutions
from app.keys import repository as keys_repository
from app.keys import service as keys
from app.keys.algorithms import PrivateKey
from app.keys.did import issuer_base_url
from app.keys.models import SigningKey
from app.process_cache import ProcessCache

logger = logging.getLogger(__name__)

# In the subject of the development CA (O) and of every certificate it issues (OU), so that
# whoever reads one (a wallet's certificate view, openssl) sees what it is.
DEVELOPMENT_MARK = "Stapel development CA - not for production"


@dataclass(frozen=True, slots=True)
class _Validity:
    not_before: datetime
    not_after: datetime
    chain: tuple[x509.Certificate, ...]


# Read whenever something is signed with an x5c header; dropped here by an import, and by
# other processes within STAPEL_PROCESS_CACHE_SECONDS.
_chains: ProcessCache[uuid.UUID, tuple[_Validity, ...]] = ProcessCache()


async def chain_for_key(
    session: AsyncSession, signing_key_id: uuid.UUID, moment: datetime | None = None
) -> list[x509.Certificate] | None:
    """The chain certifying the key at ``moment`` (now by default), leaf first; None if none."""
    moment = moment or datetime.now(UTC)
    candidates = _chains.get(signing_key_id)
    if candidates is None:
        candidates = tuple(
            _Validity(row.not_before, row.not_after, tuple(load_pem_bundle(row.chain_pem)))
            for row in await repository.of_key(session, signing_key_id)
        )
        _chains.put(signing_key_id, candidates)
    for candidate in candidates:  # newest validity first
        if candidate.not_before <= moment <= candidate.not_after:
            return list(candidate.chain)
    return None


def is_current(certificate: IssuerCertificate, siblings: Sequence[IssuerCertificate]) -> bool:
    """Whether ``certificate`` is its key's current one now, among the key's ``siblings``."""
    now = datetime.now(UTC)
    valid = [c for c in siblings if c.not_before <= now <= c.not_after]
    valid.sort(key=lambda c: (c.not_before, c.created_at), reverse=True)
    return bool(valid) and valid[0].id == certificate.id


@dataclass(frozen=True, slots=True)
class ListedCertificate:
    certificate: IssuerCertificate
    kid: str
    current: bool


async def list_certificates(
    session: AsyncSession, institution_id: uuid.UUID
) -> list[ListedCertificate]:
    rows = await repository.of_institution(session, institution_id)
    by_key: dict[uuid.UUID, list[IssuerCertificate]] = {}
    for certificate, _ in rows:
        by_key.setdefault(certificate.signing_key_id, []).append(certificate)
    return [ListedCertificate(c, kid, is_current(c, by_key[c.signing_key_id])) for c, kid in rows]


# --- certificate signing requests -------------------------------------------------------------


async def signing_request(session: AsyncSession, institution_id: uuid.UUID) -> str:
    """A PKCS#10 CSR (PEM) for the institution's active key, signed with that key.

    It asks for the subject alternative names an SD-JWT VC verifier matches the credential's
    ``iss`` against (draft-ietf-oauth-sd-jwt-vc, HAIP): the issuer's URL as a URI, and this
    instance's host as a DNS name (an IP address when it is reached by one).
    """
    institution = await institutions.get(session, institution_id)
    if institution is None:
        raise NotFound("No such institution.")
    _, private_key = await keys.active_private_key(session, institution_id)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, institution.country_code),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, institution.legal_name),
            x509.NameAttribute(NameOID.COMMON_NAME, institution.legal_name),
        ]
    )
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        .add_extension(_alternative_names(institution.slug), critical=False)
    )
    csr = request.sign(private_key, signature_hash(private_key))
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _alternative_names(slug: str) -> x509.SubjectAlternativeName:
    host = urlsplit(get_settings().public_base_url).hostname or ""
    try:
        named: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        named = x509.DNSName(host)
    return x509.SubjectAlternativeName(
        [x509.UniformResourceIdentifier(issuer_base_url(slug)), named]
    )


def signature_hash(private_key: PrivateKey) -> hashes.SHA256 | None:
    """SHA-256 for ES256 and RS256 keys; EdDSA signs the message itself and takes none."""
    return None if isinstance(private_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


# --- import -----------------------------------------------------------------------------------


async def import_chain(
    session: AsyncSession,
    institution_id: uuid.UUID,
    pem_text: str,
    actor: str,
    *,
    anchors: Sequence[x509.Certificate] | None = None,
    development: bool = False,
) -> IssuerCertificate:
    """Store the chain a CA returned for the institution's active key, after checking it.

    ``anchors`` default to ``STAPEL_TRUSTED_CERTIFICATES``; the development CA passes its own.
    """
    chain = load_pem_bundle(pem_text)
    key = await keys_repository.active_key(session, institution_id)
    if key is None:
        raise NotFound("The institution has no active signing key; rotate one in first.")
    now = datetime.now(UTC)
    configured = trust_anchors(get_settings()) if anchors is None else anchors
    leaf = validate_chain(chain, configured, now)
    _check_certifies(leaf, key)
    leaf_fingerprint = fingerprint(leaf)
    if await repository.exists(session, key.id, leaf_fingerprint):
        raise Conflict("This certificate is imported for the active key already.")
    certificate = IssuerCertificate(
        institution_id=institution_id,
        signing_key_id=key.id,
        chain_pem=pem_bundle(chain),
        subject=leaf.subject.rfc4514_string(),
        issuer=leaf.issuer.rfc4514_string(),
        serial_number=format(leaf.serial_number, "x"),
        fingerprint=leaf_fingerprint,
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        development=development or _marked_development(chain),
    )
    session.add(certificate)
    await session.flush()
    _chains.forget(key.id)
    await record(
        session,
        actor,
        AuditEntry(
            "certificate.imported",
            "issuer_certificate",
            str(certificate.id),
            institution_id,
            {
                "kid": key.kid,
                "fingerprint": leaf_fingerprint,
                "subject": certificate.subject,
                "issuer": certificate.issuer,
                "not_after": certificate.not_after.isoformat(),
                "development": certificate.development,
            },
        ),
    )
    return certificate


def _check_certifies(leaf: x509.Certificate, key: SigningKey) -> None:
    ours = serialization.load_pem_public_key(jwk.JWK(**key.public_jwk).export_to_pem())
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if leaf.public_key().public_bytes(serialization.Encoding.DER, spki) != ours.public_bytes(
        serialization.Encoding.DER, spki
    ):
        raise CertificateChainError(
            f"The leaf certificate ({leaf.subject.rfc4514_string()}) certifies another public "
            f"key than the institution's active signing key {key.kid}.",
            reason="key_mismatch",
        )


def _marked_development(chain: Sequence[x509.Certificate]) -> bool:
    return any(DEVELOPMENT_MARK in certificate.subject.rfc4514_string() for certificate in chain)


async def warn_of_development_certificates(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Log a warning for each institution that signs under a development CA's certificate.

    At start-up; refuses nothing. A database that cannot be read yet is /readyz's to report.
    """
    try:
        async with sessionmaker() as session:
            slugs = await repository.development_current(session)
    except (OSError, DBAPIError):
        return
    for slug in slugs:
        logger.warning(
            "institution %s signs with a certificate of the Stapel development CA; "
            "it is not for production: import one from a real CA (stapel keys csr)",
            slug,
        )
