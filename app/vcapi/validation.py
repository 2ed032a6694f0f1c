"""VC Data Model 2.0 rules for every credential the VC-API issues or verifies.

One module for both directions, so that Stapel never signs a document it would refuse to verify.
It knows nothing of HTTP: each broken rule is a ``FieldError`` with the JSON pointer of the
offending member and a stable ``code`` (listed in docs/api.md); callers raise them as one 422.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterator
from typing import Any

from app.contexts import VC_V2, bundled_context, bundled_context_bytes, is_bundled
from app.errors import FieldError, ValidationFailed
from app.verification.jws import depth_exceeds
from app.verification.profiles import parse_datetime

# The data model's properties whose every value is an object that must name its type.
TYPED_OBJECTS = ("credentialStatus", "credentialSchema", "termsOfUse", "evidence", "refreshService")
# RFC 7519's registered claims (and RFC 7800's cnf) a VC-JOSE-COSE payload may carry.
JWT_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cnf"})
LANGUAGE_VALUE_MEMBERS = frozenset({"@value", "@language", "@direction"})
# XML Schema dateTimeStamp: a date-time whose time zone is always given.
DATE_TIME_STAMP = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.ASCII
)
URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+", re.ASCII)
# Characters RFC 3986 never allows in a URL, besides white space and controls.
NOT_IN_URL = frozenset('<>"{}|\\^`')
SRI_ALGORITHMS = {"sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
# Multihash codes of the SHA-2 functions a digestMultibase may use.
MULTIHASH_ALGORITHMS = {0x12: "sha256", 0x20: "sha384", 0x13: "sha512"}
BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def check_credential(credential: dict[str, Any], issuer_did: str) -> None:
    """Refuse, as one 422, a credential the institution ``issuer_did`` was asked to sign.

    The issuer may be left out (Stapel fills in its DID) but not given as someone else.
    """
    if depth_exceeds(credential, 64):
        raise ValidationFailed("The credential nests too deeply.")
    pointer = "#/credential"
    problems = credential_problems(credential, pointer, issuer_required=False)
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if "issuer" in credential and issuer_id != issuer_did:
        problems.append(
            FieldError(f"{pointer}/issuer", f"must be {issuer_did} or left out", "foreign_issuer")
        )
    if "proof" in credential:
        problems.append(
            FieldError(f"{pointer}/proof", "is added by the issuer", "reserved_property")
        )
    raise_if_any(problems)


def raise_if_any(problems: list[FieldError]) -> None:
    if problems:
        raise ValidationFailed(
            "The credential is not a valid VC Data Model 2.0 credential: "
            + ", ".join(sorted({p.code for p in problems})),
            errors=problems,
        )


def credential_problems(
    credential: dict[str, Any], pointer: str, *, issuer_required: bool
) -> list[FieldError]:
    """Every data-model rule ``credential`` breaks; ``pointer`` is where it sits in the body."""
    found = _context_problems(credential, pointer)
    found += _type_problems(credential, pointer)
    found += _id_problems(credential, pointer)
    found += _subject_problems(credential, pointer)
    found += _issuer_problems(credential, pointer, issuer_required)
    found += _typed_object_problems(credential, pointer)
    found += _language_problems(credential, pointer)
    found += _date_problems(credential, pointer)
    found += _related_resource_problems(credential, pointer)
    if not found:
        # Expansion only means something once the contexts and shapes are sound.
        found += _expansion_problems(credential, pointer)
    return found


def secured_credential_problems(payload: dict[str, Any], pointer: str) -> list[FieldError]:
    """The rules a VC-JOSE-COSE payload breaks: it is the credential, plus whichever registered
    JWT claims the issuer chose to add, which are no terms of any context and are not refused."""
    credential = {key: value for key, value in payload.items() if key not in JWT_CLAIMS}
    return credential_problems(credential, pointer, issuer_required=True)


def is_url(value: object) -> bool:
    return (
        isinstance(value, str)
        and URL_SCHEME.fullmatch(value) is not None
        and not any(c in NOT_IN_URL or ord(c) < 0x21 or ord(c) == 0x7F for c in value)
    )


def escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _items(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _context_problems(credential: dict[str, Any], pointer: str) -> list[FieldError]:
    contexts = credential.get("@context")
    where = f"{pointer}/@context"
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_V2:
        return [FieldError(where, f"must be a list starting with {VC_V2}", "context_invalid")]
    found: list[FieldError] = []
    for index, entry in enumerate(contexts[1:], start=1):
        if isinstance(entry, dict):
            continue
        if not isinstance(entry, str):
            found.append(
                FieldError(f"{where}/{index}", "must be a URL or an object", "context_invalid")
            )
        elif not is_bundled(entry):
            found.append(
                FieldError(
                    f"{where}/{index}",
                    "is not a context this service holds; remote contexts are never fetched",
                    "context_unknown",
                )
            )
    return found


def _type_problems(credential: dict[str, Any], pointer: str) -> list[FieldError]:
    types = credential.get("type")
    if (
        not isinstance(types, list)
        or "VerifiableCredential" not in types
        or not all(isinstance(t, str) and t for t in types)
    ):
        return [
            FieldError(
                f"{pointer}/type",
                "must be a list of terms with VerifiableCredential",
                "type_invalid",
            )
        ]
    return []


def _walk(value: object, pointer: str) -> Iterator[tuple[str, str, Any]]:
    """(pointer of the member, its key, its value) for every member outside ``@context``."""
    if isinstance(value, dict):
        for key, member in value.items():
            if key == "@context":
                continue
            where = f"{pointer}/{escape(key)}"
            yield where, key, member
            yield from _walk(member, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{pointer}/{index}")


def _id_problems(credential: dict[str, Any], pointer: str) -> list[FieldError]:
    return [
        FieldError(where, "must be a single URL", "id_not_url")
        for where, key, value in _walk(credential, pointer)
        if key == "id" and not is_url(value)
    ]


def _subject_problems(credential: dict[str, Any], pointer: str) -> list[FieldError]:
    subjects = _items(credential.get("credentialSubject"))
    if not subjects or not all(isinstance(s, dict) and s for s in subjects):
        return [
            FieldError(
                f"{pointer}/credentialSubject",
                "must be a non-empty object or a list of them",
                "subject_missing",
            )
        ]
    return []


def _issuer_problems(
    credential: dict[str, Any], pointer: str, issuer_required: bool
) -> list[FieldError]:
    if "issuer" not in credential and not issuer_required:
        return []
    issuer = credential.get("issuer")
    if is_url(issuer) or (isinstance(issuer, dict) and is_url(issuer.get("id"))):
        return []
    return [
        FieldError(
            f"{pointer}/issuer", "must be a URL or an object whose id is a URL", "issuer_invalid"
        )
    ]


def _typed_object_problems(credential: dict[str, Any], pointer: str) -> list[FieldError]:
    found: list[FieldError] = []
    for name in TYPED_OBJECTS:
        if name not in credential:
            continue
        values = credential[name]
        for index, item in enumerate(_items(values)):
            where = f"{pointer}/{name}" + (f"/{index}" if isinstance(values, list) else "")
            types = item.get("type") if isinstance(item, dict) else None
            if not (
                (isinstance(types, str) and types)
                or (isinstance(types, list) and types and all(isinstance(t, str) for t in types))
            ):
                found.append(FieldError(where, "must be an object with a type", "type_missing"))
            elif name == "credentialSchema" and "id" not in item:
                found.append(FieldError(where, "must have an id: the schema's URL", "schema_id"))
    return found


def _language_problems(credential: dict[str, Any], pointer: str) -> list[FieldError]:
    holders = [(credential, pointer)]
    if isinstance(credential.get("issuer"), dict):
        holders.append((credential["issuer"], f"{pointer}/issuer"))
    found: list[FieldError] = []
    for holder, where in holders:
        for name in ("name", "description"):
            if name not in holder:
                continue
            values = holder[name]
            for index, value in enumerate(_items(values)):
                if not _is_language_value(value):
                    at = f"{where}/{name}" + (f"/{index}" if isinstance(values, list) else "")
                    found.append(
                        FieldError(
                            at,
                            "must be a string or an object of @value, @language and @direction",
                            "language_value_invalid",
                        )
                    )
    return found


def _is_language_value(value: object) -> bool:
    if isinstance(value, str):
        return True
    return (
        isinstance(value, dict)
        and set(value) <= LANGUAGE_VALUE_MEMBERS
        and isinstance(value.get("@value"), str)
        and isinstance(value.get("@language", ""), str)
        and value.get("@direction", "ltr") in ("ltr", "rtl")
    )


def _date_problems(credential: dict[str, Any], pointer: str) -> list[FieldError]:
    found: list[FieldError] = []
    for name in ("validFrom", "validUntil"):
        value = credential.get(name)
        if name in credential and not (
            isinstance(value, str)
            and DATE_TIME_STAMP.fullmatch(value)
            and parse_datetime(value) is not None
        ):
            found.append(
                FieldError(
                    f"{pointer}/{name}", "must be a date-time with a time zone", "datetime_invalid"
                )
            )
    start = parse_datetime(credential.get("validFrom"))
    end = parse_datetime(credential.get("validUntil"))
    if not found and start and end and end < start:
        found.append(
            FieldError(f"{pointer}/validUntil", "must not lie before validFrom", "validity_order")
        )
    return found


def _related_resource_problems(credential: dict[str, Any], pointer: str) -> list[FieldError]:
    if "relatedResource" not in credential:
        return []
    values = credential["relatedResource"]
    found: list[FieldError] = []
    seen: set[str] = set()
    for index, resource in enumerate(_items(values)):
        where = f"{pointer}/relatedResource" + (f"/{index}" if isinstance(values, list) else "")
        if not isinstance(resource, dict) or not is_url(resource.get("id")):
            found.append(
                FieldError(where, "must be an object whose id is a URL", "related_resource_invalid")
            )
            continue
        if resource["id"] in seen:
            found.append(
                FieldError(f"{where}/id", "names a resource already listed", "related_resource_id")
            )
        seen.add(resource["id"])
        found += _digest_problems(resource, where)
    return found


def _digest_problems(resource: dict[str, Any], where: str) -> list[FieldError]:
    digests = {
        name: resource[name] for name in ("digestSRI", "digestMultibase") if name in resource
    }
    if not digests:
        return [FieldError(where, "needs a digestSRI or a digestMultibase", "digest_missing")]
    found: list[FieldError] = []
    for name, value in digests.items():
        parsed = _parse_sri(value) if name == "digestSRI" else _parse_multibase(value)
        if parsed is None:
            found.append(FieldError(f"{where}/{name}", "cannot be read", "digest_invalid"))
            continue
        if is_bundled(resource["id"]):
            algorithm, expected = parsed
            actual = hashlib.new(algorithm, bundled_context_bytes(resource["id"])).digest()
            if not hmac.compare_digest(actual, expected):
                found.append(
                    FieldError(
                        f"{where}/{name}",
                        "does not match the resource this service holds",
                        "digest_mismatch",
                    )
                )
    return found


def _parse_sri(value: object) -> tuple[str, bytes] | None:
    """(hash algorithm, digest) of a Subresource Integrity string such as ``sha384-<base64>``."""
    if not isinstance(value, str) or "-" not in value:
        return None
    name, _, encoded = value.partition("-")
    if name not in SRI_ALGORITHMS:
        return None
    try:
        digest = base64.b64decode(encoded, validate=True)
    except ValueError:
        return None
    return SRI_ALGORITHMS[name], digest


def _parse_multibase(value: object) -> tuple[str, bytes] | None:
    """(hash algorithm, digest) of a multibase (``u`` base64url or ``z`` base58btc) multihash."""
    if not isinstance(value, str) or len(value) < 2 or not value.isascii():
        return None
    prefix, encoded = value[0], value[1:]
    raw: bytes | None
    if prefix == "u":
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            return None
    elif prefix == "z":
        raw = _base58_decode(encoded)
    else:
        return None
    if raw is None or len(raw) < 2 or raw[0] not in MULTIHASH_ALGORITHMS:
        return None
    algorithm = MULTIHASH_ALGORITHMS[raw[0]]
    digest = raw[2:]
    if raw[1] != len(digest) or len(digest) != hashlib.new(algorithm).digest_size:
        return None
    return algorithm, digest


def _base58_decode(encoded: str) -> bytes | None:
    number = 0
    for char in encoded:
        position = BASE58_ALPHABET.find(char)
        if position < 0:
            return None
        number = number * 58 + position
    leading_zeros = len(encoded) - len(encoded.lstrip("1"))
    return b"\0" * leading_zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def _load_bundled(url: str, options: object) -> dict[str, Any]:
    """PyLD's document loader: the bundled contexts, and nothing from the network."""
    from pyld import jsonld  # see _expansion_problems

    if not is_bundled(url):
        raise jsonld.JsonLdError(
            "Only bundled contexts are loaded.",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading remote context failed",
        )
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": bundled_context(url),
    }


