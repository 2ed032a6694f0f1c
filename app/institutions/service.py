"""Institutions and their organisational units: who may create, see and change them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.auth.principal import Principal
from app.auth.scopes import Scope
from app.config import get_settings
from app.errors import (
    Conflict,
    FieldError,
    InsufficientScope,
    NotFound,
    SlugTaken,
    ValidationFailed,
)
from app.images import service as images
from app.institutions import cache, repository
from app.institutions.models import Institution, OrgUnit
from app.institutions.schemas import (
    InstitutionCreate,
    InstitutionUpdate,
    OrgUnitCreate,
    OrgUnitUpdate,
)
from app.keys import service as keys


async def create_institution(
    session: AsyncSession, body: InstitutionCreate, actor: str
) -> Institution:
    settings = get_settings()
    if await repository.get_by_slug(session, body.slug) is not None:
        raise SlugTaken(f"An institution with slug '{body.slug}' exists already.")
    fields = body.model_dump(mode="json", exclude={"signing_algorithm", "ects_min", "ects_max"})
    institution = Institution(
        **fields,
        ects_min=body.ects_min if body.ects_min is not None else settings.ects_min_default,
        ects_max=body.ects_max if body.ects_max is not None else settings.ects_max_default,
    )
    _check_ects_bounds(institution)
    session.add(institution)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create won the race for the slug
        raise SlugTaken(f"An institution with slug '{body.slug}' exists already.") from exc
    await keys.create_active_key(session, institution, body.signing_algorithm, actor)
    await record(
        session,
        actor,
        AuditEntry(
            "institution.created",
            "institution",
            str(institution.id),
            institution.id,
            {"slug": institution.slug, "recognised": institution.recognised},
        ),
    )
    return institution


def _check_ects_bounds(institution: Institution) -> None:
    if institution.ects_min > institution.ects_max:
        raise ValidationFailed(
            "The ECTS bounds are reversed.",
            errors=[FieldError("#/ects_min", "must not exceed ects_max", "ects_bounds_reversed")],
        )


def _ensure_visible(principal: Principal, institution_id: uuid.UUID) -> None:
    """Another tenant's institution is reported as absent, never as forbidden."""
    if not principal.is_operator and principal.institution_id != institution_id:
        raise NotFound("No such institution.")


async def institution_of(session: AsyncSession, principal: Principal) -> Institution:
    """The institution whose data the caller acts on (read-only: it may be a cached copy)."""
    institution = await cache.institution_by_id(session, principal.tenant())
    if institution is None:
        raise NotFound("No such institution.")
    return institution


async def get_institution(
    session: AsyncSession, principal: Principal, institution_id: uuid.UUID
) -> Institution:
    _ensure_visible(principal, institution_id)
    institution = await repository.get(session, institution_id)
    if institution is None:
        raise NotFound("No such institution.")
    return institution


async def list_institutions(session: AsyncSession, principal: Principal) -> Sequence[Institution]:
    if principal.is_operator:
        return await repository.list_all(session)
    institution = await repository.get(session, principal.tenant())
    return [institution] if institution else []


async def administered_institution(
    session: AsyncSession, principal: Principal, institution_id: uuid.UUID, *, for_update: bool
) -> Institution:
    """The institution as its administrator (or an operator) sees it; locked to change it.

    Locked, its cached copies are dropped, so this process never issues from the state before.
    """
    _ensure_visible(principal, institution_id)
    if not principal.is_operator:
        principal.require(Scope.INSTITUTION_ADMIN)
    if for_update:
        institution = await repository.get_for_update(session, institution_id)
    else:
        institution = await repository.get(session, institution_id)
    if institution is None:
        raise NotFound("No such institution.")
    if for_update:
        cache.forget(institution)  # the slug cannot change, so the old entries are these
    return institution


