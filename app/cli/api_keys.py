"""`stapel api-key`: create, list and revoke API keys."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.auth import repository as api_clients
from app.auth import service as auth
from app.auth.cache import active_keys
from app.auth.models import ApiClient
from app.auth.scopes import INSTITUTION_SCOPES, Scope
from app.auth.tokens import parse_token
from app.cli.common import (
    TYPER_OPTIONS,
    cli_actor,
    fail,
    institution_by_slug,
    note,
    print_table,
    run,
    when,
)
from app.errors import InvalidState, NotFound
from app.institutions.models import Institution

api_key_cli = typer.Typer(help="Create, list and revoke API keys.", **TYPER_OPTIONS)

KEY_ID = re.compile(r"^[0-9a-f]{16}$")


def _institution_scopes(requested: list[Scope] | None) -> list[Scope]:
    if not requested:
        return sorted(INSTITUTION_SCOPES)
    if Scope.OPERATOR in requested:
        fail("'operator' is not an institution scope; create an operator key with --operator", 2)
    return sorted(set(requested))


@api_key_cli.command("create")
def api_key_create(
    name: Annotated[str, typer.Option(help="What the key is for, e.g. 'Osiris connector'.")],
    operator: Annotated[
        bool, typer.Option("--operator", help="An operator key: manages institutions only.")
    ] = False,
    institution: Annotated[
        str | None, typer.Option(help="Slug of the institution the key acts for.")
    ] = None,
    scope: Annotated[
        list[Scope] | None,
        typer.Option(help="Scope of an institution key; repeat it. Default: every one."),
    ] = None,
) -> None:
    """Create an API key and print it, once, to stdout."""
    if operator == (institution is not None):
        fail("give either --operator or --institution SLUG", code=2)
    if operator and scope:
        fail("an operator key has the operator scope only; drop --scope", code=2)
    scopes = _institution_scopes(scope)
    actor = cli_actor()

    async def create(session: AsyncSession) -> tuple[ApiClient, str]:
        if institution is None:
            return await auth.create_operator_client(session, name, actor)
        target = await institution_by_slug(session, institution)
        return await auth.create_institution_client(session, target.id, name, scopes, actor)

    client, api_key = run(create)
    holder = f"institution {institution}" if institution else "operator"
    note(
        f"Created API key {client.key_id} ({holder}; scopes: {', '.join(client.scopes)}). "
        "It is shown only this once; store it now:"
    )
    typer.echo(api_key)


def _key_id_of(argument: str) -> str:
    """Accept the public key id, or a whole key (e.g. one that leaked) and take its id."""
    token = parse_token(argument)
    key_id = token.key_id if token else argument
    if not KEY_ID.match(key_id):
        fail("a key id is the 16 hex characters after 'stapel_' in the key", code=2)
    return key_id


async def _revoke(session: AsyncSession, key_id: str, actor: str) -> ApiClient:
    query = select(ApiClient).where(ApiClient.key_id == key_id).with_for_update()
    client = await session.scalar(query)
    if client is None:
        raise NotFound(f"No API key with key id {key_id}.")
    if client.revoked_at is not None:
        raise InvalidState(f"The API key {key_id} is revoked already.")
    await api_clients.mark_revoked(session, client.id)
    active_keys.forget(client.key_id)
    await record(
        session,
        actor,
        AuditEntry("api_client.revoked", "api_client", str(client.id), client.institution_id),
    )
    return client


@api_key_cli.command("revoke")
def api_key_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id: the 16 hex characters after stapel_.")],
) -> None:
    """Revoke an API key; running servers refuse it within STAPEL_PROCESS_CACHE_SECONDS (5 s)."""
    wanted = _key_id_of(key_id)
    actor = cli_actor()
    client = run(lambda session: _revoke(session, wanted, actor))
    typer.echo(f"Revoked API key {client.key_id} ({client.name}).")


async def _api_key_rows(session: AsyncSession, slug: str | None) -> list[tuple[str, ...]]:
    query = (
        select(ApiClient, Institution.slug)
        .outerjoin(Institution, Institution.id == ApiClient.institution_id)
        .order_by(ApiClient.created_at, ApiClient.id)
    )
    if slug is not None:
        query = query.where(
            ApiClient.institution_id == (await institution_by_slug(session, slug)).id
        )
    return [
        (
            client.key_id,
            client.name,
            owner or "(operator)",
            ",".join(client.scopes),
            when(client.created_at),
            when(client.revoked_at),
        )
        for client, owner in (await session.execute(query)).all()
    ]


@api_key_cli.command("list")
def api_key_list(
    institution: Annotated[
        str | None, typer.Option(help="Only this institution's keys. Default: every key.")
    ] = None,
) -> None:
    """List API keys (never their secrets)."""
    rows = run(lambda session: _api_key_rows(session, institution))
    if not rows:
        note("No API keys.")
        return
    print_table(("KEY ID", "NAME", "INSTITUTION", "SCOPES", "CREATED", "REVOKED"), rows)
