"""How a learner is named inside a credential and found again in the database.

In the credential: by DID when given, otherwise by OB3 ``IdentityObject``s whose values are
salted SHA-256 hashes (a fresh salt per credential, so two credentials cannot be linked by their
hashes). The learner's name is given in clear, as it is on a paper certificate.

In the database: only HMAC-SHA256 digests under ``STAPEL_LEARNER_LOOKUP_KEY``, so a leaked table
does not reveal student numbers or email addresses, yet the institution can still find every
credential of a student.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from app.config import get_settings
from app.credentials.schemas import Learner


def _normalised(learner: Learner) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if learner.student_number:
        pairs.append(("sisSourcedId", learner.student_number.strip()))
    if learner.email:
        pairs.append(("emailAddress", learner.email.strip().lower()))
    return pairs


def _hashed_identity(identity_type: str, value: str) -> dict[str, Any]:
    salt = secrets.token_hex(16)
    digest = hashlib.sha256((value + salt).encode()).hexdigest()
    return {
        "type": "IdentityObject",
        "identityType": identity_type,
        "hashed": True,
        "identityHash": f"sha256${digest}",
        "salt": salt,
    }


def identity_objects(learner: Learner) -> list[dict[str, Any]]:
    identities = [_hashed_identity(kind, value) for kind, value in _normalised(learner)]
    identities.append(
        {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": learner.name,
        }
    )
    return identities


def lookup_digest(identity_type: str, value: str) -> str:
    key = get_settings().learner_lookup_key_bytes
    return hmac.new(key, f"{identity_type}:{value}".encode(), hashlib.sha256).hexdigest()


def lookup_digests(learner: Learner) -> list[str]:
    pairs = _normalised(learner)
    if learner.did:
        pairs.append(("did", learner.did))
    return [lookup_digest(kind, value) for kind, value in pairs]


def digest_for_query(
    *, student_number: str | None, email: str | None, did: str | None
) -> str | None:
    """The digest to filter credentials by one learner identifier (first one given)."""
    if student_number:
        return lookup_digest("sisSourcedId", student_number.strip())
    if email:
        return lookup_digest("emailAddress", email.strip().lower())
    if did:
        return lookup_digest("did", did)
    return None
