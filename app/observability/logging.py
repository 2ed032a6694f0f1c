"""Structured logs: one JSON object a line on stdout, from structlog and the standard library alike.

:func:`configure_logging` is called once per process (``stapel serve`` and each of its workers).
Every record, whether written with structlog or through :mod:`logging` (uvicorn, SQLAlchemy,
``warnings``), passes the same processors: time stamp, level, logger name, the request id and
the authenticated client of the request being served, and :func:`redact`, which keeps secrets
and learner identifiers out of the output whatever a caller passed in.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final, TextIO

import orjson
import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from app.config import Settings
from app.context import current_request_id
from app.observability.context import current_facts
from app.observability.tracebacks import format_exception

REDACTED: Final = "[REDACTED]"

# Values under keys named like this are dropped whole, whatever they hold.
_SENSITIVE_KEY = re.compile(
    r"authorization|api[_-]?key|secret|passw(or)?d|token|key_encryption_key|kek"
    r"|learner_lookup_key|jwt|private|cookie",
    re.IGNORECASE,
)

# Values that look like secrets or learner identifiers, wherever they occur inside a string.
_SENSITIVE_VALUE = re.compile(
    "|".join(
        (
            r"stapel_[0-9a-f]{16}_[A-Za-z0-9_-]+",  # our API keys
            r"whsec_[A-Za-z0-9+/=_-]+",  # webhook signing secrets
            r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",  # JWS/JWT (compact)
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
            r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
        )
    ),
    re.DOTALL,
)
# user:password@ in URLs (a database URL in an error message).
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@")

# Loggers whose output would carry SQL parameters, raw HTTP traffic or whole URLs with their
# query strings (httpx logs every request it makes at INFO).
_QUIET_LOGGERS: Final = ("sqlalchemy", "httpx", "httpcore", "hpack")


def _may_hold_secret(text: str) -> bool:
    """Every pattern above needs one of these substrings; most log values (routes, ids) have
    none, and the expressions need not run."""
    return (
        "@" in text
        or "stapel_" in text
        or "whsec_" in text
        or "eyJ" in text
        or "PRIVATE KEY" in text
    )


def redact_text(text: str) -> str:
    if not _may_hold_secret(text):
        return text
    return _SENSITIVE_VALUE.sub(REDACTED, _URL_PASSWORD.sub(rf"\g<head>{REDACTED}@", text))


@functools.lru_cache(maxsize=1024)
def _sensitive_key(key: str) -> bool:
    return _SENSITIVE_KEY.search(key) is not None


def _redact_value(value: object) -> object:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, Mapping):
        return {
            key: REDACTED if _sensitive_key(str(key)) else _redact_value(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(item) for item in value]
    return redact_text(str(value))


def redact(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Drop values under sensitive keys; mask API keys, secrets, JWTs and e-mail addresses."""
    for key, value in event_dict.items():
        if key.startswith("_"):  # structlog's own bookkeeping (the LogRecord)
            continue
        event_dict[key] = REDACTED if _sensitive_key(key) else _redact_value(value)
    return event_dict


_format_exc_info: Final = structlog.processors.ExceptionRenderer(format_exception)

_LEADING_KEYS: Final = ("timestamp", "level", "logger", "event")


