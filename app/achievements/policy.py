"""Issuing policy for achievements.

Formal micro-credentials (the Dutch "edubadges" kind) carry ECTS and may only come from
recognised institutions; informal open badges may come from anyone and carry no credits.
"""

from __future__ import annotations

from app.achievements.schemas import AchievementContent
from app.errors import FieldError, PolicyViolation
from app.institutions.models import Institution


def _fmt(value: float) -> str:
    return f"{value:g}"


def violations(content: AchievementContent, institution: Institution) -> list[FieldError]:
    if content.kind == "informal":
        if content.ects is not None:
            return [
                FieldError(
                    "#/ects", "informal badges carry no credits", "credits_on_informal_badge"
                )
            ]
        return []
    found: list[FieldError] = []
    if not institution.recognised:
        found.append(
            FieldError(
                "#/kind",
                "only recognised institutions issue formal micro-credentials",
                "institution_not_recognised",
            )
        )
    if content.ects is None:
        found.append(
            FieldError("#/ects", "a formal micro-credential states its ECTS", "ects_required")
        )
    elif not institution.ects_min <= content.ects <= institution.ects_max:
        found.append(
            FieldError(
                "#/ects",
                f"must lie between {_fmt(institution.ects_min)} and "
                f"{_fmt(institution.ects_max)} ECTS",
                "ects_out_of_bounds",
            )
        )
    if content.eqf_level is None:
        found.append(
            FieldError(
                "#/eqf_level",
                "a formal micro-credential states its EQF level",
                "eqf_level_required",
            )
        )
    if content.quality_assurance is None:
        found.append(
            FieldError(
                "#/quality_assurance",
                "a formal micro-credential states its quality assurance",
                "quality_assurance_required",
            )
        )
    return found


def enforce(content: AchievementContent, institution: Institution) -> None:
    found = violations(content, institution)
    if found:
        raise PolicyViolation(
            f"The achievement breaks {len(found)} issuing rule(s) "
            f"for a {content.kind} achievement.",
            errors=found,
        )
