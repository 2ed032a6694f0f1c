"""Checking a credential's Bitstring Status List entries.

Each list is itself a signed credential: it is fetched (or read locally for this instance's own
lists), its signature checked with a key of the credential's issuer, and only then is its bit
read. A list that cannot be fetched or verified fails the check: a verifier must not call a
credential good when it could not see whether it was revoked.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from app.status_lists.bitstring import MalformedStatusList, bit_is_set, decode_list
from app.status_lists.entries import entries_of
from app.verification.errors import FetchError, KeyResolutionError
from app.verification.jws import (
    CompactJws,
    MalformedToken,
    algorithm_problem,
    key_members,
    key_problem,
    parse_compact,
    signature_valid,
)
from app.verification.profiles import issuer_id, parse_datetime
from app.verification.report import Outcome
from app.verification.resolver import KeyResolver

CHECKED_PURPOSES = ("revocation", "suspension")


class StatusListSource(Protocol):
    async def fetch(self, url: str) -> str:
        """The compact JWT of the list credential at ``url``; raises FetchError."""
        ...

    def remember(self, url: str, ttl_seconds: int) -> None:
        """The verified list says it may be cached this long (its ``ttl``)."""
        ...


class StatusProblem(Exception):
    """The list could not be trusted or read; the detail says why."""


@dataclass(frozen=True, slots=True)
class EntryResult:
    purpose: str
    set: bool


def _index(entry: dict[str, Any]) -> int:
    raw = entry.get("statusListIndex")
    # The spec says string; some issuers send integers. Lenient on input.
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    # isascii: str.isdigit() also takes digits int() refuses ("¹") or reads ("٣").
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 12:
        return int(raw)
    raise StatusProblem(f"statusListIndex {raw!r} is not a non-negative integer")


# A verifier checks the same few lists over and over: one list covers 131,072 credentials and
# changes only when one of them is revoked or suspended. Parsing, the signature check and the
# gunzip are pure functions of the list's bytes (and the key), so their results are kept for the
# lists seen last; a changed list is new bytes and is checked afresh. Exceptions are not kept.
_LISTS_KEPT = 256


@functools.lru_cache(maxsize=_LISTS_KEPT)
def _parsed_list(token: str) -> CompactJws:
    return parse_compact(token)


@functools.lru_cache(maxsize=_LISTS_KEPT)
def _list_signature_valid(token: str, key: frozenset[tuple[str, str]]) -> bool:
    return signature_valid(_parsed_list(token), dict(key))


@functools.lru_cache(maxsize=_LISTS_KEPT)
def _decoded_list(encoded: str) -> bytes:
    return decode_list(encoded)


async def check_status(
    credential: dict[str, Any],
    lists: StatusListSource,
    resolver: KeyResolver,
    now: datetime,
    skew: timedelta,
) -> tuple[Outcome, str]:
    """(outcome, detail) of the status check."""
    entries = entries_of(credential)
    if not entries:
        return "warning", "the credential carries no status: it cannot be revoked"
    issuer = issuer_id(credential)
    results: list[EntryResult] = []
    try:
        for entry in entries:
            result = await _check_entry(entry, issuer, lists, resolver, now, skew)
            if result is not None:
                results.append(result)
    except StatusProblem as problem:
        return "failed", str(problem)
    set_purposes = [r.purpose for r in results if r.set]
    if "revocation" in set_purposes:
        return "failed", "the credential has been revoked"
    if "suspension" in set_purposes:
        return "failed", "the credential is suspended"
    checked = ", ".join(sorted({r.purpose for r in results})) or "none"
    return "passed", f"not revoked or suspended (checked: {checked})"


async def _check_entry(
    entry: object,
    issuer: str | None,
    lists: StatusListSource,
    resolver: KeyResolver,
    now: datetime,
    skew: timedelta,
) -> EntryResult | None:
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        kind = entry.get("type") if isinstance(entry, dict) else type(entry).__name__
        raise StatusProblem(f"status type {kind!r} is not supported")
    purpose = entry.get("statusPurpose")
    if purpose not in CHECKED_PURPOSES:
        return None  # refresh, message: nothing that makes a credential invalid
    if entry.get("statusSize", 1) != 1:
        raise StatusProblem("only one-bit status entries are supported")
    url = entry.get("statusListCredential")
    if not isinstance(url, str):
        raise StatusProblem("statusListCredential is missing")
    index = _index(entry)
    bits = await _verified_bits(url, str(purpose), issuer, lists, resolver, now, skew)
    if index >= len(bits) * 8:
        raise StatusProblem(f"index {index} lies outside the list of {len(bits) * 8} entries")
    return EntryResult(str(purpose), bit_is_set(bits, index))


@dataclass(frozen=True, slots=True)
class _CheckedList:
    """A list whose signature verified with the key its ``kid`` named, and what it says."""

    kid: str
    jwk: dict[str, Any]
    until: datetime | None
    ttl_seconds: int | None
    bits: bytes


# (the list's token, the purpose asked, the credential's issuer) -> what checking it found.
# Every verification of a credential checks its list, and the same few lists come back again
# and again: kept, a list's token is not parsed, its key not compared and its claims not read
# again while its bytes stay the same. The key is still resolved every time (a rotated or
# withdrawn key is noticed) and the list's own validity compared with the moment asked about.
_checked_lists: dict[tuple[str, str, str | None], _CheckedList] = {}


async def _verified_bits(
    url: str,
    purpose: str,
    issuer: str | None,
    lists: StatusListSource,
    resolver: KeyResolver,
    now: datetime,
    skew: timedelta,
) -> bytes:
    try:
        token = await lists.fetch(url)
    except FetchError as exc:
        raise StatusProblem(f"the status list {url} could not be fetched ({exc.code})") from exc
    question = (token, purpose, issuer)
    checked = _checked_lists.get(question)
    if checked is None or await _key_of(checked.kid, resolver) is not checked.jwk:
        checked = await _check_list(token, url, purpose, issuer, resolver)
        if len(_checked_lists) >= _LISTS_KEPT:
            _checked_lists.clear()
        _checked_lists[question] = checked
    if checked.until is not None and checked.until < now - skew:
        raise StatusProblem("the status list has expired")
    if checked.ttl_seconds is not None:
        lists.remember(url, checked.ttl_seconds)
    return checked.bits


async def _key_of(kid: str, resolver: KeyResolver) -> dict[str, Any]:
    try:
        return (await resolver.resolve(kid)).jwk
    except KeyResolutionError as exc:
        raise StatusProblem(f"the status list's key cannot be resolved ({exc.code})") from exc


async def _check_list(
    token: str, url: str, purpose: str, issuer: str | None, resolver: KeyResolver
) -> _CheckedList:
    try:
        parsed = _parsed_list(token)
    except MalformedToken as exc:
        raise StatusProblem(f"the status list {url} is not a signed credential: {exc}") from exc
    list_vc = parsed.payload
    if (problem := algorithm_problem(parsed.header)) is not None:
        raise StatusProblem(f"the status list: {problem}")
    kid = str(parsed.header.get("kid", ""))
    try:
        key = await resolver.resolve(kid)
    except KeyResolutionError as exc:
        raise StatusProblem(f"the status list's key cannot be resolved ({exc.code})") from exc
    alg = str(parsed.header["alg"])
    if key_problem(alg, key.jwk) or not _list_signature_valid(parsed.token, key_members(key.jwk)):
        raise StatusProblem("the status list's signature is not valid")
    if issuer_id(list_vc) != issuer or key.controller != issuer:
        raise StatusProblem("the status list is not signed by the credential's issuer")
    types = list_vc.get("type")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        raise StatusProblem("the status list is not a BitstringStatusListCredential")
    until = parse_datetime(list_vc.get("validUntil")) if "validUntil" in list_vc else None
    subject = list_vc.get("credentialSubject")
    if not isinstance(subject, dict):
        raise StatusProblem("the status list has no credentialSubject")
    purposes = subject.get("statusPurpose")
    if purpose != purposes and not (isinstance(purposes, list) and purpose in purposes):
        raise StatusProblem(f"the status list is not for {purpose}")
    ttl = subject.get("ttl")
    ttl_seconds = (
        ttl // 1000 if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0 else None
    )
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise StatusProblem("the status list has no encodedList")
    try:
        bits = _decoded_list(encoded)
    except MalformedStatusList as exc:
        raise StatusProblem(f"the status list cannot be decoded: {exc}") from exc
    return _CheckedList(kid, key.jwk, until, ttl_seconds, bits)
