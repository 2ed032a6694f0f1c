"""The learner of a claim link, as a request from the claim page names them.

Stapel keeps no learner identifier in clear: a credential holds keyed look-up digests and, in
the signed document, the name and perhaps a DID. So the learner states their student number or
e-mail address on the form, and it is taken only when its digest is one of the credential's
(compared in constant time): the request names the learner exactly as the credential does.
"""

from __future__ import annotations

import hmac
from typing import Any

from app.credentials.learners import FAMILY_NAME, GIVEN_NAME, lookup_digest
from app.credentials.models import Credential
from app.credentials.schemas import Learner
from app.errors import FieldError, ValidationFailed

IDENTIFIER_POINTER = "#/identifier"


def _names(subject: dict[str, Any]) -> dict[str, str]:
    given = subject.get("identifier")
    identities = given if isinstance(given, list) else [given]
    return {
        str(i.get("identityType")): i["identityHash"]
        for i in identities
        if isinstance(i, dict)
        and i.get("hashed") is False
        and isinstance(i.get("identityHash"), str)
    }


def _refused(detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[FieldError(IDENTIFIER_POINTER, detail, code)])


def claimant(credential: Credential, identifier: str | None) -> Learner:
    """The learner the claim-linked credential names, with the identifier they confirmed."""
    subject = credential.document.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    names = _names(subject)
    did = subject.get("id") if isinstance(subject.get("id"), str) else None
    stated: dict[str, str] = {}
    value = (identifier or "").strip()
    if value:
        kind, normalised, field = (
            ("emailAddress", value.lower(), "email")
            if "@" in value
            else ("sisSourcedId", value, "student_number")
        )
        digest = lookup_digest(kind, normalised)
        if not any(hmac.compare_digest(digest, known) for known in credential.learner_lookup):
            raise _refused("Not the identifier this credential was issued to.", "not_this_learner")
        stated[field] = value
    elif did is None:
        raise _refused("Give your student number or e-mail address.", "identifier_required")
    if "name" not in names:
        raise _refused("This credential names no learner to ask for.", "no_learner_name")
    return Learner(
        name=names["name"],
        family_name=names.get(FAMILY_NAME),
        given_name=names.get(GIVEN_NAME),
        did=did,
        **stated,
    )
