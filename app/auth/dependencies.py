"""FastAPI dependencies that turn a bearer API key into a :class:`Principal`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import repository
from app.auth.cache import ActiveKey, active_keys
from app.auth.principal import Principal
from app.auth.scopes import Scope
from app.auth.tokens import parse_token, secret_matches
from app.db.session import DbSession
from app.errors import Unauthenticated
from app.http.rate_limits import client_address, rate_limits_of
from app.observability.context import note_caller

_bearer = HTTPBearer(auto_error=False, description="An API key: `stapel_<id>_<secret>`.")


async def authenticate(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller's principal, under the rate limits of its key and of failed attempts."""
    if credentials is None:
        return await principal_for(session, None)
    limits = rate_limits_of(request.app)
    address = client_address(request.scope)
    limits.refuse_after_failures(address)
    try:
        principal = await principal_for(session, credentials.credentials)
    except Unauthenticated:
        limits.note_failure(address)
        raise
    limits.take_api_key(str(principal.client_id))
    return principal


async def principal_for(session: AsyncSession, token: str | None) -> Principal:
    """The principal an API key stands for; Unauthenticated for none, unknown or revoked."""
    if token is None:
        raise Unauthenticated("Send an API key as 'Authorization: Bearer <key>'.")
    parsed = parse_token(token)
    known = await _active_key(session, parsed.key_id) if parsed else None
    if parsed is None or known is None or not secret_matches(parsed.secret, known.secret_hash):
        raise Unauthenticated("The API key is unknown or revoked.")
    principal = known.principal
    note_caller(principal.client_id, principal.institution_id)  # for the request's log lines
    return principal


async def _active_key(session: AsyncSession, key_id: str) -> ActiveKey | None:
    known = active_keys.get(key_id)
    if known is None:
        client = await repository.find_active_by_key_id(session, key_id)
        if client is None:
            return None
        principal = Principal(
            client_id=client.id,
            institution_id=client.institution_id,
            scopes=frozenset(client.scopes),
        )
        known = ActiveKey(client.secret_hash, principal)
        active_keys.put(key_id, known)
    return known


AuthenticatedPrincipal = Annotated[Principal, Depends(authenticate)]


def require_scope(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    async def dependency(principal: AuthenticatedPrincipal) -> Principal:
        principal.require(scope)
        return principal

    return dependency


CatalogueWriter = Annotated[Principal, Depends(require_scope(Scope.CATALOGUE_WRITE))]
CredentialIssuer = Annotated[Principal, Depends(require_scope(Scope.CREDENTIALS_ISSUE))]
CredentialRevoker = Annotated[Principal, Depends(require_scope(Scope.CREDENTIALS_REVOKE))]
CredentialReader = Annotated[Principal, Depends(require_scope(Scope.CREDENTIALS_READ))]
RequestWriter = Annotated[Principal, Depends(require_scope(Scope.REQUESTS_WRITE))]
RequestReader = Annotated[Principal, Depends(require_scope(Scope.REQUESTS_READ))]
KeyManager = Annotated[Principal, Depends(require_scope(Scope.KEYS_MANAGE))]
InstitutionAdmin = Annotated[Principal, Depends(require_scope(Scope.INSTITUTION_ADMIN))]
IntegrationManager = Annotated[Principal, Depends(require_scope(Scope.INTEGRATIONS_MANAGE))]
Operator = Annotated[Principal, Depends(require_scope(Scope.OPERATOR))]
