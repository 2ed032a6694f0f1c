"""What a credential signed from a caller's own VC-API document may not claim.

REST issuance signs credentials for published achievements of the institution's catalogue and
holds each to the issuing policy (``app.achievements.policy``: recognised institution, ECTS
bounds, formal or informal). A VC-API document is the caller's own and names no such
achievement, so Stapel signs it as a distinct kind, a *caller document* (stored without an
``achievement_id``), which may claim nothing that only the policy grants:

* no credits (``creditsAvailable``, ``creditsEarned``) anywhere in the document;
* not the formal kind: no ``achievementType`` of a micro-credential or degree, no
  ``microCredentialKind`` other than ``informal``;
* no achievement of this instance's catalogue: another institution's is not the caller's to
  award, and the caller's own are issued through ``POST /credentials``, which runs the policy.

The verifier states ``recognised`` only for credentials that passed the policy (see
``app.verification.local.Trust``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements import repository as achievements
from app.config import get_settings
from app.errors import FieldError, PolicyViolation

CREDIT_TERMS = frozenset({"creditsAvailable", "creditsEarned"})
# Open Badges 3.0 achievement types that claim a formal award; Stapel grants them only through
# its issuing policy (MicroCredential), or not at all (degrees, diplomas).
FORMAL_ACHIEVEMENT_TYPES = frozenset(
    {
        "MicroCredential",
        "AssociateDegree",
        "BachelorDegree",
        "Degree",
        "Diploma",
        "DoctoralDegree",
        "MasterDegree",
        "ProfessionalDoctorate",
        "ResearchDoctorate",
    }
)


def _walk(value: Any, pointer: str) -> Iterator[tuple[str, str, Any]]:
    """Every member of every object in the document: (pointer of the member, name, value)."""
    if isinstance(value, dict):
        for name, member in value.items():
            at = f"{pointer}/{str(name).replace('~', '~0').replace('/', '~1')}"
            yield at, name, member
            yield from _walk(member, at)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{pointer}/{index}")


def _claims_formal(name: str, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    if name == "achievementType":
        return any(v in FORMAL_ACHIEVEMENT_TYPES for v in values)
    if name == "microCredentialKind":
        return any(v != "informal" for v in values)
    return False


def _catalogue_achievement(value: Any) -> uuid.UUID | None:
    """The achievement of this instance an ``achievement.id`` URL names, if it names one."""
    if not isinstance(value, str):
        return None
    prefix = f"{get_settings().public_base_url}/achievements/"
    if not value.startswith(prefix):
        return None
    try:
        return uuid.UUID(value.removeprefix(prefix).split("/", 1)[0])
    except ValueError:
        return None


def _catalogue_achievements(pointer: str, value: Any) -> Iterator[tuple[str, uuid.UUID]]:
    objects = enumerate(value) if isinstance(value, list) else [(None, value)]
    for index, item in objects:
        if isinstance(item, dict):
            achievement_id = _catalogue_achievement(item.get("id"))
            if achievement_id is not None:
                at = pointer if index is None else f"{pointer}/{index}"
                yield f"{at}/id", achievement_id


async def enforce(
    session: AsyncSession, credential: dict[str, Any], institution_id: uuid.UUID
) -> None:
    """Raise PolicyViolation naming every claim the caller's document may not make."""
    found: list[FieldError] = []
    named: list[tuple[str, uuid.UUID]] = []
    for pointer, name, value in _walk(credential, "#/credential"):
        if name in CREDIT_TERMS:
            found.append(
                FieldError(
                    pointer, "credits are granted only by the issuing policy", "credits_not_allowed"
                )
            )
        elif _claims_formal(name, value):
            found.append(
                FieldError(
                    pointer,
                    "a formal award is granted only by the issuing policy",
                    "formal_type_not_allowed",
                )
            )
        elif name == "achievement":
            named.extend(_catalogue_achievements(pointer, value))
    for pointer, achievement_id in named:
        owner = await achievements.institution_of_achievement(session, achievement_id)
        if owner is not None and owner != institution_id:
            found.append(
                FieldError(pointer, "an achievement of another institution", "foreign_achievement")
            )
        else:
            found.append(
                FieldError(
                    pointer,
                    "names an achievement URL of this instance; catalogue achievements are "
                    "issued with POST /v1/credentials",
                    "catalogue_achievement",
                )
            )
    if found:
        raise PolicyViolation(
            f"The credential claims {len(found)} thing(s) only the issuing policy grants.",
            errors=found,
        )
