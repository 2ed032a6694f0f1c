"""API clients: issuing keys (shown once), listing and revoking them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.auth import repository
from app.auth.cache import active_keys
from app.auth.models import ApiClient
from app.auth.principal import Principal
from app.auth.schemas import ApiClientCreate
from app.auth.scopes import Scope
from app.auth.tokens import new_token
from app.errors import FieldError, InsufficientScope, InvalidState, NotFound, ValidationFailed
from app.institutions import repository as institutions


async def _add_client(
    session: AsyncSession,
    *,
    name: str,
    scopes: Iterable[str],
    institution_id: uuid.UUID | None,
    actor: str,
) -> tuple[ApiClient, str]:
    issued = new_token()
    client = ApiClient(
        institution_id=institution_id,
        name=name,
        key_id=issued.key_id,
        secret_hash=issued.secret_hash,
        scopes=sorted(set(scopes)),
    )
    session.add(client)
    await session.flush()
    await record(
        session,
        actor,
        AuditEntry(
            "api_client.created",
            "api_client",
            str(client.id),
            institution_id,
            {"name": name, "scopes": client.scopes},
        ),
    )
    return client, issued.token


async def create_operator_client(
    session: AsyncSession, name: str, actor: str
) -> tuple[ApiClient, str]:
    return await _add_client(
        session, name=name, scopes=[Scope.OPERATOR], institution_id=None, actor=actor
    )


async def create_institution_client(
    session: AsyncSession,
    institution_id: uuid.UUID,
    name: str,
    scopes: Iterable[Scope],
    actor: str,
) -> tuple[ApiClient, str]:
    if Scope.OPERATOR in scopes:
        raise InsufficientScope("Operator keys are created with the command line only.")
    if await institutions.get(session, institution_id) is None:
        raise NotFound("No such institution.")
    return await _add_client(
        session, name=name, scopes=scopes, institution_id=institution_id, actor=actor
    )


async def create_client(
    session: AsyncSession, principal: Principal, body: ApiClientCreate
) -> tuple[ApiClient, str]:
    if principal.is_operator:
        if body.institution_id is None:
            raise ValidationFailed(
                "Say which institution the key is for.",
                errors=[FieldError("#/institution_id", "required for operators", "missing")],
            )
        target = body.institution_id
    else:
        principal.require(Scope.INSTITUTION_ADMIN)
        target = principal.tenant()
        if body.institution_id not in (None, target):
            raise NotFound("No such institution.")
    return await create_institution_client(session, target, body.name, body.scopes, principal.actor)


def _scope_of(principal: Principal) -> uuid.UUID | None:
    """Operators see operator keys; institution admins see their institution's keys."""
    if principal.is_operator:
        return None
    principal.require(Scope.INSTITUTION_ADMIN)
    return principal.tenant()


async def list_clients(session: AsyncSession, principal: Principal) -> Sequence[ApiClient]:
    return await repository.list_for_institution(session, _scope_of(principal))


async def revoke_client(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID
) -> ApiClient:
    # Operators may revoke any key, so that a leaked institution key can be shut off quickly.
    client = await repository.get_in_institution(session, client_id, _scope_of(principal))
    if client is None:
        raise NotFound("No such API client.")
    if client.revoked_at is not None:
        raise InvalidState("The API client is revoked already.")
    await repository.mark_revoked(session, client.id)
    active_keys.forget(client.key_id)
    await session.refresh(client)
    await record(
        session,
        principal.actor,
        AuditEntry("api_client.revoked", "api_client", str(client.id), client.institution_id),
    )
    return client