def leading_keys_first(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """``timestamp``, ``level``, ``logger`` and ``event`` open every JSON line."""
    return {**{key: event_dict[key] for key in _LEADING_KEYS if key in event_dict}, **event_dict}


def add_request_context(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """The request id and the authenticated client of the request being served, if any."""
    request_id = current_request_id()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    facts = current_facts()
    if facts is not None and facts.client_id is not None:
        event_dict.setdefault("client_id", facts.client_id)
        if facts.institution_id is not None:
            event_dict.setdefault("institution_id", facts.institution_id)
    return event_dict


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stdout`` is when a record is emitted (test capture included).

    Access lines (:meth:`write_line`) are gathered while the event loop runs and written
    together when it next takes a turn: under load a turn ends many requests, and a write to
    stdout (a pipe under a container runtime, a file under the benchmark) cost 15-30 µs a
    line here, a twentieth of verifying a credential. An idle server writes each line in the
    turn after its request. Every other record writes what is gathered first, so lines keep
    their order, and :meth:`flush` (at exit too) writes it.
    """

    def __init__(self) -> None:
        super().__init__(sys.stdout)
        self._gathered: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Called under the handler's lock (logging.Handler.handle).
        self._write_gathered()
        self.stream = sys.stdout
        super().emit(record)

    def write_line(self, line: str) -> None:
        """A line rendered elsewhere, written with the others of this turn of the event loop."""
        with self.lock or contextlib.nullcontext():
            self._gathered.append(line)
            gathered = len(self._gathered)
        if gathered >= _MOST_GATHERED:
            self.flush()
            return
        if gathered > 1:
            return  # a write is already due in this turn
        try:
            asyncio.get_running_loop().call_soon(self.flush)
        except RuntimeError:  # no event loop in this thread: nothing will take a turn
            self.flush()

    def flush(self) -> None:
        with self.lock or contextlib.nullcontext():
            self._write_gathered()
            super().flush()

    def _write_gathered(self) -> None:
        if self._gathered:
            self.stream = sys.stdout
            self.stream.write(self.terminator.join(self._gathered) + self.terminator)
            self._gathered.clear()


# Lines gathered before they are written without waiting for the event loop's turn.
_MOST_GATHERED: Final = 256


ACCESS_LOGGER: Final = "stapel.access"
_access_logger = logging.getLogger(ACCESS_LOGGER)  # its level is checked on every request
_json_handler: _StdoutHandler | None = None  # set while JSON lines are configured


def log_access(level: int, **fields: str | int | float) -> None:
    """The access line of one request.

    The busiest line there is, written for every request: with JSON lines configured it is
    rendered directly (~10 µs) instead of through structlog and the standard library's
    record machinery (~70 µs, a sixth of serving a status list from memory). The fields are
    the middleware's own (method, route template, status, duration), which hold nothing a
    caller chose, so only the context added after them (the request id, which a caller may
    send, and the client) is redacted: the line is still the one the full pipeline would write.
    """
    handler = _json_handler
    if handler is None:
        get_logger(ACCESS_LOGGER).log(level, "request", **fields)
        return
    if not _access_logger.isEnabledFor(level):
        return
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    line: dict[str, object] = {
        "timestamp": now,
        "level": logging.getLevelName(level).lower(),
        "logger": ACCESS_LOGGER,
        "event": "request",
        **fields,
    }
    line.update(redact(None, "", add_request_context(None, "", {})))
    handler.write_line(orjson.dumps(line).decode())


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        add_request_context,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    """Route structlog and the standard library to stdout, as JSON lines or for a console.

    Idempotent: calling it again replaces the handler it installed before.
    """
    shared = _shared_processors()
    renderers: list[Processor] = (
        [leading_keys_first, structlog.processors.JSONRenderer()]
        if json
        else [structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())]
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Plain traceback text: never the local variables of the frames, nor the
            # statement parameters and quoted values in a database error's message.
            _format_exc_info,
            redact,
            *renderers,
        ],
    )
    global _json_handler  # noqa: PLW0603 - one handler per process, replaced on reconfiguration
    handler = _StdoutHandler()
    handler.setFormatter(formatter)
    handler.set_name("stapel")
    _json_handler = handler if json else None

    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "stapel"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    numeric_level = root.getEffectiveLevel()
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric_level, logging.WARNING))
    # Uvicorn's loggers write through the root handler (``stapel serve`` gives uvicorn no log
    # configuration of its own); its access log stays off: the middleware writes a better one.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.captureWarnings(True)
    _route_structlog_through_logging()


def configure_logging_from(settings: Settings) -> None:
    """:func:`configure_logging` as ``STAPEL_LOG_LEVEL`` and ``STAPEL_LOG_FORMAT`` say."""
    configure_logging(settings.log_level, json=settings.log_format == "json")


def _route_structlog_through_logging() -> None:
    """structlog hands its events to :mod:`logging`, whose root handler renders them.

    Done on import as well, so that before :func:`configure_logging` (in tests, in commands that
    do not configure logging) structlog events obey the standard library's levels and handlers
    instead of structlog's default of printing everything.
    """
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Cached: these processors never change after start-up (configure_logging only swaps
        # the standard-library handler, which cached loggers still write through).
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


_route_structlog_through_logging()
