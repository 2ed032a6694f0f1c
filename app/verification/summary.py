"""A verifier's at-a-glance view of the EU elements, read tolerantly from any OB3 credential."""

from __future__ import annotations

from typing import Any


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _eqf(achievement: dict[str, Any]) -> int | None:
    direct = achievement.get("eqfLevel")
    if isinstance(direct, int) and not isinstance(direct, bool):
        return direct
    for alignment in _list(achievement.get("alignment")):
        url = alignment.get("targetUrl") if isinstance(alignment, dict) else None
        if isinstance(url, str) and url.startswith("http://data.europa.eu/snb/eqf/"):
            level = url.rsplit("/", 1)[-1]
            # The EQF has levels 1 to 8. isascii: str.isdigit() also takes digits that int()
            # refuses ("¹") or reads ("٦"); the length keeps int() within its digit limit.
            plain = level.isascii() and level.isdigit() and len(level) <= 2
            return int(level) if plain else None
    return None


def achievement_fields(credential: dict[str, Any]) -> dict[str, Any] | None:
    """The fields of ``AchievementSummary`` (the answer's ``achievement``), as JSON values."""
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not isinstance(subject, dict) or not isinstance(achievement, dict):
        return None
    qa = achievement.get("qualityAssurance")
    outcomes = _list(achievement.get("learningOutcome"))
    results = _list(subject.get("result"))
    return {
        "name": _text(achievement.get("name")),
        "achievement_type": _text(achievement.get("achievementType")),
        "credits_ects": _number(subject.get("creditsEarned"))
        or _number(achievement.get("creditsAvailable")),
        "eqf_level": _eqf(achievement),
        "field_of_study": _text(achievement.get("fieldOfStudy")),
        "participation": _text(achievement.get("participationType")),
        "assessment": _text(achievement.get("assessmentType")),
        "quality_assurance": _text(qa.get("name") or qa.get("qualityAssuranceType"))
        if isinstance(qa, dict)
        else None,
        "learning_outcomes": [
            o["text"] for o in outcomes if isinstance(o, dict) and isinstance(o.get("text"), str)
        ][:50],
        "awarded": _text(credential.get("awardedDate")) or _text(credential.get("validFrom")),
        "result": [str(r["value"]) for r in results if isinstance(r, dict) and "value" in r][:10],
    }