async def update_institution(
    session: AsyncSession, principal: Principal, institution_id: uuid.UUID, body: InstitutionUpdate
) -> Institution:
    institution = await administered_institution(
        session, principal, institution_id, for_update=True
    )
    changes = body.model_dump(mode="json", exclude_unset=True)
    if "recognised" in changes and not principal.is_operator:
        raise InsufficientScope("Only an operator decides whether an institution is recognised.")
    for field, value in changes.items():
        if value is None and field not in _NULLABLE_INSTITUTION_FIELDS:
            raise ValidationFailed(
                f"'{field}' cannot be cleared.",
                errors=[FieldError(f"#/{field}", "may not be null", "not_nullable")],
            )
        setattr(institution, field, value)
    _check_ects_bounds(institution)
    if "default_profile" in changes:
        algorithm = await keys.active_algorithm(session, institution.id)
        if algorithm:
            keys.ensure_profile_allows(institution.default_profile, algorithm, "#/default_profile")
    await session.flush()
    await record(
        session,
        principal.actor,
        AuditEntry(
            "institution.updated",
            "institution",
            str(institution.id),
            institution.id,
            {"fields": sorted(changes)},
        ),
    )
    return institution


async def set_logo(
    session: AsyncSession, principal: Principal, institution_id: uuid.UUID, upload: bytes | None
) -> Institution:
    """Upload (PNG or JPEG) or remove the institution's logo, served from this host.

    It becomes ``logo_url``: the issuer profile's image in credentials issued from now on, and
    the logo on the credential pages, which load no image from another host.
    """
    prepared = await images.prepare_upload(upload) if upload is not None else None
    institution = await administered_institution(
        session, principal, institution_id, for_update=True
    )
    institution.logo_url = await images.save(session, prepared) if prepared else None
    await session.flush()
    await record(
        session,
        principal.actor,
        AuditEntry(
            "institution.logo_set" if prepared else "institution.logo_removed",
            "institution",
            str(institution.id),
            institution.id,
            {"sha256": prepared.sha256 if prepared else None},
        ),
    )
    return institution


_NULLABLE_INSTITUTION_FIELDS = frozenset(
    {
        "region",
        "url",
        "contact_email",
        "logo_url",
        "quality_assurance_statement",
        "quality_assurance_framework",
    }
)


async def create_org_unit(
    session: AsyncSession, principal: Principal, body: OrgUnitCreate
) -> OrgUnit:
    institution_id = principal.tenant()
    if await repository.org_unit_named(session, institution_id, body.name) is not None:
        raise Conflict(f"A unit named '{body.name}' exists already.")
    unit = OrgUnit(institution_id=institution_id, **body.model_dump(mode="json"))
    session.add(unit)
    await session.flush()
    await record(
        session,
        principal.actor,
        AuditEntry(
            "org_unit.created", "org_unit", str(unit.id), institution_id, {"name": unit.name}
        ),
    )
    return unit


async def get_org_unit(session: AsyncSession, principal: Principal, unit_id: uuid.UUID) -> OrgUnit:
    unit = await repository.org_unit_in(session, unit_id, principal.tenant())
    if unit is None:
        raise NotFound("No such organisational unit.")
    return unit


async def list_org_units(session: AsyncSession, principal: Principal) -> Sequence[OrgUnit]:
    return await repository.org_units_of(session, principal.tenant())


async def update_org_unit(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, body: OrgUnitUpdate
) -> OrgUnit:
    unit = await get_org_unit(session, principal, unit_id)
    changes = body.model_dump(mode="json", exclude_unset=True)
    if changes.get("name") is None and "name" in changes:
        raise ValidationFailed(
            "'name' cannot be cleared.",
            errors=[FieldError("#/name", "may not be null", "not_nullable")],
        )
    new_name = changes.get("name")
    if (
        new_name
        and new_name != unit.name
        and await repository.org_unit_named(session, unit.institution_id, new_name)
    ):
        raise Conflict(f"A unit named '{new_name}' exists already.")
    for field, value in changes.items():
        setattr(unit, field, value)
    await session.flush()
    await record(
        session,
        principal.actor,
        AuditEntry(
            "org_unit.updated",
            "org_unit",
            str(unit.id),
            unit.institution_id,
            {"fields": sorted(changes)},
        ),
    )
    return unit
