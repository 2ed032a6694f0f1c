"""RFC 9901's SD-JWT VC example (appendix A.3) replayed through our SD-JWT VC verifier.

The example's issuer is fictional; its JWT VC Issuer Metadata is the one thing stood in for,
with the example key the RFC prints.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.verification.report import Report
from app.verification.resolver import KeyResolver
from app.verification.sd_jwt_vc import KeyBindingRequest, SdJwtVcVerifier
from tests.sdjwt.rfc9901 import EXAMPLES

EXAMPLE = EXAMPLES["appendix_a_3_key_binding"]
MOMENT = datetime.fromtimestamp(EXAMPLE["iat"], UTC)


class _ExampleIssuer:
    async def keys_of(self, issuer: str) -> list[dict[str, Any]]:
        assert issuer == "https://pid-issuer.bund.de.example"
        return [EXAMPLES["issuer_jwk"]]


class _NoLists:
    async def fetch(self, uri: str) -> str:
        raise AssertionError(f"the example names no status list, yet {uri} was asked for")


class _NobodyTrusted:
    async def known_as(self, issuer: str) -> tuple[str | None, str | None]:
        return None, None


async def _verify(text: str, binding: KeyBindingRequest) -> Report:
    verifier = SdJwtVcVerifier(
        metadata=_ExampleIssuer(),
        status_lists=_NoLists(),
        resolver=KeyResolver.__new__(KeyResolver),  # never asked: the example has no status
        trust=_NobodyTrusted(),
        anchors=[],
        skew=timedelta(seconds=60),
        key_binding_max_age=timedelta(minutes=5),
    )
    return await verifier.verify(text, binding, MOMENT)


def _outcomes(report: Report) -> dict[str, str]:
    return {check.name: check.outcome for check in report.checks}


async def test_the_rfc_presentation_with_key_binding_verifies() -> None:
    binding = KeyBindingRequest(True, EXAMPLE["nonce"], EXAMPLE["aud"])
    report = await _verify(EXAMPLE["sd_jwt"], binding)
    assert report.verified, report.checks
    assert _outcomes(report)["key_binding"] == "passed"
    assert _outcomes(report)["status"] == "skipped"
    assert report.credential is not None
    assert report.credential["nationalities"] == ["DE"]
    assert report.credential["age_equal_or_over"] == {"18": True}
    assert sorted(report.disclosed or []) == [
        "age_equal_or_over",
        "age_equal_or_over/18",
        "nationalities",
    ]


async def test_the_rfc_presentation_for_another_verifier_fails_its_key_binding() -> None:
    binding = KeyBindingRequest(True, EXAMPLE["nonce"], "https://someone-else.example")
    report = await _verify(EXAMPLE["sd_jwt"], binding)
    assert not report.verified
    assert _outcomes(report)["key_binding"] == "failed"
