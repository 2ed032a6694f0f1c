"""Signing keys: creation, rotation, the public documents, and signers for issuance."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.certificates import repository as certificates
from app.credentials.securing import PROFILE_ALGORITHMS
from app.db.session import in_own_session
from app.errors import FieldError, NotFound, UnsupportedProfile
from app.institutions import repository as institutions
from app.institutions.cache import institution_by_slug
from app.institutions.models import Institution
from app.keys import repository
from app.keys.algorithms import (
    Algorithm,
    PrivateKey,
    generate_private_key,
    load_private_key,
    public_jwk,
    serialise_private_key,
)
from app.keys.did import did_document, institution_did, key_url
from app.keys.models import SigningKey
from app.keys.signer import Signer
from app.keys.wrapping import KeyWrapper, default_key_wrapper
from app.process_cache import RENEW_AHEAD, ProcessCache

# Unwrapped keys are kept in this process only, so each key is decrypted once, not per signature.
_unwrapped: dict[uuid.UUID, PrivateKey] = {}
# Read on every issuance and verification; see app.process_cache for how stale they may be.
_signers: ProcessCache[uuid.UUID, Signer] = ProcessCache()
_did_documents: ProcessCache[str, dict[str, Any]] = ProcessCache(renew_ahead=RENEW_AHEAD)


def _wrap_context(institution_id: uuid.UUID, kid: str) -> bytes:
    return f"stapel-signing-key:{institution_id}:{kid}".encode()


async def create_active_key(
    session: AsyncSession,
    institution: Institution,
    algorithm: Algorithm,
    actor: str,
    wrapper: KeyWrapper | None = None,
) -> SigningKey:
    """Make a new key the institution's active one; the previous one stays published, retired.

    The caller holds the institution row lock, so two rotations cannot interleave.
    """
    wrapper = wrapper or default_key_wrapper()
    private_key = generate_private_key(algorithm)
    kid, jwk = public_jwk(private_key, algorithm)
    await repository.retire_active(session, institution.id)
    # The old key's certificates stay for the credentials it signed, no longer current.
    await certificates.retire_of_institution(session, institution.id)
    key = SigningKey(
        institution_id=institution.id,
        kid=kid,
        algorithm=algorithm,
        public_jwk=jwk,
        wrapped_private_key=wrapper.wrap(
            serialise_private_key(private_key), _wrap_context(institution.id, kid)
        ),
        status="active",
    )
    session.add(key)
    await session.flush()
    _signers.forget(institution.id)
    _did_documents.forget(institution.slug)
    await record(
        session,
        actor,
        AuditEntry("key.activated", "signing_key", kid, institution.id, {"algorithm": algorithm}),
    )
    return key


async def rotate(
    session: AsyncSession, institution_id: uuid.UUID, algorithm: Algorithm, actor: str
) -> SigningKey:
    institution = await institutions.get_for_update(session, institution_id)
    if institution is None:
        raise NotFound("No such institution.")
    ensure_profile_allows(institution.default_profile, algorithm, "#/algorithm")
    return await create_active_key(session, institution, algorithm, actor)


def ensure_profile_allows(profile: str, algorithm: str, pointer: str) -> None:
    """The institution's default profile must be able to use its active key."""
    if algorithm not in PROFILE_ALGORITHMS[profile]:  # type: ignore[index]
        raise UnsupportedProfile(
            f"The institution's default profile {profile} cannot be signed with {algorithm}.",
            errors=[FieldError(pointer, "profile and key algorithm disagree", "profile_algorithm")],
        )


async def active_private_key(
    session: AsyncSession, institution_id: uuid.UUID, wrapper: KeyWrapper | None = None
) -> tuple[SigningKey, PrivateKey]:
    """The active key and its private half, unwrapped in memory only (to sign a CSR with)."""
    key = await repository.active_key(session, institution_id)
    if key is None:
        raise NotFound("The institution has no active signing key; rotate one in first.")
    return key, _private_key(key, wrapper or default_key_wrapper())


async def active_algorithm(session: AsyncSession, institution_id: uuid.UUID) -> str | None:
    key = await repository.active_key(session, institution_id)
    return key.algorithm if key else None


async def list_keys(session: AsyncSession, institution_id: uuid.UUID) -> Sequence[SigningKey]:
    return await repository.keys_of(session, institution_id)


async def signer_for(
    session: AsyncSession, institution: Institution, wrapper: KeyWrapper | None = None
) -> Signer:
    signer = _signers.get(institution.id)
    if signer is None:
        signer = await _active_signer(session, institution, wrapper)
        _signers.put(institution.id, signer)
    return signer


async def _active_signer(
    session: AsyncSession, institution: Institution, wrapper: KeyWrapper | None
) -> Signer:
    key = await repository.active_key(session, institution.id)
    if key is None:
        raise NotFound("The institution has no active signing key; rotate one in first.")
    return Signer(
        key_id=key.id,
        kid=key.kid,
        algorithm=key.algorithm,  # type: ignore[arg-type]  # constrained by the API on write
        issuer_did=institution_did(institution.slug),
        key_url=key_url(institution.slug, key.kid),
        _private_key=_private_key(key, wrapper or default_key_wrapper()),
    )


def _private_key(key: SigningKey, wrapper: KeyWrapper) -> PrivateKey:
    cached = _unwrapped.get(key.id)
    if cached is None:
        der = wrapper.unwrap(key.wrapped_private_key, _wrap_context(key.institution_id, key.kid))
        cached = _unwrapped[key.id] = load_private_key(der)
    return cached


async def _published_institution(session: AsyncSession, slug: str) -> Institution:
    institution = await institution_by_slug(session, slug)
    if institution is None:
        raise NotFound("No issuer with this identifier.")
    return institution


async def public_did_document(session: AsyncSession, slug: str) -> dict[str, Any]:
    """The issuer's DID document; shared with other requests, so never to be modified."""

    async def read_with(reading: AsyncSession) -> dict[str, Any]:
        institution = await _published_institution(reading, slug)
        return did_document(slug, await repository.keys_of(reading, institution.id))

    # Renewed in the background before it runs out; once it has, one request reads it again
    # and the others meanwhile get the one kept.
    return await _did_documents.served(
        slug, lambda: read_with(session), renew=in_own_session(read_with)
    )


async def public_jwks(session: AsyncSession, slug: str) -> dict[str, Any]:
    institution = await _published_institution(session, slug)
    keys = await repository.keys_of(session, institution.id)
    return {"keys": [key.public_jwk for key in keys]}


async def public_key(session: AsyncSession, slug: str, kid: str) -> dict[str, Any]:
    institution = await _published_institution(session, slug)
    key = await repository.key_by_kid(session, institution.id, kid)
    if key is None:
        raise NotFound("No key with this id.")
    return key.public_jwk
