"""Whether a learner's credentials satisfy a pathway, and with which of them (no database).

The engine hands in the learner's active credentials from this institution and from issuers it
recognises; this module picks the components a rule is met with, deterministically: per
component achievement the credential awarded first, components in the order the rule names
them (for a match, in the order they were awarded).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.pathways.schemas import ComponentMatch, Pathway


@dataclass(frozen=True, slots=True)
class Candidate:
    """One of the learner's active credentials, with what rules look at.

    A credential of this instance names its achievement by id; an external credential (brought
    as evidence, ``app.learner_requests``) has no institution or achievement here and names its
    achievement by the URL its issuer gave it (``external_achievement``), with its own ``id``
    in ``document_id``; ``credential_id`` is then the row that keeps it.
    """

    credential_id: uuid.UUID
    institution_id: uuid.UUID | None
    achievement_id: uuid.UUID | None
    issuer_did: str
    awarded_on: date | None
    issued_at: datetime
    grade: str | None
    ects: float | None
    eqf_level: int | None
    field_of_study: str | None
    esco_skills: frozenset[str]
    external_achievement: str | None = None
    document_id: str | None = None

    @property
    def achievement_key(self) -> uuid.UUID | str:
        """What makes two credentials the same component: the achievement, ours or another's."""
        return self.achievement_id or self.external_achievement or str(self.credential_id)


@dataclass(frozen=True, slots=True)
class Selection:
    """The components a rule holds with, and the ECTS they earned together."""

    components: tuple[Candidate, ...]

    @property
    def credential_ids(self) -> list[uuid.UUID]:
        return [c.credential_id for c in self.components]

    @property
    def ects(self) -> float | None:
        credits = [c.ects for c in self.components if c.ects is not None]
        return round(sum(credits), 2) if credits else None


def numeric_grade(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip().replace(",", "."))
    except ValueError:
        return None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, in a year that has none
        return day.replace(year=day.year - years, day=28)


def _eligible(pathway: Pathway, candidate: Candidate, today: date) -> bool:
    if pathway.within_years is not None:
        earned = candidate.awarded_on or candidate.issued_at.date()
        if earned < _years_before(today, pathway.within_years):
            return False
    if pathway.min_grade is not None:
        grade = numeric_grade(candidate.grade)
        if grade is None or grade < pathway.min_grade:
            return False
    return True


def matches(match: ComponentMatch, candidate: Candidate) -> bool:
    if match.field_of_study is not None and not (candidate.field_of_study or "").startswith(
        match.field_of_study
    ):
        return False
    if match.eqf_level is not None and (candidate.eqf_level or 0) < match.eqf_level:
        return False
    return match.esco_skill is None or match.esco_skill in candidate.esco_skills


def _first_per_achievement(candidates: Iterable[Candidate]) -> dict[uuid.UUID | str, Candidate]:
    first: dict[uuid.UUID | str, Candidate] = {}
    for candidate in sorted(candidates, key=lambda c: (c.issued_at, str(c.credential_id))):
        first.setdefault(candidate.achievement_key, candidate)
    return first


def _up_to_ects(ordered: Iterable[Candidate], minimum: float) -> Selection | None:
    chosen: list[Candidate] = []
    total = 0.0
    for candidate in ordered:
        if candidate.ects is None:
            continue
        chosen.append(candidate)
        total += candidate.ects
        if total >= minimum - 1e-9:
            return Selection(tuple(chosen))
    return None


def select(pathway: Pathway, candidates: Sequence[Candidate], today: date) -> Selection | None:
    """The components the rule holds with, or None when it does not hold."""
    first = _first_per_achievement(c for c in candidates if _eligible(pathway, c, today))
    named = [first[a] for a in pathway.components if a in first]
    if pathway.rule == "all":
        return Selection(tuple(named)) if len(named) == len(pathway.components) else None
    if pathway.rule == "n_of":
        n = pathway.n or len(pathway.components)
        return Selection(tuple(named[:n])) if len(named) >= n else None
    minimum = pathway.min_ects or 0.0
    if pathway.match is not None:
        match = pathway.match
        found = [c for c in first.values() if matches(match, c)]
        return _up_to_ects(found, minimum)
    return _up_to_ects(named, minimum)


def guaranteed_ects(pathway: Pathway, component_ects: Sequence[float | None]) -> float:
    """The fewest ECTS a learner can hold the rule with (components in the rule's order)."""
    credits = sorted(e or 0.0 for e in component_ects)
    if pathway.rule == "all":
        return sum(credits)
    if pathway.rule == "n_of":
        return sum(credits[: pathway.n or 0])
    return pathway.min_ects or 0.0
