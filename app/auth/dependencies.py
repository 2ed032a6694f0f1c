"""FastAPI dependencies that turn a bearer API key into a :class:`Principal`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth import repository
from app.auth.cache import ActiveKey, active_keys
from app.auth.models import ApiClient
from app.auth.principal import Principal
from app.auth.scopes import Scope
from app.auth.tokens import parse_token, secret_matches
from app.errors import Unauthenticated
from app.http import direct_routes
from app.http.rate_limits import client_address, rate_limits_of
from app.observability.context import note_caller

_bearer = HTTPBearer(auto_error=False, description="An API key: `stapel_<id>_<secret>`.")


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller's principal, under the rate limits of its key and of failed attempts.

    Not through the request's transaction: a key not in the process cache is looked up in a
    short one of its own, so that a request which then waits (for a shared issuing transaction,
    say) holds no pooled connection meanwhile.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    if credentials is None:
        return await _principal(None, _looked_up_in(sessionmaker))
    limits = rate_limits_of(request.app)
    address = client_address(request.scope)
    limits.refuse_after_failures(address)
    try:
        principal = await _principal(credentials.credentials, _looked_up_in(sessionmaker))
    except Unauthenticated:
        limits.note_failure(address)
        raise
    limits.take_api_key(str(principal.client_id))
    return principal


async def principal_for(session: AsyncSession, token: str | None) -> Principal:
    """The principal an API key stands for; Unauthenticated for none, unknown or revoked."""

    async def find(key_id: str) -> ApiClient | None:
        return await repository.find_active_by_key_id(session, key_id)

    return await _principal(token, find)


Find = Callable[[str], Awaitable[ApiClient | None]]


def _looked_up_in(sessionmaker: async_sessionmaker[AsyncSession]) -> Find:
    async def find(key_id: str) -> ApiClient | None:
        async with sessionmaker() as session:
            return await repository.find_active_by_key_id(session, key_id)

    return find


async def _principal(token: str | None, find: Find) -> Principal:
    if token is None:
        raise Unauthenticated("Send an API key as 'Authorization: Bearer <key>'.")
    parsed = parse_token(token)
    known = await _active_key(parsed.key_id, find) if parsed else None
    if parsed is None or known is None or not secret_matches(parsed.secret, known.secret_hash):
        raise Unauthenticated("The API key is unknown or revoked.")
    principal = known.principal
    note_caller(principal.client_id, principal.institution_id)  # for the request's log lines
    return principal


async def _active_key(key_id: str, find: Find) -> ActiveKey | None:
    # One look-up at a time per key: the requests that arrive meanwhile wait for it. Unknown
    # keys are not kept, so that guessed ones cannot crowd out the real.
    # The look-up reads in a session of its own, so it renews the key in the background too.
    look_up = partial(_look_up, key_id, find)
    return await active_keys.served(
        key_id, look_up, lambda known: None if known else 0, renew=look_up
    )


async def _look_up(key_id: str, find: Find) -> ActiveKey | None:
    client = await find(key_id)
    if client is None:
        return None
    principal = Principal(
        client_id=client.id,
        institution_id=client.institution_id,
        scopes=frozenset(client.scopes),
    )
    return ActiveKey(client.secret_hash, principal)


AuthenticatedPrincipal = Annotated[Principal, Depends(authenticate)]


def require_scope(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    async def dependency(principal: AuthenticatedPrincipal) -> Principal:
        principal.require(scope)
        return principal

    async def direct(request: Request) -> Principal:
        return await dependency(await _authenticated(request))

    direct_routes.register(dependency, direct)
    return dependency


async def _authenticated(request: Request) -> Principal:
    """``authenticate`` as FastAPI resolves it, in one call (app.http.direct_routes)."""
    return await authenticate(request, await _bearer(request))


direct_routes.register(authenticate, _authenticated)


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
