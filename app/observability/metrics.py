"""Every Prometheus metric of Stapel, and the small functions the rest of the code counts with.

Domain code never touches a metric object; it calls :func:`count_issued`,
:func:`count_status_change`, :func:`count_verification` and the like, so that names and labels
stay in this one module and every label has a bounded set of values.

Single process: the metrics live in the process and ``/metrics`` renders the default registry
(with the process and Python collectors), plus the database pool read at scrape time by
:class:`PoolCollector`.

Several processes (``stapel serve --workers N``): prometheus_client's multiprocess mode, chosen
by ``PROMETHEUS_MULTIPROC_DIR`` being set when this module is first imported. Each worker writes
its samples to memory-mapped files in that directory and whichever worker answers a scrape adds
them all up, so counters cover every worker. The pool gauges, which a scrape cannot read from
other processes, are then written by each worker after every request (summed over live workers).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool, QueuePool

MULTIPROCESS_DIR_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
# prometheus_client decides at import whether values go to files; decide the same way, once.
MULTIPROCESS: Final = bool(os.environ.get(MULTIPROCESS_DIR_ENV))
if MULTIPROCESS:  # each metric below opens its file there at once
    os.makedirs(os.environ[MULTIPROCESS_DIR_ENV], exist_ok=True)

UNMATCHED_ROUTE: Final = "unmatched"
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# ``*_created`` series double every counter and tell nothing a restart does not.
disable_created_metrics()  # type: ignore[no-untyped-call]

# --- HTTP -------------------------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "stapel_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "stapel_http_request_duration_seconds",
    "Time from receiving a request to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

# --- credentials and verification -------------------------------------------------------------

CREDENTIALS_ISSUED = Counter(
    "stapel_credentials_issued_total",
    "Credentials issued (one by one, in batches and through the VC-API); replays not counted.",
)
STATUS_ACTIONS: Final = ("revoke", "suspend", "reinstate")
ISSUE_GROUP_SIZE = Histogram(
    "stapel_issue_group_size",
    "Single issuances that shared one transaction (group commit), per transaction.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000),
)
CREDENTIAL_STATUS_CHANGES = Counter(
    "stapel_credentials_status_changes_total",
    "Credential status changes, by action (revoke, suspend, reinstate).",
    ["action"],
)
VERIFICATION_RESULTS: Final = ("verified", "failed")
VERIFICATIONS = Counter(
    "stapel_verifications_total",
    "Credentials verified (POST /v1/verify and the VC-API), by result (verified or failed).",
    ["result"],
)
VERIFICATION_FAILURES = Counter(
    "stapel_verification_failures_total",
    "Failed verification checks, by check (parsing, signature, status, ...).",
    ["check"],
)

# --- SIS intake and webhooks (counted by the worker) --------------------------------------------

SIS_RESULTS = Counter(
    "stapel_sis_results_total",
    "Results received from student information systems, by outcome.",
    ["outcome"],
)
SIS_MESSAGE_IDS_REUSED = Counter(
    "stapel_sis_message_ids_reused_total",
    "SIS deliveries refused because their webhook-id (or CSV idempotency key) was accepted "
    "before with another body, by source (webhook, csv).",
    ["source"],
)
PATHWAY_OUTCOMES = Counter(
    "stapel_pathway_outcomes_total",
    "Evaluations of a component change against a stacked achievement, by outcome.",
    ["outcome"],
)
SIS_QUEUE_DEPTH = Gauge(
    "stapel_sis_queue_depth",
    "SIS results waiting to be processed.",
    multiprocess_mode="mostrecent",
)
SIS_QUEUE_OLDEST_AGE = Gauge(
    "stapel_sis_queue_oldest_age_seconds",
    "Age of the oldest SIS result waiting to be processed (0 when none waits).",
    multiprocess_mode="mostrecent",
)
WEBHOOK_DELIVERY_ATTEMPTS = Counter(
    "stapel_webhook_delivery_attempts_total",
    "Webhook delivery attempts, by result.",
    ["result"],
)
WEBHOOK_DELIVERIES_FAILED = Counter(
    "stapel_webhook_deliveries_failed_total",
    "Webhook deliveries given up after their last attempt.",
)
MAIL_ATTEMPTS = Counter(
    "stapel_mail_attempts_total",
    "Claim-link mail attempts, by outcome: sent, retry (failed, tried again later), failed "
    "(given up).",
    ["result"],
)

for _action in STATUS_ACTIONS:
    CREDENTIAL_STATUS_CHANGES.labels(_action)
for _result in VERIFICATION_RESULTS:
    VERIFICATIONS.labels(_result)

# --- database pool ----------------------------------------------------------------------------

_POOL_METRICS: Final = {
    "stapel_db_pool_size": "Connections the database pool keeps (its configured size).",
    "stapel_db_pool_checked_out": "Database connections in use by requests.",
    "stapel_db_pool_checked_in": "Open database connections idle in the pool.",
    "stapel_db_pool_overflow": "Connections open beyond the pool size (up to max overflow).",
}
_pools: list[Pool] = []


def _pool_readings() -> dict[str, float]:
    readings = dict.fromkeys(_POOL_METRICS, 0.0)
    for pool in _pools:
        if not isinstance(pool, QueuePool):  # pragma: no cover - the engine uses a QueuePool
            continue
        readings["stapel_db_pool_size"] += pool.size()
        readings["stapel_db_pool_checked_out"] += pool.checkedout()
        readings["stapel_db_pool_checked_in"] += pool.checkedin()
        # Negative while fewer connections than the pool size have been opened.
        readings["stapel_db_pool_overflow"] += max(pool.overflow(), 0)
    return readings


class PoolCollector(Collector):
    """The pools of this process's engines, read when the registry is collected."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, value in _pool_readings().items():
            yield GaugeMetricFamily(name, _POOL_METRICS[name], value=value)


