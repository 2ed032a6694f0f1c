"""Builds the Open Badges 3.0 ``OpenBadgeCredential`` (VC Data Model 2.0) that Stapel signs.

The achievement (``app.achievements.ob3``) and the issuer (``app.institutions.ob3``) are built
once per request and shared by every credential of a batch. ``docs/eu-elements.md`` maps each EU
standard element to its JSON path; keep the two in step.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from app.contexts import OB_V3P0, VC_V2, eu_microcredential_url
from app.credentials.learners import identity_objects
from app.credentials.ob3_schema import STATUS_LISTS_SCHEMA_PATH, schema_reference
from app.credentials.schemas import CredentialIssue
from app.status_lists.entries import as_credential_status


# A batch formats the same few moments once per credential (its issue time, a handful of
# expiry dates); strftime was a twentieth of building one.
@lru_cache(maxsize=1024)
def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_start(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def credential_document(
    *,
    credential_id: uuid.UUID,
    institution_id: uuid.UUID,
    request: CredentialIssue,
    issuer: dict[str, Any],
    achievement: dict[str, Any],
    issued_at: datetime,
    valid_until: datetime | None,
    status: list[dict[str, Any]],
) -> dict[str, Any]:
    """One credential; ``issuer`` and ``achievement`` are built once per batch and shared."""
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": identity_objects(request.learner, institution_id),
        "achievement": achievement,
        "identityChecked": request.identity_verified,
    }
    if request.learner.did:
        subject = {"id": request.learner.did, **subject}
    if request.credits_earned is not None:
        subject["creditsEarned"] = request.credits_earned
    elif "creditsAvailable" in achievement:
        subject["creditsEarned"] = achievement["creditsAvailable"]
    if request.assessment_date:
        subject["assessmentDate"] = request.assessment_date.isoformat()
        subject["activityEndDate"] = day_start(request.assessment_date)
    if request.grade is not None:
        result: dict[str, Any] = {"type": ["Result"], "value": request.grade}
        if "resultDescription" in achievement:
            result["resultDescription"] = achievement["resultDescription"][0]["id"]
        subject["result"] = [result]
    document: dict[str, Any] = {
        "@context": [VC_V2, OB_V3P0, eu_microcredential_url()],
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "issuer": issuer,
        "validFrom": iso(issued_at),
        "awardedDate": day_start(request.awarded_on),
        "credentialSubject": subject,
        # One entry (revocation) is what the 1EdTech schema allows; with suspension there are two,
        # and the credential names Stapel's variant of the schema, which allows a list.
        "credentialStatus": as_credential_status(status),
        "credentialSchema": schema_reference(
            None if len(status) == 1 else STATUS_LISTS_SCHEMA_PATH
        ),
    }
    if valid_until is not None:
        document["validUntil"] = iso(valid_until)
    evidence = _evidence(request)
    if evidence:
        document["evidence"] = evidence
    return document


def _evidence(request: CredentialIssue) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for e in request.evidence:
        item: dict[str, Any] = {"type": ["Evidence"]}
        item.update(
            {
                k: v
                for k, v in {"id": e.id, "name": e.name, "description": e.description}.items()
                if v
            }
        )
        items.append(item)
    if request.sis_reference:
        items.append(
            {
                "type": ["Evidence"],
                "name": "Student information system record",
                "description": request.sis_reference,
            }
        )
    return items
