"""The W3C VC-JOSE-COSE conformance fixtures, through the ``Verifier`` itself (no database).

The fixtures' ``kid``s are bare JWK thumbprints that no DID method resolves, so a fake resolver
maps them to the ``publicKeyJwk`` of the matching ``vm-*.json``, controlled by the fixtures'
issuer. Status and trust are fakes too, and the clock is fixed: the presentations expire in
December 2024.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from app.verification.errors import FetchError, KeyResolutionError
from app.verification.report import CHECK_NAMES, Report
from app.verification.resolver import KeyResolver, ResolvedKey
from app.verification.verifier import IssuerStanding, Verifier

VECTORS = Path(__file__).parent / "vectors"
ISSUER = "https://example.issuer/vc-jose-cose"
NOW = datetime(2024, 12, 15, tzinfo=UTC)
KEY_FILES = ("vm-p256.json", "vm-p384.json", "vm-p521.json", "vm-ed25519.json")


def _public_keys() -> dict[str, dict[str, Any]]:
    keys: dict[str, dict[str, Any]] = {}
    for name in KEY_FILES:
        method = json.loads((VECTORS / name).read_text())
        assert method["controller"] == ISSUER
        public: dict[str, Any] = method["publicKeyJwk"]
        keys[public["kid"]] = public
    return keys


@dataclass
class FixtureResolver:
    """Resolves the fixtures' thumbprint kids, as if they were did:jwk keys of the issuer."""

    keys: dict[str, dict[str, Any]] = field(default_factory=_public_keys)
    asked: list[str] = field(default_factory=list)

    async def resolve(self, kid: str) -> ResolvedKey:
        self.asked.append(kid)
        if kid not in self.keys:
            raise KeyResolutionError("verification_method_not_found", f"no fixture key {kid}")
        return ResolvedKey(kid, dict(self.keys[kid]), controller=ISSUER, method="did:jwk")


class NoStatusLists:
    async def fetch(self, url: str) -> str:
        raise FetchError(f"the fixtures have no status lists ({url})")

    def remember(self, url: str, ttl_seconds: int) -> None:
        del url, ttl_seconds


class UnknownIssuers:
    async def standing(self, issuer: str, credential_id: str | None) -> IssuerStanding:
        return IssuerStanding(None)


async def verify(name: str) -> Report:
    verifier = Verifier(
        resolver=cast(KeyResolver, FixtureResolver()),  # duck-typed: resolve(kid) only
        status_lists=NoStatusLists(),
        trust=UnknownIssuers(),
        skew=timedelta(seconds=60),
    )
    return await verifier.verify((VECTORS / name).read_text().strip(), NOW)


def _payload(name: str) -> dict[str, Any]:
    segment = (VECTORS / name).read_text().strip().split(".")[1]
    payload: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return payload


def outcomes(report: Report) -> dict[str, str]:
    return {c.name: c.outcome for c in report.checks}


def detail(report: Report, check: str) -> str:
    return next(c.detail for c in report.checks if c.name == check)


def first_failure(report: Report) -> tuple[str, str]:
    failed = report.failures()
    assert failed, report.checks
    return failed[0].name, failed[0].detail


@pytest.mark.parametrize(
    ("name", "alg"),
    [
        ("credential-jose-minimal.txt", "ES256"),
        ("credential-jose-unknown-extensions.txt", "ES512"),
        ("credential-issuer-match-signed.txt", "EdDSA"),
    ],
)
async def test_valid_fixtures_fail_only_their_string_iat(name: str, alg: str) -> None:
    """The suite's valid credentials carry iat as an ISO date string, which RFC 7519 does not
    allow (a NumericDate is a JSON number): the signature verifies, and the claims check alone
    refuses them."""
    assert isinstance(_payload(name)["iat"], str)
    report = await verify(name)
    assert not report.verified
    assert report.profile == "vc-jose"
    assert [c.name for c in report.checks] == list(CHECK_NAMES)
    assert detail(report, "algorithm").startswith(alg)
    assert first_failure(report) == (
        "claims",
        "iat must be a NumericDate (a JSON number), not a string",
    )
    assert len(report.failures()) == 1
    checks = outcomes(report)
    for passed in ("parsing", "algorithm", "header", "key", "signature", "validity"):
        assert checks[passed] == "passed", report.checks
    assert checks["schema"] == "skipped"  # not an Open Badges credential
    assert checks["status"] == "warning"  # no credentialStatus
    assert checks["trust"] == "warning"  # an issuer this instance does not know
    assert report.issuer is not None
    assert report.issuer["id"] == ISSUER


async def test_bad_signature_fixture_fails_the_signature() -> None:
    report = await verify("credential-jose-bad-signature.txt")
    assert not report.verified
    assert first_failure(report) == ("signature", "the signature does not verify")
    assert outcomes(report)["key"] == "passed"


async def test_bad_media_type_fixture_is_not_read_as_a_credential() -> None:
    report = await verify("credential-jose-bad-media-type.txt")
    assert not report.verified
    check, reason = first_failure(report)
    assert check in ("parsing", "header")
    assert "bad+typ" in reason or "bad+cty" in reason, reason
    assert outcomes(report)["signature"] == "skipped"


async def test_vc_and_vp_claims_fixture_fails_the_header() -> None:
    report = await verify("credential-jose-vc-vp-claims.txt")
    assert not report.verified
    check, reason = first_failure(report)
    assert check == "header"
    assert "vc and vp claims are not allowed" in reason


UNSUPPORTED = sorted(
    p.name
    for pattern in ("credential-cose-*.txt", "credential-sdjwt-*.txt", "presentation-*.txt")
    for p in VECTORS.glob(pattern)
)


def test_every_unsupported_fixture_was_copied() -> None:
    assert len(UNSUPPORTED) == 4 + 4 + 9


@pytest.mark.parametrize("name", UNSUPPORTED)
async def test_cose_sd_jwt_and_presentations_fail_parsing_without_raising(name: str) -> None:
    report = await verify(name)
    assert not report.verified
    check, reason = first_failure(report)
    assert check in ("parsing", "header")
    if "cose" in name:
        # COSE_Sign1 is CBOR, not a compact JWS.
        assert reason == "a compact JWS has three dot-separated segments"
    elif "sdjwt" in name:
        # Disclosures follow the JWS after "~": recognised and refused by name.
        assert reason == "SD-JWT (selective disclosure) credentials are not supported"
    else:
        # Presentations are JWSs whose typ names what they are.
        assert "not a credential JWT of a supported profile" in reason
        assert "typ" in reason
    assert [c.name for c in report.checks] == list(CHECK_NAMES)
    assert {c.outcome for c in report.checks[1:]} == {"skipped"}
    assert report.credential is None
