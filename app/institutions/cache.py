"""Institutions this process read a moment ago (see :mod:`app.process_cache` for the bound).

Only for the read-only hot paths — issuing, verifying, publishing DID documents. Whatever
changes an institution reads it afresh, for update.
"""

from __future__ import annotations

import uuid

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import in_own_session
from app.errors import NotFound
from app.institutions import repository
from app.institutions.models import Institution
from app.process_cache import RENEW_AHEAD, ProcessCache

_by_id: ProcessCache[uuid.UUID, Institution] = ProcessCache()
_by_slug: ProcessCache[str, Institution] = ProcessCache(renew_ahead=RENEW_AHEAD)


def _transient_copy(institution: Institution) -> Institution:
    """A copy in no session: a rollback elsewhere cannot expire it under another request."""
    columns = inspect(Institution).column_attrs
    return Institution(**{column.key: getattr(institution, column.key) for column in columns})


def _remember(institution: Institution) -> Institution:
    copy = _transient_copy(institution)
    _by_id.put(copy.id, copy)
    _by_slug.put(copy.slug, copy)
    return copy


async def institution_by_id(session: AsyncSession, institution_id: uuid.UUID) -> Institution | None:
    cached = _by_id.get(institution_id)
    if cached is not None:
        return cached
    found = await repository.get(session, institution_id)
    return _remember(found) if found is not None else None


async def institution_by_slug(session: AsyncSession, slug: str) -> Institution | None:
    try:
        # Renewed in the background before it runs out; once it has, one request reads it
        # again and the others meanwhile get the one kept.
        return await _by_slug.served(
            slug,
            lambda: _found_by_slug(session, slug),
            renew=in_own_session(lambda reading: _found_by_slug(reading, slug)),
        )
    except NotFound:
        return None


async def _found_by_slug(session: AsyncSession, slug: str) -> Institution:
    found = await repository.get_by_slug(session, slug)
    if found is None:
        raise NotFound("No such institution.")
    return _remember(found)


def forget(institution: Institution) -> None:
    _by_id.forget(institution.id)
    _by_slug.forget(institution.slug)
