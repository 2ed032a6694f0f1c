"""Turning a JWS ``kid`` into the public JWK that must have signed it.

Supported ``kid`` forms, as issued by this and comparable services:

* ``did:web:<host>[:path...]#<fragment>`` — the DID document at ``https://<host>/<path>/did.json``
  (``/.well-known/did.json`` without a path); the key is the verification method with that id,
  listed in ``assertionMethod``, of type ``JsonWebKey``/``JsonWebKey2020`` with a ``publicKeyJwk``
  or ``Multikey`` with a P-256 or Ed25519 ``publicKeyMultibase``;
* ``did:jwk:<base64url JWK>[#0]`` — the key is in the identifier itself;
* an ``https`` URL (``http`` too when the fetcher allows private addresses) that returns a bare JWK
  (the ``kid`` of the 1EdTech ``ob3-jwt`` profile).

This instance's own DIDs and key URLs are answered by a ``LocalIdentity`` from the database, never
over HTTP: that is faster, works without a network, and cannot be confused by DNS.

Everything fetched is hostile until checked: each failure is a ``KeyResolutionError`` with a stable
code, never a ``KeyError``/``ValueError`` from poking at a malformed document.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

import orjson

from app.base64url import b64url
from app.keys.multikey import NotAMultikey, jwk_of
from app.verification.errors import FetchError, KeyResolutionError
from app.verification.fetching import SafeFetcher

DID_ACCEPT = "application/did+json, application/did+ld+json;q=0.9, application/json;q=0.8"
JWK_ACCEPT = "application/jwk+json, application/json"
DEFAULT_DOCUMENT_MAX_AGE = 300
MAX_KID_LENGTH = 8192

PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k", "oth"})
REQUIRED_JWK_MEMBERS: dict[str, tuple[str, ...]] = {
    "EC": ("crv", "x", "y"),
    "RSA": ("n", "e"),
    "OKP": ("crv", "x"),
}
JWK_METHOD_TYPES = frozenset({"JsonWebKey", "JsonWebKey2020"})
MULTIKEY = "Multikey"

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DID_WEB_HOST = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}(?::[0-9]{{1,5}})?")
_DID_WEB_SEGMENT = re.compile(r"(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")

KeyMethod = Literal["did:web", "did:jwk", "did:key", "jwk-url"]


@dataclass(frozen=True)
class ResolvedKey:
    """A public key and who vouches for it.

    ``controller`` is the DID (or, for a bare JWK URL, the URL) that vouches for the key: the
    verifier compares it with the credential's issuer.
    """

    kid: str
    jwk: dict[str, Any]
    controller: str
    method: KeyMethod


class LocalIdentity(Protocol):
    """Answers for this instance's own issuers from the database instead of over HTTP."""

    def is_local_did(self, did: str) -> bool: ...

    async def did_document(self, did: str) -> dict[str, Any] | None: ...

    def is_local_url(self, url: str) -> bool: ...

    async def jwk_at(self, url: str) -> dict[str, Any] | None: ...


