"""What ``POST /v1/verify`` accepts: a compact JWT, an enveloped credential, or either wrapped
in ``{"verifiableCredential": ...}``."""

from __future__ import annotations

from typing import Any

from app.config import get_settings
from app.contexts import VC_V2
from app.errors import (
    FieldError,
    TokenTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from app.http import json_body
from app.verification.sd_jwt_vc import KeyBindingRequest

# The one form VC-JOSE-COSE gives an enveloped credential's id.
ENVELOPE_DATA_URL = "data:application/vc+jwt,"
DATA_URL_PREFIXES = (ENVELOPE_DATA_URL, "data:application/jwt,")
JWT_MEDIA_TYPES = ("application/vc+jwt", "application/jwt", "text/plain")


def _unsupported(detail: str, pointer: str = "#") -> ValidationFailed:
    return ValidationFailed(detail, errors=[FieldError(pointer, detail, "unsupported_credential")])


def token_from_value(value: object, pointer: str) -> str:
    """The compact JWT inside a string, data: URL or EnvelopedVerifiableCredential, holding an
    envelope to VC Data Model 2.0 (its context, its type, a ``data:`` URL as its id)."""
    if isinstance(value, dict):
        _check_envelope(value, pointer)
    return _from_value(value, pointer)


def _check_envelope(envelope: dict[str, Any], pointer: str) -> None:
    types = envelope.get("type")
    if "EnvelopedVerifiableCredential" not in (types if isinstance(types, list) else [types]):
        return  # not an envelope: refused below as an unsupported securing mechanism
    problems: list[FieldError] = []
    contexts = envelope.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_V2:
        problems.append(
            FieldError(
                f"{pointer}/@context", f"must be a list starting with {VC_V2}", "context_invalid"
            )
        )
    if types not in ("EnvelopedVerifiableCredential", ["EnvelopedVerifiableCredential"]):
        problems.append(
            FieldError(f"{pointer}/type", "must be EnvelopedVerifiableCredential", "type_invalid")
        )
    identifier = envelope.get("id")
    if not isinstance(identifier, str) or not identifier.startswith(ENVELOPE_DATA_URL):
        problems.append(
            FieldError(
                f"{pointer}/id", f"must be a {ENVELOPE_DATA_URL}<JWT> URL", "envelope_id_invalid"
            )
        )
    if problems:
        raise ValidationFailed("The EnvelopedVerifiableCredential is malformed.", errors=problems)


def _from_value(value: object, pointer: str) -> str:
    if isinstance(value, str):
        for prefix in DATA_URL_PREFIXES:
            if value.startswith(prefix):
                return value.removeprefix(prefix).strip()
        return value.strip()
    if isinstance(value, dict):
        types = value.get("type")
        types = types if isinstance(types, list) else [types]
        if "EnvelopedVerifiableCredential" in types and isinstance(value.get("id"), str):
            return _from_value(value["id"], pointer + "/id")
        raise _unsupported(
            "Only JWT-secured credentials are verified here (a compact JWT or an "
            "EnvelopedVerifiableCredential); embedded proofs are not supported.",
            pointer,
        )
    raise _unsupported("Expected a JWT string or an EnvelopedVerifiableCredential.", pointer)


def token_from_text(text: str, max_bytes: int) -> str:
    """A credential as a person pastes it or a file holds it: JSON when it looks like JSON,
    else a compact JWT."""
    looks_like_json = text.lstrip()[:1] in ("{", "[", '"')
    media_type = "application/json" if looks_like_json else "application/vc+jwt"
    return token_from_body(media_type, text.encode("utf-8"), max_bytes)


def token_from_body(content_type: str, body: bytes, max_bytes: int) -> str:
    text, document = _read(content_type, body, max_bytes)
    return text if text is not None else _token_of(document)


def verification_request(
    content_type: str, body: bytes, max_bytes: int
) -> tuple[str, KeyBindingRequest]:
    """The credential in a body and, for JSON, what it asks of an SD-JWT's Key Binding JWT:
    ``nonce``, ``audience`` and ``requireKeyBinding`` beside the credential.

    The body is parsed once for both: a credential's ~7 KB read twice was a fiftieth of
    verifying it.
    """
    text, document = _read(content_type, body, max_bytes)
    if text is not None:
        return text, KeyBindingRequest()
    return _token_of(document), _key_binding_of(document)


def _read(content_type: str, body: bytes, max_bytes: int) -> tuple[str | None, Any]:
    """A body of a JWT media type as its text, or a JSON body as its value (text None)."""
    if len(body) > max_bytes:
        raise TokenTooLarge(f"The body has {len(body)} bytes; at most {max_bytes} are accepted.")
    media_type = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media_type in JWT_MEDIA_TYPES:
        return body.decode("ascii", errors="replace").strip(), None
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(f"Media type {media_type or '(none)'!r} is not accepted.")
    # The verify page's uploads come here without passing the guard of JSON request bodies.
    return None, json_body.parse(body, get_settings().max_json_depth)


def _token_of(document: Any) -> str:
    if isinstance(document, dict):
        for key in ("verifiableCredential", "credential"):
            if key in document:
                return _from_value(document[key], f"#/{key}")
    return _from_value(document, "#")


def _key_binding_of(document: Any) -> KeyBindingRequest:
    if not isinstance(document, dict):
        return KeyBindingRequest()
    problems = [
        FieldError(f"#/{name}", f"must be a {kind.__name__}", "type_invalid")
        for name, kind in (("nonce", str), ("audience", str), ("requireKeyBinding", bool))
        if name in document and not isinstance(document[name], kind)
    ]
    if problems:
        raise ValidationFailed("The key binding options are malformed.", errors=problems)
    return KeyBindingRequest(
        required=document.get("requireKeyBinding", False),
        nonce=document.get("nonce"),
        audience=document.get("audience"),
    )
