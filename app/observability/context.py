"""Who a request is authenticated as, for the log lines written while it runs.

The observability middleware opens a :class:`RequestFacts` holder for each request and
:func:`note_caller` (called where an API key is turned into a principal) fills it in. The holder
is mutable on purpose: whatever runs the authentication (a dependency, GraphQL's context
getter, a worker thread) writes into the same object the middleware reads when it writes the
access-log line.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(slots=True)
class RequestFacts:
    client_id: str | None = None
    institution_id: str | None = None


request_facts_var: ContextVar[RequestFacts | None] = ContextVar("request_facts", default=None)


def begin_request() -> tuple[RequestFacts, Token[RequestFacts | None]]:
    facts = RequestFacts()
    return facts, request_facts_var.set(facts)


def end_request(token: Token[RequestFacts | None]) -> None:
    request_facts_var.reset(token)


def note_caller(client_id: uuid.UUID, institution_id: uuid.UUID | None) -> None:
    """Record the authenticated API client (and its institution) of the current request."""
    facts = request_facts_var.get()
    if facts is not None:
        facts.client_id = str(client_id)
        facts.institution_id = str(institution_id) if institution_id else None


def current_facts() -> RequestFacts | None:
    return request_facts_var.get()
