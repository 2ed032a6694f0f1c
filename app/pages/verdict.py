"""The verifier's report in plain words, for the verify page: one verdict, then every check.

The report is the same one ``POST /v1/verify`` answers with; this only says it for a person:
what each check means, and why one failed (the verifier's own reason, which is technical and
in English, so it is shown as the detail under the translated words).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.pages.i18n import Translator, long_date
from app.verification.schemas import VerificationOut


@dataclass(frozen=True, slots=True)
class CheckView:
    name: str
    label: str
    meaning: str
    outcome: str
    outcome_text: str
    reason: str | None  # the verifier's reason, when the check did not simply pass


@dataclass(frozen=True, slots=True)
class Verdict:
    verified: bool
    headline: str
    explanation: str
    checks: list[CheckView]
    issuer_name: str | None
    issuer_id: str | None
    trust: str | None
    recognition: str | None
    title: str | None
    ects: str | None
    eqf: str | None
    awarded: str | None


def _issuer_name(report: VerificationOut) -> str | None:
    if report.issuer and report.issuer.name:
        return report.issuer.name
    issuer: Any = (report.credential or {}).get("issuer")
    name = issuer.get("name") if isinstance(issuer, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def _headline(t: Translator, report: VerificationOut, checks: list[CheckView]) -> tuple[str, str]:
    if report.verified:
        if report.issuer_trusted:
            return t("verify.verdict.verified"), t("verify.verdict.verified.trusted")
        return t("verify.verdict.verified"), t("verify.verdict.verified.unknown_issuer")
    failed = next((c for c in checks if c.outcome == "failed" and c.name != "trust"), None)
    if failed is None:  # e.g. the signature was never reached
        return t("verify.verdict.failed"), t("verify.verdict.failed.unread")
    return t("verify.verdict.failed"), t("verify.verdict.failed.because", check=failed.label)


def _trust(t: Translator, report: VerificationOut) -> tuple[str | None, str | None]:
    """Whether the issuer is known, and recognised; nothing when the check never ran."""
    if not any(c.check == "trust" and c.outcome != "skipped" for c in report.checks):
        return None, None
    known_as = report.issuer.known_as if report.issuer else None
    trust = t(f"verify.trust.{known_as or 'unknown'}")
    recognised = report.issuer.recognised if report.issuer else None
    if recognised is None:
        return trust, None
    return trust, t("verify.recognised.yes" if recognised else "verify.recognised.no")


def _calendar_day(text: str | None) -> date | None:
    """The day of an ISO date or date-time as the credential states it; None if it is not one."""
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _number(value: float | None) -> str | None:
    return f"{value:g}" if value is not None else None


def verdict(t: Translator, report: VerificationOut) -> Verdict:
    checks = [
        CheckView(
            name=c.check,
            label=t(f"verify.check.{c.check}"),
            meaning=t(f"verify.check.{c.check}.meaning"),
            outcome=c.outcome,
            outcome_text=t(f"check.{c.outcome}"),
            reason=c.detail if c.outcome != "passed" else None,
        )
        for c in report.checks
    ]
    headline, explanation = _headline(t, report, checks)
    trust, recognition = _trust(t, report)
    summary = report.achievement
    ects = _number(summary.credits_ects) if summary else None
    eqf = str(summary.eqf_level) if summary and summary.eqf_level is not None else None
    return Verdict(
        verified=report.verified,
        headline=headline,
        explanation=explanation,
        checks=checks,
        issuer_name=_issuer_name(report),
        issuer_id=report.issuer.id if report.issuer else None,
        trust=trust,
        recognition=recognition,
        title=summary.name if summary else None,
        ects=t("field.workload.value", ects=ects) if ects else None,
        eqf=t("field.eqf.value", level=eqf) if eqf else None,
        awarded=long_date(_calendar_day(summary.awarded), t.language) if summary else None,
    )
