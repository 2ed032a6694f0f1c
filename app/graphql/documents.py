"""Parse and validate each distinct query text once per process, not on every request.

Catalogue clients send the same few query texts over and over; parsing and validating them was a
large share of a page's CPU. The validation rules (depth, aliases) are built once here, so that a
cached validation result is keyed on the query text alone. A text that fails to parse is not
cached: Strawberry parses it again itself and reports the error exactly as before.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import validate_document

from app.graphql.cost import QueryCostLimit
from app.graphql.input_text import StorableStrings

MAX_DEPTH: Final = 8
MAX_ALIASES: Final = 20
MAX_TOKENS: Final = 2000
# Bounded, so that unique query texts cannot grow memory: a few hundred documents of at most
# MAX_TOKENS tokens each, and texts longer than MAX_QUERY_CHARS are never kept.
MAX_DOCUMENTS: Final = 256
MAX_QUERY_CHARS: Final = 20_000

# Built once: the limiter extensions would create new rule classes for every request.
RULES: Final = (
    depth_rule(MAX_DEPTH, None, None),
    aliases_rule(MAX_ALIASES),
    QueryCostLimit,
    StorableStrings,
)


@dataclass(slots=True)
class _Prepared:
    document: DocumentNode
    errors: list[GraphQLError] | None = None  # filled by the first validation


@functools.lru_cache(maxsize=MAX_DOCUMENTS)
def _parsed(query: str) -> _Prepared:
    return _Prepared(parse(query, max_tokens=MAX_TOKENS))


def _prepared(query: str) -> _Prepared | None:
    """The kept document of ``query``; None for texts too long to keep or that do not parse."""
    if len(query) > MAX_QUERY_CHARS:
        return None
    try:
        return _parsed(query)
    except GraphQLError:  # not kept: lru_cache keeps no exception
        return None


class DocumentCache(SchemaExtension):
    """Sets the token limit and the limiter rules, and reuses parsed and validated documents."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = context.validation_rules + RULES
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            prepared = _prepared(context.query)
            if prepared is not None:
                context.graphql_document = prepared.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        query, document = context.query, context.graphql_document
        prepared = _prepared(query) if query is not None else None
        if prepared is not None and prepared.document is document:
            if prepared.errors is None:
                prepared.errors = validate_document(
                    context.schema._schema, prepared.document, context.validation_rules
                )
            context.pre_execution_errors = list(prepared.errors)
        yield