class KeyResolver:
    """Resolves the keys of one verification (a new resolver for each)."""

    def __init__(self, fetcher: SafeFetcher, local: LocalIdentity) -> None:
        self._fetcher = fetcher
        self._local = local
        # A credential and its status lists are usually signed with the same key: it is looked
        # up in the DID document and copied once. Failures are not kept.
        self._resolved: dict[str, ResolvedKey] = {}

    async def resolve(self, kid: str) -> ResolvedKey:
        """The public JWK ``kid`` names; ``KeyResolutionError`` for anything else."""
        resolved = self._resolved.get(kid) if isinstance(kid, str) else None
        if resolved is None:
            resolved = self._resolved[kid] = await self._resolve(kid)
        return resolved

    async def _resolve(self, kid: str) -> ResolvedKey:
        if not isinstance(kid, str) or not kid:
            raise KeyResolutionError("unsupported_kid", "the JWS header has no kid")
        if len(kid) > MAX_KID_LENGTH:
            raise KeyResolutionError("unsupported_kid", "the kid is implausibly long")
        if kid.startswith("did:web:"):
            return await self._resolve_did_web(kid)
        if kid.startswith("did:jwk:"):
            return resolve_did_jwk(kid)
        if kid[:8].lower().startswith(("https://", "http://")):
            return await self._resolve_jwk_url(kid)
        raise KeyResolutionError(
            "unsupported_kid", "kid must be a did:web or did:jwk DID URL or an https URL"
        )

    async def _resolve_did_web(self, kid: str) -> ResolvedKey:
        did, has_fragment, fragment = kid.partition("#")
        if not has_fragment or not fragment:
            raise KeyResolutionError(
                "unsupported_kid", "a did:web kid must name a verification method (#fragment)"
            )
        url = did_web_document_url(did)
        if not self._local.is_local_did(did):
            document = await self._fetch_json(url, DID_ACCEPT, invalid_code="did_document_invalid")
            return _key_in(document, did, kid)
        local = await self._local.did_document(did)
        if local is None:
            raise KeyResolutionError("did_not_found", f"{did} is not an issuer here")
        found = _found_in_local.get(kid)
        if found is None or found[0] is not local:
            if len(_found_in_local) >= _LOCAL_KIDS_KEPT:
                _found_in_local.clear()
            found = _found_in_local[kid] = (local, _key_in(local, did, kid))
        return found[1]

    async def _resolve_jwk_url(self, url: str) -> ResolvedKey:
        if self._local.is_local_url(url):
            document: Any = await self._local.jwk_at(url)
            if document is None:
                raise KeyResolutionError("key_not_found", f"no key of this instance at {url}")
        else:
            document = await self._fetch_json(url, JWK_ACCEPT, invalid_code="invalid_jwk")
        return ResolvedKey(kid=url, jwk=public_jwk(document), controller=url, method="jwk-url")

    async def _fetch_json(self, url: str, accept: str, *, invalid_code: str) -> Any:
        """Fetch and parse; DID documents and keys are cached (default 5 min) by the fetcher."""
        try:
            fetched = await self._fetcher.get(
                url, accept=accept, default_max_age=DEFAULT_DOCUMENT_MAX_AGE
            )
        except FetchError as exc:
            raise KeyResolutionError(exc.code, exc.detail) from exc
        return parse_json(fetched.body, invalid_code=invalid_code, what=url)


def _key_in(document: Any, did: str, kid: str) -> ResolvedKey:
    method = find_assertion_method(document, did, kid)
    return ResolvedKey(kid=kid, jwk=method_jwk(method, did), controller=did, method="did:web")


# This instance's DID documents are shared by the requests of a process until they are read
# again (``keys.public_did_document``): the key a kid names is looked for once per document, not
# once per verification (about 5 % of verifying one of our credentials). An entry counts only
# for the very document it was found in; only keys that were found are kept.
_LOCAL_KIDS_KEPT: Final = 4096
_found_in_local: dict[str, tuple[dict[str, Any], ResolvedKey]] = {}


# Kept per DID: checking the host and every path segment was ~4 µs of each verification, and
# a verifier sees the same few issuers over and over. Refusals are raised anew, not kept.
@functools.lru_cache(maxsize=256)
def did_web_document_url(did: str) -> str:
    """Where a did:web DID's document lives, per the did:web method (always https)."""
    segments = did.removeprefix("did:web:").split(":")
    host = segments[0].replace("%3A", ":").replace("%3a", ":")
    if not _DID_WEB_HOST.fullmatch(host):
        raise KeyResolutionError("unsupported_kid", f"{did} does not name a valid did:web host")
    path = segments[1:]
    for segment in path:
        if not _DID_WEB_SEGMENT.fullmatch(segment) or segment in (".", ".."):
            raise KeyResolutionError("unsupported_kid", f"{did} has an invalid path segment")
    if not path:
        return f"https://{host}/.well-known/did.json"
    return f"https://{host}/{'/'.join(path)}/did.json"


