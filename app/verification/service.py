"""Verification as the API offers it: one verifier wired to this instance and the fetcher."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates.chain import trust_anchors
from app.config import get_settings
from app.observability import metrics
from app.verification.fetching import SafeFetcher
from app.verification.local import DatabaseIdentity, StatusLists, Trust
from app.verification.report import Report
from app.verification.resolver import KeyResolver
from app.verification.schemas import CheckOut, IssuerOut, VerificationOut
from app.verification.sd_jwt_sources import IssuerMetadata, IssuerTrust, TokenStatusLists
from app.verification.sd_jwt_vc import KeyBindingRequest, SdJwtVcVerifier
from app.verification.summary import achievement_summary
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
    """Verify one credential as of ``now`` (the present unless a caller replays a moment).

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
    metrics.count_verification(report.verified, (check.name for check in report.failures()))
    return verification_out(report)


def verification_out(report: Report) -> VerificationOut:
    credential = report.credential
    return VerificationOut(
        verified=report.verified,
        issuer_trusted=report.trusted,
        profile=report.profile,
        checks=[CheckOut(check=c.name, outcome=c.outcome, detail=c.detail) for c in report.checks],
        issuer=IssuerOut.model_validate(report.issuer) if report.issuer else None,
        achievement=(
            achievement_summary(credential) if credential and report.disclosed is None else None
        ),
        credential=credential,
        disclosed=report.disclosed,
    )
