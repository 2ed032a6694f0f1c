"""How a learner is named inside a credential and found again in the database.

In the credential: by DID when given, beside OB3 ``IdentityObject``s for the student number and
the e-mail address, each in the form its setting chooses (``STAPEL_CREDENTIAL_STUDENT_NUMBER``,
``STAPEL_CREDENTIAL_EMAIL``; see docs/learners.md for why the defaults are what they are):

- ``omit``: not in the credential at all (the student number's default);
- ``keyed`` (the e-mail's default): identity type ``ext:keyedSisSourcedId`` /
  ``ext:keyedEmailAddress``, ``identityHash`` = ``sha256$`` + hex(SHA-256(P + salt)) where the
  pseudonym P = hex(HMAC-SHA256(institution key, "<type>:<value>")). The institution key is
  derived from ``STAPEL_LEARNER_LOOKUP_KEY`` and the institution's id, so without the key the
  hash cannot be brute-forced however small the space of values, pseudonyms of two institutions
  cannot be matched, and the database's look-up digests are not the pseudonyms;
- ``hashed``: the OB3 form, ``sisSourcedId`` / ``emailAddress`` with ``identityHash`` =
  ``sha256$`` + hex(SHA-256(value + salt)). Anyone told the value can check it, and anyone can
  try every value: all ten million seven-digit student numbers take seconds.

Every hash has a fresh salt per credential, so two credentials cannot be linked by their hashes.
The learner's name is given in clear, as it is on a paper certificate.

In the database: only HMAC-SHA256 digests under ``STAPEL_LEARNER_LOOKUP_KEY``, so a leaked table
does not reveal student numbers or email addresses, yet the institution can still find every
credential of a student.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from functools import lru_cache
from typing import Any

from app.config import IdentifierForm, get_settings
from app.credentials.schemas import Learner

KEYED_TYPES = {"sisSourcedId": "ext:keyedSisSourcedId", "emailAddress": "ext:keyedEmailAddress"}
# Domain separation: the pseudonyms in credentials are never the look-up digests in the database.
_IDENTIFIER_KEY_LABEL = b"stapel credential identifiers v1:"


def _normalised(learner: Learner) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if learner.student_number:
        pairs.append(("sisSourcedId", learner.student_number.strip()))
    if learner.email:
        pairs.append(("emailAddress", learner.email.strip().lower()))
    return pairs


def _salted(identity_type: str, value: str, salt: str) -> dict[str, Any]:
    digest = hashlib.sha256((value + salt).encode()).hexdigest()
    return {
        "type": "IdentityObject",
        "identityType": identity_type,
        "hashed": True,
        "identityHash": f"sha256${digest}",
        "salt": salt,
    }


@lru_cache(maxsize=256)
def _institution_key(lookup_key: bytes, institution_id: uuid.UUID) -> bytes:
    return hmac.new(
        lookup_key, _IDENTIFIER_KEY_LABEL + institution_id.bytes, hashlib.sha256
    ).digest()


def pseudonym(institution_id: uuid.UUID, identity_type: str, value: str) -> str:
    """What a keyed identifier hashes instead of the value: meaningless without the key."""
    key = _institution_key(get_settings().learner_lookup_key_bytes, institution_id)
    return hmac.new(key, f"{identity_type}:{value}".encode(), hashlib.sha256).hexdigest()


def _form(identity_type: str) -> IdentifierForm:
    settings = get_settings()
    if identity_type == "sisSourcedId":
        return settings.credential_student_number
    return settings.credential_email


# The name in parts, when given, in clear like the whole name (OB 3.0 has no type for them).
FAMILY_NAME = "ext:familyName"
GIVEN_NAME = "ext:givenName"


def identity_objects(learner: Learner, institution_id: uuid.UUID) -> list[dict[str, Any]]:
    identities = []
    for identity_type, value in _normalised(learner):
        form = _form(identity_type)
        salt = secrets.token_hex(16)
        if form == "hashed":
            identities.append(_salted(identity_type, value, salt))
        elif form == "keyed":
            keyed = pseudonym(institution_id, identity_type, value)
            identities.append(_salted(KEYED_TYPES[identity_type], keyed, salt))
    named = [("name", learner.name), (FAMILY_NAME, learner.family_name)]
    named.append((GIVEN_NAME, learner.given_name))
    identities += [
        {"type": "IdentityObject", "identityType": kind, "hashed": False, "identityHash": value}
        for kind, value in named
        if value
    ]
    return identities


def identifies(
    identity: dict[str, Any], institution_id: uuid.UUID, identity_type: str, value: str
) -> bool:
    """Whether one of a credential's identifiers names ``value``.

    The issuing instance's own check; it works for the keyed and the OB3 forms alike.
    """
    value = value.strip().lower() if identity_type == "emailAddress" else value.strip()
    salt = identity.get("salt")
    if not isinstance(salt, str) or identity.get("hashed") is not True:
        return False
    if identity.get("identityType") == KEYED_TYPES.get(identity_type):
        value = pseudonym(institution_id, identity_type, value)
    elif identity.get("identityType") != identity_type:
        return False
    expected = _salted(identity_type, value, salt)["identityHash"]
    return hmac.compare_digest(expected, str(identity.get("identityHash")))


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
