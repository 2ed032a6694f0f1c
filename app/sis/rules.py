"""Whether a grade passes under a course mapping's rule."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from app.sis.models import CourseMapping


def numeric_grade(grade: str) -> Decimal | None:
    """``7.5`` and the Dutch ``7,5`` alike; None when the grade is not a number."""
    try:
        value = Decimal(grade.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def passes(mapping: CourseMapping, grade: str) -> bool:
    if grade.strip().casefold() in {value.casefold() for value in mapping.pass_values}:
        return True
    if mapping.pass_threshold is None:
        return False
    value = numeric_grade(grade)
    return value is not None and value >= mapping.pass_threshold
