"""Checks of a pathway when its achievement is saved.

The components exist; those of other issuers are recognised by the institution; no pathway
leads back to the achievement itself; and the ECTS the rule guarantees cover the stacked
achievement's own and stay within the institution's bounds.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements.links import latest_achievement_url
from app.achievements.schemas import AchievementContent
from app.errors import FieldError
from app.institutions import repository as institutions
from app.pathways import repository
from app.pathways.repository import AchievementFacts
from app.pathways.rules import guaranteed_ects
from app.pathways.schemas import Pathway
from app.recognition.service import recognises

# How far a chain of pathways is followed looking for a cycle; deeper ones are refused.
_MAX_DEPTH = 16


async def violations(
    session: AsyncSession,
    institution_id: uuid.UUID,
    content: AchievementContent,
    self_id: uuid.UUID | None,
) -> list[FieldError]:
    pathway = content.pathway
    if pathway is None:
        return []
    found = await repository.facts(session, pathway.components)
    errors: list[FieldError] = []
    for i, component in enumerate(pathway.components):
        where = f"#/pathway/components/{i}"
        facts = found.get(component)
        if facts is None:
            errors.append(FieldError(where, "no such achievement", "unknown_achievement"))
        elif component == self_id:
            errors.append(FieldError(where, "cannot count towards itself", "pathway_cycle"))
        elif not await _counts(session, institution_id, facts):
            errors.append(
                FieldError(
                    where,
                    "an issuer this institution does not recognise",
                    "component_not_recognised",
                )
            )
    if self_id is not None and await _leads_back(session, found, self_id):
        errors.append(
            FieldError(
                "#/pathway/components", "a component's pathway leads back here", "pathway_cycle"
            )
        )
    errors.extend(await _ects_errors(session, institution_id, content, pathway, found))
    return errors


async def _counts(
    session: AsyncSession, institution_id: uuid.UUID, facts: AchievementFacts
) -> bool:
    return facts.institution_id == institution_id or await recognises(
        session,
        institution_id,
        facts.issuer_did,
        latest_achievement_url(facts.id),
        ects=facts.ects,
        eqf_level=facts.eqf_level,
    )


async def _leads_back(
    session: AsyncSession, found: dict[uuid.UUID, AchievementFacts], self_id: uuid.UUID
) -> bool:
    seen: set[uuid.UUID] = set(found)
    frontier = list(found.values())
    for _ in range(_MAX_DEPTH):
        following = {c for f in frontier if f.pathway for c in f.pathway.components}
        if self_id in following:
            return True
        following -= seen
        if not following:
            return False
        seen |= following
        frontier = list((await repository.facts(session, sorted(following))).values())
    return True


async def _ects_errors(
    session: AsyncSession,
    institution_id: uuid.UUID,
    content: AchievementContent,
    pathway: Pathway,
    found: dict[uuid.UUID, AchievementFacts],
) -> list[FieldError]:
    if pathway.rule == "min_ects" and pathway.match is not None:
        fewest = pathway.min_ects or 0.0
    else:
        fewest = guaranteed_ects(pathway, [f.ects for f in found.values()])
    errors: list[FieldError] = []
    if content.ects is not None and fewest + 1e-9 < content.ects:
        errors.append(
            FieldError(
                "#/pathway",
                f"the rule can hold with {fewest:g} ECTS, fewer than the {content.ects:g} "
                "the achievement states",
                "pathway_ects_short",
            )
        )
    institution = await institutions.get(session, institution_id)
    if institution is not None and pathway.rule == "all" and fewest > institution.ects_max:
        errors.append(
            FieldError(
                "#/pathway",
                f"its components earn {fewest:g} ECTS, above the institution's "
                f"{institution.ects_max:g}",
                "pathway_ects_out_of_bounds",
            )
        )
    return errors
