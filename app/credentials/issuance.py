"""Checks and building blocks of issuance that need no database.

Kept apart from ``service`` so that the service reads as the sequence of steps it is.
"""

from __future__ import annotations

import calendar
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from app.achievements import policy
from app.achievements.ob3 import AchievementSnapshot
from app.achievements.service import IssuableAchievement
from app.config import SecuringProfileName
from app.credentials.document import credential_document
from app.credentials.learners import lookup_digests
from app.credentials.models import Credential
from app.credentials.schemas import CredentialIssue
from app.credentials.securing import PROFILE_ALGORITHMS, secure
from app.errors import (
    AchievementNotPublished,
    DomainError,
    FieldError,
    PolicyViolation,
    UnsupportedProfile,
    ValidationFailed,
)
from app.institutions.models import Institution
from app.keys.signer import Signer
from app.status_lists.service import StatusSlot, status_entries


def fingerprint(item: CredentialIssue) -> str:
    """What makes two requests "the same" for idempotency: the body, minus the key."""
    body = item.model_dump_json(exclude={"idempotency_key"})
    return hashlib.sha256(body.encode()).hexdigest()


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class Accepted:
    """A request that passed every check, with what is needed to build its credential."""

    position: int
    request: CredentialIssue
    idempotency_key: str | None
    fingerprint: str
    snapshot: AchievementSnapshot
    version_id: uuid.UUID
    version_frozen: bool
    profile: SecuringProfileName
    valid_until: datetime | None


def accept(
    position: int,
    request: CredentialIssue,
    idempotency_key: str | None,
    found: IssuableAchievement | None,
    institution: Institution,
    signer: Signer,
    now: datetime,
) -> Accepted:
    """Raise the domain error that stops this request, or return it accepted."""
    if found is None:
        raise ValidationFailed(
            "The achievement does not exist.",
            errors=[FieldError("#/achievement_id", "no such achievement", "unknown_achievement")],
        )
    if found.state != "published":
        raise AchievementNotPublished(f"The achievement is {found.state}, not published.")
    content = found.content
    policy.enforce(content, institution)
    profile: SecuringProfileName = request.profile or institution.default_profile  # type: ignore[assignment]
    if signer.algorithm not in PROFILE_ALGORITHMS[profile]:
        raise UnsupportedProfile(
            f"The {profile} profile does not allow {signer.algorithm}, the institution's key.",
            errors=[
                FieldError("#/profile", "not allowed with the active key", "profile_algorithm")
            ],
        )
    _check_dates(request, now)
    valid_until = request.valid_until
    if valid_until is None and content.validity_months:
        expiry = add_months(request.awarded_on, content.validity_months)
        valid_until = datetime.combine(expiry, time(), tzinfo=UTC)
    if valid_until is not None and valid_until <= now:
        raise PolicyViolation(
            "The credential would be expired the moment it is issued.",
            errors=[FieldError("#/valid_until", "lies in the past", "already_expired")],
        )
    return Accepted(
        position,
        request,
        idempotency_key,
        fingerprint(request),
        AchievementSnapshot(found.id, found.version, content),
        found.version_id,
        found.frozen,
        profile,
        valid_until,
    )


def _check_dates(request: CredentialIssue, now: datetime) -> None:
    if request.awarded_on > now.date():
        raise ValidationFailed(
            "An achievement cannot be awarded in the future.",
            errors=[FieldError("#/awarded_on", "lies in the future", "awarded_in_future")],
        )


@dataclass(frozen=True, slots=True)
class Shared:
    """What every credential of one request shares: issuer, signer, prebuilt achievements."""

    institution_id: uuid.UUID
    issuer: dict[str, Any]
    achievements: dict[tuple[uuid.UUID, int], dict[str, Any]]
    signer: Signer
    issued_at: datetime
    suspendable: bool


def _follows_components(snapshot: AchievementSnapshot) -> bool:
    """A stacked credential is suspended while a component it rests on is gone (pathways), so
    it always carries a suspension entry, whatever the institution chose for the others."""
    return snapshot.content.kind == "stacked"


def build_row(item: Accepted, slot: StatusSlot, shared: Shared) -> dict[str, Any]:
    """The signed credential and its database row (CPU only; safe to run in a thread)."""
    credential_id = uuid.uuid4()
    snapshot = item.snapshot
    document = credential_document(
        credential_id=credential_id,
        institution_id=shared.institution_id,
        request=item.request,
        issuer=shared.issuer,
        achievement=shared.achievements[(snapshot.achievement_id, snapshot.version)],
        issued_at=shared.issued_at,
        valid_until=item.valid_until,
        status=status_entries(slot, suspension=shared.suspendable or _follows_components(snapshot)),
    )
    return {
        "id": credential_id,
        "institution_id": shared.institution_id,
        "achievement_id": snapshot.achievement_id,
        "achievement_version_id": item.version_id,
        "signing_key_id": shared.signer.key_id,
        "profile": item.profile,
        "state": "active",
        "status_list_id": slot.status_list_id,
        "status_index": slot.index,
        "learner_lookup": lookup_digests(item.request.learner),
        "issued_at": shared.issued_at,
        "valid_until": item.valid_until,
        "awarded_on": item.request.awarded_on,
        "document": document,
        "jwt": secure(document, shared.signer, item.profile, shared.issued_at),
        "idempotency_key": item.idempotency_key,
        "request_fingerprint": item.fingerprint,
    }


@dataclass(slots=True)
class Outcome:
    """What became of one request of a batch."""

    position: int
    status: str  # "issued" | "replayed" | "failed"
    credential: Credential | None = None
    error: DomainError | None = None
    # The learner's claim link, made with the credential; a replay has none to give.
    claim_url: str | None = None