# PyLD's error codes for a context that breaks a rule a caller can fix, and Stapel's name for it.
JSONLD_ERRORS = {
    "protected term redefinition": (
        "redefines a term the data model protects",
        "protected_term_redefinition",
    ),
    "invalid IRI mapping": ("defines a term that does not map to a URL", "term_not_url"),
    "loading remote context failed": (
        "names a context this service does not hold; remote contexts are never fetched",
        "context_unknown",
    ),
}


def _expansion_problems(credential: dict[str, Any], pointer: str) -> list[FieldError]:
    """Expand in safe mode: a term no context defines, or one mapped to a non-URL, is refused
    rather than silently dropped, as a JSON-LD verifier would drop it."""
    # Imported here, on the first document to expand: PyLD brings requests, urllib3 and lxml
    # along, ~10 MB resident in every serving process and worker, while only the VC-API's
    # caller-made documents are ever expanded (~50 ms, once per process).
    from pyld import jsonld

    dropped: list[str | None] = []
    try:
        expanded = jsonld.expand(
            {**credential, "@context": _without_idle_vocab_resets(credential["@context"])},
            {"documentLoader": _load_bundled, "base": None},
            on_property_dropped=dropped.append,
        )
    except jsonld.JsonLdError as error:
        detail, code = JSONLD_ERRORS.get(
            str(getattr(error, "code", "")), ("is not valid JSON-LD", "jsonld_invalid")
        )
        return [FieldError(f"{pointer}/@context", detail, code)]
    except (KeyError, TypeError, ValueError, AttributeError):
        # PyLD fails with these on some malformed contexts (e.g. "@vocab": null before any
        # @vocab): still the caller's document, so a 422 rather than a 500.
        return [FieldError(f"{pointer}/@context", "is not valid JSON-LD", "jsonld_invalid")]
    undefined = {term for term in dropped if term is not None}
    relative_types = set(_relative_types(expanded))
    found: list[FieldError] = []
    for where, key, value in _walk(credential, pointer):
        if key in undefined:
            found.append(FieldError(where, "is a term no context defines", "term_undefined"))
        if key == "type" and any(t in relative_types for t in _items(value)):
            found.append(
                FieldError(where, "names a type no context maps to a URL", "term_undefined")
            )
    if (undefined or relative_types) and not found:
        found.append(FieldError(pointer, "holds a term no context defines", "term_undefined"))
    return found


def _without_idle_vocab_resets(contexts: list[Any]) -> list[Any]:
    """The contexts without an ``"@vocab": null`` that resets nothing (no bundled context sets a
    vocabulary): it is valid JSON-LD, but PyLD fails on it."""
    kept: list[Any] = []
    vocabulary_set = False
    for entry in contexts:
        if isinstance(entry, dict) and "@vocab" in entry:
            if entry["@vocab"] is None and not vocabulary_set:
                kept.append({key: value for key, value in entry.items() if key != "@vocab"})
                continue
            vocabulary_set = True
        kept.append(entry)
    return kept


def _relative_types(expanded: object) -> Iterator[str]:
    if isinstance(expanded, dict):
        for key, value in expanded.items():
            if key == "@type" and not isinstance(value, dict):
                yield from (
                    t
                    for t in _items(value)
                    if isinstance(t, str) and not t.startswith("@") and not is_url(t)
                )
            else:
                yield from _relative_types(value)
    elif isinstance(expanded, list):
        for item in expanded:
            yield from _relative_types(item)