if MULTIPROCESS:
    # Not registered anywhere: in multiprocess mode the files are what a scrape reads.
    _POOL_GAUGES: dict[str, Gauge] = {
        name: Gauge(name, help_text, multiprocess_mode="livesum", registry=None)
        for name, help_text in _POOL_METRICS.items()
    }
else:
    _POOL_GAUGES = {}
    REGISTRY.register(PoolCollector())


def _publish_pool_readings() -> None:
    """Multiprocess mode: write this worker's pool readings where a scrape will find them."""
    if _POOL_GAUGES:
        for name, value in _pool_readings().items():
            _POOL_GAUGES[name].set(value)


@contextmanager
def observed_engine(engine: AsyncEngine) -> Iterator[None]:
    """Report ``engine``'s pool while the block runs (the application's lifespan)."""
    pool = engine.pool
    _pools.append(pool)
    try:
        yield
    finally:
        _pools.remove(pool)
        if MULTIPROCESS:
            # This worker is stopping: its live gauges must no longer count.
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


# --- what the code calls ----------------------------------------------------------------------


# The labelled series of each (method, route template, status) seen, found once: ``labels()``
# takes a lock and builds its key on every call, a few µs of every request. Bounded like the
# series themselves (route templates, not paths).
_request_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """One HTTP request answered; ``route`` is the route template or :data:`UNMATCHED_ROUTE`."""
    series = _request_series.get((method, route, status))
    if series is None:
        label = method if method in _METHODS else "other"
        series = (
            HTTP_REQUESTS.labels(label, route, str(status)),
            HTTP_REQUEST_DURATION.labels(label, route),
        )
        if label == method:  # other methods are few, but a client may invent any number
            _request_series[(method, route, status)] = series
    count, duration = series
    count.inc()
    duration.observe(seconds)
    _publish_pool_readings()


def count_issued(count: int = 1) -> None:
    if count > 0:
        CREDENTIALS_ISSUED.inc(count)


def observe_issue_group(size: int) -> None:
    ISSUE_GROUP_SIZE.observe(size)


def count_status_change(action: str) -> None:
    CREDENTIAL_STATUS_CHANGES.labels(action).inc()


def count_verification(verified: bool, failed_checks: Iterable[str]) -> None:
    # The labelled counter is kept: labels() checks and looks its child up anew on every call,
    # ~1 µs of each verification.
    _VERIFICATION_RESULTS[verified].inc()
    for check in set(failed_checks):
        VERIFICATION_FAILURES.labels(check).inc()


_VERIFICATION_RESULTS: Final = {
    True: VERIFICATIONS.labels("verified"),
    False: VERIFICATIONS.labels("failed"),
}


def count_sis_result(outcome: str, count: int = 1) -> None:
    SIS_RESULTS.labels(outcome).inc(count)


def count_sis_message_id_reused(source: str) -> None:
    SIS_MESSAGE_IDS_REUSED.labels(source).inc()


def count_pathway_outcome(outcome: str) -> None:
    # "refused:<problem code>" counts as "refused": the label set stays small.
    PATHWAY_OUTCOMES.labels(outcome.split(":", 1)[0]).inc()


def set_sis_queue(depth: int, oldest_age_seconds: float) -> None:
    SIS_QUEUE_DEPTH.set(depth)
    SIS_QUEUE_OLDEST_AGE.set(oldest_age_seconds)


def count_webhook_attempt(result: str) -> None:
    WEBHOOK_DELIVERY_ATTEMPTS.labels(result).inc()


def count_webhook_failed() -> None:
    WEBHOOK_DELIVERIES_FAILED.inc()


def count_mail(result: str) -> None:
    MAIL_ATTEMPTS.labels(result).inc()


def render_latest() -> tuple[bytes, str]:
    """The Prometheus text exposition of this process (or, in multiprocess mode, of all of them)
    and its content type; any process (API worker or background worker) can serve it."""
    if MULTIPROCESS:
        _publish_pool_readings()
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
