"""Which components a rule holds with, for each kind of rule (no database needed)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from app.pathways.rules import Candidate, select
from app.pathways.schemas import Pathway

TODAY = date(2026, 12, 6)
SKILL = "http://data.europa.eu/esco/skill/abc"
A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def candidate(achievement: uuid.UUID, **overrides: object) -> Candidate:
    values: dict[str, object] = {
        "credential_id": uuid.uuid4(),
        "institution_id": uuid.uuid4(),
        "achievement_id": achievement,
        "issuer_did": "did:web:stapel.test:issuers:x",
        "awarded_on": date(2026, 7, 1),
        "issued_at": datetime(2026, 7, 1, tzinfo=UTC),
        "grade": "7",
        "ects": 5.0,
        "eqf_level": 6,
        "field_of_study": "0311",
        "esco_skills": frozenset(),
    }
    values.update(overrides)
    return Candidate(**values)  # type: ignore[arg-type]


def test_all_holds_only_with_every_component() -> None:
    rule = Pathway(rule="all", components=[A, B, C])
    some = [candidate(A), candidate(B)]
    assert select(rule, some, TODAY) is None
    everything = [*some, candidate(C)]
    chosen = select(rule, everything, TODAY)
    assert chosen is not None
    assert [c.achievement_id for c in chosen.components] == [A, B, C]
    assert chosen.ects == 15


def test_n_of_takes_the_first_n_components_in_the_rules_order() -> None:
    rule = Pathway(rule="n_of", n=2, components=[A, B, C])
    assert select(rule, [candidate(C)], TODAY) is None
    chosen = select(rule, [candidate(C), candidate(A), candidate(B)], TODAY)
    assert chosen is not None
    assert [c.achievement_id for c in chosen.components] == [A, B]


def test_min_ects_from_a_set_adds_credits_until_the_minimum() -> None:
    rule = Pathway(rule="min_ects", min_ects=12, components=[A, B, C])
    assert select(rule, [candidate(A), candidate(B)], TODAY) is None
    chosen = select(rule, [candidate(A), candidate(B, ects=3), candidate(C, ects=6)], TODAY)
    assert chosen is not None
    assert chosen.ects == 14


def test_min_ects_by_match_counts_any_matching_achievement() -> None:
    rule = Pathway(
        rule="min_ects", min_ects=10, match={"field_of_study": "03", "esco_skill": SKILL}
    )
    matching = [candidate(A, esco_skills=frozenset({SKILL})), candidate(B, esco_skills={SKILL})]
    other_field = candidate(C, field_of_study="0611", esco_skills=frozenset({SKILL}))
    assert select(rule, [matching[0], other_field], TODAY) is None
    chosen = select(rule, [*matching, other_field], TODAY)
    assert chosen is not None
    assert {c.achievement_id for c in chosen.components} == {A, B}


def test_an_eqf_match_is_a_minimum_level() -> None:
    rule = Pathway(rule="min_ects", min_ects=5, match={"eqf_level": 6})
    assert select(rule, [candidate(A, eqf_level=5)], TODAY) is None
    assert select(rule, [candidate(A, eqf_level=7)], TODAY) is not None


def test_components_older_than_the_window_do_not_count() -> None:
    rule = Pathway(rule="all", components=[A, B], within_years=2)
    old = candidate(A, awarded_on=date(2024, 12, 5))
    assert select(rule, [old, candidate(B)], TODAY) is None
    recent = candidate(A, awarded_on=date(2024, 12, 6))
    assert select(rule, [recent, candidate(B)], TODAY) is not None


def test_a_minimum_grade_needs_a_numeric_grade_that_high() -> None:
    rule = Pathway(rule="all", components=[A], min_grade=6.5)
    assert select(rule, [candidate(A, grade="6,4")], TODAY) is None
    assert select(rule, [candidate(A, grade="pass")], TODAY) is None
    assert select(rule, [candidate(A, grade=None)], TODAY) is None
    assert select(rule, [candidate(A, grade="6,5")], TODAY) is not None


def test_the_credential_awarded_first_stands_for_its_achievement() -> None:
    later = candidate(A, issued_at=datetime(2026, 8, 1, tzinfo=UTC))
    first = candidate(A, issued_at=datetime(2026, 6, 1, tzinfo=UTC))
    chosen = select(Pathway(rule="all", components=[A]), [later, first], TODAY)
    assert chosen is not None
    assert chosen.credential_ids == [first.credential_id]
