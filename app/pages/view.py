"""What a credential page shows, read from the signed document and the verifier's report.

The page shows the credential as it was signed (not the catalogue's current text), so that what
a learner shares is exactly what a verifier checks. Every EU standard element gets a line in
plain words; a missing optional one is left out rather than shown empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.pages.i18n import Translator, country_name, long_date
from app.verification.schemas import VerificationOut


@dataclass(frozen=True, slots=True)
class Element:
    label: str
    value: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Banner:
    state: str  # valid | revoked | suspended | expired | invalid
    title: str
    detail: str


@dataclass(frozen=True, slots=True)
class CheckLine:
    name: str
    outcome: str
    outcome_text: str
    detail: str


@dataclass(frozen=True, slots=True)
class CredentialView:
    title: str
    description: str | None
    kind: str  # formal | informal | unknown
    kind_title: str
    kind_explain: str
    learner_name: str | None
    issuer_name: str | None
    issuer_legal_name: str | None
    issuer_url: str | None
    country: str | None
    region: str | None
    issued_on: str | None
    awarded_on: str | None
    valid_until: str | None
    outcomes: list[str]
    elements: list[Element]
    quality_statement: str | None
    quality_framework: str | None
    banner: Banner
    checks: list[CheckLine] = field(default_factory=list)
    image_url: str | None = None
    logo_url: str | None = None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return f"{value:g}"


def _day(value: Any) -> date | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _elements(t: Translator, achievement: dict[str, Any], subject: dict[str, Any]) -> list[Element]:
    a = achievement
    lines: list[Element | None] = []

    def line(label: str, value: str | None, href: str | None = None) -> None:
        lines.append(Element(t(label), value, href) if value else None)

    ects = _number(a.get("creditsAvailable"))
    hours = _number(a.get("workloadHours"))
    workload = " · ".join(
        part
        for part in (
            t("field.workload.value", ects=ects) if ects else None,
            t("field.hours", hours=hours) if hours else None,
        )
        if part
    )
    line("field.workload", workload or None)
    eqf = _number(a.get("eqfLevel"))
    line(
        "field.eqf",
        t("field.eqf.value", level=eqf) if eqf else None,
        f"http://data.europa.eu/snb/eqf/{eqf}" if eqf else None,
    )
    line("field.qf_ehea", t.term("qf_ehea", _text(a.get("qfEheaCycle"))))
    assessment = t.term("assessment", _text(a.get("assessmentType")))
    description = _text(a.get("assessmentDescription"))
    line(
        "field.assessment",
        f"{assessment}: {description}" if assessment and description else assessment,
    )
    line("field.participation", t.term("participation", _text(a.get("participationType"))))
    qa = _dict(a.get("qualityAssurance"))
    qa_type = t.term("quality", _text(qa.get("qualityAssuranceType")))
    qa_name = _text(qa.get("name"))
    line(
        "field.quality",
        f"{qa_type}: {qa_name}" if qa_type and qa_name else qa_type,
        _text(qa.get("url")),
    )
    prerequisites = [p for p in a.get("prerequisites") or [] if isinstance(p, str)]
    line("field.prerequisites", "; ".join(prerequisites) or None)
    supervision = t.term("supervision", _text(a.get("supervisionType")))
    if supervision and subject.get("identityChecked") is True:
        supervision = f"{supervision}. {t('field.identity_checked')}"
    line("field.supervision", supervision)
    results = [_dict(r) for r in subject.get("result") or []]
    line("field.grade", ", ".join(str(r["value"]) for r in results if "value" in r) or None)
    stacks = _text(a.get("integrationOptions"))
    line("field.stackability", stacks)
    line("field.further", _text(a.get("furtherInformation")), _text(a.get("furtherInformation")))
    languages = [x for x in a.get("languages") or [] if isinstance(x, str)]
    line("field.languages", ", ".join(languages) or None)
    line("field.field_of_study", _text(a.get("fieldOfStudy")))
    return [x for x in lines if x is not None]


def banner(t: Translator, report: VerificationOut, state: str, changed: datetime | None) -> Banner:
    """What the status banner says, from the verifier's report on the signed token.

    The stored state names the date of a revocation or suspension; whether the credential is
    valid at all is the verifier's answer, the same one ``/v1/verify`` gives.
    """
    failed = {c.check for c in report.checks if c.outcome == "failed"}
    when = long_date(changed, t.language) or ""
    if state == "revoked":
        return Banner("revoked", t("status.revoked"), t("status.revoked.detail", date=when))
    if state == "suspended":
        return Banner("suspended", t("status.suspended"), t("status.suspended.detail", date=when))
    if "validity" in failed:
        until = _day(_dict(report.credential).get("validUntil"))
        return Banner(
            "expired",
            t("status.expired"),
            t("status.expired.detail", date=long_date(until, t.language) or ""),
        )
    if not report.verified:
        return Banner("invalid", t("status.invalid"), t("status.invalid.detail"))
    return Banner("valid", t("status.valid"), t("status.valid.detail"))


def credential_view(
    t: Translator,
    document: dict[str, Any],
    report: VerificationOut,
    *,
    state: str,
    status_changed_at: datetime | None,
    image_url: str | None = None,
    logo_url: str | None = None,
) -> CredentialView:
    subject = _dict(document.get("credentialSubject"))
    achievement = _dict(subject.get("achievement"))
    issuer = _dict(document.get("issuer"))
    address = _dict(issuer.get("address"))
    kind = _text(achievement.get("microCredentialKind")) or "unknown"
    if kind not in ("formal", "informal"):
        kind = "unknown"
    names = [
        _text(i.get("identityHash"))
        for i in map(_dict, subject.get("identifier") or [])
        if i.get("identityType") == "name" and i.get("hashed") is False
    ]
    outcomes = [
        text
        for text in (_text(_dict(o).get("text")) for o in achievement.get("learningOutcome") or [])
        if text
    ]
    return CredentialView(
        title=_text(achievement.get("name")) or _text(document.get("name")) or "",
        description=_text(achievement.get("description")),
        kind=kind,
        kind_title=t(f"kind.{kind}"),
        kind_explain=t(f"kind.{kind}.explain"),
        learner_name=next((n for n in names if n), None) or _text(subject.get("name")),
        issuer_name=_text(issuer.get("name")),
        issuer_legal_name=_text(issuer.get("legalName")),
        issuer_url=_text(issuer.get("url")),
        country=country_name(_text(address.get("addressCountryCode")), t.language),
        region=_text(address.get("addressRegion")),
        issued_on=long_date(_day(document.get("validFrom")), t.language),
        awarded_on=long_date(_day(document.get("awardedDate")), t.language),
        valid_until=long_date(_day(document.get("validUntil")), t.language),
        outcomes=outcomes,
        elements=_elements(t, achievement, subject),
        quality_statement=_text(issuer.get("qualityAssuranceStatement")),
        quality_framework=_text(issuer.get("qualityAssuranceFramework")),
        banner=banner(t, report, state, status_changed_at),
        checks=[
            CheckLine(c.check, c.outcome, t(f"check.{c.outcome}"), c.detail) for c in report.checks
        ],
        image_url=image_url,
        logo_url=logo_url,
    )
