"""Whether an external credential's subject is the learner a request names.

Compared, for each identifier the request gives (never the name: two people share one):

- the DID with ``credentialSubject.id``;
- the student number and the e-mail address with each OB3 ``IdentityObject`` of
  ``credentialSubject.identifier``: in clear (``hashed: false``), or hashed the OB3 way
  (``identityHash`` = ``sha256$`` + hex(SHA-256(value + salt))), as ``sisSourcedId`` /
  ``studentId`` and ``emailAddress`` (an address in lower case, as Stapel hashes it);
- for an issuer of this instance also its keyed forms (``ext:keyedSisSourcedId``,
  ``ext:keyedEmailAddress``), which only this instance can check (``identifies``).

Another instance's keyed identifiers cannot be checked by anyone but that instance: such a
credential matches only by DID or by an identifier its issuer wrote in the OB3 form.
"""

from __future__ import annotations

import hmac
import uuid
from typing import Any

from app.credentials.learners import KEYED_TYPES, identifies
from app.credentials.schemas import Learner

# The OB3 identity types a learner's identifier may appear under, per identifier.
_TYPES = {"sisSourcedId": ("sisSourcedId", "studentId"), "emailAddress": ("emailAddress",)}


def _identifiers(learner: Learner) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if learner.student_number:
        pairs.append(("sisSourcedId", learner.student_number.strip()))
    if learner.email:
        pairs.append(("emailAddress", learner.email.strip().lower()))
    return pairs


def _in_clear(identity: dict[str, Any], kind: str, value: str) -> bool:
    stated = identity.get("identityHash")
    if identity.get("hashed") is True or not isinstance(stated, str):
        return False
    stated = stated.strip().lower() if kind == "emailAddress" else stated.strip()
    return hmac.compare_digest(stated.encode(), value.encode())


def _matches(
    identity: dict[str, Any], kind: str, value: str, issuer_institution: uuid.UUID | None
) -> bool:
    identity_type = identity.get("identityType")
    if identity_type == KEYED_TYPES[kind]:
        return issuer_institution is not None and identifies(
            identity, issuer_institution, kind, value
        )
    if identity_type not in _TYPES[kind]:
        return False
    if _in_clear(identity, kind, value):
        return True
    # Not a keyed type: ``identifies`` never uses the institution for it.
    return identifies(identity, uuid.UUID(int=0), str(identity_type), value)


def names_learner(
    subject: dict[str, Any], learner: Learner, issuer_institution: uuid.UUID | None
) -> bool:
    """Whether the credential subject is the learner; ``issuer_institution`` when it is ours."""
    if learner.did and subject.get("id") == learner.did:
        return True
    given = subject.get("identifier")
    identities = given if isinstance(given, list) else [given]
    return any(
        _matches(identity, kind, value, issuer_institution)
        for identity in identities
        if isinstance(identity, dict)
        for kind, value in _identifiers(learner)
    )
