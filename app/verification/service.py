"""Verification as the API offers it: one verifier wired to this instance and the fetcher."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.observability import metrics
from app.verification.fetching import SafeFetcher
from app.verification.local import DatabaseIdentity, StatusLists, Trust
from app.verification.report import Report
from app.verification.resolver import KeyResolver
from app.verification.schemas import CheckOut, IssuerOut, VerificationOut
from app.verification.summary import achievement_summary
from app.verification.verifier import Verifier


async def verify(
    session: AsyncSession, fetcher: SafeFetcher, token: str, now: datetime | None = None
) -> VerificationOut:
    """Verify one credential as of ``now`` (the present unless a caller replays a moment)."""
    settings = get_settings()
    verifier = Verifier(
        resolver=KeyResolver(fetcher, DatabaseIdentity(session)),
        status_lists=StatusLists(session, fetcher),
        trust=Trust(session),
        skew=timedelta(seconds=settings.verification_clock_skew_seconds),
    )
    report = await verifier.verify(token, now or datetime.now(UTC))
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
        achievement=achievement_summary(credential) if credential else None,
        credential=credential,
    )
