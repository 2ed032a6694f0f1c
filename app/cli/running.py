"""Running Stapel: the API server, the worker, migrations, demo data and the development run."""

from __future__ import annotations

import asyncio
import os
import signal
import warnings
from enum import StrEnum
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Final

import typer
import uvicorn

from app import demo as demo_data
from app.certificates import development
from app.cli.common import (
    cli_actor,
    migrate_database,
    print_table,
    run,
    safe_url,
    settings,
    when,
)
from app.config import get_settings
from app.http.connections import BoundedHeadProtocol
from app.observability.logging import configure_logging_from
from app.observability.metrics_port import serving_metrics
from app.observability.serving import SERVED_APP, metrics_directory
from app.worker.main import run_worker

if TYPE_CHECKING:
    from app.devserver import DevEnvironment

# An idle keep-alive connection is closed after this long. A client that reuses one about as
# late can see its request lost (the connection reset under it): its pool should let
# connections idle for less (httpx: ``keepalive_expiry``, 5 s by default too).
KEEP_ALIVE_SECONDS: Final = 5


class EventLoop(StrEnum):
    """The event loop ``stapel serve`` runs on."""

    # The standard library's loop. Under load with CPU-heavy requests (verification, ~1 ms
    # each) at 64 clients, uvloop served some connections far later than others: the p99 was
    # 10-20 times the median (1.1-1.3 s against 65-90 ms), where asyncio's loop keeps it near
    # what the rate allows (160-210 ms), at the same rate. See docs/performance.md.
    asyncio = "asyncio"
    uvloop = "uvloop"


def _serve(
    host: str,
    port: int,
    workers: int,
    proxy_headers: bool,
    forwarded_allow_ips: str | None,
    graceful_timeout: int = 30,
    metrics: tuple[str, int | None] = ("127.0.0.1", None),
    event_loop: EventLoop = EventLoop.asyncio,
) -> None:
    configure_logging_from(settings())  # this process's lines; each worker configures its own
    with metrics_directory(workers) as directory, serving_metrics(*metrics, directory):
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
            # Request heads bounded in time and size (app.http.connections); idle keep-alive
            # connections closed after 5 s; bodies are bounded by the app (app.http.limits).
            http=BoundedHeadProtocol,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            loop=event_loop.value,
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
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve /metrics on this port, not on the API port; 0 or unset: none."),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="Address the metrics port listens on.")
    ] = "0.0.0.0",  # noqa: S104 - Prometheus scrapes it from outside the container
    event_loop: Annotated[
        EventLoop,
        typer.Option("--loop", help="Event loop: asyncio keeps tail latency under load short."),
    ] = EventLoop.asyncio,
) -> None:
    """Run the HTTP API (production entry point; run `stapel migrate` first).

    /metrics is not on the API port unless STAPEL_METRICS_ON_API_PORT is set: give
    --metrics-port for Prometheus. With --workers N > 1 the workers share their metrics through
    files in $PROMETHEUS_MULTIPROC_DIR (a temporary directory unless it is set).
    """
    settings()  # a configuration error is reported once here, not by every worker
    _exit_normally_on_stop_signals()  # a graceful stop on SIGTERM exits 0
    _serve(
        host,
        port,
        workers,
        proxy_headers,
        forwarded_allow_ips,
        graceful_timeout,
        metrics=(metrics_host, metrics_port or None),
        event_loop=event_loop,
    )


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
    configured = settings()
    configure_logging_from(configured)
    asyncio.run(run_worker(configured, metrics_port or None, metrics_host))


def migrate() -> None:
    """Bring the database schema to the newest version (Alembic upgrade head)."""
    migrate_database(settings())
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


def demo() -> None:
    """Load demo data (one institution and its catalogue) into an empty database."""
    api_key = run(demo_data.load_demo_data)
    if api_key is None:
        _print_demo_exists()
        return
    typer.echo(f"Loaded the demo institution '{demo_data.DEMO_SLUG}' and its catalogue.")
    _print_demo_key(api_key)


def _certificate_line(certificate: demo_data.DemoCertificate | None) -> str:
    if certificate is None:
        return "none (no demo institution in this database)"
    line = f"{certificate.subject}, valid until {when(certificate.not_after)}"
    if certificate.development:
        line += " [DEVELOPMENT CA - not for production]"
    return line


def _print_dev_banner(
    environment: DevEnvironment,
    api_key: str | None,
    certificate: demo_data.DemoCertificate | None,
) -> None:
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
        else safe_url(environment.database_url)
    )
    print_table(
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
            ("Issuer certificate", _certificate_line(certificate)),
            ("Development CA", str(environment.data_dir / development.CA_CERTIFICATE_FILE)),
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
    migrate_database(settings())
    api_key = run(demo_data.load_demo_data)
    if api_key is None and new_key:
        api_key = run(lambda session: demo_data.issue_demo_key(session, cli_actor()))
    authority = development.load_or_create(environment.data_dir, settings().kek_bytes)
    certificate = run(lambda session: demo_data.certify_demo_key(session, authority))
    _print_dev_banner(environment, api_key, certificate)
    _serve(host, port, workers=1, proxy_headers=False, forwarded_allow_ips=None)
