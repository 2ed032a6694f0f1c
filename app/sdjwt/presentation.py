"""Reading an SD-JWT as a verifier receives it (RFC 9901 §4 and §7.1).

``reveal`` rebuilds the claims from the payload and the disclosures and refuses, each with its
own error, every way a holder or a third party could bend them: a disclosure of a reserved name,
one nobody references, a digest that appears twice, a disclosed name that overwrites a claim,
an object disclosure in an array. The issuer's signature is checked by the caller beforehand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.sdjwt.disclosures import SD_ALG, Disclosure, parse_disclosure
from app.sdjwt.errors import (
    ClaimOverwritten,
    DisclosureMisplaced,
    DuplicateDigest,
    MalformedSdJwt,
    UnreferencedDisclosure,
    UnsupportedHashAlgorithm,
)

MAX_DISCLOSURES = 512


@dataclass(frozen=True, slots=True)
class SdJwtParts:
    jwt: str
    disclosures: list[str]
    key_binding: str | None
    # Everything before the KB-JWT, the string its ``sd_hash`` is computed over.
    presented: str


def split(text: str) -> SdJwtParts:
    if "~" not in text:
        raise MalformedSdJwt("An SD-JWT has at least one '~' after its JWT.")
    parts = text.split("~")
    if len(parts) - 2 > MAX_DISCLOSURES:
        raise MalformedSdJwt(f"At most {MAX_DISCLOSURES} disclosures are accepted.")
    jwt, middle, last = parts[0], parts[1:-1], parts[-1]
    if not jwt:
        raise MalformedSdJwt("The SD-JWT starts with an empty JWT.")
    if any(not item for item in middle):
        raise MalformedSdJwt("The SD-JWT has an empty disclosure ('~~').")
    presented = text[: len(text) - len(last)]
    return SdJwtParts(jwt, middle, last or None, presented)


@dataclass(slots=True)
class Revealed:
    claims: dict[str, Any]
    # Where each disclosed value went, as a JSON pointer ("/given_name", "/nationalities/0").
    disclosed: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Walk:
    by_digest: dict[str, Disclosure]
    seen: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)
    disclosed: list[str] = field(default_factory=list)

    def take(self, value: str) -> Disclosure | None:
        if value in self.seen:
            raise DuplicateDigest(f"The digest {value} appears more than once.")
        self.seen.add(value)
        found = self.by_digest.get(value)
        if found is not None:
            self.used.add(value)
        return found


def reveal(payload: dict[str, Any], encoded: list[str]) -> Revealed:
    """The claims the disclosures reveal, with ``_sd`` and ``_sd_alg`` gone (RFC 9901 §7.1)."""
    algorithm = payload.get("_sd_alg", SD_ALG)
    if algorithm != SD_ALG:
        raise UnsupportedHashAlgorithm(f"_sd_alg {algorithm!r} is not supported; only {SD_ALG}.")
    by_digest: dict[str, Disclosure] = {}
    for item in encoded:
        disclosure = parse_disclosure(item)
        if disclosure.digest in by_digest:
            raise DuplicateDigest("The same disclosure is presented twice.")
        by_digest[disclosure.digest] = disclosure
    walk = _Walk(by_digest)
    claims = _object({k: v for k, v in payload.items() if k != "_sd_alg"}, walk, "")
    unused = set(by_digest) - walk.used
    if unused:
        raise UnreferencedDisclosure(f"{len(unused)} disclosure(s) match no digest of the SD-JWT.")
    return Revealed(claims, walk.disclosed)


def _value(value: Any, walk: _Walk, pointer: str) -> Any:
    if isinstance(value, dict):
        return _object(value, walk, pointer)
    if isinstance(value, list):
        return _array(value, walk, pointer)
    return value


def _object(node: dict[str, Any], walk: _Walk, pointer: str) -> dict[str, Any]:
    digests = node.get("_sd", [])
    if not isinstance(digests, list) or not all(isinstance(d, str) for d in digests):
        raise MalformedSdJwt(f"_sd at {pointer or '/'} must be an array of strings.")
    result = {
        name: _value(value, walk, f"{pointer}/{_escape(name)}")
        for name, value in node.items()
        if name != "_sd"
    }
    for value in digests:
        disclosure = walk.take(value)
        if disclosure is None:
            continue  # a decoy, or a claim the holder withheld
        if disclosure.name is None:
            raise DisclosureMisplaced("An array-element disclosure is referenced from an object.")
        if disclosure.name in result:
            raise ClaimOverwritten(
                f"The disclosure of {disclosure.name!r} would overwrite a claim in clear."
            )
        where = f"{pointer}/{_escape(disclosure.name)}"
        result[disclosure.name] = _value(disclosure.value, walk, where)
        walk.disclosed.append(where)
    return result


def _array(node: list[Any], walk: _Walk, pointer: str) -> list[Any]:
    result: list[Any] = []
    for element in node:
        if isinstance(element, dict) and "..." in element:
            if len(element) != 1 or not isinstance(element["..."], str):
                raise MalformedSdJwt(f"An array element at {pointer} has a malformed '...'.")
            disclosure = walk.take(element["..."])
            if disclosure is None:
                continue
            if disclosure.name is not None:
                raise DisclosureMisplaced("An object disclosure is referenced from an array.")
            where = f"{pointer}/{len(result)}"
            result.append(_value(disclosure.value, walk, where))
            walk.disclosed.append(where)
        else:
            result.append(_value(element, walk, f"{pointer}/{len(result)}"))
    return result


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
