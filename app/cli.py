"""The ``stapel`` command line: run the service, migrate, manage institutions, keys and API keys.

Every command reads its settings from the environment (``STAPEL_*``, see
docs/configuration.md). API keys are written to stdout once, when created, and never logged; the
explanation around them goes to stderr, so ``KEY=$(stapel api-key create ...)`` captures the key
alone.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import re
import signal
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from app import demo as demo_data
from app.audit.service import AuditEntry, record
from app.auth import repository as api_clients
from app.auth import service as auth
from app.auth.cache import active_keys
from app.auth.models import ApiClient
from app.auth.scopes import INSTITUTION_SCOPES, Scope
from app.auth.tokens import parse_token
from app.config import Settings, get_settings
from app.db.session import create_engine, create_sessionmaker
from app.errors import DomainError, InvalidState, NotFound
from app.institutions import repository as institutions_repository
from app.institutions import service as institutions
from app.institutions.models import Institution
from app.institutions.schemas import InstitutionCreate
from app.keys import service as keys
from app.keys.algorithms import Algorithm
from app.keys.did import institution_did
from app.main import create_app
from app.observability.logging import configure_logging_from
from app.observability.serving import SERVED_APP, metrics_directory
from app.worker.main import run_worker

if TYPE_CHECKING:
    from app.devserver import DevEnvironment

T = TypeVar("T")

# Locals are never shown in tracebacks: they may hold an API key or a secret setting.
_TYPER_OPTIONS: dict[str, Any] = {"no_args_is_help": True, "pretty_exceptions_show_locals": False}

cli = typer.Typer(
    name="stapel",
    help="Issue, revoke and verify micro-credentials (Open Badges 3.0). "
    "Settings come from STAPEL_* environment variables.",
    add_completion=False,
    **_TYPER_OPTIONS,
)
institution_cli = typer.Typer(help="Create and list institutions.", **_TYPER_OPTIONS)
api_key_cli = typer.Typer(help="Create, list and revoke API keys.", **_TYPER_OPTIONS)
keys_cli = typer.Typer(help="Rotate and list institutions' signing keys.", **_TYPER_OPTIONS)
cli.add_typer(institution_cli, name="institution")
cli.add_typer(api_key_cli, name="api-key")
cli.add_typer(keys_cli, name="keys")

KEY_ID = re.compile(r"^[0-9a-f]{16}$")
UNDEFINED_TABLE = "42P01"  # Postgres SQLSTATE


def main() -> None:
    cli()


# --- plumbing ---------------------------------------------------------------------------------


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _note(message: str) -> None:
    """Human explanation; stderr, so that stdout carries only what a script wants to capture."""
    typer.echo(message, err=True)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        # Only names and reasons: the rejected input could be a secret.
        problems = "; ".join(
            f"STAPEL_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        _fail(f"the configuration is incomplete or invalid ({problems}); see docs/configuration.md")


def _cli_actor() -> str:
    """Audit entries made from the command line name the operating-system user who ran it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction: committed if it returns, rolled back if it raises."""
    settings = _settings()
    try:
        return asyncio.run(_in_transaction(settings, work))
    except DomainError as exc:
        _fail(exc.detail)
    except OSError as exc:
        _fail(f"cannot reach the database: {exc}")
    except ProgrammingError as exc:
        if getattr(exc.orig, "pgcode", None) == UNDEFINED_TABLE:
            _fail("the database has no Stapel schema yet; run `stapel migrate` first")
        raise


def _migrate(settings: Settings) -> None:
    # Imported here: a serving process never migrates and need not hold Alembic in memory.
    from app.db.migrate import upgrade_to_head

    try:
        upgrade_to_head(settings.database_url)
    except OSError as exc:
        _fail(f"cannot reach the database: {exc}")


def _print_table(headers: Sequence[str] | None, rows: Sequence[Sequence[str]]) -> None:
    lines = [headers, *rows] if headers else list(rows)
    widths = [max(len(cell) for cell in column) for column in zip(*lines, strict=True)]
    for line in lines:
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        typer.echo("  ".join(cells).rstrip())


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def _institution_by_slug(session: AsyncSession, slug: str) -> Institution:
    institution = await institutions_repository.get_by_slug(session, slug)
    if institution is None:
        raise NotFound(f"No institution with slug '{slug}'; see `stapel institution list`.")
    return institution


# --- running the service ----------------------------------------------------------------------


def _serve(
    host: str,
    port: int,
    workers: int,
    proxy_headers: bool,
    forwarded_allow_ips: str | None,
    graceful_timeout: int = 30,
) -> None:
    configure_logging_from(_settings())  # this process's lines; each worker configures its own
    with metrics_directory(workers):
        uvicorn.run(
            SERVED_APP,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            # X-Forwarded-* are honoured only from these addresses; uvicorn falls back to
            # $FORWARDED_ALLOW_IPS and then to 127.0.0.1, which suits a local reverse proxy.
            proxy_headers=proxy_headers,
            forwarded_allow_ips=forwarded_allow_ips,
            server_header=False,
            # Uvicorn's loggers go through our handler (JSON lines). Its access log stays off:
            # it prints query strings, which can carry a student number or e-mail address; the
            # app writes its own line per request with the route template instead.
            log_config=None,
            access_log=False,
            # On SIGTERM: stop accepting, let in-flight requests finish for this long, then
            # run the lifespan shutdown (which closes the database pool).
            timeout_graceful_shutdown=graceful_timeout,
            # A new worker answers the supervisor's health pings only once it has imported the
            # app, which takes several seconds on a busy machine; uvicorn's 5 s default kills
            # and restarts such workers over and over.
            timeout_worker_healthcheck=30,
        )


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    proxy_headers: Annotated[
        bool, typer.Option(help="Trust X-Forwarded-For/-Proto from the allowed addresses.")
    ] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated addresses (or '*') whose X-Forwarded-* headers are trusted. "
            "Default: $FORWARDED_ALLOW_IPS, else 127.0.0.1."
        ),
    ] = None,
    graceful_timeout: Annotated[
        int,
        typer.Option(
            min=0, help="Seconds in-flight requests get to finish after SIGTERM or Ctrl+C."
        ),
    ] = 30,
) -> None:
    """Run the HTTP API (production entry point; run `stapel migrate` first).

    With --workers N > 1 the workers share their Prometheus metrics through files in
    $PROMETHEUS_MULTIPROC_DIR (a temporary directory unless it is set).
    """
    _settings()  # a configuration error is reported once here, not by every worker
    _exit_normally_on_stop_signals()  # a graceful stop on SIGTERM exits 0
    _serve(host, port, workers, proxy_headers, forwarded_allow_ips, graceful_timeout)


@cli.command()
def worker(
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve /healthz (and /readyz, /metrics) on this port; 0 or unset: none."),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="Address the health and metrics port listens on.")
    ] = "0.0.0.0",  # noqa: S104 - probes and Prometheus reach it from outside the container
) -> None:
    """Run the background worker: SIS results and outgoing webhooks, until SIGTERM."""
    settings = _settings()
    configure_logging_from(settings)
    asyncio.run(run_worker(settings, metrics_port or None, metrics_host))


@cli.command()
def migrate() -> None:
    """Bring the database schema to the newest version (Alembic upgrade head)."""
    _migrate(_settings())
    typer.echo("The database schema is up to date.")


# --- demo data and the development run --------------------------------------------------------


def _print_demo_key(api_key: str) -> None:
    typer.echo(
        f"Demo API key for {demo_data.DEMO_SLUG} (all institution scopes). "
        "It is shown only this once; only its hash is stored:"
    )
    typer.echo(f"\n    {api_key}\n")


def _print_demo_exists() -> None:
    typer.echo(
        "Demo data is loaded only into a database without institutions, and this one has some; "
        "nothing was changed.\nThe demo key was shown when the data was loaded and cannot be "
        "shown again. Make a new one with:\n\n"
        f"    stapel api-key create --institution {demo_data.DEMO_SLUG} --name 'demo key'\n"
    )


@cli.command()
def demo() -> None:
    """Load demo data (one institution and its catalogue) into an empty database."""
    api_key = _run(demo_data.load_demo_data)
    if api_key is None:
        _print_demo_exists()
        return
    typer.echo(f"Loaded the demo institution '{demo_data.DEMO_SLUG}' and its catalogue.")
    _print_demo_key(api_key)


def _print_dev_banner(environment: DevEnvironment, api_key: str | None) -> None:
    base = environment.public_base_url
    issuer = f"{base}/issuers/{demo_data.DEMO_SLUG}"
    typer.echo(f"\nStapel (development) starting at {base}\n")
    if api_key:
        _print_demo_key(api_key)
    else:
        typer.echo(
            "Demo data exists already; its key was shown on the first run. "
            "For a new one run `stapel dev --new-key` (or `make run RUN_ARGS=--new-key`).\n"
        )
    database = (
        f"embedded Postgres in {environment.data_dir / 'pgdata'} (kept between runs)"
        if environment.embedded_database
        else _safe_url(environment.database_url)
    )
    _print_table(
        None,
        [
            ("API documentation", f"{base}/docs"),
            ("OpenAPI document", f"{base}/openapi.json"),
            ("Issuer DID document", f"{issuer}/did.json"),
            ("Issuer JWKS", f"{issuer}/jwks.json"),
            ("GraphQL catalogue", f"{base}/graphql"),
            ("Health", f"{base}/healthz"),
            ("Try", f'curl -H "Authorization: Bearer <key>" {base}/v1/achievements'),
            ("Database", database),
            ("Secrets", str(environment.data_dir / "secrets.env")),
        ],
    )
    typer.echo("\nPress Ctrl+C to stop.\n")


def _exit_normally_on_stop_signals() -> None:
    """Make Ctrl+C and SIGTERM end the process through a normal exit.

    Uvicorn re-raises the signal that stopped it; under the default handlers SIGTERM would kill
    the process without running exit handlers, leaving the embedded Postgres running.
    """

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


@cli.command()
def dev(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    new_key: Annotated[
        bool, typer.Option(help="Issue a new demo key when the demo data exists already.")
    ] = False,
) -> None:
    """Run the service with demo data for development: one command, no setup.

    Uses an embedded Postgres kept in $STAPEL_DATA_DIR (or STAPEL_DATABASE_URL when set) and
    development secrets generated once into the data directory.
    """
    # Imported here: only `dev` needs the embedded Postgres, whose import warns about an unset
    # XDG_RUNTIME_DIR on servers (harmless: it falls back to /tmp).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        from app.devserver import prepare_dev_environment

    _exit_normally_on_stop_signals()
    environment = prepare_dev_environment(host, port)
    os.environ.setdefault("STAPEL_LOG_FORMAT", "console")
    get_settings.cache_clear()  # settings must be read from the environment set up just now
    _migrate(_settings())
    api_key = _run(demo_data.load_demo_data)
    if api_key is None and new_key:
        api_key = _run(lambda session: demo_data.issue_demo_key(session, _cli_actor()))
    _print_dev_banner(environment, api_key)
    _serve(host, port, workers=1, proxy_headers=False, forwarded_allow_ips=None)


# --- institutions -----------------------------------------------------------------------------

# Option names of the fields a user can get wrong, for error messages in the user's terms.
_INSTITUTION_OPTIONS = {"country_code": "--country", "signing_algorithm": "--algorithm"}


def _validated_institution(fields: dict[str, Any]) -> InstitutionCreate:
    try:
        return InstitutionCreate.model_validate(fields)
    except ValidationError as exc:
        _fail(_validation_message(exc, _INSTITUTION_OPTIONS), code=2)


def _validation_message(exc: ValidationError, options: dict[str, str]) -> str:
    def option(loc: tuple[int | str, ...]) -> str:
        field = str(loc[0]) if loc else ""
        return options.get(field, "--" + field.replace("_", "-"))

    return "; ".join(f"{option(e['loc'])}: {e['msg']}" for e in exc.errors())


@institution_cli.command("create")
def institution_create(
    slug: Annotated[str, typer.Option(help="URL name, e.g. hogeschool-lindewijk.")],
    legal_name: Annotated[str, typer.Option(help="Registered legal name.")],
    display_name: Annotated[str, typer.Option(help="Name shown on credentials.")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 code, e.g. NL.")],
    recognised: Annotated[
        bool,
        typer.Option(
            "--recognised", help="A recognised institution may issue formal micro-credentials."
        ),
    ] = False,
    algorithm: Annotated[Algorithm, typer.Option(help="Algorithm of its first signing key.")] = (
        "ES256"
    ),
) -> None:
    """Create an institution with an active signing key."""
    body = _validated_institution(
        {
            "slug": slug,
            "legal_name": legal_name,
            "display_name": display_name,
            "country_code": country.upper(),
            "recognised": recognised,
            "signing_algorithm": algorithm,
        }
    )

    async def create(session: AsyncSession) -> str:
        institution = await institutions.create_institution(session, body, _cli_actor())
        return str(institution.id)

    institution_id = _run(create)
    base = _settings().public_base_url
    typer.echo(f"Created institution {body.slug} ({institution_id}).")
    typer.echo(f"  DID:          {institution_did(body.slug)}")
    typer.echo(f"  DID document: {base}/issuers/{body.slug}/did.json")
    _note(
        "Give it an API key with: "
        f"stapel api-key create --institution {body.slug} --name 'admin key'"
    )


@institution_cli.command("list")
def institution_list() -> None:
    """List all institutions."""

    async def rows(session: AsyncSession) -> list[tuple[str, ...]]:
        return [
            (
                i.slug,
                i.display_name,
                i.country_code,
                "yes" if i.recognised else "no",
                str(i.id),
            )
            for i in await institutions_repository.list_all(session)
        ]

    found = _run(rows)
    if not found:
        _note("No institutions yet; create one with `stapel institution create`.")
        return
    _print_table(("SLUG", "NAME", "COUNTRY", "RECOGNISED", "ID"), found)


# --- API keys ---------------------------------------------------------------------------------


def _institution_scopes(requested: list[Scope] | None) -> list[Scope]:
    if not requested:
        return sorted(INSTITUTION_SCOPES)
    if Scope.OPERATOR in requested:
        _fail("'operator' is not an institution scope; create an operator key with --operator", 2)
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
        _fail("give either --operator or --institution SLUG", code=2)
    if operator and scope:
        _fail("an operator key has the operator scope only; drop --scope", code=2)
    scopes = _institution_scopes(scope)
    actor = _cli_actor()

    async def create(session: AsyncSession) -> tuple[ApiClient, str]:
        if institution is None:
            return await auth.create_operator_client(session, name, actor)
        target = await _institution_by_slug(session, institution)
        return await auth.create_institution_client(session, target.id, name, scopes, actor)

    client, api_key = _run(create)
    holder = f"institution {institution}" if institution else "operator"
    _note(
        f"Created API key {client.key_id} ({holder}; scopes: {', '.join(client.scopes)}). "
        "It is shown only this once; store it now:"
    )
    typer.echo(api_key)


def _key_id_of(argument: str) -> str:
    """Accept the public key id, or a whole key (e.g. one that leaked) and take its id."""
    token = parse_token(argument)
    key_id = token.key_id if token else argument
    if not KEY_ID.match(key_id):
        _fail("a key id is the 16 hex characters after 'stapel_' in the key", code=2)
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
    actor = _cli_actor()
    client = _run(lambda session: _revoke(session, wanted, actor))
    typer.echo(f"Revoked API key {client.key_id} ({client.name}).")


async def _api_key_rows(session: AsyncSession, slug: str | None) -> list[tuple[str, ...]]:
    query = (
        select(ApiClient, Institution.slug)
        .outerjoin(Institution, Institution.id == ApiClient.institution_id)
        .order_by(ApiClient.created_at, ApiClient.id)
    )
    if slug is not None:
        query = query.where(
            ApiClient.institution_id == (await _institution_by_slug(session, slug)).id
        )
    return [
        (
            client.key_id,
            client.name,
            owner or "(operator)",
            ",".join(client.scopes),
            _when(client.created_at),
            _when(client.revoked_at),
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
    rows = _run(lambda session: _api_key_rows(session, institution))
    if not rows:
        _note("No API keys.")
        return
    _print_table(("KEY ID", "NAME", "INSTITUTION", "SCOPES", "CREATED", "REVOKED"), rows)


# --- signing keys -----------------------------------------------------------------------------


@keys_cli.command("rotate")
def keys_rotate(
    institution: Annotated[str, typer.Option(help="Slug of the institution.")],
    algorithm: Annotated[Algorithm, typer.Option(help="Algorithm of the new key.")] = "ES256",
) -> None:
    """Make a new signing key active; the old one stays published so its credentials verify."""
    actor = _cli_actor()

    async def rotate(session: AsyncSession) -> tuple[str, str]:
        target = await _institution_by_slug(session, institution)
        key = await keys.rotate(session, target.id, algorithm, actor)
        return key.kid, key.algorithm

    kid, used = _run(rotate)
    typer.echo(f"New active {used} key {kid} for {institution}; the previous key is retired.")


@keys_cli.command("list")
def keys_list(institution: Annotated[str, typer.Option(help="Slug of the institution.")]) -> None:
    """List an institution's signing keys, retired ones included."""

    async def rows(session: AsyncSession) -> list[tuple[str, ...]]:
        target = await _institution_by_slug(session, institution)
        return [
            (k.kid, k.algorithm, k.status, _when(k.created_at), _when(k.retired_at))
            for k in await keys.list_keys(session, target.id)
        ]

    _print_table(("KID", "ALGORITHM", "STATUS", "CREATED", "RETIRED"), _run(rows))


# --- OpenAPI ----------------------------------------------------------------------------------


def openapi_json() -> str:
    """The app's OpenAPI document as committed in openapi/openapi.json."""
    return json.dumps(create_app().openapi(), indent=2, sort_keys=False) + "\n"


@cli.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the document.")] = Path(
        "openapi/openapi.json"
    ),
) -> None:
    """Write the OpenAPI document (needs no settings or database)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(openapi_json(), encoding="utf-8")
    typer.echo(f"Wrote {output}.")


def graphql_sdl() -> str:
    """The GraphQL schema as committed in schema.graphql."""
    from app.graphql.schema import schema

    return schema.as_str() + "\n"


@cli.command("graphql-schema")
def graphql_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = Path("schema.graphql"),
) -> None:
    """Write the GraphQL schema (SDL) of the catalogue."""
    output.write_text(graphql_sdl(), encoding="utf-8")
    typer.echo(f"Wrote {output}.")


if __name__ == "__main__":
    main()
