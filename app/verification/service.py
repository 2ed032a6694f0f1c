"""Verification as the API offers it: one verifier wired to this instance and the fetcher."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates.chain import trust_anchors
from app.config import get_settings
from app.observability import metrics
from app.verification.fetching import SafeFetcher
from app.verification.local import DatabaseIdentity, StatusLists, Trust
from app.verification.report import Report
from app.verification.resolver import KeyResolver
from app.verification.schemas import IssuerOut, VerificationOut
from app.verification.sd_jwt_sources import IssuerMetadata, IssuerTrust, TokenStatusLists
from app.verification.sd_jwt_vc import KeyBindingRequest, SdJwtVcVerifier
from app.verification.summary import achievement_fields
from app.verification.verifier import Verifier

# How old a Key Binding JWT may be: the holder makes it when presenting, moments before.
KEY_BINDING_MAX_AGE = timedelta(minutes=5)


async def verify(
    session: AsyncSession,
    fetcher: SafeFetcher,
    token: str,
    now: datetime | None = None,
    binding: KeyBindingRequest | None = None,
) -> VerificationOut:
    """Verify one credential as of ``now`` (the present unless a caller replays a moment)."""
    return verification_out(await verify_report(session, fetcher, token, now, binding))


async def verify_report(
    session: AsyncSession,
    fetcher: SafeFetcher,
    token: str,
    now: datetime | None = None,
    binding: KeyBindingRequest | None = None,
) -> Report:
    """The checks of one credential, as of ``now``.

    An SD-JWT (``<JWT>~…``) is verified as an SD-JWT VC, anything else as a credential JWT.
    """
    settings = get_settings()
    skew = timedelta(seconds=settings.verification_clock_skew_seconds)
    resolver = KeyResolver(fetcher, DatabaseIdentity(session))
    moment = now or datetime.now(UTC)
    if "~" in token:
        report = await SdJwtVcVerifier(
            metadata=IssuerMetadata(session, fetcher),
            status_lists=TokenStatusLists(session, fetcher),
            resolver=resolver,
            trust=IssuerTrust(session),
            anchors=trust_anchors(settings),
            skew=skew,
            key_binding_max_age=KEY_BINDING_MAX_AGE,
        ).verify(token, binding or KeyBindingRequest(), moment)
    else:
        verifier = Verifier(
            resolver=resolver,
            status_lists=StatusLists(session, fetcher),
            trust=Trust(session),
            skew=skew,
        )
        report = await verifier.verify(token, moment)
    verified = report.verified
    metrics.count_verification(verified, () if verified else [c.name for c in report.failures()])
    return report


def verification_out(report: Report) -> VerificationOut:
    return VerificationOut.model_validate(verification_fields(report))


def verification_fields(report: Report) -> dict[str, Any]:
    """The answer to a verification as JSON values, in the shape of ``VerificationOut``.

    ``POST /v1/verify`` sends them as they are: validating them into the model and serialising
    that again was about a tenth of verifying one of our credentials (pydantic serialises the
    credential, a ``dict[str, Any]``, by looking at every value). Everything here is already
    JSON: the credential as orjson read it, the rest built by the verifier. A test holds the
    two answers the same.
    """
    credential = report.credential
    issuer = report.issuer
    return {
        "verified": report.verified,
        "issuer_trusted": report.trusted,
        "profile": report.profile,
        "checks": [
            {"check": check.name, "outcome": check.outcome, "detail": check.detail}
            for check in report.checks
        ],
        "issuer": {name: issuer.get(name) for name in _ISSUER_FIELDS} if issuer else None,
        "achievement": (
            achievement_fields(credential) if credential and report.disclosed is None else None
        ),
        "credential": credential,
        "disclosed": report.disclosed,
    }


_ISSUER_FIELDS = tuple(IssuerOut.model_fields)
