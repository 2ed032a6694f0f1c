"""An external credential brought as evidence: verified, from a recognised issuer, the learner's.

Stapel's own verifier checks it (signature, status, validity, schema: ``app.verification``);
the institution must recognise its issuer for its achievement (``recognises``, with the ECTS
and EQF level the credential states); and its subject must be the learner
(``app.learner_requests.identity``). Each refusal is a problem of its own, raised before
anything is written.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.credentials.schemas import Learner
from app.errors import (
    ExternalCredentialUnverified,
    FieldError,
    IdentityMismatch,
    IssuerNotRecognised,
)
from app.institutions.cache import institution_by_slug
from app.keys.did import institution_did
from app.learner_requests.identity import names_learner
from app.recognition.service import recognises
from app.verification import service as verification
from app.verification.fetching import SafeFetcher
from app.verification.schemas import AchievementSummary, VerificationOut

# Where a request names the external credential, for the errors' pointers.
POINTER = "#/evidence/external_credential"
# A Stapel issuer's credentials name one version of the achievement; recognitions (and
# pathways) name the achievement itself.
_STAPEL_VERSION = re.compile(r"^(https://[^\s]+/achievements/[0-9a-f-]{36})/versions/\d+$")


@dataclass(frozen=True, slots=True)
class ExternalFacts:
    """What is kept of an accepted external credential: what pathway rules look at."""

    document_id: str
    issuer_did: str
    achievement_url: str
    achievement_name: str | None
    ects: float | None
    eqf_level: int | None
    field_of_study: str | None
    grade: str | None
    awarded_on: date | None
    issued_at: datetime
    valid_until: datetime | None
    token_sha256: str


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _unverified(report: VerificationOut) -> ExternalCredentialUnverified:
    failed = [c for c in report.checks if c.outcome == "failed"]
    names = ", ".join(c.check for c in failed) or "no check passed"
    return ExternalCredentialUnverified(
        f"The external credential does not verify ({names}).",
        errors=[FieldError(POINTER, c.detail, f"check_{c.check}") for c in failed],
    )


def _achievement_url(subject: dict[str, Any]) -> str:
    achievement = subject.get("achievement")
    found = achievement.get("id") if isinstance(achievement, dict) else None
    if not isinstance(found, str) or not found:
        raise ExternalCredentialUnverified(
            "The external credential names no achievement.",
            errors=[FieldError(POINTER, "no credentialSubject.achievement.id", "no_achievement")],
        )
    versioned = _STAPEL_VERSION.match(found)
    return versioned.group(1) if versioned else found


async def _issuer_institution(session: AsyncSession, issuer_did: str) -> uuid.UUID | None:
    """The institution of this instance behind the DID, whose keyed identifiers we can check."""
    prefix = institution_did("")
    if not issuer_did.startswith(prefix):
        return None
    institution = await institution_by_slug(session, issuer_did.removeprefix(prefix))
    return institution.id if institution is not None else None


def _facts(
    token: str,
    credential: dict[str, Any],
    issuer_did: str,
    achievement_url: str,
    summary: AchievementSummary | None,
) -> ExternalFacts:
    digest = hashlib.sha256(token.encode()).hexdigest()
    document_id = credential.get("id")
    awarded = _moment(credential.get("awardedDate"))
    return ExternalFacts(
        document_id=document_id if isinstance(document_id, str) else f"sha256:{digest}",
        issuer_did=issuer_did,
        achievement_url=achievement_url,
        achievement_name=summary.name if summary else None,
        ects=summary.credits_ects if summary else None,
        eqf_level=summary.eqf_level if summary else None,
        field_of_study=summary.field_of_study if summary else None,
        grade=summary.result[0] if summary and summary.result else None,
        awarded_on=awarded.date() if awarded else None,
        issued_at=_moment(credential.get("validFrom")) or datetime.now(UTC),
        valid_until=_moment(credential.get("validUntil")),
        token_sha256=digest,
    )


async def checked_external(
    session: AsyncSession,
    fetcher: SafeFetcher,
    institution_id: uuid.UUID,
    token: str,
    learner: Learner,
) -> ExternalFacts:
    """The external credential's facts, once it verifies, is recognised and is the learner's."""
    if "~" in token:
        raise ExternalCredentialUnverified(
            "Only a credential JWT (or a badge carrying one) is taken as evidence.",
            errors=[FieldError(POINTER, "an SD-JWT is not taken as evidence", "sd_jwt")],
        )
    report = await verification.verify(session, fetcher, token)
    credential = report.credential
    subject = credential.get("credentialSubject") if credential else None
    if not report.verified or credential is None or report.issuer is None:
        raise _unverified(report)
    if not isinstance(subject, dict) or not isinstance(report.issuer.id, str):
        raise ExternalCredentialUnverified(
            "The external credential names no single subject and issuer.",
            errors=[FieldError(POINTER, "one credentialSubject and issuer", "no_subject")],
        )
    issuer_did = report.issuer.id
    achievement_url = _achievement_url(subject)
    summary = report.achievement
    if not await recognises(
        session,
        institution_id,
        issuer_did,
        achievement_url,
        ects=summary.credits_ects if summary else None,
        eqf_level=summary.eqf_level if summary else None,
    ):
        raise IssuerNotRecognised(
            "The institution does not recognise this issuer for this achievement.",
            errors=[FieldError(POINTER, "issuer not recognised", "issuer_not_recognised")],
        )
    if not names_learner(subject, learner, await _issuer_institution(session, issuer_did)):
        raise IdentityMismatch(
            "The external credential does not name the learner of this request.",
            errors=[FieldError(POINTER, "another subject", "identity_mismatch")],
        )
    return _facts(token, credential, issuer_did, achievement_url, summary)