def parse_json(body: bytes, *, invalid_code: str, what: str) -> Any:
    """Strict JSON (UTF-8 only, bounded nesting, no NaN): malformed input is a typed error."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise KeyResolutionError(invalid_code, f"{what}: not valid JSON") from exc


def find_assertion_method(document: Any, did: str, kid: str) -> dict[str, Any]:
    """The verification method ``kid`` in a DID document, if it may sign credentials."""
    if not isinstance(document, dict):
        raise KeyResolutionError("did_document_invalid", f"{did}: the document is not an object")
    if document.get("id") != did:
        raise KeyResolutionError("did_document_invalid", f"{did}: the document's id differs")
    methods = _object_list(document, "verificationMethod", did, allow_strings=False)
    assertions = _object_list(document, "assertionMethod", did, allow_strings=True)
    embedded = [entry for entry in assertions if isinstance(entry, dict)]
    matches = [m for m in [*methods, *embedded] if _same_id(m.get("id"), did, kid)]
    if not matches:
        raise KeyResolutionError("verification_method_not_found", f"{did} does not list {kid}")
    if len(matches) > 1:
        raise KeyResolutionError("did_document_invalid", f"{did} lists {kid} more than once")
    method: dict[str, Any] = matches[0]
    referenced = any(isinstance(entry, str) and _same_id(entry, did, kid) for entry in assertions)
    if not any(method is entry for entry in embedded) and not referenced:
        raise KeyResolutionError(
            "not_an_assertion_method", f"{kid} is not an assertionMethod of {did}"
        )
    return method


def method_jwk(method: dict[str, Any], did: str) -> dict[str, Any]:
    """The public JWK of a ``JsonWebKey(2020)`` or ``Multikey`` method controlled by ``did``."""
    method_type = method.get("type")
    if not isinstance(method_type, str) or method_type not in {*JWK_METHOD_TYPES, MULTIKEY}:
        raise KeyResolutionError(
            "unsupported_method_type",
            "verification method type must be JsonWebKey(2020) or Multikey",
        )
    if "controller" in method and method["controller"] != did:
        raise KeyResolutionError(
            "controller_mismatch", f"the verification method is not controlled by {did}"
        )
    if method_type == MULTIKEY:
        return _multikey_jwk(method.get("publicKeyMultibase"))
    if "publicKeyJwk" not in method:
        raise KeyResolutionError("invalid_jwk", "the verification method has no publicKeyJwk")
    return public_jwk(method["publicKeyJwk"])


def _multikey_jwk(multibase: Any) -> dict[str, Any]:
    if not isinstance(multibase, str):
        raise KeyResolutionError("invalid_jwk", "the Multikey has no publicKeyMultibase")
    try:
        return public_jwk(jwk_of(multibase))
    except NotAMultikey as exc:
        raise KeyResolutionError("invalid_jwk", f"the Multikey: {exc}") from None


def public_jwk(value: Any) -> dict[str, Any]:
    """A copy of ``value`` if it is a plausible public signing JWK; never private material."""
    if not isinstance(value, dict):
        raise KeyResolutionError("invalid_jwk", "the key is not a JSON object")
    private = sorted(PRIVATE_JWK_MEMBERS.intersection(value))
    if private:
        raise KeyResolutionError(
            "invalid_jwk", f"the key carries private members ({', '.join(private)})"
        )
    kty = value.get("kty")
    required = REQUIRED_JWK_MEMBERS.get(kty) if isinstance(kty, str) else None
    if required is None:
        raise KeyResolutionError("invalid_jwk", "the key's kty is missing or unsupported")
    for member in required:
        if not isinstance(value.get(member), str) or not value[member]:
            raise KeyResolutionError("invalid_jwk", f"the {kty} key lacks a string {member!r}")
    if value.get("use", "sig") != "sig":
        raise KeyResolutionError("invalid_jwk", "the key is not meant for signatures")
    # A copy the caller may keep: JSON values, so a JSON round trip is a deep copy (and several
    # times cheaper than copy.deepcopy).
    copied: dict[str, Any] = orjson.loads(orjson.dumps(value))
    return copied


def resolve_did_jwk(kid: str) -> ResolvedKey:
    """did:jwk: the DID is the base64url of the JWK, its only method ``#0``."""
    did, has_fragment, fragment = kid.partition("#")
    if has_fragment and fragment != "0":
        raise KeyResolutionError("verification_method_not_found", f"did:jwk has only #0: {kid}")
    encoded = did.removeprefix("did:jwk:")
    raw = _strict_base64url(encoded)
    if raw is None:
        raise KeyResolutionError("invalid_jwk", "did:jwk: not canonical unpadded base64url")
    jwk = public_jwk(parse_json(raw, invalid_code="invalid_jwk", what="did:jwk"))
    return ResolvedKey(kid=kid, jwk=jwk, controller=did, method="did:jwk")


def _strict_base64url(encoded: str) -> bytes | None:
    """Decode only the one canonical spelling: no padding, no stray characters or bits."""
    if not _BASE64URL.fullmatch(encoded) or len(encoded) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        return None
    if b64url(raw) != encoded:
        return None
    return raw


def _object_list(
    document: dict[str, Any], field: str, did: str, *, allow_strings: bool
) -> list[Any]:
    """``document[field]`` as a list of objects (and id strings if allowed); absent is empty."""
    value = document.get(field, [])
    if not isinstance(value, list):
        raise KeyResolutionError("did_document_invalid", f"{did}: {field} is not a list")
    for entry in value:
        if not (isinstance(entry, dict) or (allow_strings and isinstance(entry, str))):
            raise KeyResolutionError("did_document_invalid", f"{did}: bad entry in {field}")
    return value


def _same_id(value: Any, did: str, kid: str) -> bool:
    """Whether a method id (absolute, or relative ``#fragment``) is ``kid``."""
    if not isinstance(value, str):
        return False
    return value == kid or (value.startswith("#") and did + value == kid)
