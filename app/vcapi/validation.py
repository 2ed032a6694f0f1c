"""VC Data Model 2.0 rules for a credential handed to ``POST /credentials/issue``."""

from __future__ import annotations

from typing import Any

from app.errors import FieldError, ValidationFailed
from app.verification.jws import depth_exceeds
from app.verification.profiles import VC_V2, parse_datetime


def _problems(credential: dict[str, Any], issuer_did: str) -> list[FieldError]:
    found: list[FieldError] = []
    contexts = credential.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_V2:
        found.append(FieldError("#/credential/@context", f"must be a list starting with {VC_V2}"))
    elif not all(isinstance(c, str | dict) for c in contexts):
        found.append(FieldError("#/credential/@context", "entries are URLs or objects"))
    types = credential.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        found.append(FieldError("#/credential/type", "must be a list with VerifiableCredential"))
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    if not subjects or not all(isinstance(s, dict) and s for s in subjects):
        found.append(FieldError("#/credential/credentialSubject", "must be a non-empty object"))
    found.extend(_date_problems(credential))
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer is not None and issuer_id != issuer_did:
        found.append(
            FieldError("#/credential/issuer", f"must be {issuer_did} or left out", "foreign_issuer")
        )
    for reserved in ("proof", "credentialStatus"):
        if reserved in credential:
            found.append(
                FieldError(
                    f"#/credential/{reserved}", "is added by the issuer", "reserved_property"
                )
            )
    if "id" in credential and not isinstance(credential["id"], str):
        found.append(FieldError("#/credential/id", "must be a URL"))
    return found


def _date_problems(credential: dict[str, Any]) -> list[FieldError]:
    found: list[FieldError] = []
    for name in ("validFrom", "validUntil"):
        value = credential.get(name)
        if name in credential and (parse_datetime(value) is None or "T" not in str(value)):
            found.append(FieldError(f"#/credential/{name}", "must be an XML Schema date-time"))
    start, end = (
        parse_datetime(credential.get("validFrom")),
        parse_datetime(credential.get("validUntil")),
    )
    if start and end and end <= start:
        found.append(FieldError("#/credential/validUntil", "must be after validFrom"))
    return found


def check_credential(credential: dict[str, Any], issuer_did: str) -> None:
    if depth_exceeds(credential, 64):
        raise ValidationFailed("The credential nests too deeply.")
    problems = _problems(credential, issuer_did)
    if problems:
        raise ValidationFailed(
            "The credential is not a valid VC Data Model 2.0 credential.", errors=problems
        )
