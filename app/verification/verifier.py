"""Verifying one credential, step by step, the same way for ours and for anyone else's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from jwcrypto import jwk
from jwcrypto.common import JWException

from app.credentials.ob3_schema import schema_errors, vcdm11_schema_errors
from app.verification import profiles
from app.verification.errors import KeyResolutionError
from app.verification.jws import (
    CompactJws,
    MalformedToken,
    algorithm_problem,
    key_problem,
    parse_compact,
    signature_valid,
)
from app.verification.report import Report
from app.verification.resolver import KeyResolver, ResolvedKey, did_web_document_url
from app.verification.status import StatusListSource, check_status

OB3_TYPES = ("OpenBadgeCredential", "AchievementCredential")


@dataclass(frozen=True, slots=True)
class IssuerStanding:
    """What this instance knows of an issuer."""

    known_as: str | None  # "this_instance", "trust_list" or None
    name: str | None = None
    recognised: bool | None = None
    # Said beside the trust check, e.g. why recognition is not stated for this credential.
    note: str | None = None


class TrustSource(Protocol):
    async def standing(self, issuer: str, credential_id: str | None) -> IssuerStanding: ...


@dataclass(frozen=True, slots=True)
class Verifier:
    resolver: KeyResolver
    status_lists: StatusListSource
    trust: TrustSource
    skew: timedelta

    async def verify(self, token: str, now: datetime) -> Report:
        report = Report()
        try:
            parsed = parse_compact(token)
        except MalformedToken as exc:
            report.record("parsing", str(exc), "")
            report.skip_rest("the credential could not be read")
            return report
        profile = profiles.detect_profile(parsed)
        report.profile = profile
        if not report.record(
            "parsing",
            None if profile else _unknown_profile(parsed),
            f"a compact JWS in the {profile} profile",
        ):
            report.skip_rest("the credential could not be read")
            return report
        assert profile is not None  # noqa: S101 - narrowed by the check just recorded
        credential = profiles.credential_of(profile, parsed.payload)
        report.credential = credential
        if not await self._cryptography(report, profile, parsed, credential):
            report.skip_rest("the signature could not be established")
            return report
        self._content(report, profile, parsed, credential, now)
        outcome, detail = await check_status(
            credential, self.status_lists, self.resolver, now, self.skew
        )
        report.add("status", outcome, detail)
        await self._trust(report, credential)
        return report

    async def _cryptography(
        self, report: Report, profile: str, parsed: CompactJws, credential: dict[str, Any]
    ) -> bool:
        if not report.record(
            "algorithm",
            algorithm_problem(parsed.header),
            f"{parsed.header.get('alg')} is an accepted signature algorithm",
        ):
            return False
        if not report.record(
            "header",
            profiles.header_problem(profile, parsed),
            f"the header follows the {profile} profile",
        ):
            return False
        try:
            key = await self.resolver.resolve(str(parsed.header["kid"]))
        except KeyResolutionError as exc:
            report.add("key", "failed", f"{exc.code}: {exc.detail}")
            return False
        problem = key_problem(str(parsed.header["alg"]), key.jwk) or await self._binding_problem(
            key, credential
        )
        if not report.record("key", problem, f"resolved {key.method} key of {key.controller}"):
            return False
        return report.record(
            "signature",
            None if signature_valid(parsed, key.jwk) else "the signature does not verify",
            "the signature verifies",
        )

    async def _binding_problem(self, key: ResolvedKey, credential: dict[str, Any]) -> str | None:
        """The key must belong to the credential's issuer, not merely to someone."""
        issuer = profiles.issuer_id(credential)
        if issuer is None:
            return "the credential has no issuer to bind the key to"
        if key.controller == issuer:
            return None
        if key.method == "jwk-url" and issuer.startswith("did:web:"):
            base = _did_web_base(issuer)
            if base is not None and key.controller.startswith(base):
                return None
            if await self._listed_in_did(issuer, key):
                return None
        return f"the key belongs to {key.controller}, not to the issuer {issuer}"

    async def _listed_in_did(self, did: str, key: ResolvedKey) -> bool:
        """Does the issuer's DID document list the same key (by its thumbprint fragment)?"""
        try:
            thumbprint = jwk.JWK(**key.jwk).thumbprint()
            listed = await self.resolver.resolve(f"{did}#{thumbprint}")
        # JWException: a fetched key whose members are not base64url (non-ASCII text, say).
        except (KeyResolutionError, JWException, ValueError, TypeError):
            return False
        return listed.jwk.get("x") == key.jwk.get("x") and listed.jwk.get("n") == key.jwk.get("n")

    def _content(
        self,
        report: Report,
        profile: str,
        parsed: CompactJws,
        credential: dict[str, Any],
        now: datetime,
    ) -> None:
        shape = profiles.shape_problem(profile, credential)
        report.record(
            "claims",
            shape or profiles.claims_problem(profile, parsed, credential),
            "the JWT claims agree with the credential",
        )
        report.record(
            "validity",
            profiles.validity_problem(profile, parsed, credential, now, self.skew),
            "within its validity period",
        )
        types = credential.get("type")
        if not isinstance(types, list) or not set(types) & set(OB3_TYPES):
            report.add("schema", "skipped", "not an Open Badges 3.0 credential")
            return
        # A vc-jwt-11 credential is in the VCDM 1.1 shape, checked against that variant.
        errors = (vcdm11_schema_errors if profile == "vc-jwt-11" else schema_errors)(credential)
        report.record(
            "schema", "; ".join(errors[:5]) or None, "valid against the Open Badges 3.0 JSON Schema"
        )

    async def _trust(self, report: Report, credential: dict[str, Any]) -> None:
        issuer = profiles.issuer_id(credential)
        credential_id = credential.get("id")
        standing = (
            await self.trust.standing(
                issuer, credential_id if isinstance(credential_id, str) else None
            )
            if issuer
            else IssuerStanding(None)
        )
        report.issuer = {
            "id": issuer,
            "name": standing.name,
            "known_as": standing.known_as,
            "recognised": standing.recognised,
        }
        if standing.known_as is None:
            report.add("trust", "warning", "the issuer is neither of this instance nor trusted")
        else:
            where = (
                "an institution of this instance"
                if standing.known_as == "this_instance"
                else "on the trust list"
            )
            note = f"; {standing.note}" if standing.note else ""
            report.add("trust", "passed", f"the issuer is {where}{note}")


def _unknown_profile(parsed: CompactJws) -> str:
    return (
        f"not a credential JWT of a supported profile (typ {parsed.header.get('typ')!r}); "
        "supported: vc-jose, ob3-jwt, vc-jwt-11"
    )


def _did_web_base(did: str) -> str | None:
    """did:web:host:a:b -> https://host/a/b/, where its documents and keys live."""
    try:
        return did_web_document_url(did).removesuffix("did.json")
    except KeyResolutionError:
        return None
